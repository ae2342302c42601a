#include "runtime/error.hpp"

#include <cctype>
#include <cstring>

namespace myrt {

std::string errno_text(int err) {
    std::string text = strerror(err);
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

void throw_errno(const std::string& what, int err) {
    throw Error(what + ": " + errno_text(err), err);
}

}  // namespace myrt
