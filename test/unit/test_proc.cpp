// Unit tests of runtime/proc: signal names, /proc/<pid>/stat, and small-file helpers.
#define BOOST_TEST_MODULE proc
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/error.hpp"
#include "runtime/proc.hpp"
#include "runtime_helpers.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

std::string signal_error(const std::string& name) {
    return error_of<Error>([&] { parse_signal(name); });
}

// A child that waits until told to go on (one byte on `go`), so it is alive meanwhile.
pid_t waiting_child(const Pipe& go) {
    return fork_child([&] {
        char c;
        return go.receive(c) ? 0 : 1;
    });
}

// Restores the umask on scope exit.
struct Umask {
    mode_t old;
    explicit Umask(mode_t mask) : old(::umask(mask)) {}
    ~Umask() { ::umask(old); }
};

mode_t mode_of(const std::string& path) {
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signals)

BOOST_AUTO_TEST_CASE(names_and_numbers) {
    struct Case {
        const char* name;
        int number;
    };
    const std::vector<Case> cases{
        {"TERM", SIGTERM},          {"SIGTERM", SIGTERM},     {"term", SIGTERM},
        {"sigterm", SIGTERM},       {"SigTerm", SIGTERM},     {"15", SIGTERM},
        {"KILL", SIGKILL},          {"9", SIGKILL},           {"SIGKILL", SIGKILL},
        {"HUP", SIGHUP},            {"1", 1},                 {"USR1", SIGUSR1},
        {"SIGUSR2", SIGUSR2},       {"INT", SIGINT},          {"CHLD", SIGCHLD},
        {"WINCH", SIGWINCH},        {"STOP", SIGSTOP},        {"CONT", SIGCONT},
        {"IOT", SIGABRT},           {"SYS", SIGSYS},          {"64", 64},
        {"SIGRTMIN", SIGRTMIN},     {"RTMIN", SIGRTMIN},      {"RTMIN+1", SIGRTMIN + 1},
        {"rtmin+2", SIGRTMIN + 2},  {"SIGRTMIN+0", SIGRTMIN}, {"RTMAX", SIGRTMAX},
        {"SIGRTMAX", SIGRTMAX},     {"RTMAX-1", SIGRTMAX - 1},
        {"RTMIN+30", SIGRTMIN + 30 <= SIGRTMAX ? SIGRTMIN + 30 : -1},
    };
    for (const Case& c : cases) {
        if (c.number < 0) continue;
        BOOST_TEST_CONTEXT("signal: " << c.name) {
            BOOST_TEST(parse_signal(c.name) == c.number);
        }
    }
}

// Signal 0 sends nothing and reports whether the process is there (runc's kill ID 0).
BOOST_AUTO_TEST_CASE(signal_zero_is_a_probe) { BOOST_TEST(parse_signal("0") == 0); }

