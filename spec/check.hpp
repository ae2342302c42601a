// `myrt check`: one finding about the host, as the JSON object `--format json` prints.
#pragma once

#include <string>

namespace myrt::spec {

struct CheckFinding {
    std::string check;    // what was looked at: "openat2", "cgroups", "subuid"...
    std::string status;   // ok | missing | limited
    std::string detail;   // what was found, and why it matters
    std::string fix;      // the one thing to do about it ("" when ok)
    bool needed = false;  // a default container (`myrt spec`, as this user) cannot run without it
};

// One compact object: {"check","status","needed","detail","fix"}.
std::string to_json(const CheckFinding& finding);

}  // namespace myrt::spec
