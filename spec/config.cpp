// config.json: reading (with path-prefixed errors) and writing, both driven by one field
// description per struct (see json.hpp).
#include "spec/config.hpp"

#include "spec/json.hpp"

namespace myrt::spec::json {

// Member names, order (which is also the output order) and required-ness follow
// config.md / config-linux.md and the schemas. A member is required when the spec text or the
// schema says so and config.hpp does not make it optional.

template <class V, Is<IDMapping> S>
void fields(V& v, S& m) {
    v.req("containerID", m.containerID);
    v.req("hostID", m.hostID);
    v.req("size", m.size);
}

template <class V, Is<Mount> S>
void fields(V& v, S& m) {
    v.req("destination", m.destination);
    v.opt("type", m.type);
    v.opt("source", m.source);
    v.opt("options", m.options);
    v.opt("uidMappings", m.uidMappings);
    v.opt("gidMappings", m.gidMappings);
}

template <class V, Is<Hooks> S>
void fields(V& v, S& h) {
    v.opt("prestart", h.prestart);
    v.opt("createRuntime", h.createRuntime);
    v.opt("createContainer", h.createContainer);
    v.opt("startContainer", h.startContainer);
    v.opt("poststart", h.poststart);
    v.opt("poststop", h.poststop);
}

template <class V, Is<Root> S>
void fields(V& v, S& r) {
    v.req("path", r.path);
    v.opt("readonly", r.readonly);
}

template <class V, Is<ConsoleSize> S>
void fields(V& v, S& c) {
    v.req("height", c.height);
    v.req("width", c.width);
}

template <class V, Is<User> S>
void fields(V& v, S& u) {
    v.req("uid", u.uid);
    v.req("gid", u.gid);
    v.opt("umask", u.umask);
    v.opt("additionalGids", u.additionalGids);
    v.opt("username", u.username);
}

template <class V, Is<Capabilities> S>
void fields(V& v, S& c) {
    v.opt("bounding", c.bounding);
    v.opt("effective", c.effective);
    v.opt("permitted", c.permitted);
    v.opt("inheritable", c.inheritable);
    v.opt("ambient", c.ambient);
}

template <class V, Is<Rlimit> S>
void fields(V& v, S& r) {
    v.req("type", r.type);
    v.req("soft", r.soft);
    v.req("hard", r.hard);
}

template <class V, Is<IOPriority> S>
void fields(V& v, S& p) {
    v.req("class", p.klass);
    v.req("priority", p.priority);
}

template <class V, Is<Scheduler> S>
void fields(V& v, S& s) {
    v.req("policy", s.policy);
    v.opt("nice", s.nice);
    v.opt("priority", s.priority);
    v.opt("flags", s.flags);
    v.opt("runtime", s.runtime);
    v.opt("deadline", s.deadline);
    v.opt("period", s.period);
}

template <class V, Is<ExecCPUAffinity> S>
void fields(V& v, S& a) {
    v.opt("initial", a.initial);
    v.opt("final", a.final);
}

template <class V, Is<Process> S>
void fields(V& v, S& p) {
    v.opt("terminal", p.terminal);
    v.opt("consoleSize", p.consoleSize);
    v.dflt("user", p.user);
    v.opt("args", p.args);
    v.opt("commandLine", p.commandLine);
    v.opt("env", p.env);
    v.req("cwd", p.cwd);
    v.opt("capabilities", p.capabilities);
    v.opt("rlimits", p.rlimits);
    v.opt("noNewPrivileges", p.noNewPrivileges);
    v.opt("apparmorProfile", p.apparmorProfile);
    v.opt("oomScoreAdj", p.oomScoreAdj);
    v.opt("selinuxLabel", p.selinuxLabel);
    v.opt("ioPriority", p.ioPriority);
    v.opt("scheduler", p.scheduler);
    v.opt("execCPUAffinity", p.execCPUAffinity);
}

template <class V, Is<Namespace> S>
void fields(V& v, S& n) {
    v.req("type", n.type);
    v.opt("path", n.path);
}

template <class V, Is<Device> S>
void fields(V& v, S& d) {
    v.req("type", d.type);
    v.req("path", d.path);
    v.opt("major", d.major);
    v.opt("minor", d.minor);
    v.opt("fileMode", d.fileMode);
    v.opt("uid", d.uid);
    v.opt("gid", d.gid);
}

template <class V, Is<DeviceCgroup> S>
void fields(V& v, S& d) {
    v.req("allow", d.allow);
    v.opt("type", d.type);
    v.opt("major", d.major);
    v.opt("minor", d.minor);
    v.opt("access", d.access);
}

template <class V, Is<Memory> S>
void fields(V& v, S& m) {
    v.opt("limit", m.limit);
    v.opt("reservation", m.reservation);
    v.opt("swap", m.swap);
    v.opt("kernel", m.kernel);
    v.opt("kernelTCP", m.kernelTCP);
    v.opt("swappiness", m.swappiness);
    v.opt("disableOOMKiller", m.disableOOMKiller);
    v.opt("useHierarchy", m.useHierarchy);
    v.opt("checkBeforeUpdate", m.checkBeforeUpdate);
}

template <class V, Is<CPU> S>
void fields(V& v, S& c) {
    v.opt("shares", c.shares);
    v.opt("quota", c.quota);
    v.opt("burst", c.burst);
    v.opt("period", c.period);
    v.opt("realtimeRuntime", c.realtimeRuntime);
    v.opt("realtimePeriod", c.realtimePeriod);
    v.opt("cpus", c.cpus);
    v.opt("mems", c.mems);
    v.opt("idle", c.idle);
}

template <class V, Is<Pids> S>
void fields(V& v, S& p) {
    v.opt("limit", p.limit);
}

template <class V, Is<WeightDevice> S>
void fields(V& v, S& d) {
    v.req("major", d.major);
    v.req("minor", d.minor);
    v.opt("weight", d.weight);
    v.opt("leafWeight", d.leafWeight);
}

template <class V, Is<ThrottleDevice> S>
void fields(V& v, S& d) {
    v.req("major", d.major);
    v.req("minor", d.minor);
    v.req("rate", d.rate);
}

template <class V, Is<BlockIO> S>
void fields(V& v, S& b) {
    v.opt("weight", b.weight);
    v.opt("leafWeight", b.leafWeight);
    v.opt("weightDevice", b.weightDevice);
    v.opt("throttleReadBpsDevice", b.throttleReadBpsDevice);
    v.opt("throttleWriteBpsDevice", b.throttleWriteBpsDevice);
    v.opt("throttleReadIOPSDevice", b.throttleReadIOPSDevice);
    v.opt("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice);
}

template <class V, Is<HugepageLimit> S>
void fields(V& v, S& h) {
    v.req("pageSize", h.pageSize);
    v.req("limit", h.limit);
}

template <class V, Is<NetworkPriority> S>
void fields(V& v, S& p) {
    v.req("name", p.name);
    v.req("priority", p.priority);
}

template <class V, Is<Network> S>
void fields(V& v, S& n) {
    v.opt("classID", n.classID);
    v.opt("priorities", n.priorities);
}

template <class V, Is<RdmaLimit> S>
void fields(V& v, S& r) {
    v.opt("hcaHandles", r.hcaHandles);
    v.opt("hcaObjects", r.hcaObjects);
}

template <class V, Is<Resources> S>
void fields(V& v, S& r) {
    v.opt("devices", r.devices);
    v.opt("memory", r.memory);
    v.opt("cpu", r.cpu);
    v.opt("pids", r.pids);
    v.opt("blockIO", r.blockIO);
    v.opt("hugepageLimits", r.hugepageLimits);
    v.opt("network", r.network);
    v.opt("rdma", r.rdma);
    v.opt("unified", r.unified);
}

template <class V, Is<SyscallArg> S>
void fields(V& v, S& a) {
    v.req("index", a.index);
    v.req("value", a.value);
    v.opt("valueTwo", a.valueTwo);
    v.req("op", a.op);
}

template <class V, Is<Syscall> S>
void fields(V& v, S& s) {
    v.req("names", s.names);
    v.req("action", s.action);
    v.opt("errnoRet", s.errnoRet);
    v.opt("args", s.args);
}

template <class V, Is<Seccomp> S>
void fields(V& v, S& s) {
    v.req("defaultAction", s.defaultAction);
    v.opt("defaultErrnoRet", s.defaultErrnoRet);
    v.opt("architectures", s.architectures);
    v.opt("flags", s.flags);
    v.opt("listenerPath", s.listenerPath);
    v.opt("listenerMetadata", s.listenerMetadata);
    v.opt("syscalls", s.syscalls);
}

template <class V, Is<IntelRdt> S>
void fields(V& v, S& r) {
    v.opt("closID", r.closID);
    v.opt("schemata", r.schemata);
    v.opt("l3CacheSchema", r.l3CacheSchema);
    v.opt("memBwSchema", r.memBwSchema);
    v.opt("enableMonitoring", r.enableMonitoring);
}

template <class V, Is<MemoryPolicy> S>
void fields(V& v, S& m) {
    v.req("mode", m.mode);
    v.opt("nodes", m.nodes);
    v.opt("flags", m.flags);
}

template <class V, Is<TimeOffset> S>
void fields(V& v, S& t) {
    v.dflt("secs", t.secs);
    v.dflt("nanosecs", t.nanosecs);
}

template <class V, Is<Personality> S>
void fields(V& v, S& p) {
    v.req("domain", p.domain);
    v.opt("flags", p.flags);
}

template <class V, Is<NetDevice> S>
void fields(V& v, S& d) {
    v.opt("name", d.name);
}

template <class V, Is<Linux> S>
void fields(V& v, S& l) {
    v.opt("namespaces", l.namespaces);
    v.opt("uidMappings", l.uidMappings);
    v.opt("gidMappings", l.gidMappings);
    v.known_keys("timeOffsets", l.timeOffsets, {"boottime", "monotonic"});
    v.opt("devices", l.devices);
    v.opt("netDevices", l.netDevices);
    v.opt("cgroupsPath", l.cgroupsPath);
    v.opt("resources", l.resources);
    v.opt("rootfsPropagation", l.rootfsPropagation);
    v.opt("seccomp", l.seccomp);
    v.opt("sysctl", l.sysctl);
    v.opt("maskedPaths", l.maskedPaths);
    v.opt("readonlyPaths", l.readonlyPaths);
    v.opt("mountLabel", l.mountLabel);
    v.opt("intelRdt", l.intelRdt);
    v.opt("memoryPolicy", l.memoryPolicy);
    v.opt("personality", l.personality);
}

template <class V, Is<Config> S>
void fields(V& v, S& c) {
    v.req("ociVersion", c.ociVersion);
    v.opt("root", c.root);
    v.opt("mounts", c.mounts);
    v.opt("process", c.process);
    v.opt("hostname", c.hostname);
    v.opt("domainname", c.domainname);
    v.opt("hooks", c.hooks);
    v.opt("annotations", c.annotations);
    v.opt("linux", c.linux);
}

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// MAJOR.MINOR.PATCH with an optional -prerelease and/or +build suffix (SemVer 2.0.0 shape).
bool is_semver(std::string_view v, std::string_view& major) {
    std::size_t end = v.find_first_of("-+");
    std::string_view core = v.substr(0, end);
    if (end != std::string_view::npos) {
        std::string_view suffix = v.substr(end + 1);
        if (suffix.empty()) return false;
        for (char c : suffix) {
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '.' || c == '-' || c == '+';
            if (!ok) return false;
        }
    }
    std::size_t dot1 = core.find('.');
    if (dot1 == std::string_view::npos) return false;
    std::size_t dot2 = core.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return false;
    major = core.substr(0, dot1);
    return all_digits(major) && all_digits(core.substr(dot1 + 1, dot2 - dot1 - 1)) &&
           all_digits(core.substr(dot2 + 1));
}

Config read_config(const rapidjson::Value& doc) {
    Path root("config.json");
    Object object(doc, root);
    Config config;
    object.need("ociVersion", config.ociVersion);
    check_oci_version(config.ociVersion, root);
    FieldReader reader(object);
    fields(reader, config);
    return config;
}

}  // namespace

void check_oci_version(const std::string& version, const Path& root) {
    std::string_view major;
    if (!is_semver(version, major) || major != "1")
        Path(root, "ociVersion")
            .fail("unsupported version " + quote(version) + " (myrt supports 1.x)");
}

// The third visitor of fields(): the JSON path of every member, recursively ("[]" for an
// element of an array of objects, ".*" for a value of a free-form map), in spec order.
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class T>
struct IsMap<std::map<std::string, T>> : std::true_type {};

class PathCollector {
public:
    PathCollector(std::string prefix, std::vector<std::string>& out)
        : prefix_(std::move(prefix)), out_(out) {}
    template <class T>
    void req(std::string_view name, T& field) {
        add(name, field);
    }
    template <class T>
    void opt(std::string_view name, T& field) {
        add(name, field);
    }
    template <class T>
    void dflt(std::string_view name, T& field) {
        add(name, field);
    }
    template <class T>
    void known_keys(std::string_view name, std::map<std::string, T>&,
                    std::initializer_list<std::string_view> keys) {
        std::string path = join(name);
        out_.push_back(path);
        for (std::string_view key : keys) {
            std::string sub = path + "." + std::string(key);
            out_.push_back(sub);
            T value{};
            descend(sub, value);
        }
    }

private:
    std::string join(std::string_view name) const {
        return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
    }
    template <class T>
    void add(std::string_view name, T& field) {
        std::string path = join(name);
        out_.push_back(path);
        descend(path, field);
    }
    template <class T>
    void descend(const std::string& path, T& field) {
        if constexpr (IsOptional<T>::value) {
            typename T::value_type value{};
            descend(path, value);
        } else if constexpr (IsVector<T>::value) {
            typename T::value_type value{};
            descend(path + "[]", value);
        } else if constexpr (IsMap<T>::value) {
            typename T::mapped_type value{};
            descend(path + ".*", value);
        } else if constexpr (requires(PathCollector& c) { fields(c, field); }) {
            PathCollector sub(path, out_);
            fields(sub, field);
        }
    }

