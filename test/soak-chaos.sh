# shellcheck shell=bash
# Phase 3 of test/soak (sourced there; uses its W, TAG, RT, ROOT, BUNDLE, rt, err, secs,
# tagged_pids, SENTINELS, SHARED_CG): one fault per cycle, then `list` and `delete --force`
# must account for everything, and the sentinels must be alive. See test/soak's header.

declare -A CHAOS_N=()
SMALL=$W/small # a tiny tmpfs state root, filled up for the disk-full faults

v1_mounts() { awk '$3 == "cgroup" { print $2 }' /proc/self/mounts; }

# A cgroup the soak makes and a sentinel in it; half of the containers join it.
chaos_shared_cgroup() {
	local name=$TAG-shared m
	sleep 1000000 &
	S_SHARED=$!
	SENTINELS+=("$S_SHARED")
	if [[ -n $(v1_mounts) ]]; then
		for m in $(v1_mounts); do
			mkdir "$m/$name" && SHARED_CG+=("$m/$name")
			if [[ -e $m/$name/cpuset.cpus ]]; then
				cat "$m/cpuset.cpus" >"$m/$name/cpuset.cpus"
				cat "$m/cpuset.mems" >"$m/$name/cpuset.mems"
			fi
			echo "$S_SHARED" >"$m/$name/cgroup.procs"
		done
	else
		mkdir "/sys/fs/cgroup/$name" && SHARED_CG+=("/sys/fs/cgroup/$name")
		echo "$S_SHARED" >"/sys/fs/cgroup/$name/cgroup.procs"
	fi
	mkdir -p "$W/bshared"
	jq --arg p "/$name" '.linux.cgroupsPath = $p' "$BUNDLE/config.json" >"$W/bshared/config.json"
}

chaos_setup() {
	sleep 1000000 &
	S_ALONE=$!
	SENTINELS+=("$S_ALONE")
	chaos_shared_cgroup
	echo "  chaos: sentinels $S_ALONE (shares nothing), $S_SHARED (in the shared cgroup)"
	# run's container: lives a moment, long enough for a storm to land
	mkdir -p "$W/brun" "$SMALL"
	jq '.process.args = ["sleep", "0.3"]' "$BUNDLE/config.json" >"$W/brun/config.json"
	mount -t tmpfs -o size=256k,mode=0700 soak-small "$SMALL" || cerr "chaos: cannot mount a small tmpfs"
}

# err through the stderr the soak started with: the faults' own stderr (the shell's
# "Killed" notices of the runtimes killed on purpose) goes to a log.
cerr() { err "$@" 2>&5; }

rand_ms() { printf '0.%03d' $((RANDOM % $1 + 1)); } # a random delay of 1..N ms, in seconds
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }

# The faults. Each gets an id and a bundle; what it leaves is checked by chaos_check.
fault_kill_create() {
	MYRT_SOAK_RT=$TAG timeout -s KILL "$(rand_ms 40)" "$RT" --root "$ROOT" create --bundle "$2" "$1" \
		</dev/null >/dev/null 2>&1
}
fault_kill_start() {
	rt create --bundle "$2" "$1" </dev/null >/dev/null 2>&1 || return 0
	MYRT_SOAK_RT=$TAG timeout -s KILL "$(rand_ms 5)" "$RT" --root "$ROOT" start "$1" </dev/null >/dev/null 2>&1
}
fault_kill_delete() {
	rt create --bundle "$2" "$1" </dev/null >/dev/null 2>&1 || return 0
	rt start "$1" </dev/null >/dev/null 2>&1
	MYRT_SOAK_RT=$TAG timeout -s KILL "$(rand_ms 10)" "$RT" --root "$ROOT" delete --force "$1" \
		</dev/null >/dev/null 2>&1
}
fault_damage_state() {
	rt create --bundle "$2" "$1" </dev/null >/dev/null 2>"$W/cerr" ||
		{ cerr "chaos $1: create: $(head -c 300 "$W/cerr")"; return 0; }
	rt start "$1" </dev/null >/dev/null 2>&1
	local f=$ROOT/$1/state.json
	case $(pick empty truncated garbage nul removed directory) in
	empty) : >"$f" ;;
	truncated) head -c $((RANDOM % 60)) "$f" >"$f.x" && mv "$f.x" "$f" ;;
	garbage) head -c 200 /dev/urandom >"$f" ;;
	nul) printf '\0\0\0\0' >"$f" ;;
	removed) rm -f "$f" ;;
	directory) rm -f "$f" && mkdir "$f" ;;
	esac
}
# Signals that a caller may send to `run` (KILL and STOP cannot be handled by anyone).
STORM=(HUP INT QUIT USR1 USR2 PIPE ALRM TERM CONT TSTP TTIN TTOU XCPU XFSZ VTALRM PROF IO PWR SYS
	RTMIN RTMIN+1 RTMAX WINCH URG CHLD)
