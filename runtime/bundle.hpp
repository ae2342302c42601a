// What create and restore share: the bundle read and checked, the container's first record
// and its hooks file.
#pragma once

#include <string>

#include "spec/config.hpp"
#include "spec/state.hpp"

namespace myrt {

class ContainerDir;

struct Bundle {
    std::string dir;     // absolute
    spec::Config config;  // parsed and validated; process and root present
    std::string rootfs;  // absolute, no symlink
    std::string config_text;  // the bytes `config` was parsed from
};

// An existing directory's absolute path; errors start with `what` and the path.
std::string absolute_dir(const std::string& path, const std::string& what);

// Errors name config.json's path (and the JSON path of a bad field).
Bundle load_bundle(const std::string& bundle);

// The record as create starts it: status "creating", no init yet, and no annotations
// (they can be large and recovery needs none of them).
spec::ContainerRecord first_record(const std::string& id, const Bundle& b, bool systemd_cgroup);

// hooks.json: the poststart and poststop hooks, for start and delete.
void write_hooks_file(const ContainerDir& dir, const spec::Config& config);

}  // namespace myrt
