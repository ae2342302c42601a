// The features document (features.md, features-linux.md).
#include "spec/features.hpp"

#include "spec/json.hpp"

namespace myrt::spec::json {

template <class V, Is<Enabled> S>
void fields(V& v, S& e) {
    v.req("enabled", e.enabled);
}

template <class V, Is<Features::Linux::Cgroup> S>
void fields(V& v, S& c) {
    v.req("v1", c.v1);
    v.req("v2", c.v2);
    v.req("systemd", c.systemd);
    v.req("systemdUser", c.systemdUser);
    v.req("rdma", c.rdma);
}

template <class V, Is<Features::Linux::Seccomp> S>
void fields(V& v, S& s) {
    v.req("enabled", s.enabled);
    v.req("actions", s.actions);
    v.req("operators", s.operators);
    v.req("archs", s.archs);
    v.req("knownFlags", s.knownFlags);
    v.req("supportedFlags", s.supportedFlags);
}

template <class V, Is<Features::Linux::MemoryPolicy> S>
void fields(V& v, S& m) {
    v.req("modes", m.modes);
    v.req("flags", m.flags);
}

template <class V, Is<Features::Linux::MountExtensions> S>
void fields(V& v, S& m) {
    v.req("idmap", m.idmap);
}

template <class V, Is<Features::Linux> S>
void fields(V& v, S& l) {
    v.req("namespaces", l.namespaces);
    v.req("capabilities", l.capabilities);
    v.req("cgroup", l.cgroup);
    v.req("seccomp", l.seccomp);
    v.req("memoryPolicy", l.memoryPolicy);
    v.req("apparmor", l.apparmor);
    v.req("selinux", l.selinux);
    v.req("intelRdt", l.intelRdt);
    v.req("mountExtensions", l.mountExtensions);
    v.req("netDevices", l.netDevices);
}

template <class V, Is<Features> S>
void fields(V& v, S& f) {
    v.req("ociVersionMin", f.ociVersionMin);
    v.req("ociVersionMax", f.ociVersionMax);
    v.req("hooks", f.hooks);
    v.req("mountOptions", f.mountOptions);
    v.req("linux", f.linux);
    v.req("annotations", f.annotations);
    v.req("potentiallyUnsafeConfigAnnotations", f.potentiallyUnsafeConfigAnnotations);
}

}  // namespace myrt::spec::json

namespace myrt::spec {

std::string to_json(const Features& features) {
    return json::to_compact_utf8(features);
}

Features parse_features(std::string_view text) {
    return json::parse_as<Features>(text, "features");
}

}  // namespace myrt::spec
