//===- Mutation.cpp - One step of a variant's mutation sequence -----------===//

#include "generator/Mutation.h"

#include "mlir/Mutations.h"

#include "llvm/ADT/StringExtras.h"

namespace goodhart {

std::string MutationSpec::describe() const {
  return kind + "(" + layer + ", " + std::to_string(value) + ")";
}

std::optional<MutationSpec> MutationSpec::parse(llvm::StringRef text) {
  text = text.trim();
  size_t open = text.find('(');
  if (open == llvm::StringRef::npos || !text.ends_with(")"))
    return std::nullopt;
  MutationSpec spec;
  spec.kind = text.substr(0, open).trim().str();
  llvm::StringRef args = text.slice(open + 1, text.size() - 1);
  auto [layer, value] = args.rsplit(',');
  if (value.empty() || spec.kind.empty())
    return std::nullopt;
  spec.layer = layer.trim().str();
  if (spec.layer.empty() || value.trim().getAsInteger(10, spec.value))
    return std::nullopt;
  return spec;
}

mlir::LogicalResult applyMutation(mlir::func::FuncOp func,
                                  const MutationSpec &spec) {
  if (spec.kind == "set_channels")
    return setOutputChannels(func, spec.layer, spec.value);
  return func.emitError() << "unknown mutation kind '" << spec.kind << "' in '"
                          << spec.describe() << "'";
}

} // namespace goodhart
