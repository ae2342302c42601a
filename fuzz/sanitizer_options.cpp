// Default sanitizer options of the fuzz targets, so that running a target by hand behaves like
// scripts/fuzz. UBSAN_OPTIONS / ASAN_OPTIONS given in the environment still override them.
#include <unistd.h>

#ifndef MYRT_FUZZ_UBSAN_SUPPRESSIONS
#error "fuzz/meson.build defines MYRT_FUZZ_UBSAN_SUPPRESSIONS (path of fuzz/ubsan.supp)"
#endif

extern "C" const char* __ubsan_default_options() {
    // halt_on_error: the one recoverable check (pointer-overflow, see meson.build) is fatal
    // too, except where ubsan.supp suppresses it.
    static const char with_supp[] =
        "halt_on_error=1:print_stacktrace=1:suppressions=" MYRT_FUZZ_UBSAN_SUPPRESSIONS;
    if (::access(MYRT_FUZZ_UBSAN_SUPPRESSIONS, R_OK) == 0) return with_supp;
    return "halt_on_error=1:print_stacktrace=1";
}
