// Helpers shared by the unit tests: checking error messages exactly.
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "spec/parse_error.hpp"

namespace myrt::test {

// The message of the exception of type E (spec::ParseError unless given, e.g.
// error_of<myrt::Error>(...)) that f() throws, or "<no error>". Any other exception fails the
// test case.
template <class E = spec::ParseError, class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "<no error>";
}

// An input document and the exact message expected for it.
struct Case {
    std::string json;
    std::string message;
};

// Checks run(json) == message for every case; run returns the error message (see error_of).
template <class Run>
void check_cases(const std::vector<Case>& cases, Run&& run) {
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("json: " << c.json) {
            BOOST_TEST(run(c.json) == c.message);
        }
    }
}

}  // namespace myrt::test
