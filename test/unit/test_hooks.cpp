// Unit tests of runtime/hooks: running OCI hooks with the state on their stdin.
#define BOOST_TEST_MODULE hooks
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/error.hpp"
#include "runtime/hooks.hpp"
#include "runtime/proc.hpp"
#include "runtime_helpers.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

const std::string kState =
    R"({"ociVersion":"1.3.0","id":"c1","status":"creating","bundle":"/b",)" "\n"
    R"("annotations":{"quote":"\"","x":"y"}})";

// /bin/sh -c <script> with $0 = "hook" and the given further arguments.
spec::Hook shell(const std::string& script, std::vector<std::string> args = {},
                 std::vector<std::string> env = {}) {
    spec::Hook h;
    h.path = "/bin/sh";
    h.args = {"sh", "-c", script, "hook"};
    h.args.insert(h.args.end(), args.begin(), args.end());
    h.env = std::move(env);
    return h;
}

std::string hook_error(const spec::Hook& hook, std::string_view kind = "createRuntime",
                       std::string_view state = kState) {
    return error_of<Error>([&] { run_hook(hook, kind, state); });
}

bool signal_in(const sigset_t& set, int sig) { return ::sigismember(&set, sig) == 1; }

}  // namespace

BOOST_AUTO_TEST_CASE(state_args_and_env_reach_the_hook) {
    TempDir tmp;
    spec::Hook hook = shell(R"(cat > "$1"; printf '%s|%s|%s|%s' "$0" "$#" "$2" "$FOO" > "$1.args")",
                            {tmp / "state", "second arg"}, {"FOO=bar baz", "OTHER=1"});
    BOOST_CHECK_NO_THROW(run_hook(hook, "createRuntime", kState));
    BOOST_TEST(read_file(tmp / "state") == kState);
    BOOST_TEST(read_file(tmp / "state.args") == "hook|2|second arg|bar baz");
}

BOOST_AUTO_TEST_CASE(only_the_given_environment) {
    TempDir tmp;
    ::setenv("MYRT_TEST_LEAK", "1", 1);
    spec::Hook hook = shell(R"(echo "${MYRT_TEST_LEAK:-unset} ${A:-unset}" > "$1")",
                            {tmp / "env"}, {"A=a"});
    run_hook(hook, "prestart", kState);
    ::unsetenv("MYRT_TEST_LEAK");
    BOOST_TEST(read_file(tmp / "env") == "unset a\n");
}

BOOST_AUTO_TEST_CASE(argv0_defaults_to_the_path) {
    // Without args, sh reads its commands from stdin: the state is the script here.
    TempDir tmp;
    spec::Hook hook;
    hook.path = "/bin/sh";
    run_hook(hook, "poststart", "echo \"$0 $#\" > " + (tmp / "out") + "\n");
    BOOST_TEST(read_file(tmp / "out") == "/bin/sh 0\n");
}

BOOST_AUTO_TEST_CASE(failure_reports_status_and_output) {
    spec::Hook hook = shell("echo out; echo err >&2; echo; exit 3");
    BOOST_TEST(hook_error(hook) == R"(createRuntime hook "/bin/sh" failed: error running hook: exit status 3: out err)");
    BOOST_TEST(hook_error(shell("exit 1"), "prestart") ==
               R"(prestart hook "/bin/sh" failed: error running hook: exit status 1)");
    BOOST_TEST(hook_error(shell("kill -9 $$"), "poststop") ==
               R"(poststop hook "/bin/sh" failed: error running hook: killed by signal 9 (killed))");
}

BOOST_AUTO_TEST_CASE(output_in_the_error_is_bounded) {
    std::string message = hook_error(shell("head -c 10000 /dev/zero | tr '\\0' x; exit 1"));
    const std::string prefix = R"(createRuntime hook "/bin/sh" failed: error running hook: exit status 1: )";
    BOOST_REQUIRE(message.starts_with(prefix));
    BOOST_TEST(message.substr(prefix.size()) == std::string(4096, 'x'));
}

