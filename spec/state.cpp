// The OCI state document (runtime.md "State") and myrt's per-container record.
#include "spec/state.hpp"

#include "spec/json.hpp"

namespace myrt::spec::json {

template <class V, Is<State> S>
void fields(V& v, S& s) {
    v.req("ociVersion", s.ociVersion);
    v.req("id", s.id);
    v.req("status", s.status);
    v.opt("pid", s.pid);  // omitted when 0
    v.req("bundle", s.bundle);
    v.opt("annotations", s.annotations);
}

template <class V, Is<ContainerRecord> S>
void fields(V& v, S& r) {
    v.req("state", r.state);
    v.dflt("pid_start_time", r.pid_start_time);
    v.dflt("created", r.created);
    v.dflt("rootfs", r.rootfs);
    v.dflt("owner", r.owner);
    v.opt("cgroup_paths", r.cgroup_paths);
    v.opt("cgroup_owned", r.cgroup_owned);
    v.opt("pid_ns", r.pid_ns);
    v.opt("poststop", r.poststop);
    v.opt("namespace_paths", r.namespace_paths);
    v.opt("helper_pids", r.helper_pids);
    v.opt("systemd_cgroup", r.systemd_cgroup);
    v.opt("systemd_unit", r.systemd_unit);
    v.opt("systemd_user", r.systemd_user);
    v.opt("creator_pid", r.creator_pid);
    v.opt("creator_start_time", r.creator_start_time);
}

template <class V, Is<ListEntry> S>
void fields(V& v, S& e) {
    v.req("ociVersion", e.ociVersion);
    v.req("id", e.id);
    v.req("pid", e.pid);
    v.req("status", e.status);
    v.req("bundle", e.bundle);
    v.req("rootfs", e.rootfs);
    v.req("created", e.created);
    v.opt("annotations", e.annotations);
    v.req("owner", e.owner);
}

template <class V, Is<ContainerProcessState> S>
void fields(V& v, S& p) {
    v.req("ociVersion", p.ociVersion);
    v.req("fds", p.fds);
    v.req("pid", p.pid);
    v.opt("metadata", p.metadata);
    v.req("state", p.state);
}

}  // namespace myrt::spec::json

namespace myrt::spec {

std::string to_json(const State& state, bool pretty) {
    return json::serialize(pretty, [&](auto& w) { json::write_json(w, state); });
}

State parse_state(std::string_view text) {
    return json::parse_as<State>(text, "state");
}

std::string to_json(const ContainerRecord& record) {
    return json::serialize(false, [&](auto& w) { json::write_json(w, record); });
}

ContainerRecord parse_record(std::string_view text) {
    return json::parse_as<ContainerRecord>(text, "state.json");
}

std::string strings_to_json(const std::vector<std::string>& strings) {
    return json::serialize(false, [&](auto& w) { json::write_json(w, strings); });
}

std::vector<std::string> parse_strings(std::string_view text, std::string_view label) {
    return json::parse_as<std::vector<std::string>>(text, label);
}

std::string list_to_json(const std::vector<ListEntry>& entries) {
    return json::to_compact_utf8(entries);
}

std::string to_json(const ContainerProcessState& process_state) {
    return json::to_compact_utf8(process_state);
}

ContainerProcessState parse_container_process_state(std::string_view text) {
    return json::parse_as<ContainerProcessState>(text, "container process state");
}

std::string pids_to_json(const std::vector<int>& pids) {
    return json::serialize(false, [&](auto& w) { json::write_json(w, pids); });
}

}  // namespace myrt::spec
