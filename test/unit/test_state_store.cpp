// Unit tests of runtime/state_store: container ids, and the per-container directories under
// --root with their locks.
#define BOOST_TEST_MODULE state_store
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/checkpoint.hpp"
#include "runtime/error.hpp"
#include "runtime/proc.hpp"
#include "runtime/state_store.hpp"
#include "runtime_helpers.hpp"
#include "spec/state.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

std::string id_error(const std::string& id) {
    return error_of<Error>([&] { validate_id(id); });
}

myrt::spec::ContainerRecord sample_record(const std::string& id) {
    myrt::spec::ContainerRecord r;
    r.state.ociVersion = "1.3.0";
    r.state.id = id;
    r.state.status = "created";
    r.state.pid = 4242;
    r.state.bundle = "/bundles/" + id;
    r.state.annotations = {{"k", "v"}};
    r.pid_start_time = 123456;
    r.created = "2024-05-01T12:34:56.789012345Z";
    r.rootfs = "/bundles/" + id + "/rootfs";
    r.owner = 0;
    r.cgroup_paths = {{"", "/sys/fs/cgroup/myrt/" + id}};
    r.namespace_paths = {{"network", "/proc/4242/ns/net"}};
    r.helper_pids = {7, 8};
    return r;
}

struct StoreFixture {
    TempDir tmp;
    std::string root = tmp / "root";  // not there yet: create makes it
    StateStore store{root};

    // Creates a container with a state.json, and releases its lock.
    void make(const std::string& id) { store.create(id).write(sample_record(id)); }

    std::string open_error(const std::string& id) {
        return error_of<Error>([&] { store.open(id); });
    }
};

double seconds_since(int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) / 1e9; }

}  // namespace

BOOST_AUTO_TEST_SUITE(container_id)

