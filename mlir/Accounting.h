//===- Accounting.h - FLOPs, bytes and parameters per op --------*- C++ -*-===//
//
// Cost of one TOSA op, counted the way benchdnn counts it: a multiply-add is
// two FLOPs, and taps that fall on padding are not counted. Bytes are the
// sizes of the operands read and the result written, each once; parameters
// are the elements of weight operands (arguments marked goodhart.weight and
// tosa.const data operands).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_ACCOUNTING_H
#define GOODHART_MLIR_ACCOUNTING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"

#include <cstdint>

namespace goodhart {

struct OpCost {
  int64_t flops = 0;
  int64_t bytes = 0;
  int64_t params = 0;

  OpCost &operator+=(const OpCost &other) {
    flops += other.flops;
    bytes += other.bytes;
    params += other.params;
    return *this;
  }
};

/// Cost of one op; zero for ops that do no work (consts, reshapes).
OpCost computeOpCost(mlir::Operation *op);

/// Sum over the ops of `func`.
OpCost computeFunctionCost(mlir::func::FuncOp func);

/// MACs of a strided, padded, dilated window along one spatial dimension:
/// the number of (output position, kernel tap) pairs whose input index falls
/// inside [0, in). Multiplied across dimensions this excludes padding exactly.
int64_t countValidTaps(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                       int64_t padBefore, int64_t dilation);

} // namespace goodhart

#endif // GOODHART_MLIR_ACCOUNTING_H