fault_signal_storm() {
	MYRT_SOAK_RT=$TAG "$RT" --root "$ROOT" run --bundle "$W/brun" "$1" </dev/null >/dev/null 2>&1 &
	local pid=$! k st
	# The storm is for run, not for the fork of this shell that is about to exec it (it would
	# run this shell's traps).
	local shell_exe
	shell_exe=$(readlink "/proc/$$/exe")
	for ((k = 0; k < 250; k++)); do
		[[ $(readlink "/proc/$pid/exe" 2>/dev/null) != "$shell_exe" ]] && break
		sleep 0.01
	done
	for ((k = 0; k < 12; k++)); do
		kill -s "$(pick "${STORM[@]}")" "$pid" 2>/dev/null
		sleep "$(rand_ms 20)"
	done
	kill -s CONT "$pid" 2>/dev/null
	for ((k = 0; k < 250; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
		[[ $st == T ]] && { cerr "chaos $1: run was stopped by a signal"; kill -s CONT "$pid"; }
		sleep 0.02
	done
	wait "$pid"
	local rc=$?
	# run ends when its container does, and deletes it: state left means run died first.
	if [[ -e $ROOT/$1 ]]; then
		cerr "chaos $1: run exited ($rc) but its container is still there: run died of a signal"
	fi
}
# A full state disk at create, or at pause.
fault_disk_full() {
	local filler=$SMALL/filler
	if ((RANDOM % 2)); then
		head -c 1M /dev/zero >"$filler" 2>/dev/null
		MYRT_SOAK_RT=$TAG timeout 30 "$RT" --root "$SMALL" create --bundle "$2" "$1" </dev/null >/dev/null 2>"$W/cerr"
		rm -f "$filler"
		return 0
	fi
	MYRT_SOAK_RT=$TAG timeout 30 "$RT" --root "$SMALL" create --bundle "$2" "$1" </dev/null >/dev/null 2>"$W/cerr" ||
		{ cerr "chaos $1: create on the small root: $(head -c 300 "$W/cerr")"; return 0; }
	"$RT" --root "$SMALL" start "$1" </dev/null >/dev/null 2>&1
	head -c 1M /dev/zero >"$filler" 2>/dev/null
	"$RT" --root "$SMALL" pause "$1" >/dev/null 2>&1
	# Whatever pause did, the container is in a state the runtime can report and undo.
	local s
	s=$("$RT" --root "$SMALL" state "$1" 2>/dev/null | jq -r .status 2>/dev/null)
	rm -f "$filler"
	case $s in
	paused) "$RT" --root "$SMALL" resume "$1" >/dev/null 2>"$W/rerr" ||
		cerr "chaos $1: resume after a pause on a full disk: $(head -c 300 "$W/rerr")" ;;
	running) ;;
	*) cerr "chaos $1: status '$s' after a pause on a full disk" ;;
	esac
	timeout 10 "$RT" --root "$SMALL" exec "$1" true </dev/null >/dev/null 2>&1 ||
		cerr "chaos $1: exec after a pause on a full disk failed or hung"
}

