// libFuzzer target for the state documents: the same bytes go to parse_state (the OCI state,
// e.g. a hook's stdin) and parse_record (myrt's <root>/<id>/state.json). A ParseError is an
// expected outcome; for documents that parse, to_json must produce text that parses back and
// serializes to the same text. Anything else is a bug (abort).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "spec/parse_error.hpp"
#include "spec/state.hpp"

using myrt::spec::ContainerRecord;
using myrt::spec::ParseError;
using myrt::spec::State;

namespace {

[[noreturn]] void fail(const char* what, const std::string& a, const std::string& b = {}) {
    std::fprintf(stderr, "fuzz_state: %s\n--- first:\n%s\n--- second:\n%s\n", what, a.c_str(),
                 b.c_str());
    std::abort();
}

void check_state(std::string_view input) {
    State state;
    try {
        state = myrt::spec::parse_state(input);
    } catch (const ParseError&) {
        return;
    }
    for (bool pretty : {true, false}) {
        std::string text = myrt::spec::to_json(state, pretty);
        State again;
        try {
            again = myrt::spec::parse_state(text);
        } catch (const ParseError& e) {
            fail("parse_state(to_json(state)) failed", text, e.what());
        }
        std::string text2 = myrt::spec::to_json(again, pretty);
        if (text2 != text) fail("to_json(parse_state(to_json(state))) differs", text, text2);
    }
}

void check_record(std::string_view input) {
    ContainerRecord record;
    try {
        record = myrt::spec::parse_record(input);
    } catch (const ParseError&) {
        return;
    }
    std::string text = myrt::spec::to_json(record);
    ContainerRecord again;
    try {
        again = myrt::spec::parse_record(text);
    } catch (const ParseError& e) {
        fail("parse_record(to_json(record)) failed", text, e.what());
    }
    std::string text2 = myrt::spec::to_json(again);
    if (text2 != text) fail("to_json(parse_record(to_json(record))) differs", text, text2);
    // The embedded state is an OCI state document of its own.
    if (myrt::spec::to_json(again.state) != myrt::spec::to_json(record.state))
        fail("record.state differs after the round trip", myrt::spec::to_json(record.state),
             myrt::spec::to_json(again.state));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    check_state(input);
    check_record(input);
    return 0;
}
