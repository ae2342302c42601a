// One function per myrt command, registered on the CLI11 app.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "runtime/container.hpp"

namespace myrt::cmd {

struct Globals {
    RuntimeOptions runtime;
    std::string log_file;
    std::string log_format = "text";
    bool debug = false;
    std::string rootless = "auto";
    std::string criu;  // --criu
};

// Holds the chosen command's action; run() executes it after the whole line is parsed.
struct Registry {
    std::shared_ptr<std::function<int()>> action = std::make_shared<std::function<int()>>();
    int run() const { return (*action)(); }
};

// Writes text to standard output at once; throws Error when it cannot (a full disk, a
// closed pipe): output lost on its way fails the command.
void print(std::string_view text);

bool is_command(const std::string& name);
// only: the command named on the command line ("" registers all of them).
Registry register_commands(CLI::App& app, Globals& globals, const std::string& only);
// update and events (cmd/cgroup_commands.cpp)
void register_cgroup_commands(CLI::App& app, Globals& globals, Registry& reg);

}  // namespace myrt::cmd
