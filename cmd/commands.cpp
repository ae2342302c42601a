#include "cmd/commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "runtime/default_spec.hpp"
#include "runtime/features.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/rootless.hpp"

namespace myrt::cmd {

namespace {

// Shared state of one command's flags: CLI11 writes into it while parsing, the action reads
// it afterwards.
template <typename T>
std::shared_ptr<T> opts() {
    return std::make_shared<T>();
}

// systemd socket activation (sd_listen_fds): LISTEN_FDS fds from 3 were handed to this very
// process (LISTEN_PID); as runc, they go to the container's process before --preserve-fds.
int listen_fds_for_us() {
    const char* fds = std::getenv("LISTEN_FDS");
    const char* pid = std::getenv("LISTEN_PID");
    if (!fds || !pid || std::string(pid) != std::to_string(::getpid())) return 0;
    try {
        int n = std::stoi(fds);
        return n > 0 && n < 1024 ? n : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

void add_create_flags(CLI::App* sub, CreateOptions& o) {
    o.listen_fds = listen_fds_for_us();
    if (const char* names = std::getenv("LISTEN_FDNAMES"); names && o.listen_fds) o.listen_fdnames = names;
    sub->add_option("-b,--bundle", o.bundle, "path to the bundle directory");
    sub->add_option("--pid-file", o.pid_file, "write the init process's pid here");
    sub->add_option("--console-socket", o.console_socket,
                    "unix socket that receives the terminal's master fd");
    sub->add_flag("--no-pivot", o.no_pivot, "use move + chroot instead of pivot_root");
    sub->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
    sub->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (from 3) to the process");
}

std::string pad(std::string s, size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

std::string owner_name(uint32_t uid) {
    if (uid == 0) return "root";
    return std::to_string(uid);
}

int print_list(Runtime& rt, const std::string& format, bool quiet) {
    auto containers = rt.list();
    std::string out;
    if (quiet) {
        for (const auto& c : containers) out += c.record.state.id + "\n";
    } else if (format == "json") {
        out = "[";
        for (size_t i = 0; i < containers.size(); ++i) {
            const auto& r = containers[i].record;
            std::string state = spec::to_json(r.state, false);
            // One object per container in runc's list shape.
            out += i ? "," : "";
            out += "{\"ociVersion\":\"" + r.state.ociVersion + "\",\"id\":";
            log::append_json_string(out, r.state.id);
            out += ",\"pid\":" + std::to_string(r.state.pid) + ",\"status\":\"" + r.state.status +
                   "\",\"bundle\":";
            log::append_json_string(out, r.state.bundle);
            out += ",\"rootfs\":";
            log::append_json_string(out, r.rootfs);
            out += ",\"created\":\"" + r.created + "\",\"owner\":\"" + owner_name(r.owner) + "\"}";
        }
        out += "]\n";
    } else {
        std::vector<std::array<std::string, 6>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
        for (const auto& c : containers) {
            const auto& r = c.record;
            rows.push_back({r.state.id, std::to_string(r.state.pid), r.state.status,
                            r.state.bundle, r.created, owner_name(r.owner)});
        }
        std::array<size_t, 6> width{};
        for (const auto& row : rows)
            for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
        for (const auto& row : rows) {
            for (size_t i = 0; i + 1 < row.size(); ++i) out += pad(row[i], width[i] + 3);
            out += row.back() + "\n";
        }
    }
    print(out);
    return 0;
}

int print_ps(const std::vector<pid_t>& pids, const std::string& format) {
    std::string out;
    if (format == "json") {
        out = "[";
        for (size_t i = 0; i < pids.size(); ++i) out += (i ? "," : "") + std::to_string(pids[i]);
        out += "]\n";
    } else {
        out = "PID     CMD\n";
        for (pid_t pid : pids) {
            std::string cmd;
            try {
                cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
            } catch (const Error&) {
                continue;  // exited meanwhile
            }
            for (char& c : cmd) if (c == '\0') c = ' ';
            while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
            out += pad(std::to_string(pid), 8) + cmd + "\n";
        }
    }
    print(out);
    return 0;
}

int write_spec(const std::string& bundle, const SpecOptions& options) {
    std::string dir = bundle.empty() ? "." : bundle;
    struct stat st {};
    if (::stat(dir.c_str(), &st) < 0) throw_errno("bundle \"" + dir + "\"");
    std::string path = dir + "/config.json";
    if (::access(path.c_str(), F_OK) == 0) throw Error("File " + path + " exists. Remove it first");
    write_file_atomic(path, spec::to_json(quick_config(options), true) + "\n", 0644);
    return 0;
}

}  // namespace

void print(std::string_view text) {
    if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0)
        throw_errno("write to stdout");
}

namespace {
const std::vector<std::string> kCommands{"create", "run",  "start", "state",  "kill",
                                         "delete", "list", "ls",    "pause",  "resume",
                                         "spec",   "exec", "ps",    "features"};
}  // namespace

bool is_command(const std::string& name) {
    return name == "update" || name == "events" ||
           std::find(kCommands.begin(), kCommands.end(), name) != kCommands.end();
}

Registry register_commands(CLI::App& app, Globals& g, const std::string& named) {
    Registry reg;
    // update/events live in cgroup_commands.cpp and are always registered.
    std::string only = std::find(kCommands.begin(), kCommands.end(), named) != kCommands.end()
                           ? named
                           : std::string();
    // Building every subcommand costs more than parsing one; with the command known from
    // argv only that one is built (all of them for help and for unknown commands).
    auto want = [&](std::initializer_list<const char*> names) {
        if (only.empty()) return true;
        for (const char* n : names)
            if (only == n) return true;
        return false;
    };
    auto action = reg.action;
    auto runtime = [&g] {
        RuntimeOptions o = g.runtime;
        o.rootless = resolve_rootless(g.rootless);
        return Runtime(o);
    };

    if (want({"create"})) {
        auto o = opts<CreateOptions>();
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("create", "create a container from a bundle");
        add_create_flags(sub, *o);
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().create(*id, *o); return 0; }; });
    }
    if (want({"run"})) {
        auto o = opts<CreateOptions>();
        auto id = opts<std::string>();
        auto detach = opts<bool>();
        auto* sub = app.add_subcommand("run", "create, start and wait for a container");
        add_create_flags(sub, *o);
        auto keep = opts<bool>();
        sub->add_flag("-d,--detach", *detach, "do not wait for the container");
        sub->add_flag("--keep", *keep, "keep the container (stopped, with its cgroup) after it exits");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { return runtime().run(*id, *o, *detach, *keep); }; });
    }
    if (want({"start"})) {
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("start", "start a created container");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().start(*id); return 0; }; });
    }
    if (want({"state"})) {
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("state", "print a container's state as JSON");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] {
            *action = [=] {
                print(spec::to_json(runtime().state(*id), true) + "\n");
                return 0;
            };
        });
    }
    if (want({"kill"})) {
        auto id = opts<std::string>();
        auto sig = opts<std::string>();
        auto all = opts<bool>();
        *sig = "TERM";
        auto* sub = app.add_subcommand("kill", "send a signal to a container's init");
        sub->add_flag("-a,--all", *all, "signal every process of the container");
        sub->add_option("id", *id, "container id")->required();
        sub->add_option("signal", *sig, "signal name (TERM, SIGKILL) or number");
        sub->callback([=] {
            *action = [=] {
                int signal = parse_signal(*sig);
                runtime().kill(*id, signal, *all);
                return 0;
            };
        });
    }
    if (want({"delete"})) {
        auto id = opts<std::string>();
        auto force = opts<bool>();
        auto* sub = app.add_subcommand("delete", "delete a stopped container");
        sub->add_flag("-f,--force", *force, "kill the container first if it is running");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().remove(*id, *force); return 0; }; });
    }
    if (want({"list", "ls"})) {
        auto format = opts<std::string>();
        auto quiet = opts<bool>();
        *format = "table";
        auto* sub = app.add_subcommand("list", "list containers");
        sub->alias("ls");
        sub->add_option("-f,--format", *format, "table or json")
            ->check(CLI::IsMember({"table", "json"}));
        sub->add_flag("-q,--quiet", *quiet, "print only the ids");
        sub->callback([=] {
            *action = [=] {
                Runtime rt = runtime();
                return print_list(rt, *format, *quiet);
            };
        });
    }
    if (want({"pause"})) {
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("pause", "freeze every process of a container");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().pause(*id); return 0; }; });
    }
    if (want({"resume"})) {
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("resume", "thaw a paused container");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().resume(*id); return 0; }; });
    }
    if (want({"spec"})) {
        auto bundle = opts<std::string>();
        auto o = opts<SpecOptions>();
        auto tty = opts<bool>();
        auto* sub = app.add_subcommand("spec", "write a config.json (default: runs sh in ./rootfs)");
        sub->add_option("-b,--bundle", *bundle, "directory to write config.json into");
        sub->add_flag("--rootless", o->rootless, "a config for an unprivileged user");
        sub->add_option("--args", o->args, "the command to run, e.g. \"stress --vm 1\"");
        sub->add_option("--memory", o->memory, "memory limit, e.g. 200M");
        sub->add_option("--cpus", o->cpus, "CPU limit, e.g. 0.5");
        sub->add_option("--hostname", o->hostname, "the container's hostname");
        sub->add_option("--network", o->network, "slirp4netns or none");
        sub->add_option("-p,--publish", o->publish, "[ADDR:]HOSTPORT:PORT[/tcp|udp] (repeatable)")
            ->allow_extra_args(false);
        sub->add_option("-e,--env", o->env, "KEY=VALUE (repeatable)")->allow_extra_args(false);
        sub->add_option("--rootfs", o->rootfs, "root filesystem path (default rootfs)");
        auto* tty_flag = sub->add_flag("-t,--tty,!--no-tty", *tty, "give the process a terminal");
        sub->callback([=] {
            *action = [=] {
                SpecOptions so = *o;
                if (tty_flag->count()) so.tty = *tty;
                return write_spec(*bundle, so);
            };
        });
    }
    if (want({"exec"})) {
        auto o = opts<ExecOptions>();
        auto id = opts<std::string>();
        auto* sub = app.add_subcommand("exec", "run a process in a running container");
        sub->add_option("-p,--process", o->process_file, "process.json with the whole process");
        sub->add_flag("-t,--tty", o->tty, "allocate a terminal");
        sub->add_option("--console-socket", o->console_socket,
                        "unix socket that receives the terminal's master fd");
        sub->add_flag("-d,--detach", o->detach, "do not wait for the process");
        sub->add_option("--pid-file", o->pid_file, "write the process's pid here");
        sub->add_option("--cwd", o->cwd, "working directory in the container");
        sub->add_option("-e,--env", o->env, "KEY=VALUE to set (repeatable)")->allow_extra_args(false);
        sub->add_option("-u,--user", o->user, "UID[:GID]");
        sub->add_option("-c,--cap", o->caps, "add a capability (repeatable)")->allow_extra_args(false);
        sub->add_flag("--no-new-privs", o->no_new_privs, "set no_new_privs");
        sub->add_option("-g,--additional-gids", o->additional_gids, "add a supplementary group (repeatable)")
            ->allow_extra_args(false);
        sub->add_option("--cgroup", o->cgroups, "join a sub-cgroup: [CONTROLLER:]PATH (repeatable)")
            ->allow_extra_args(false);
        sub->add_option("--preserve-fds", o->preserve_fds, "pass N extra fds (from 3)");
        sub->add_flag("--ignore-paused", o->ignore_paused, "exec even into a paused container");
        sub->add_option("--apparmor", o->apparmor, "AppArmor profile (refused: not applied yet)");
        sub->add_option("--process-label", o->process_label, "SELinux label (refused: not applied yet)");
        sub->add_option("id", *id, "container id")->required();
        sub->add_option("command", o->args, "command and arguments");
        sub->positionals_at_end();
        sub->prefix_command(false);
        sub->callback([=] {
            *action = [=] {
                try {
                    return runtime().exec(*id, *o);
                } catch (const std::exception& e) {
                    // exec's own failures are 255, apart from any status of the process.
                    log::error(e.what());
                    return 255;
                }
            };
        });
    }
    if (want({"ps"})) {
        auto id = opts<std::string>();
        auto format = opts<std::string>();
        *format = "table";
        auto* sub = app.add_subcommand("ps", "list the processes of a container");
        sub->add_option("-f,--format", *format, "table or json")
            ->check(CLI::IsMember({"table", "json"}));
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] {
            *action = [=] { return print_ps(runtime().pids(*id), *format); };
        });
    }
    if (want({"features"})) {
        auto* sub = app.add_subcommand("features", "print what this build implements as JSON");
        sub->callback([=] {
            *action = [] {
                print(features_json() + "\n");
                return 0;
            };
        });
    }
    register_cgroup_commands(app, g, reg);
    return reg;
}

}  // namespace myrt::cmd
