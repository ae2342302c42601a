#pragma once

#include <stdexcept>
#include <string>

namespace myrt::spec {

// A config or state document that does not match the spec. what() is one line that starts
// with the JSON path of the offending member, e.g. "process.args: expected array".
class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace myrt::spec
