//===- MutationSpec.h - One step of a variant's mutation sequence -*- C++
//-*-===//
//
// A mutation names what changed in a model so that a person or goodhart can
// apply it again: "set_channels(block1.conv1, 65)". Plain data, no MLIR, so
// reports and the results database can read it.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_MUTATIONSPEC_H
#define GOODHART_GENERATOR_MUTATIONSPEC_H

#include <cstdint>
#include <optional>
#include <string>

namespace goodhart {

struct MutationSpec {
  std::string kind;  // "set_channels"
  std::string layer; // layer name, as in the plan
  int64_t value = 0; // the new size

  /// "set_channels(block1.conv1, 65)"
  std::string describe() const {
    return kind + "(" + layer + ", " + std::to_string(value) + ")";
  }

  /// Parses describe()'s form; nullopt when malformed.
  static std::optional<MutationSpec> parse(const std::string &text) {
    size_t open = text.find('(');
    size_t close = text.rfind(')');
    size_t comma = text.rfind(',');
    if (open == std::string::npos || close != text.size() - 1 ||
        comma == std::string::npos || comma < open)
      return std::nullopt;
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    MutationSpec spec;
    spec.kind = trim(text.substr(0, open));
    spec.layer = trim(text.substr(open + 1, comma - open - 1));
    std::string value = trim(text.substr(comma + 1, close - comma - 1));
    if (spec.kind.empty() || spec.layer.empty() || value.empty() ||
        value.find_first_not_of("0123456789") != std::string::npos ||
        value.size() > 18)
      return std::nullopt;
    spec.value = std::stoll(value);
    return spec;
  }

  bool operator==(const MutationSpec &other) const = default;
};

} // namespace goodhart

#endif // GOODHART_GENERATOR_MUTATIONSPEC_H
