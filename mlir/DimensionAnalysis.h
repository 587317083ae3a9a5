//===- DimensionAnalysis.h - Which tensor dimensions move together -*- C++
//-*-===//
//
// A union-find over (value, dimension) pairs of one function: two pairs are
// in one class when the TOSA ops between them force them to be equal (a
// convolution's output channels and its bias, the consumer convolution's
// input channels, the other operand of a residual add, ...). A mutation that
// changes one dimension must change its whole class.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_DIMENSIONANALYSIS_H
#define GOODHART_MLIR_DIMENSIONANALYSIS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <utility>
#include <vector>

namespace goodhart {

struct DimRef {
  mlir::Value value;
  unsigned dim = 0;
  bool operator==(const DimRef &o) const {
    return value == o.value && dim == o.dim;
  }
};

class DimensionAnalysis {
public:
  explicit DimensionAnalysis(mlir::func::FuncOp func);

  /// Every (value, dim) tied to `ref`, `ref` included, in a stable order
  /// (arguments first, then op results in program order).
  llvm::SmallVector<DimRef> classOf(DimRef ref) const;
  bool tied(DimRef a, DimRef b) const;

private:
  using Key = std::pair<mlir::Value, unsigned>;
  int indexOf(mlir::Value value, unsigned dim);
  int find(int i) const;
  void tie(mlir::Value a, unsigned da, mlir::Value b, unsigned db);
  void tieSameShape(mlir::Value a, mlir::Value b);
  void addTies(mlir::Operation *op);

  llvm::DenseMap<Key, int> indices;
  std::vector<Key> keys;
  mutable std::vector<int> parent;
};

} // namespace goodhart

#endif // GOODHART_MLIR_DIMENSIONANALYSIS_H
