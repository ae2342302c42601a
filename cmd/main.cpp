// The myrt program: command-line parsing and error reporting over the runtime library.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <seccomp.h>

#include "cmd/commands.hpp"
#include "cmd/global_options.hpp"
#include "runtime/criu.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/process.hpp"
#include "runtime/security/sealed_exe.hpp"
#include "runtime/signals.hpp"

namespace {

// Never a directory that others can write to (as /tmp): another user could make it first
// and plant containers whose hooks our delete would run. Without XDG_RUNTIME_DIR (su,
// cron, ssh without a session) the user's /run/user/UID if it is theirs, else none: the
// store then asks for --root. Root of a user namespace made by an ordinary user (rootless
// podman runs the runtime there) cannot write /run either: its XDG_RUNTIME_DIR, as runc.
std::string default_root() {
    uid_t uid = ::geteuid();
    const char* xdg = ::getenv("XDG_RUNTIME_DIR");
    if (uid == 0 && !(xdg && *xdg && myrt::unprivileged_on_host())) return "/run/myrt";
    if (xdg && *xdg) return std::string(xdg) + "/myrt";
    std::string run_user = "/run/user/" + std::to_string(uid);
    struct stat st {};
    if (::lstat(run_user.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid)
        return run_user + "/myrt";
    return "";
}

// The subcommand's name, found without a full parse: the first argument that is neither a
// global flag nor the value of one.
std::string command_name(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.empty() || a[0] != '-') return std::string(a);
        if (myrt::cmd::global_takes_value(argv[i])) ++i;
    }
    return "";
}

// The value of global option `opt` ("--opt V" or "--opt=V" before the command); "" if absent.
std::string global_value(int argc, char** argv, std::string_view opt) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.empty() || a[0] != '-') break;  // the command
        if (a == opt && i + 1 < argc) return argv[i + 1];
        if (a.size() > opt.size() && a.starts_with(opt) && a[opt.size()] == '=')
            return std::string(a.substr(opt.size() + 1));
        if (myrt::cmd::global_takes_value(argv[i])) ++i;
    }
    return "";
}

std::string version_text() {
    const scmp_version* v = seccomp_version();
    return "myrt version " MYRT_VERSION "\nspec: 1.3.0\nlibseccomp: " + std::to_string(v->major) +
           "." + std::to_string(v->minor) + "." + std::to_string(v->micro) + "\n";
}

// What reached stdout unchecked (CLI11's help and version text) counts too: output lost on
// its way fails the command in one line, like any other error.
int checked_stdout(int rc) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    // An earlier flush (std::endl) may have failed: its errno is gone by now.
    myrt::log::error(errno ? "write to stdout: " + myrt::errno_text(errno) : "write to stdout failed");
    return rc ? rc : 1;
}

}  // namespace

int main(int argc, char** argv) {
    myrt::init_process_signals();
    // A caller that closed stdin/stdout/stderr would otherwise see our pipes, sockets and
    // log file land on 0-2 and be handed to hooks and containers as their stdio.
    for (int fd = 0; fd < 3; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) < 0) return 255;
    {
        std::string c = command_name(argc, argv);
        if (myrt::cmd::command_runs_sealed(c.c_str())) {
            try {
                myrt::reexec_sealed(argv);
            } catch (const std::exception& e) {
                fprintf(stderr, "myrt: %s\n", e.what());
                return c == "exec" ? 255 : 1;
            }
        }
    }
    myrt::note_inherited_fds();
    CLI::App app{"myrt: an OCI container runtime", "myrt"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", version_text);
    myrt::cmd::Globals g;
    g.runtime.root = default_root();
    // As runc: a caller that set NOTIFY_SOCKET (systemd, podman --sdnotify=container) gets
    // the container's READY=1 relayed there by create/run/start.
    if (const char* ns = std::getenv("NOTIFY_SOCKET")) g.runtime.notify_socket = ns;
    app.add_option("--root", g.runtime.root, "directory for container state");
    app.add_option("--log", g.log_file, "append myrt's log to this file");
    app.add_option("--log-format", g.log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", g.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", g.runtime.systemd_cgroup,
                 "manage cgroups through systemd: cgroupsPath is slice:prefix:name (a transient scope)");
    app.add_option("--rootless", g.rootless, "true, false or auto")
        ->check(CLI::IsMember({"true", "false", "auto"}));
    app.add_option("--criu", g.criu, "the criu binary to use (a name in PATH or a path; default criu)");

    std::string command = command_name(argc, argv);
    if (!command.empty() && !myrt::cmd::is_command(command)) {
        fprintf(stderr, "myrt: unknown command \"%s\" (see myrt --help)\n", command.c_str());
        return 2;
    }
    // Before the commands are registered: checkpoint and restore are listed only when this
    // criu is there.
    myrt::use_criu(global_value(argc, argv, "--criu"));
    myrt::cmd::Registry registry = myrt::cmd::register_commands(app, g, command);
    // containerd's shim (go-runc) restores with "-no-subreaper": runc's Go flag parsing
    // takes one dash as well as two, CLI11 only two.
    static char no_subreaper[] = "--no-subreaper";
    for (int i = 1; i < argc && command == "restore"; ++i)
        if (std::string_view(argv[i]) == "-no-subreaper") argv[i] = no_subreaper;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return checked_stdout(app.exit(e));
    } catch (const CLI::CallForVersion& e) {
        return checked_stdout(app.exit(e));
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        for (char& c : msg) if (c == '\n') c = ' ';
        // Into --log too, when it was parsed: containerd's shim reads the error from there.
        try {
            myrt::log::configure(g.log_file, g.log_format == "json", false);
        } catch (const std::exception&) {
        }
        myrt::log::error(msg + " (see myrt --help)");
        return 2;
    }
    try {
        myrt::log::configure(g.log_file, g.log_format == "json", g.debug);
        // --debug: the whole command is the last step of its trace, with what it cost.
        myrt::log::Step step("command");
        step.field("command", command);
        return checked_stdout(registry.run());
    } catch (const std::exception& e) {
        myrt::log::error(e.what());
        return 1;
    }
}
