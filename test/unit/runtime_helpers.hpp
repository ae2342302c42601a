// Helpers shared by the unit tests of runtime/: temporary directories, child processes and
// a clock that can be compared across processes.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/test/unit_test.hpp>

namespace myrt::test {

// A fresh directory under $TMPDIR (else /tmp), removed with everything in it.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/myrt-unit-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

inline bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// CLOCK_MONOTONIC in nanoseconds: one clock for the whole system, so that times taken in
// different processes can be compared.
inline int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
    while (::nanosleep(&ts, &ts) < 0) {
    }
}

// Forks a child that runs f() and _exits with what it returns (100 when it throws), without
// ever returning into the test framework. Returns the child's pid.
template <class F>
pid_t fork_child(F&& f) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int rc = 100;
        try {
            rc = f();
        } catch (...) {
        }
        ::_exit(rc);
    }
    BOOST_REQUIRE(pid > 0);
    return pid;
}

// Reaps pid; its exit status, or 128 + signal when it was killed.
inline int wait_exit(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A pipe whose ends close with it.
struct Pipe {
    int rd = -1, wr = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) throw std::runtime_error("pipe2");
        rd = fds[0];
        wr = fds[1];
    }
    ~Pipe() {
        if (rd >= 0) ::close(rd);
        if (wr >= 0) ::close(wr);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    template <class T>
    bool send(const T& value) const {
        return ::write(wr, &value, sizeof value) == static_cast<ssize_t>(sizeof value);
    }
    template <class T>
    bool receive(T& value) const {
        return ::read(rd, &value, sizeof value) == static_cast<ssize_t>(sizeof value);
    }
};

}  // namespace myrt::test
