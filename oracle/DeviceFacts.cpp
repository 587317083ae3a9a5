//===- DeviceFacts.cpp - Published facts about accelerators ---------------===//

#include "oracle/DeviceFacts.h"

#include <cctype>
#include <vector>

namespace goodhart {
namespace {

struct Entry {
  const char *tokens; // the product, as tokens separated by spaces
  const char *die;
  double billions;
};

// Transistor counts as the vendors' architecture whitepapers and launch
// material give them (NVIDIA Volta, Turing, Ampere GA100 and GA102, Ada,
// Hopper and Blackwell; AMD CDNA 2 and 3), for the whole package.
const Entry kEntries[] = {
    {"GH200", "GH100", 80},        {"H200", "GH100", 80},
    {"H100", "GH100", 80},         {"H800", "GH100", 80},
    {"H20", "GH100", 80},          {"A100", "GA100", 54.2},
    {"A800", "GA100", 54.2},       {"A30", "GA100", 54.2},
    {"A40", "GA102", 28.3},        {"A10", "GA102", 28.3},
    {"RTX A6000", "GA102", 28.3},  {"RTX 3090", "GA102", 28.3},
    {"L40S", "AD102", 76.3},       {"L40", "AD102", 76.3},
    {"RTX 4090", "AD102", 76.3},   {"RTX 6000 Ada", "AD102", 76.3},
    {"L4", "AD104", 35.8},         {"B200", "2x GB100", 208},
    {"B100", "2x GB100", 208},     {"V100", "GV100", 21.1},
    {"T4", "TU104", 13.6},         {"MI300X", "CDNA 3", 153},
    {"MI250X", "2x CDNA 2", 58.2},
};

std::vector<std::string> tokensOf(const std::string &text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      current += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!current.empty()) {
      tokens.push_back(current);
      current.clear();
    }
  }
  return tokens;
}

bool containsRun(const std::vector<std::string> &haystack,
                 const std::vector<std::string> &needle) {
  if (needle.empty() || needle.size() > haystack.size())
    return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && haystack[i + j] == needle[j])
      ++j;
    if (j == needle.size())
      return true;
  }
  return false;
}

} // namespace

std::optional<DeviceFact> knownDevice(const std::string &deviceName) {
  const std::vector<std::string> name = tokensOf(deviceName);
  for (const Entry &e : kEntries)
    if (containsRun(name, tokensOf(e.tokens)))
      return DeviceFact{e.tokens, e.die, e.billions};
  return std::nullopt;
}

} // namespace goodhart
