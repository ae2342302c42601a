#include "runtime/error.hpp"

#include <cctype>
#include <cstring>

namespace myrt {

namespace {
thread_local Error* g_newest_error = nullptr;
}

void Error::link() noexcept {
    older_ = g_newest_error;
    if (older_) older_->newer_ = this;
    g_newest_error = this;
}

void Error::unlink() noexcept {
    if (older_) older_->newer_ = newer_;
    if (newer_) newer_->older_ = older_;
    else g_newest_error = older_;
}

int latest_error_code() noexcept { return g_newest_error ? g_newest_error->err_ : 0; }

std::string errno_text(int err) {
    std::string text = strerror(err);
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

void throw_errno(const std::string& what, int err) {
    // (Appended, not `what + ": " + ...`: GCC 12 warns falsely of an overlapping memcpy there.)
    std::string msg = what;
    msg += ": ";
    msg += errno_text(err);
    throw Error(msg, err);
}

}  // namespace myrt
