// The error object carried up the stack: a one-line message plus the errno that caused it,
// so that callers can both show the root cause and branch on it.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace myrt {

namespace log {
void note_error_code(int err) noexcept;
}

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int err = 0) : std::runtime_error(message), err_(err) {
        log::note_error_code(err);  // for the --debug trace's failed step
    }
    int code() const noexcept { return err_; }

private:
    int err_;
};

// strerror in the lower-case form runc and Go programs print ("no such file or directory"),
// because callers such as podman match on that text.
std::string errno_text(int err);

// Throws Error("<what>: <errno text>", err).
[[noreturn]] void throw_errno(const std::string& what, int err = errno);

}  // namespace myrt
