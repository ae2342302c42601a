// The error object carried up the stack: a one-line message plus the errno that caused it,
// so that callers can both show the root cause and branch on it.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace myrt {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int err = 0) : std::runtime_error(message), err_(err) {
        link();
    }
    Error(const Error& other) : std::runtime_error(other), err_(other.err_) { link(); }
    Error& operator=(const Error& other) {
        std::runtime_error::operator=(other);
        err_ = other.err_;
        return *this;
    }
    ~Error() override { unlink(); }
    int code() const noexcept { return err_; }

private:
    // Every Error alive in this thread, newest first: a --debug step ended by an exception
    // reports the errno of the newest (the one being thrown, when it is an Error; see
    // latest_error_code).
    void link() noexcept;
    void unlink() noexcept;
    friend int latest_error_code() noexcept;

    int err_;
    Error* older_ = nullptr;
    Error* newer_ = nullptr;
};

// The errno of the newest Error still alive in this thread (0: none, or it has none). While
// a step unwinds, that is the Error in flight; an exception of another type (a ParseError, a
// std::bad_alloc) thrown after every earlier Error was handled finds none, so the step
// reports no errno instead of an older one's.
int latest_error_code() noexcept;

// strerror in the lower-case form runc and Go programs print ("no such file or directory"),
// because callers such as podman match on that text.
std::string errno_text(int err);

// Throws Error("<what>: <errno text>", err).
[[noreturn]] void throw_errno(const std::string& what, int err = errno);

}  // namespace myrt
