# shellcheck shell=bash
# Facts of this host for `myrt check` (t-check.sh; cg_check_host_check of t-cgroups.sh, run
# here and in the v2 VM), read independently of myrt: from /proc/self/mounts and the
# cgroup files, never from myrt's own output.

HC_KNOWN_CONTROLLERS=(cpuset cpu cpuacct blkio memory devices freezer net_cls perf_event
	net_prio hugetlb pids rdma misc)

# hc_layout: v2 | hybrid | v1 | none
hc_layout() {
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		echo v2
		return
	fi
	local v1 v2
	v1=$(hc_v1_controllers | wc -w)
	v2=$(awk '$3 == "cgroup2"' /proc/self/mounts | wc -l)
	if ((v1 > 0)); then
		((v2 > 0)) && echo hybrid || echo v1
	else
		((v2 > 0)) && echo v2 || echo none
	fi
}

# The controllers of the mounted v1 hierarchies, one a line, sorted.
hc_v1_controllers() {
	local opts c
	awk '$3 == "cgroup" { print $4 }' /proc/self/mounts | while IFS= read -r opts; do
		for c in "${HC_KNOWN_CONTROLLERS[@]}"; do
			[[ ,$opts, == *",$c,"* ]] && echo "$c"
		done
	done | sort -u
}

# hc_controllers: the controllers limits can use here, space-separated, sorted
hc_controllers() {
	if [[ $(hc_layout) == v2 && -r /sys/fs/cgroup/cgroup.controllers ]]; then
		tr ' ' '\n' </sys/fs/cgroup/cgroup.controllers | grep -v '^$' | sort | tr '\n' ' ' | sed 's/ $//'
	else
		hc_v1_controllers | tr '\n' ' ' | sed 's/ $//'
	fi
}

# hc_field FILE CHECK FIELD: one field of the finding CHECK in FILE (`check --format json`)
hc_field() {
	jq -r --arg c "$2" "select(.check == \$c) | .$3" "$1"
}

# hc_assert_cgroup_findings FILE: the layout and controllers reported in FILE are the facts
hc_assert_cgroup_findings() {
	local f=$1 layout detail got want
	layout=$(hc_layout)
	detail=$(hc_field "$f" cgroups detail)
	assert_match "$detail" "^${layout}[ :(]" "cgroups finding names the layout ($layout)"
	if [[ $layout == hybrid ]]; then
		assert_contains "$detail" "cgroup2 at $(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)" \
			"hybrid: the cgroup2 mount is named"
	fi
	detail=$(hc_field "$f" controllers detail)
	got=$(sed -E 's/^controllers: ([^;]*).*/\1/' <<<"$detail" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
	want=$(hc_controllers)
	assert_eq "$want" "$got" "controllers reported (finding: $detail)"
	if [[ " $want " == *" cpu "* && " $want " == *" memory "* && " $want " == *" pids "* ]]; then
		assert_eq ok "$(hc_field "$f" controllers status)" "controllers status with cpu, memory and pids"
	else
		assert_eq limited "$(hc_field "$f" controllers status)" "controllers status without one of cpu, memory, pids"
	fi
}

# hc_assert_json_matches_text JSONFILE TEXTFILE: the same findings, statuses and fixes
hc_assert_json_matches_text() {
	local json=$1 text=$2 from_json from_text
	jq -e -s 'length > 10 and all(.[]; (.check | type) == "string" and
		(.status | IN("ok", "missing", "limited")) and (.needed | type) == "boolean" and
		(.detail | length) > 0 and ((.status == "ok") == (.fix == "")))' "$json" >/dev/null ||
		fail "check --format json: not one well-formed finding a line: $(head -c 600 "$json")"
	from_json=$(jq -r '"\(.status) \(.check)"' "$json")
	from_text=$(grep -E '^(ok|missing|limited) ' "$text" | awk '{ print $1, $2 }')
	assert_eq "$from_json" "$from_text" "findings of the text and the JSON output"
	assert_eq "$(jq -r 'select(.fix != "") | .fix' "$json")" \
		"$(grep -E '^ +fix: ' "$text" | sed -E 's/^ +fix: //')" "fixes of the text and the JSON output"
}
