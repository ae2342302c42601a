#include "runtime/events.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <memory>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"

namespace myrt {

namespace {

int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

void Runtime::events(const std::string& id, bool stats_only, int interval_ms,
                     const std::function<void(const std::string&)>& emit) {
    validate_id(id);
    // No lock is held while streaming: a delete must not wait for us.
    auto record = store_.peek(id);
    if (!record) {
        ContainerDir dir = store_.open(id, false);
        record = dir.read();
    }
    if (live_status(nullptr, *record) == "stopped") throw Error("container is not running", ESRCH);
    auto cg = cgroup_from_record(*record);
    if (!cg) throw Error("container has no cgroup (rootless without delegation?)");
    if (stats_only) {
        emit(stats_event_json(id, cg->stats()));
        return;
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, record->state.pid, 0)));
    if (!pidfd) throw_errno("pidfd_open " + std::to_string(record->state.pid));
    if (!process_alive(record->state.pid, record->pid_start_time)) return;
    std::unique_ptr<OomWatch> oom;
    try {
        oom = cg->watch_oom();
    } catch (const Error& e) {
        log::warn(std::string("OOM events are not reported: ") + e.what());
    }
    if (interval_ms <= 0) interval_ms = 1;
    auto report_oom = [&] {
        for (uint64_t n = oom ? oom->drain() : 0; n > 0; --n) emit(event_json("oom", id));
    };
    int64_t next = now_ms() + interval_ms;
    for (;;) {
        pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {oom ? oom->fd() : -1, POLLIN, 0}};
        int64_t wait = std::max<int64_t>(0, next - now_ms());
        int n = ::poll(fds, 2, static_cast<int>(wait));
        if (n < 0 && errno != EINTR) throw_errno("poll");
        if (n > 0 && fds[1].revents) report_oom();
        if (n > 0 && fds[0].revents) {
            // The container stopped: the kill that stopped it may not have been read yet.
            report_oom();
            return;
        }
        if (now_ms() >= next) {
            report_oom();  // a kill counted after its notification was read
            emit(stats_event_json(id, cg->stats()));
            next = std::max(next + interval_ms, now_ms());
        }
    }
}

}  // namespace myrt