BOOST_AUTO_TEST_CASE(valid_ids) {
    for (const std::string& id :
         {std::string("a"), std::string("Z"), std::string("0"), std::string("my-container_1.2+3"),
          std::string("ABCdef019_-.+"), std::string("..."), std::string(".a"), std::string("a.."),
          std::string(250, 'x')}) {
        BOOST_TEST_CONTEXT("id: " << id) {
            BOOST_CHECK_NO_THROW(validate_id(id));
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_ids) {
    const std::string charset = ": only letters, digits and _ - . + are allowed";
    BOOST_TEST(id_error("") == R"(invalid container id "": must not be empty)");
    BOOST_TEST(id_error(".") == R"(invalid container id ".": must not be "." or "..")");
    BOOST_TEST(id_error("..") == R"(invalid container id "..": must not be "." or "..")");
    BOOST_TEST(id_error("a/b") == R"(invalid container id "a/b")" + charset);
    BOOST_TEST(id_error("../x") == R"(invalid container id "../x")" + charset);
    BOOST_TEST(id_error("/abs") == R"(invalid container id "/abs")" + charset);
    BOOST_TEST(id_error("a b") == R"(invalid container id "a b")" + charset);
    BOOST_TEST(id_error("a\tb") == R"(invalid container id "a\x09b")" + charset);
    BOOST_TEST(id_error("a:b") == R"(invalid container id "a:b")" + charset);
    BOOST_TEST(id_error("a\"b") == R"(invalid container id "a"b")" + charset);
    // Bytes that are not printable ASCII are shown escaped, so the message stays one line.
    BOOST_TEST(id_error(std::string("a\0b", 3)) == R"(invalid container id "a\x00b")" + charset);
    BOOST_TEST(id_error("caf\xc3\xa9") == R"(invalid container id "caf\xc3\xa9")" + charset);
    BOOST_TEST(id_error("\xe2\x80\x8b") == R"(invalid container id "\xe2\x80\x8b")" + charset);
}

BOOST_AUTO_TEST_CASE(too_long_id_is_shortened_in_the_message) {
    const std::string expected =
        "invalid container id \"" + std::string(64, 'x') + "...\": longer than 250 characters";
    BOOST_TEST(id_error(std::string(251, 'x')) == expected);
    BOOST_TEST(id_error(std::string(4096, 'x')) == expected);
    // Length is checked before the characters.
    BOOST_TEST(id_error(std::string(300, '/')) ==
               "invalid container id \"" + std::string(64, '/') +
                   "...\": longer than 250 characters");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(state_store, StoreFixture)

BOOST_AUTO_TEST_CASE(create_makes_a_private_directory) {
    ContainerDir dir = store.create("c1");
    BOOST_TEST(dir.id() == "c1");
    BOOST_TEST(dir.path() == root + "/c1");
    BOOST_TEST(dir.file("state.json") == root + "/c1/state.json");
    struct stat st {};
    BOOST_REQUIRE(::stat(dir.path().c_str(), &st) == 0);
    BOOST_TEST(S_ISDIR(st.st_mode));
    BOOST_TEST((st.st_mode & 07777) == 0700u);
    BOOST_REQUIRE(::stat(root.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
}

BOOST_AUTO_TEST_CASE(create_makes_missing_parents_of_the_root) {
    StateStore deep(tmp / "a/b/c");
    deep.create("c1");
    BOOST_TEST(exists(tmp / "a/b/c/c1"));
}

BOOST_AUTO_TEST_CASE(create_twice_fails) {
    make("c1");
    BOOST_TEST(error_of<Error>([&] { store.create("c1"); }) ==
               "container with given ID already exists");
    // Also while the first one is still held.
    ContainerDir held = store.create("c2");
    BOOST_TEST(error_of<Error>([&] { store.create("c2"); }) ==
               "container with given ID already exists");
}

BOOST_AUTO_TEST_CASE(create_checks_the_id) {
    BOOST_TEST(error_of<Error>([&] { store.create("../escape"); }) ==
               R"(invalid container id "../escape": only letters, digits and _ - . + are allowed)");
    BOOST_TEST(!exists(tmp / "escape"));
    BOOST_TEST(error_of<Error>([&] { store.open(".."); }) ==
               R"(invalid container id "..": must not be "." or "..")");
}

BOOST_AUTO_TEST_CASE(open_unknown_fails) {
    BOOST_TEST(open_error("nope") == "container does not exist");
    make("c1");
    BOOST_TEST(open_error("nope") == "container does not exist");
}

BOOST_AUTO_TEST_CASE(record_round_trip) {
    auto record = sample_record("c1");
    make("c1");
    ContainerDir dir = store.open("c1");
    BOOST_TEST(myrt::spec::to_json(dir.read()) == myrt::spec::to_json(record));
    BOOST_TEST(dir.read().state.bundle == "/bundles/c1");

    // A rewrite replaces the file, with no temporary left behind.
    record.state.status = "running";
    dir.write(record);
    BOOST_TEST(dir.read().state.status == "running");
    BOOST_TEST(!exists(dir.file("state.json.tmp")));
    struct stat st {};
    BOOST_REQUIRE(::stat(dir.file("state.json").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(read_of_a_corrupt_record_names_the_file) {
    make("c1");
    ContainerDir dir = store.open("c1");
    std::ofstream(dir.file("state.json")) << "{";
    std::string message = error_of<Error>([&] { dir.read(); });
    BOOST_TEST(message.starts_with(dir.file("state.json") + ": "));
}

BOOST_AUTO_TEST_CASE(peek_reads_without_locking) {
    make("c1");
    ContainerDir held = store.open("c1");  // exclusive lock held
    auto record = store.peek("c1");
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST(record->state.id == "c1");
    BOOST_TEST(record->pid_start_time == 123456u);

    BOOST_TEST(!store.peek("unknown").has_value());
    ContainerDir half = store.create("half");  // no state.json yet
    BOOST_TEST(!store.peek("half").has_value());
    std::ofstream(held.file("state.json")) << "not json";
    BOOST_TEST(!store.peek("c1").has_value());
}

BOOST_AUTO_TEST_CASE(list_ids_lists_container_directories) {
    BOOST_TEST(store.list_ids().empty());  // root does not exist yet
    make("c1");
    make("b-2");
    make("a.3");
    std::ofstream(root + "/stray-file") << "x";
    auto ids = store.list_ids();
    std::sort(ids.begin(), ids.end());
    BOOST_TEST(ids == (std::vector<std::string>{"a.3", "b-2", "c1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(remove_deletes_everything) {
    make("c1");
    ContainerDir dir = store.open("c1");
    BOOST_REQUIRE(::mkfifo(dir.file("exec.fifo").c_str(), 0600) == 0);
    std::ofstream(dir.file("other")) << "x";
    dir.remove();
    BOOST_TEST(!exists(root + "/c1"));
    BOOST_TEST(open_error("c1") == "container does not exist");
    BOOST_TEST(!store.peek("c1").has_value());
    BOOST_TEST(store.list_ids().empty());
    // The id is free again.
    BOOST_CHECK_NO_THROW(make("c1"));
}

BOOST_AUTO_TEST_CASE(half_created_container_is_found_for_removal) {
    {
        ContainerDir dir = store.create("c1");  // a create that died before any record
    }
    BOOST_TEST(exists(root + "/c1"));
    // Commands other than delete --force find no container in it...
    BOOST_TEST(error_of<Error>([&] { store.open("c1").read(); }) == "container does not exist");
    BOOST_TEST(!store.peek("c1").has_value());
    // ...delete --force finds it (no record to work from), and nobody holds its lock.
    BOOST_TEST(!store.open("c1").read_any().has_value());
    BOOST_TEST(!store.busy("c1"));
    // A create killed later left recovery.json: that is the record until state.json exists.
    {
        ContainerDir dir = store.create("c2");
        spec::ContainerRecord r;
        r.state.id = "c2";
        r.state.status = "creating";
        r.state.pid = 42;
        dir.write_recovery(r);
    }
    BOOST_TEST(store.open("c2").read().state.pid == 42);
    BOOST_TEST(store.peek("c2")->state.status == "creating");
    // A damaged state.json is an error for read() and named by peek(); recovery stays.
    std::ofstream(root + "/c2/state.json") << "garbage";
    BOOST_TEST(error_of<Error>([&] { store.open("c2").read(); }).find("state.json") !=
               std::string::npos);
    std::string problem;
    BOOST_TEST(store.peek("c2", &problem)->state.pid == 42);
    BOOST_TEST(problem.find("state.json") != std::string::npos);
    BOOST_TEST(store.open("c2").read_any()->state.pid == 42);
}

BOOST_AUTO_TEST_CASE(shared_locks_do_not_block_each_other) {
    make("c1");
    int64_t start = now_ns();
    ContainerDir a = store.open("c1", false);
    ContainerDir b = store.open("c1", false);
    BOOST_TEST(seconds_since(start) < 0.5);
    BOOST_TEST(b.read().state.id == "c1");
}

// The lock is held by a child process for `hold_ms`; the parent waits for it on the same id
// but not on another one.
BOOST_AUTO_TEST_CASE(commands_on_one_id_are_serialised) {
    constexpr int hold_ms = 300;
    make("c1");
    make("c2");
    Pipe locked, released;  // no lock is held here when forking
    pid_t pid = fork_child([&] {
        int64_t release_time;
        {
            ContainerDir dir = store.open("c1");
            if (!locked.send('L')) return 2;
            sleep_ms(hold_ms);
            release_time = now_ns();
        }
        return released.send(release_time) ? 0 : 3;
    });
    char c = 0;
    BOOST_REQUIRE(locked.receive(c));

    // Other ids are not held up by the child's lock.
    int64_t start = now_ns();
    {
        ContainerDir other = store.open("c2");
        ContainerDir fresh = store.create("c3");
        BOOST_TEST(store.peek("c1").has_value());  // peek does not lock either
        BOOST_TEST(store.list_ids().size() == 3u);
    }
    BOOST_TEST(seconds_since(start) < hold_ms / 1000.0 / 2);

    ContainerDir dir = store.open("c1");
    int64_t acquired = now_ns();
    int64_t release_time = 0;
    BOOST_REQUIRE(released.receive(release_time));
    BOOST_TEST(acquired >= release_time);
    BOOST_TEST(seconds_since(start) >= hold_ms / 1000.0 * 0.9);
    BOOST_TEST(wait_exit(pid) == 0);
}

// A command that waited for the lock while the holder deleted the container finds nothing.
BOOST_AUTO_TEST_CASE(waiting_for_a_removed_container) {
    make("c1");
    Pipe locked;
    pid_t pid = fork_child([&] {
        ContainerDir dir = store.open("c1");
        if (!locked.send('L')) return 2;
        sleep_ms(100);
        dir.remove();
        return 0;
    });
    char c = 0;
    BOOST_REQUIRE(locked.receive(c));
    BOOST_TEST(open_error("c1") == "container does not exist");
    BOOST_TEST(wait_exit(pid) == 0);
}

// A checkpoint's claim, held while its container's lock is let go: another command that
// takes the lock sees it and its note, and a second claim is refused; closed without being
// ended (the checkpoint killed) it is free again, its note gone; ended, its file is gone.
BOOST_AUTO_TEST_CASE(checkpoint_claim) {
    make("c1");
    std::string file = root + "/c1/checkpoint.lock";
    std::optional<ContainerDir> dir(store.open("c1"));
    BOOST_TEST(!dir->checkpointing());
    {
        UniqueFd claim = dir->claim_checkpoint();
        BOOST_TEST(::write(claim.get(), "12345 678", 9) == 9);
        dir.reset();
        ContainerDir other = store.open("c1");
        BOOST_TEST(other.checkpointing());
        BOOST_TEST(other.checkpoint_note().value_or("<none>") == "12345 678");
        int code = 0;
        try {
            other.claim_checkpoint();
        } catch (const Error& e) {
            BOOST_TEST(std::string(e.what()) == "container is being checkpointed by another command");
            code = e.code();
        }
        BOOST_TEST(code == EBUSY);
    }
    dir.emplace(store.open("c1"));
    BOOST_TEST(::access(file.c_str(), F_OK) == 0);
    BOOST_TEST(!dir->checkpointing());
    BOOST_TEST(!dir->checkpoint_note().has_value());
    UniqueFd claim = dir->claim_checkpoint();
    BOOST_TEST(dir->checkpoint_note().value_or("<none>") == "");  // the killed one's note is not taken for the new one's
    dir->end_checkpoint();
    BOOST_TEST(::access(file.c_str(), F_OK) != 0);
    BOOST_TEST(!dir->checkpointing());
}

// delete --force ends the CRIU that a checkpoint noted in its claim (runtime/checkpoint.cpp):
// that process only (its pid and start time), and only while the claim is held.
BOOST_AUTO_TEST_CASE(stop_checkpoint_ends_the_noted_criu) {
    ContainerDir dir = store.create("c1");
    pid_t child = fork_child([] {
        for (;;) ::pause();
        return 0;
    });
    uint64_t start = read_proc_stat(child).start_time;
    auto claim_noting = [&](uint64_t start_time) {
        UniqueFd claim = dir.claim_checkpoint();
        std::string note = std::to_string(child) + " " + std::to_string(start_time);
        BOOST_REQUIRE(::write(claim.get(), note.data(), note.size()) == static_cast<ssize_t>(note.size()));
        return claim;
    };
    {
        UniqueFd claim = claim_noting(start + 1);  // another process once had that pid
        stop_checkpoint(dir);
        BOOST_TEST(process_alive(child, start));
    }
    claim_noting(start);  // closed at once: a checkpoint that was killed
    stop_checkpoint(dir);
    BOOST_TEST(process_alive(child, start));
    UniqueFd claim = claim_noting(start);
    stop_checkpoint(dir);
    BOOST_TEST(wait_exit(child) == 128 + SIGKILL);
}

BOOST_AUTO_TEST_SUITE_END()
