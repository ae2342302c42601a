// `myrt features`: what this build implements (features.md), fixed at compile time.
#pragma once

#include <string>

namespace myrt {

std::string features_json();

}  // namespace myrt
