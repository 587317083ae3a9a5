//===- MutationSpec.h - One step of a variant's mutation sequence -*- C++
//-*-===//
//
// A mutation names what changed in a model so that a person or goodhart can
// apply it again: "set_channels(block1.conv1, 65)". Plain data, no MLIR, so
// reports and the results database can read it.
//
// Some kinds take a value from a fixed table (namedValues); their `value` is
// the index into the table and describe() prints the name:
// "set_activation(block1.relu1, silu)", "set_dtype(*, bf16)". parse() reads
// the name or the index.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_MUTATIONSPEC_H
#define GOODHART_GENERATOR_MUTATIONSPEC_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goodhart {

struct MutationSpec {
  std::string kind;  // "set_channels"
  std::string layer; // layer name, as in the plan
  int64_t value = 0; // the new size

  /// The names `value` indexes for `kind`, empty when its value is a
  /// number. The order is fixed: indices are stored in results.
  static const std::vector<std::string> &namedValues(const std::string &kind) {
    static const std::vector<std::string> kNone;
    static const std::vector<std::string> kActivations = {
        "relu", "relu6", "silu", "gelu_erf", "gelu_tanh"};
    static const std::vector<std::string> kDTypes = {"f32", "bf16", "f16"};
    if (kind == "set_activation")
      return kActivations;
    if (kind == "set_dtype")
      return kDTypes;
    return kNone;
  }

  /// A spec whose value is `name` from namedValues(kind); nullopt when the
  /// table has no such name.
  static std::optional<MutationSpec> named(const std::string &kind,
                                           const std::string &layer,
                                           const std::string &name) {
    const std::vector<std::string> &names = namedValues(kind);
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name)
        return MutationSpec{kind, layer, static_cast<int64_t>(i)};
    return std::nullopt;
  }

  /// The value as describe() prints it: a name from the table, or a number.
  std::string valueText() const {
    const std::vector<std::string> &names = namedValues(kind);
    if (value >= 0 && value < static_cast<int64_t>(names.size()))
      return names[value];
    return std::to_string(value);
  }

  /// "set_channels(block1.conv1, 65)", "set_dtype(*, bf16)"
  std::string describe() const {
    return kind + "(" + layer + ", " + valueText() + ")";
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
    if (spec.kind.empty() || spec.layer.empty())
      return std::nullopt;
    if (!namedValues(spec.kind).empty() &&
        value.find_first_not_of("0123456789") != std::string::npos) {
      std::optional<MutationSpec> byName = named(spec.kind, spec.layer, value);
      return byName;
    }
    if (value.empty() ||
        value.find_first_not_of("0123456789") != std::string::npos ||
        value.size() > 18)
      return std::nullopt;
    spec.value = std::stoll(value);
    return spec;
  }

  /// The goodhart-opt pass that applies this step to a model, e.g.
  /// " --goodhart-set-kernel='layer=stem.conv kernel=5'"; "" for a kind with
  /// no pass. One table for every kind (mlir/Passes.cpp registers them).
  std::string goodhartOptPass() const {
    struct Spelling {
      const char *kind, *pass, *layerOption, *valueOption;
    };
    static const Spelling kPasses[] = {
        {"set_channels", "set-channels", "layer", "channels"},
        {"set_activation", "set-activation", "layer", "activation"},
        {"set_dtype", "set-dtype", "layer", "dtype"},
        {"scale_width", "scale-width", "stage", "percent"},
        {"identity", "identity", nullptr, "seed"},
        {"set_spatial", "set-spatial", nullptr, "size"},
        {"set_seq", "set-seq", nullptr, "length"},
        {"set_batch", "set-batch", nullptr, "size"},
        {"move_stride", "move-stride", "block", "position"},
        {"set_kernel", "set-kernel", "layer", "kernel"},
        {"set_groups", "set-groups", "layer", "groups"},
        {"set_heads", "set-heads", "scope", "heads"},
        {"set_head_dim", "set-head-dim", "scope", "dim"},
        {"set_hidden", "set-hidden", nullptr, "hidden"}};
    for (const Spelling &s : kPasses)
      if (kind == s.kind)
        return std::string(" --goodhart-") + s.pass + "='" +
               (s.layerOption ? std::string(s.layerOption) + "=" + layer + " "
                              : std::string()) +
               s.valueOption + "=" + valueText() + "'";
    return "";
  }

  bool operator==(const MutationSpec &other) const = default;
};

/// The goodhart-opt line that rebuilds a model from `source` by
/// `mutations` (describe()'s form), in order; "" when one has no pass.
inline std::string goodhartOptLine(const std::string &source,
                                   const std::vector<std::string> &mutations) {
  std::string passes;
  for (const std::string &text : mutations) {
    std::optional<MutationSpec> spec = MutationSpec::parse(text);
    std::string pass = spec ? spec->goodhartOptPass() : "";
    if (pass.empty())
      return "";
    passes += pass;
  }
  return passes.empty() ? "" : "goodhart-opt " + source + passes;
}

} // namespace goodhart

#endif // GOODHART_GENERATOR_MUTATIONSPEC_H
