// What finds the subcommand's name and whether it runs from the sealed view, without a full
// parse (main.cpp) and before the C library has started (sealed_entry.cpp).
#pragma once

namespace myrt::cmd {

// One array of characters, each name ended by a NUL, the list by an empty name. Not an
// array of pointers: sealed_entry.cpp reads it before a static PIE's relocations are done.
// Hidden, so that it is addressed relative to the code, never through the GOT (which is
// filled in by those relocations).
[[gnu::visibility("hidden")]] inline constexpr char kGlobalsWithValue[] = "--root\0--log\0--log-format\0--rootless\0--criu\0";

// Whether `a` is one of the NUL-separated names in `list` (ended by an empty name).
// Freestanding: no library calls. Always inlined, so that sealed_entry.cpp never calls a
// copy compiled with main.cpp's stack protector.
[[gnu::always_inline]] constexpr bool in_name_list(const char* list, const char* a) {
    for (const char* name = list; *name;) {
        const char* p = a;
        const char* q = name;
        while (*q && *p == *q) ++p, ++q;
        if (!*q && !*p) return true;
        while (*q) ++q;
        name = q + 1;
    }
    return false;
}

[[gnu::always_inline]] constexpr bool global_takes_value(const char* a) {
    return in_name_list(kGlobalsWithValue, a);
}

// The commands that start processes in a container, and so run from a read-only view of
// myrt (runtime/security/sealed_exe.cpp): sealed_entry.cpp re-executes them before the C
// library starts, main.cpp checks again. Hidden, as kGlobalsWithValue.
[[gnu::visibility("hidden")]] inline constexpr char kSealedCommands[] = "create\0run\0exec\0";

[[gnu::always_inline]] constexpr bool command_runs_sealed(const char* name) {
    return in_name_list(kSealedCommands, name);
}

}  // namespace myrt::cmd
