//===- IdentityMutation.cpp - The same model, spelled differently ---------===//
//
// An identity variant computes what its reference computes, with the same
// shapes and the same layers, but does not look the same: the function has
// another name and independent ops come in another order (so the printed
// SSA numbering differs too). A backend that runs it at a different speed
// than the reference recognizes the reference (benchmark detection), and
// the spread between identity variants is the campaign's noise floor.
//
// Layer names must still map to the reference's: every layer op first gets
// a name location with the name it has now (assignLayerNames, and the
// pattern_N name the plan lowering gives an unnamed fused composite), so
// reordering cannot change them.
//
//===----------------------------------------------------------------------===//

#include "generator/Rng.h"
#include "mlir/CompositePatterns.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <cstdio>
#include <map>

namespace goodhart {
namespace {

bool hasName(mlir::Location loc) {
  bool found = false;
  loc->walk([&](mlir::Location inner) {
    found |= llvm::isa<mlir::NameLoc>(inner);
    return found ? mlir::WalkResult::interrupt() : mlir::WalkResult::advance();
  });
  return found;
}

/// Gives every layer op a name location holding its layer name, as the
/// plan lowering would name it in the current order.
void pinLayerNames(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  llvm::StringSet<> used;
  for (auto &entry : names)
    used.insert(entry.second);
  // Unnamed roots of fused composites are named pattern_N by the lowering.
  std::set<std::string> fused = defaultFusedPatterns();
  llvm::DenseMap<mlir::Operation *, std::string> rootPattern;
  for (const CompositeMatch &m : findComposites(func))
    if (m.fusible && fused.count(m.pattern))
      rootPattern[m.root] = m.pattern;
  std::map<std::string, int> fusedCount;
  for (mlir::Operation &op : func.getBody().getOps()) {
    auto it = names.find(&op);
    if (it == names.end())
      continue;
    std::string name = it->second;
    if (auto root = rootPattern.find(&op);
        root != rootPattern.end() && !hasName(op.getLoc())) {
      std::string base =
          root->second + "_" + std::to_string(fusedCount[root->second]++);
      name = base;
      for (int suffix = 2; used.contains(name); ++suffix)
        name = base + "_" + std::to_string(suffix);
      used.insert(name);
    }
    if (nameFromLocation(op.getLoc()) != name)
      op.setLoc(mlir::NameLoc::get(mlir::StringAttr::get(op.getContext(), name),
                                   op.getLoc()));
  }
}

/// A random topological order of the body's ops (terminator excluded):
/// each step takes a uniformly drawn op among those whose operands are all
/// defined. Ops with side effects keep their relative order.
llvm::SmallVector<mlir::Operation *> shuffledOrder(mlir::Block &body,
                                                   Rng &rng) {
  llvm::SmallVector<mlir::Operation *> ops;
  for (mlir::Operation &op : body.without_terminator())
    ops.push_back(&op);
  llvm::DenseMap<mlir::Operation *, llvm::SetVector<mlir::Operation *>> users;
  llvm::DenseMap<mlir::Operation *, int64_t> pending;
  mlir::Operation *lastImpure = nullptr;
  for (mlir::Operation *op : ops) {
    llvm::SetVector<mlir::Operation *> deps;
    op->walk([&](mlir::Operation *nested) {
      for (mlir::Value operand : nested->getOperands())
        if (mlir::Operation *def = operand.getDefiningOp())
          if (mlir::Operation *top = body.findAncestorOpInBlock(*def);
              top && top != op)
            deps.insert(top);
    });
    if (!mlir::isPure(op)) {
      if (lastImpure)
        deps.insert(lastImpure);
      lastImpure = op;
    }
    pending[op] = static_cast<int64_t>(deps.size());
    for (mlir::Operation *dep : deps)
      users[dep].insert(op);
  }
  llvm::SmallVector<mlir::Operation *> ready, order;
  for (mlir::Operation *op : ops)
    if (pending[op] == 0)
      ready.push_back(op);
  while (!ready.empty()) {
    int64_t pick = rng.uniformInt(0, static_cast<int64_t>(ready.size()) - 1);
    mlir::Operation *op = ready[pick];
    ready.erase(ready.begin() + pick);
    order.push_back(op);
    for (mlir::Operation *user : users[op])
      if (--pending[user] == 0)
        ready.push_back(user);
  }
  return order;
}

} // namespace

mlir::LogicalResult makeIdentityVariant(mlir::func::FuncOp func, Rng &rng) {
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitError()
           << "identity variants need a function with one block";
  pinLayerNames(func);

  mlir::Block &body = func.getBody().front();
  llvm::SmallVector<mlir::Operation *> order = shuffledOrder(body, rng);
  if (order.size() + 1 != body.getOperations().size())
    return func.emitError() << "'" << func.getSymName()
                            << "' has a dependency cycle; it cannot be "
                               "reordered";
  mlir::Operation *terminator = body.getTerminator();
  for (mlir::Operation *op : order)
    op->moveBefore(terminator);

  char buffer[16];
  std::snprintf(
      buffer, sizeof(buffer), "m%012llx",
      static_cast<unsigned long long>(rng.next() & 0xffffffffffffULL));
  std::string newName = buffer;
  if (auto module = func->getParentOfType<mlir::ModuleOp>()) {
    if (module.lookupSymbol(newName))
      return func.emitError()
             << "identity name '" << newName << "' is taken in the module";
    if (mlir::failed(mlir::SymbolTable::replaceAllSymbolUses(
            func, mlir::StringAttr::get(func.getContext(), newName), module)))
      return func.emitError() << "cannot rename '" << func.getSymName() << "'";
  }
  func.setSymName(newName);
  if (mlir::failed(mlir::verify(func)))
    return func.emitError()
           << "the identity variant of '" << newName << "' does not verify";
  return mlir::success();
}

} // namespace goodhart
