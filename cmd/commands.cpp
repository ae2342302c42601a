#include "cmd/commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "runtime/default_spec.hpp"
#include "runtime/criu.hpp"
#include "runtime/features.hpp"
#include "runtime/hostcheck.hpp"
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
        std::vector<spec::ListEntry> entries;
        entries.reserve(containers.size());
        for (const auto& c : containers) {
            const auto& r = c.record;
            entries.push_back({.ociVersion = r.state.ociVersion,
                               .id = r.state.id,
                               .pid = r.state.pid,
                               .status = r.state.status,
                               .bundle = r.state.bundle,
                               .rootfs = r.rootfs,
                               .created = r.created,
                               .annotations = r.state.annotations,
                               .owner = owner_name(r.owner)});
        }
        out = spec::list_to_json(entries) + "\n";
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

int print_ps_json(const std::vector<pid_t>& pids) {
    print(spec::pids_to_json(pids) + "\n");  // pid_t is int
    return 0;
}

// ps(1)'s output with ARGS, as a string; throws when it cannot run or fails.
std::string run_ps(const std::vector<std::string>& args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe");
    std::vector<std::string> argv_s{"ps"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork ps");
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::execvp("ps", argv.data());
        dprintf(STDERR_FILENO, "myrt: ps: %s\n", errno_text(errno).c_str());
        ::_exit(127);
    }
    ::close(out[1]);
    std::string text = read_fd_to_end(out[0]);
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("ps " + (args.empty() ? std::string() : args[0]) + ": failed (status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128) + ")");
    return text;
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = line.find_first_not_of(" \t", pos)) != std::string::npos) {
        size_t end = line.find_first_of(" \t", pos);
        out.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

// As runc: ps(1) with the caller's options (default -ef), keeping the header and the lines
// whose PID column is one of the container's processes.
int print_ps_table(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args) {
    std::string text = run_ps(ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args);
    size_t eol = text.find('\n');
    std::string header = text.substr(0, eol);
    auto cols = split_words(header);
    auto it = std::find(cols.begin(), cols.end(), "PID");
    if (it == cols.end()) throw Error("couldn't find PID field in ps output");
    size_t index = static_cast<size_t>(it - cols.begin());
    std::string out = header + "\n";
    for (size_t pos = eol == std::string::npos ? text.size() : eol + 1; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        auto fields = split_words(line);
        if (fields.size() <= index) continue;
        pid_t p = static_cast<pid_t>(std::atoi(fields[index].c_str()));
        if (std::find(pids.begin(), pids.end(), p) != pids.end()) out += line + "\n";
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

// Exit status 1 when a default container could not run: scripts can gate on it.
int print_findings(const std::vector<spec::CheckFinding>& findings, const std::string& format,
                   bool rootless) {
    std::string out;
    if (format == "json")
        for (const auto& f : findings) out += spec::to_json(f) + "\n";
    else
        out = check_report(findings, rootless);
    print(out);
    return host_ready(findings) ? 0 : 1;
}

}  // namespace

void print(std::string_view text) {
    if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0)
        throw_errno("write to stdout");
}

namespace {
const std::vector<std::string> kCommands{"create", "run",  "start", "state",  "kill",
                                         "delete", "list", "ls",    "pause",  "resume",
                                         "spec",   "exec", "ps",    "features", "checkpoint",
                                         "restore",  "check"};
}  // namespace

namespace {
// The CRIU flags checkpoint and restore share (runc's names).
template <class Options>
void add_criu_flags(CLI::App* sub, Options& o) {
    sub->add_flag("--tcp-established", o.tcp_established, "allow open tcp connections");
    sub->add_flag("--ext-unix-sk", o.ext_unix_sk, "allow external unix sockets");
    sub->add_flag("--shell-job", o.shell_job, "allow shell jobs");
    sub->add_flag("--file-locks", o.file_locks, "handle file locks");
    sub->add_flag("--lazy-pages", o.lazy_pages, "use userfaultfd to lazily restore memory pages");
    sub->add_option("--manage-cgroups-mode", o.manage_cgroups_mode, "cgroups mode: soft, full, strict or ignore");
    sub->add_option("--empty-ns", o.empty_ns, "create a namespace, but don't restore its properties")
        ->allow_extra_args(false);
    sub->add_flag("--auto-dedup", o.auto_dedup, "enable auto deduplication of memory images");
}
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
        o.rootless_cgroups = resolve_rootless_cgroups(g.rootless);
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
    // Listed in --help only where CRIU is installed; named, they say when it is not.
    bool criu = !only.empty() || !find_criu().empty();
    if (criu && want({"checkpoint"})) {
        auto id = opts<std::string>();
        auto o = opts<CheckpointOptions>();
        auto* sub = app.add_subcommand("checkpoint", "checkpoint a running container (CRIU)");
        sub->add_option("--image-path", o->image_path, "path for saving criu image files");
        sub->add_option("--work-path", o->work_path, "path for saving work files and logs");
        sub->add_option("--parent-path", o->parent_path, "path for previous criu image files in pre-dump");
        sub->add_flag("--leave-running", o->leave_running, "leave the process running after checkpointing");
        add_criu_flags(sub, *o);
        sub->add_option("--status-fd", o->status_fd, "criu writes \\0 to this FD once lazy-pages is ready");
        sub->add_option("--page-server", o->page_server, "ADDRESS:PORT of the page server");
        sub->add_flag("--pre-dump", o->pre_dump, "dump memory information only, leave the container running");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { runtime().checkpoint(*id, *o); return 0; }; });
    }
    if (criu && want({"restore"})) {
        auto id = opts<std::string>();
        auto o = opts<RestoreOptions>();
        auto* sub = app.add_subcommand("restore", "restore a container from a checkpoint (CRIU)");
        sub->add_option("--image-path", o->image_path, "path to criu image files for restoring");
        sub->add_option("--work-path", o->work_path, "path for saving work files and logs");
        add_criu_flags(sub, *o);
        sub->add_option("-b,--bundle", o->bundle, "path to the root of the bundle directory");
        sub->add_flag("-d,--detach", o->detach, "detach from the container's process");
        sub->add_option("--pid-file", o->pid_file, "file to write the process id to");
        sub->add_option("--console-socket", o->console_socket, "AF_UNIX socket receiving the console's master");
        sub->add_flag("--no-subreaper", o->no_subreaper, "disable the use of the subreaper used to reap reparented processes");
        sub->add_flag("--no-pivot", o->no_pivot, "do not use pivot root to jail process inside rootfs");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] { *action = [=] { return runtime().restore(*id, *o); }; });
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
        sub->add_flag("--seccomp", o->seccomp, "add a default seccomp profile (denies dangerous calls)");
        sub->add_flag("--cgroupns", o->cgroupns, "add a cgroup namespace");
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
        sub->add_option("--apparmor", o->apparmor, "set the apparmor profile for the process");
        sub->add_option("--process-label", o->process_label, "set the asm process label for the process commonly used with selinux");
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
        auto ps_args = opts<std::vector<std::string>>();
        sub->add_option("id", *id, "container id")->required();
        // Everything after the id is ps(1)'s (`myrt ps ID -e -x`), as with runc.
        sub->prefix_command();
        sub->callback([=] {
            *ps_args = sub->remaining();
            *action = [=] {
                if (*format == "json") return print_ps_json(runtime().pids(*id));
                return print_ps_table(runtime().pids(*id), *ps_args);
            };
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
    if (want({"check"})) {
        auto format = opts<std::string>();
        *format = "text";
        auto* sub = app.add_subcommand("check", "what works on this host for you, and what to do about the rest");
        sub->add_option("-f,--format", *format, "text or json (one object a line)")
            ->check(CLI::IsMember({"text", "json"}));
        sub->callback([=, &g] {
            *action = [=, &g] {
                HostCheckOptions o{g.runtime.root, resolve_rootless(g.rootless)};
                auto findings = check_host(o);
                return print_findings(findings, *format, o.rootless);
            };
        });
    }
    register_cgroup_commands(app, g, reg);
    return reg;
}

}  // namespace myrt::cmd