BOOST_AUTO_TEST_CASE(hook_that_ignores_its_stdin) {
    sigset_t before;
    ::sigprocmask(SIG_SETMASK, nullptr, &before);
    const std::string big(1 << 20, 's');
    BOOST_CHECK_NO_THROW(run_hook(shell("exit 0"), "createRuntime", big));
    BOOST_CHECK_NO_THROW(run_hook(shell("exec 0<&-; sleep 0.05"), "createRuntime", big));
    // No SIGPIPE left pending or blocked behind.
    sigset_t pending, after;
    ::sigpending(&pending);
    ::sigprocmask(SIG_SETMASK, nullptr, &after);
    BOOST_TEST(!signal_in(pending, SIGPIPE));
    BOOST_TEST(signal_in(after, SIGPIPE) == signal_in(before, SIGPIPE));
    // A failure is still a failure.
    BOOST_TEST(hook_error(shell("exit 4"), "createRuntime", big) ==
               R"(createRuntime hook "/bin/sh" failed: error running hook: exit status 4)");
}

BOOST_AUTO_TEST_CASE(timeout_kills_the_hook) {
    TempDir tmp;
    spec::Hook hook = shell(R"(echo $$ > "$1"; exec sleep 10)", {tmp / "pid"});
    hook.timeout = 1;
    int64_t start = now_ns();
    BOOST_TEST(hook_error(hook) == R"(createRuntime hook "/bin/sh": timed out after 1s)");
    double elapsed = static_cast<double>(now_ns() - start) / 1e9;
    BOOST_TEST(elapsed >= 0.9);
    BOOST_TEST(elapsed < 3.0);
    pid_t pid = std::stoi(read_file(tmp / "pid"));
    BOOST_TEST(::kill(pid, 0) == -1);  // killed and reaped
    BOOST_TEST(errno == ESRCH);
}

BOOST_AUTO_TEST_CASE(a_quick_hook_is_not_timed_out) {
    spec::Hook hook = shell("exit 0");
    hook.timeout = 5;
    int64_t start = now_ns();
    BOOST_CHECK_NO_THROW(run_hook(hook, "createRuntime", kState));
    BOOST_TEST(static_cast<double>(now_ns() - start) / 1e9 < 1.0);
}

BOOST_AUTO_TEST_CASE(missing_program) {
    spec::Hook hook;
    hook.path = "/nonexistent/hook";
    BOOST_TEST(hook_error(hook) ==
               R"(createRuntime hook "/nonexistent/hook" failed: error running hook: exit status 127: )"
               "exec: no such file or directory");
    TempDir tmp;
    std::ofstream(tmp / "not-executable") << "#!/bin/sh\n";
    hook.path = tmp / "not-executable";
    BOOST_TEST(hook_error(hook, "prestart") ==
               "prestart hook \"" + hook.path + "\" failed: error running hook: exit status 127: exec: permission denied");
}

BOOST_AUTO_TEST_CASE(run_hooks_stops_at_the_first_failure) {
    TempDir tmp;
    std::vector<spec::Hook> hooks{shell(R"(touch "$1")", {tmp / "a"}), shell("exit 2"),
                                  shell(R"(touch "$1")", {tmp / "c"})};
    BOOST_TEST(error_of<Error>([&] { run_hooks(hooks, "createContainer", kState); }) ==
               R"(createContainer hook "/bin/sh" failed: error running hook: exit status 2)");
    BOOST_TEST(exists(tmp / "a"));
    BOOST_TEST(!exists(tmp / "c"));
}

BOOST_AUTO_TEST_CASE(run_hooks_warn_runs_them_all) {
    TempDir tmp;
    std::vector<spec::Hook> hooks{shell("exit 2"), shell(R"(touch "$1")", {tmp / "c"})};
    BOOST_CHECK_NO_THROW(run_hooks_warn(hooks, "poststop", kState));
    BOOST_TEST(exists(tmp / "c"));
}