BOOST_AUTO_TEST_CASE(unknown_signals) {
    const std::vector<std::string> names{
        "FOO",    "SIGFOO",   "-0",      "-1",       "-9",      "65",     "1000",
        "99999999999999999999", "",      "SIG",      "SIGSIGTERM", "SIG15", " 15",
        "15 ",    "TERM ",    "9x",      "+9",       "RTMIN+",  "RTMINX", "RTMIN-1",
        "RTMAX+1", "RTMIN+31", "RTMAX-31", "RTMIN+-1", "RTMIN++1"};
    for (const std::string& name : names) {
        BOOST_TEST_CONTEXT("signal: \"" << name << "\"") {
            BOOST_TEST(signal_error(name) == "unknown signal \"" + name + "\"");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(proc_stat)

BOOST_AUTO_TEST_CASE(own_process) {
    ProcStat st = read_proc_stat(::getpid());
    BOOST_TEST(st.state == 'R');  // it is running: reading its own stat
    BOOST_TEST(st.start_time > 0u);
    BOOST_TEST(process_alive(::getpid(), st.start_time));
    BOOST_TEST(process_alive(::getpid(), 0));  // 0: any start time
    BOOST_TEST(!process_alive(::getpid(), st.start_time + 1));
    BOOST_TEST(!process_alive(0, 0));
    BOOST_TEST(!process_alive(-1, 0));
}

BOOST_AUTO_TEST_CASE(child_start_time) {
    Pipe go;
    pid_t pid = waiting_child(go);
    ProcStat st = read_proc_stat(pid);
    BOOST_TEST(st.state != 0);
    BOOST_TEST(st.state != 'Z');
    // Started after this process.
    BOOST_TEST(st.start_time >= read_proc_stat(::getpid()).start_time);
    BOOST_TEST(process_alive(pid, st.start_time));
    BOOST_TEST(!process_alive(pid, st.start_time - 1));  // a reused pid
    BOOST_TEST(go.send('x'));
    BOOST_TEST(wait_exit(pid) == 0);
}

BOOST_AUTO_TEST_CASE(reaped_child_is_not_alive) {
    pid_t pid = fork_child([] { return 0; });
    BOOST_TEST(wait_exit(pid) == 0);
    ProcStat st = read_proc_stat(pid);
    BOOST_TEST(st.state == 0);
    BOOST_TEST(st.start_time == 0u);
    BOOST_TEST(!process_alive(pid, 0));
}

BOOST_AUTO_TEST_CASE(zombie_is_not_alive) {
    Pipe go;
    pid_t pid = waiting_child(go);
    uint64_t start_time = read_proc_stat(pid).start_time;
    BOOST_TEST(go.send('x'));
    // Wait until it has exited, but leave it unreaped.
    siginfo_t info{};
    BOOST_REQUIRE(::waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == 0);
    ProcStat st = read_proc_stat(pid);
    BOOST_TEST(st.state == 'Z');
    BOOST_TEST(st.start_time == start_time);
    BOOST_TEST(!process_alive(pid, start_time));
    BOOST_TEST(!process_alive(pid, 0));
    BOOST_TEST(wait_exit(pid) == 0);
}

// comm may hold spaces and parentheses; the fields are found after the last ')'.
BOOST_AUTO_TEST_CASE(parentheses_in_the_command_name) {
    const std::string name = "x) Z 1 (y) (";  // 12 bytes: fits comm's 15
    Pipe ask, renamed, go;
    pid_t pid = fork_child([&] {
        char c;
        if (!ask.receive(c)) return 1;
        if (::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0) < 0) return 2;
        if (!renamed.send('r')) return 3;
        return go.receive(c) ? 0 : 4;
    });
    ProcStat before = read_proc_stat(pid);
    BOOST_TEST(ask.send('x'));
    char c = 0;
    BOOST_REQUIRE(renamed.receive(c));
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string shown;
    std::getline(comm, shown);
    BOOST_TEST(shown == name);

    ProcStat after = read_proc_stat(pid);
    BOOST_TEST((after.state == 'R' || after.state == 'S'), "state: " << after.state);
    BOOST_TEST(after.start_time == before.start_time);
    BOOST_TEST(process_alive(pid, before.start_time));
    BOOST_TEST(go.send('x'));
    BOOST_TEST(wait_exit(pid) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(files)

BOOST_AUTO_TEST_CASE(write_atomic_then_read) {
    TempDir tmp;
    Umask mask(022);
    const std::string path = tmp / "f";
    write_file_atomic(path, "hello\nworld");
    BOOST_TEST(read_file(path) == "hello\nworld");
    BOOST_TEST(mode_of(path) == 0644u);

    // Replaced as a whole, with the requested mode.
    std::string big(100000, 'y');
    write_file_atomic(path, big, 0600);
    BOOST_TEST(read_file(path) == big);
    write_file_atomic(path, "", 0600);
    BOOST_TEST(read_file(path).empty());
    BOOST_TEST(!exists(path + ".tmp"));
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
        names.push_back(entry.path().filename());
    BOOST_TEST(names == std::vector<std::string>{"f"}, boost::test_tools::per_element());

    // Binary data, NUL bytes included.
    const std::string binary("a\0b\xff", 4);
    write_file_atomic(path, binary, 0600);
    BOOST_TEST(read_file(path) == binary);
}

BOOST_AUTO_TEST_CASE(write_atomic_modes) {
    TempDir tmp;
    Umask mask(0);
    write_file_atomic(tmp / "a", "x", 0600);
    BOOST_TEST(mode_of(tmp / "a") == 0600u);
    write_file_atomic(tmp / "b", "x", 0640);
    BOOST_TEST(mode_of(tmp / "b") == 0640u);
    write_file_atomic(tmp / "c", "x");
    BOOST_TEST(mode_of(tmp / "c") == 0644u);
}

BOOST_AUTO_TEST_CASE(write_atomic_errors_name_the_path) {
    TempDir tmp;
    const std::string path = tmp / "missing/f";
    BOOST_TEST(error_of<Error>([&] { write_file_atomic(path, "x"); }) ==
               "open " + path + ".tmp: no such file or directory");
    // The target is a directory: the temporary file is cleaned up.
    BOOST_REQUIRE(::mkdir((tmp / "d").c_str(), 0700) == 0);
    BOOST_REQUIRE(::mkdir((tmp / "d/sub").c_str(), 0700) == 0);
    BOOST_TEST(error_of<Error>([&] { write_file_atomic(tmp / "d/sub", "x"); }) ==
               "rename " + (tmp / "d/sub.tmp") + ": is a directory");
    BOOST_TEST(!exists(tmp / "d/sub.tmp"));
}

BOOST_AUTO_TEST_CASE(read_errors_name_the_path) {
    TempDir tmp;
    BOOST_TEST(error_of<Error>([&] { read_file(tmp / "none"); }) ==
               "open " + (tmp / "none") + ": no such file or directory");
    BOOST_TEST(error_of<Error>([&] { read_file(tmp.path()); }) ==
               "read " + tmp.path() + ": is a directory");
    Error e("x");
    try {
        read_file(tmp / "none");
    } catch (const Error& err) {
        e = err;
    }
    BOOST_TEST(e.code() == ENOENT);
}

BOOST_AUTO_TEST_CASE(read_proc_files) {
    // /proc files report size 0: reading goes on until end of file.
    std::string status = read_file("/proc/self/status");
    BOOST_TEST(status.starts_with("Name:"));
    BOOST_TEST(status.find("\nPid:\t" + std::to_string(::getpid()) + "\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(write_in_place) {
    TempDir tmp;
    std::ofstream(tmp / "knob").flush();
    write_file(tmp / "knob", "max");
    BOOST_TEST(read_file(tmp / "knob") == "max");
    BOOST_TEST(error_of<Error>([&] { write_file(tmp / "none", "1"); }) ==
               "open " + (tmp / "none") + ": no such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()
