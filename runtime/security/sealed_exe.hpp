// CVE-2019-5736: a container must never be able to write to the myrt binary on the host.
//
// A process that starts container processes (create, run, exec) has /proc/<pid>/exe pointing
// at myrt, and a container image whose binary is "#!/proc/self/exe" makes the container run
// that very file; the container could then reopen it for writing through the exe link once
// it is no longer busy. So those commands first re-execute myrt from a view of it that cannot
// be written: a private read-only bind mount of the binary (no copy, root only), or else a
// sealed in-memory copy (rootless).
#pragma once

namespace myrt {

// Set by reexec_sealed() to the path myrt was run from, which /proc/self/exe no longer shows.
inline constexpr const char* kOriginalExeEnv = "_MYRT_ORIGINAL_EXE";

// Whether the running binary cannot be written through /proc/self/exe: it sits on a
// read-only mount, or it is a fully sealed memfd.
bool self_exe_sealed();

// Returns at once when self_exe_sealed(); otherwise re-executes this program, with the same
// arguments and environment, from a sealed view of its binary and does not return.
// Throws myrt::Error when no sealed view can be made or executed.
void reexec_sealed(char** argv);

}  // namespace myrt
