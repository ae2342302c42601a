// The global options that take a value ("--root DIR"): what finds the subcommand's name
// without a full parse (main.cpp) and before the C library has started (sealed_entry.cpp).
#pragma once

namespace myrt::cmd {

// One array of characters, each name ended by a NUL, the list by an empty name. Not an
// array of pointers: sealed_entry.cpp reads it before a static PIE's relocations are done.
// Hidden, so that it is addressed relative to the code, never through the GOT (which is
// filled in by those relocations).
[[gnu::visibility("hidden")]] inline constexpr char kGlobalsWithValue[] = "--root\0--log\0--log-format\0--rootless\0--criu\0";

// Whether a is one of kGlobalsWithValue. Freestanding: no library calls. Always inlined, so
// that sealed_entry.cpp never calls a copy compiled with main.cpp's stack protector.
[[gnu::always_inline]] constexpr bool global_takes_value(const char* a) {
    for (const char* name = kGlobalsWithValue; *name;) {
        const char* p = a;
        const char* q = name;
        while (*q && *p == *q) ++p, ++q;
        if (!*q && !*p) return true;
        while (*q) ++q;
        name = q + 1;
    }
    return false;
}

}  // namespace myrt::cmd
