// OCI hooks: a program run with the container's state on its stdin.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

// Runs one hook and waits for it (at most hook.timeout seconds, then SIGKILL).
// Throws Error("<kind> hook \"<path>\": <why>[: <its output>]") when it cannot run, fails or
// times out. A hook that exits without reading its stdin is not an error.
void run_hook(const spec::Hook& hook, std::string_view kind, std::string_view state_json);

// Runs hooks in order; the first failure throws.
void run_hooks(const std::vector<spec::Hook>& hooks, std::string_view kind,
               std::string_view state_json);

// Runs hooks in order; failures are logged as warnings (poststart, poststop).
void run_hooks_warn(const std::vector<spec::Hook>& hooks, std::string_view kind,
                    std::string_view state_json);

}  // namespace myrt
