//===- HeadLabels.h - Which dimensions carry attention heads ----*- C++ -*-===//
//
// The analysis behind set_heads and set_head_dim (mlir/HeadMutation.cpp).
// Each dimension of each value gets a label: the product of atoms H, D and
// constants, in row-major order. A selected head split labels its input's
// last dimension [H, D]; reshapes redistribute atoms in order (a reshape
// that would cut an H or D atom is refused), transposes permute labels,
// matmuls and elementwise ops pass them on, reductions drop the reduced one;
// rotate_half's slices cut D into halves and its concat joins them back.
// planHeads walks a function once and plans what a new geometry changes:
// reshape shapes, slice bounds, splat constants (the 1/sqrt(D) scale among
// them), weight arguments and rotary tables. It changes nothing itself.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_HEADLABELS_H
#define GOODHART_MLIR_HEADLABELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"

#include <map>
#include <optional>

namespace goodhart::heads {

enum class AtomKind { kConst, kHeads, kHeadDim, kHalfHeadDim };
struct Atom {
  AtomKind kind;
  int64_t size; // the reference's size
};
using Label = llvm::SmallVector<Atom, 2>;
using Labels = llvm::SmallVector<Label, 4>;

/// The new head geometry.
struct Geometry {
  int64_t heads, headDim;
  int64_t size(const Atom &a) const {
    switch (a.kind) {
    case AtomKind::kConst:
      return a.size;
    case AtomKind::kHeads:
      return heads;
    case AtomKind::kHeadDim:
      return headDim;
    case AtomKind::kHalfHeadDim:
      return headDim / 2;
    }
    return a.size;
  }
  int64_t size(const Label &label) const {
    int64_t n = 1;
    for (const Atom &a : label)
      n *= size(a);
    return n;
  }
  llvm::SmallVector<int64_t> shape(const Labels &labels) const {
    llvm::SmallVector<int64_t> s;
    for (const Label &l : labels)
      s.push_back(size(l));
    return s;
  }
};

/// A constant operand replaced by a new splat: resized, or a new value.
struct ConstRewrite {
  mlir::OpOperand *operand;
  llvm::SmallVector<int64_t> shape;
  std::optional<double> value;
};

struct HeadPlan {
  llvm::MapVector<mlir::Operation *, llvm::SmallVector<int64_t>> reshapes;
  /// Slices of a head dimension (rotate_half): new start and size.
  llvm::MapVector<mlir::Operation *, std::pair<llvm::SmallVector<int64_t>,
                                               llvm::SmallVector<int64_t>>>
      slices;
  llvm::SmallVector<ConstRewrite> consts;
  /// Weight arguments resized (set_head_dim): argument -> dim -> size.
  std::map<unsigned, std::map<unsigned, int64_t>> args;
  /// Model inputs resized with the head dimension (rotary cos/sin tables).
  std::map<unsigned, std::map<unsigned, int64_t>> inputs;
  int scales = 0;
};

/// The weight argument `v` is, or null.
mlir::BlockArgument weightArgument(mlir::Value v);

/// Plans re-splitting the attention of the selected `splits` (head-split
/// reshapes) from `from` into `to`; emits (when `emit`) on the op that
/// cannot follow.
mlir::FailureOr<HeadPlan>
planHeads(mlir::func::FuncOp func,
          const llvm::DenseSet<mlir::Operation *> &splits, Geometry from,
          Geometry to, bool emit);

} // namespace goodhart::heads

#endif // GOODHART_MLIR_HEADLABELS_H
