# shellcheck shell=bash
# Concurrency: many containers created, started, deleted at the same time.

IT_N=${IT_CONCURRENCY:-20}

test_concurrent_lifecycle() {
	mk_bundle
	set_args sh -c 'echo "out-$(hostname)-$$"'
	local i ids=() pids=() rc=0
	for ((i = 0; i < IT_N; i++)); do ids+=("$(cid "c$i")"); done

	# create, all at once
	for i in "${ids[@]}"; do
		rt create --bundle "$BUNDLE" "$i" >"$T/$i.out" 2>"$T/$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { rc=$?; echo "create ${ids[i]} failed ($rc): $(cat "$T/${ids[i]}.err")"; }
	done
	((rc == 0)) || fail "concurrent create failed (see log)"
	local q
	q=$(rt list --quiet | sort)
	assert_eq "$(printf '%s\n' "${ids[@]}" | sort)" "$q" "list after concurrent create"
	for i in "${ids[@]}"; do assert_eq created "$(state_field "$i" status)" "status of $i"; done

	# start, all at once
	pids=()
	for i in "${ids[@]}"; do
		rt start "$i" >"$T/$i.start" 2>&1 </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { rc=$?; echo "start ${ids[i]} failed ($rc): $(cat "$T/${ids[i]}.start")"; }
	done
	((rc == 0)) || fail "concurrent start failed (see log)"
	for i in "${ids[@]}"; do
		wait_for_status "$i" stopped 20
		assert_eq "out-myrt-example-1" "$(cat "$T/$i.out")" "output of $i"
	done

	# delete, all at once
	pids=()
	for i in "${ids[@]}"; do
		rt delete "$i" >"$T/$i.del" 2>&1 </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { rc=$?; echo "delete ${ids[i]} failed ($rc): $(cat "$T/${ids[i]}.del")"; }
	done
	((rc == 0)) || fail "concurrent delete failed (see log)"
	assert_eq "" "$(rt list --quiet)" "list after concurrent delete"
	assert_eq "" "$(ls -A "$ROOT")" "state root after concurrent delete"
	assert_no_leftovers "${ids[@]}"
}

test_concurrent_run_same_id() {
	# Many `run`s of one id at once: exactly one wins, the others fail cleanly.
	mk_bundle
	add_ctl
	# The winner stays until all the others have returned.
	set_args sh -c 'echo won >> /mnt/winners; while [ ! -e /mnt/release ]; do sleep 0.02; done'
	local id i pids=() ok=0
	id=$(cid same)
	for ((i = 0; i < 8; i++)); do
		rt run --bundle "$BUNDLE" "$id" >"$T/r$i.out" 2>"$T/r$i.err" </dev/null &
		pids+=($!)
	done
	_at_most_one_left() {
		local p n=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
		((n <= 1))
	}
	wait_for 30 _at_most_one_left || echo "more than one run still going after 30s"
	touch "$CTL/release"
	for i in "${pids[@]}"; do wait "$i" && ok=$((ok + 1)); done
	assert_eq 1 "$ok" "successful concurrent runs of one id"
	assert_eq 1 "$(grep -c won "$CTL/winners")" "containers that ran"
	assert_no_leftovers "$id"
}

test_concurrent_run_many() {
	mk_bundle
	set_args sh -c 'exit $(( $(hostname | wc -c) ))' # 13: "myrt-example\n"
	local i pids=() bad=0
	for ((i = 0; i < IT_N; i++)); do
		rt run --bundle "$BUNDLE" "$(cid "r$i")" >"$T/r$i.out" 2>"$T/r$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		local rc=0
		wait "${pids[i]}" || rc=$?
		[[ $rc == 13 ]] || { bad=$((bad + 1)); echo "run r$i: exit $rc: $(cat "$T/r$i.err")"; }
	done
	((bad == 0)) || fail "$bad of $IT_N concurrent runs did not exit 13 (see log)"
	assert_eq "" "$(ls -A "$ROOT")" "state root after concurrent runs"
	local ids=()
	for ((i = 0; i < IT_N; i++)); do ids+=("$(cid "r$i")"); done
	assert_no_leftovers "${ids[@]}"
}