    std::string prefix_;
    std::vector<std::string>& out_;
};

}  // namespace myrt::spec::json

namespace myrt::spec {

std::vector<std::string> config_member_paths() {
    std::vector<std::string> out;
    Config config;
    json::PathCollector collector("", out);
    json::fields(collector, config);
    return out;
}

Config parse_config(std::string_view text) {
    rapidjson::Document doc;
    json::parse_document(doc, text, "config.json");
    return json::read_config(doc);
}

Config load_config(const std::string& path, std::string* text_out) {
    std::string text = json::read_file(path);
    if (text_out) *text_out = text;  // parsed in place below
    rapidjson::Document doc;
    json::parse_document_insitu(doc, text, "config.json");
    return json::read_config(doc);
}

namespace {

// One part of a config in a file of its own, read with load_config's care and limits.
// Messages name the file, then the part's path as in a config ("process.args: ...").
template <class T>
T load_part(const std::string& file, const json::Path& at) {
    bool in = file == "-";
    std::string label = in ? "standard input" : file;
    std::string text = in ? json::read_stdin() : json::read_file_or_pipe(file);
    rapidjson::Document doc;
    json::parse_document_insitu(doc, text, label);
    T out;
    try {
        json::read_json(doc, at, out);
    } catch (const ParseError& e) {
        throw ParseError(label + ": " + e.what());
    }
    return out;
}

}  // namespace

Process load_process(const std::string& file) {
    json::Path root(""), process(root, "process");
    return load_part<Process>(file, process);
}

Resources load_resources(const std::string& file) {
    json::Path root(""), linux_part(root, "linux"), resources(linux_part, "resources");
    return load_part<Resources>(file, resources);
}

std::string to_json(const Config& config, bool pretty) {
    return json::serialize(pretty, [&](auto& w) { json::write_json(w, config); });
}

}  // namespace myrt::spec
