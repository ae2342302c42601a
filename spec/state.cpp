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

namespace {

template <class T>
T parse_as(std::string_view text, std::string_view label) {
    rapidjson::Document doc;
    parse_document(doc, text, label);
    Path root(label);
    T out;
    read_json(doc, root, out);
    return out;
}

}  // namespace

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

}  // namespace myrt::spec
