// The bundle's config.json (OCI runtime-spec v1.3.0, Linux part) as C++ types.
//
// Field names follow the JSON keys so that a reader of the spec finds them at once.
// An absent optional JSON member is an empty std::optional; an absent array is an empty
// vector (the spec gives both the same meaning everywhere we rely on it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

using StringMap = std::map<std::string, std::string>;

struct IDMapping {
    uint32_t containerID = 0;
    uint32_t hostID = 0;
    uint32_t size = 0;
};

struct Mount {
    std::string destination;  // required
    std::optional<std::string> source;
    std::vector<std::string> options;
    std::optional<std::string> type;
    std::vector<IDMapping> uidMappings;
    std::vector<IDMapping> gidMappings;
};

struct Hook {
    std::string path;  // required, absolute
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int64_t> timeout;  // seconds, > 0
};

struct Hooks {
    std::vector<Hook> prestart;
    std::vector<Hook> createRuntime;
    std::vector<Hook> createContainer;
    std::vector<Hook> startContainer;
    std::vector<Hook> poststart;
    std::vector<Hook> poststop;
};

struct Root {
    std::string path;  // required
    bool readonly = false;
};

struct ConsoleSize {
    uint64_t height = 0;
    uint64_t width = 0;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additionalGids;
    std::optional<std::string> username;
};

struct Capabilities {
    std::optional<std::vector<std::string>> bounding;
    std::optional<std::vector<std::string>> effective;
    std::optional<std::vector<std::string>> permitted;
    std::optional<std::vector<std::string>> inheritable;
    std::optional<std::vector<std::string>> ambient;
};

struct Rlimit {
    std::string type;  // e.g. RLIMIT_NOFILE
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct IOPriority {
    std::string klass;  // JSON "class": IOPRIO_CLASS_RT | _BE | _IDLE
    int32_t priority = 0;
};

struct Scheduler {
    std::string policy;  // required
    std::optional<int32_t> nice;
    std::optional<int32_t> priority;
    std::vector<std::string> flags;
    std::optional<uint64_t> runtime;
    std::optional<uint64_t> deadline;
    std::optional<uint64_t> period;
};

struct ExecCPUAffinity {
    std::optional<std::string> initial;
    std::optional<std::string> final;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> consoleSize;
    User user;
    std::vector<std::string> args;
    std::optional<std::string> commandLine;
    std::vector<std::string> env;
    std::string cwd;  // required, absolute
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool noNewPrivileges = false;
    std::optional<std::string> apparmorProfile;
    std::optional<int> oomScoreAdj;
    std::optional<std::string> selinuxLabel;
    std::optional<IOPriority> ioPriority;
    std::optional<Scheduler> scheduler;
    std::optional<ExecCPUAffinity> execCPUAffinity;
};

// ---- linux ----

struct Namespace {
    std::string type;  // pid network mount ipc uts user cgroup time
    std::optional<std::string> path;
};

struct Device {
    std::string type;  // c b u p
    std::string path;
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::optional<uint32_t> fileMode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

struct DeviceCgroup {
    bool allow = false;
    std::optional<std::string> type;  // a c b
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::optional<std::string> access;  // rwm
};

struct Memory {
    std::optional<int64_t> limit;
    std::optional<int64_t> reservation;
    std::optional<int64_t> swap;
    std::optional<int64_t> kernel;
    std::optional<int64_t> kernelTCP;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disableOOMKiller;
    std::optional<bool> useHierarchy;
    std::optional<bool> checkBeforeUpdate;
};

struct CPU {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtimeRuntime;
    std::optional<uint64_t> realtimePeriod;
    std::optional<std::string> cpus;
    std::optional<std::string> mems;
    std::optional<int64_t> idle;
};

struct Pids {
    std::optional<int64_t> limit;
};

struct WeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
};

struct ThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

struct BlockIO {
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
    std::vector<WeightDevice> weightDevice;
    std::vector<ThrottleDevice> throttleReadBpsDevice;
    std::vector<ThrottleDevice> throttleWriteBpsDevice;
    std::vector<ThrottleDevice> throttleReadIOPSDevice;
    std::vector<ThrottleDevice> throttleWriteIOPSDevice;
};

struct HugepageLimit {
    std::string pageSize;
    uint64_t limit = 0;
};

struct NetworkPriority {
    std::string name;
    uint32_t priority = 0;
};

struct Network {
    std::optional<uint32_t> classID;
    std::vector<NetworkPriority> priorities;
};

struct RdmaLimit {
    std::optional<uint32_t> hcaHandles;
    std::optional<uint32_t> hcaObjects;
};

struct Resources {
    std::vector<DeviceCgroup> devices;
    std::optional<Memory> memory;
    std::optional<CPU> cpu;
    std::optional<Pids> pids;
    std::optional<BlockIO> blockIO;
    std::vector<HugepageLimit> hugepageLimits;
    std::optional<Network> network;
    std::map<std::string, RdmaLimit> rdma;
    StringMap unified;
};

struct SyscallArg {
    uint32_t index = 0;
    uint64_t value = 0;
    std::optional<uint64_t> valueTwo;
    std::string op;  // SCMP_CMP_*
};

struct Syscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_*
    std::optional<uint32_t> errnoRet;
    std::vector<SyscallArg> args;
};