# How a sentinel (a child of this shell) died: the signal names who could have sent it.
# (Sets DEATH: wait works only in the shell whose child it was, not in a $(...).)
death() {
	local rc
	wait "$1" 2>/dev/null
	rc=$?
	if ((rc > 128)); then DEATH="signal $(kill -l $((rc - 128)))"; else DEATH="exit status $rc"; fi
}

# Every container with state is listed; delete --force of each succeeds; nothing is left.
chaos_check() { # CYCLE-ID FAULT
	local r d id listed
	for r in "$ROOT" "$SMALL"; do
		listed=$(timeout 30 "$RT" --root "$r" list -q 2>/dev/null)
		for d in "$r"/*; do
			[[ -d $d ]] || continue
			id=${d##*/}
			grep -qxF "$id" <<<"$listed" || cerr "chaos $1: $id has state in $r but is not listed"
			MYRT_SOAK_RT=$TAG timeout 30 "$RT" --root "$r" delete --force "$id" >/dev/null 2>"$W/derr" ||
				cerr "chaos $1: delete --force $id: $(head -c 300 "$W/derr")"
			[[ ! -e $d ]] || cerr "chaos $1: $d left after delete --force"
		done
	done
	local k
	for ((k = 0; k < 250; k++)); do
		[[ -z $(tagged_pids) ]] && break
		sleep 0.02
	done
	[[ -z $(tagged_pids) ]] || cerr "chaos $1: processes left: $(tagged_pids | tr '\n' ' ')"
	local left
	left=$(for d in $(cg_parents); do find "$d" -maxdepth 1 -type d -name "$TAG-x*"; done)
	[[ -z $left ]] || cerr "chaos $1: cgroups left: ${left:0:300}"
	# Reported once, naming the fault of the cycle where it happened.
	if [[ -z ${SENTINEL_DEAD:-} ]] && ! kill -0 "$S_ALONE" 2>/dev/null; then
		SENTINEL_DEAD=1
		death "$S_ALONE"
		cerr "chaos $1 ($2): the sentinel that shares nothing was killed ($DEATH)"
	fi
	if [[ -z ${SHARED_DEAD:-} ]] && ! kill -0 "$S_SHARED" 2>/dev/null; then
		SHARED_DEAD=1
		death "$S_SHARED"
		cerr "chaos $1 ($2): the sentinel in the shared cgroup was killed ($DEATH)"
	fi
}

chaos_phase() { # CYCLES
	exec 5>&2
	chaos_setup
	local i id bundle fault
	# SOAK_FAULTS: only these (to chase one fault's effects), e.g. "signal_storm kill_create".
	local faults=(${SOAK_FAULTS:-kill_create kill_start kill_delete damage_state signal_storm disk_full})
	for ((i = 1; i <= $1; i++)); do
		id=$TAG-x$i
		bundle=$BUNDLE
		((RANDOM % 2)) && bundle=$W/bshared
		fault=$(pick "${faults[@]}")
		CHAOS_N[$fault]=$((${CHAOS_N[$fault]:-0} + 1))
		"fault_$fault" "$id" "$bundle" 2>>"$W/faults.log"
		chaos_check "$id" "$fault"
		if ((i % 100 == 0)); then
			echo "  chaos $i: $(chaos_summary)"
		fi
	done
	umount "$SMALL"
}

chaos_summary() {
	local f out=''
	for f in "${!CHAOS_N[@]}"; do out+="$f ${CHAOS_N[$f]}, "; done
	echo "${out%, }; sentinels $(kill -0 "$S_ALONE" 2>/dev/null && echo alive || echo DEAD)/$(kill -0 "$S_SHARED" 2>/dev/null && echo alive || echo DEAD)"
}