struct Seccomp {
    std::string defaultAction;
    std::optional<uint32_t> defaultErrnoRet;
    std::vector<std::string> architectures;
    std::vector<std::string> flags;
    std::optional<std::string> listenerPath;
    std::optional<std::string> listenerMetadata;
    std::vector<Syscall> syscalls;
};

struct IntelRdt {
    std::optional<std::string> closID;
    std::vector<std::string> schemata;
    std::optional<std::string> l3CacheSchema;
    std::optional<std::string> memBwSchema;
    std::optional<bool> enableMonitoring;
};

struct MemoryPolicy {
    std::string mode;
    std::optional<std::string> nodes;
    std::vector<std::string> flags;
};

struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

struct Personality {
    std::string domain;  // LINUX | LINUX32
    std::vector<std::string> flags;
};

struct NetDevice {
    std::optional<std::string> name;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IDMapping> uidMappings;
    std::vector<IDMapping> gidMappings;
    std::map<std::string, TimeOffset> timeOffsets;  // "boottime", "monotonic"
    std::vector<Device> devices;
    std::map<std::string, NetDevice> netDevices;
    std::optional<std::string> cgroupsPath;
    std::optional<Resources> resources;
    std::optional<std::string> rootfsPropagation;
    std::optional<Seccomp> seccomp;
    StringMap sysctl;
    std::vector<std::string> maskedPaths;
    std::vector<std::string> readonlyPaths;
    std::optional<std::string> mountLabel;
    std::optional<IntelRdt> intelRdt;
    std::optional<MemoryPolicy> memoryPolicy;
    std::optional<Personality> personality;
};

struct Config {
    std::string ociVersion;  // required; major version must be 1
    std::optional<Root> root;
    std::vector<Mount> mounts;
    std::optional<Process> process;
    std::optional<std::string> hostname;
    std::optional<std::string> domainname;
    std::optional<Hooks> hooks;
    StringMap annotations;
    std::optional<Linux> linux;
};

// Parse a config document. Throws spec::ParseError whose what() names the JSON path,
// e.g. "linux.resources.memory.limit: expected integer".
Config parse_config(std::string_view json);
// The JSON path of every member config.json may have, as this parser knows them ("mounts[].type",
// "linux.sysctl.*"): what docs/config-properties.md must account for.
std::vector<std::string> config_member_paths();
// Read and parse <path>; a missing or unreadable file is a ParseError naming the file.
// text_out, if given, receives the bytes that were parsed.
Config load_config(const std::string& path, std::string* text_out = nullptr);
// One part of a config in a file of its own: exec --process and update --resources ("-":
// standard input). Read like config.json (a regular file of at most 64 MiB, never blocking
// on a FIFO); a ParseError names the file, then the field ("p.json: process.args: ...").
Process load_process(const std::string& file);
Resources load_resources(const std::string& file);
// Serialize back to JSON (used by `myrt spec`). Round-trips everything parse_config reads.
std::string to_json(const Config& config, bool pretty = true);

// Semantic checks the schema cannot express (absolute paths, known namespace types,
// duplicate namespaces, ...). Throws ParseError naming the path of the offending field.
void validate(const Config& config);

}  // namespace myrt::spec
