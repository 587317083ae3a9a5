//===- ModelLoader.h - Load and check TOSA models ---------------*- C++ -*-===//
//
// Parses a TOSA 1.0 model (.mlir), verifies it and checks that goodhart can
// handle it: only func and tosa ops, static shapes, every compute op known to
// the plan lowering, no tensor above the memory bound. Every error is emitted
// as an MLIR diagnostic on the offending op, so callers see the file, line and
// op name.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_MODELLOADER_H
#define GOODHART_MLIR_MODELLOADER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace goodhart {

/// Registers exactly the dialects goodhart parses: func and tosa.
void registerGoodhartDialects(mlir::DialectRegistry &registry);

/// Attribute on a function argument that marks it as a weight.
inline constexpr llvm::StringLiteral kWeightArgAttr = "goodhart.weight";

struct LoadOptions {
  /// Name of the entry function; empty: the only public function.
  std::string entry;
  /// Largest tensor accepted, in bytes; larger ones are refused before
  /// anything is allocated.
  int64_t maxTensorBytes = int64_t(8) << 30;
};

/// Parses and verifies `path`. Diagnostics go to the context's handler.
mlir::OwningOpRef<mlir::ModuleOp> parseModelFile(mlir::MLIRContext &context,
                                                 llvm::StringRef path);

/// Finds the entry function of `module` per `options.entry`; emits an error
/// on the module and returns null if there is none or it is ambiguous.
mlir::func::FuncOp findEntryFunction(mlir::ModuleOp module,
                                     const LoadOptions &options);

/// Checks that `func` is something goodhart can lower: only func/tosa ops,
/// static shapes, supported ops, tensors within the memory bound.
mlir::LogicalResult checkModelSupported(mlir::func::FuncOp func,
                                        const LoadOptions &options);

/// While alive, prints every diagnostic of `context` to `os` as
/// "FILE:LINE:COL: error: MESSAGE" for file locations and
/// "FILE: NAME: error: MESSAGE" for name locations (the corpus names its ops
/// with loc("block1.conv1")), so messages always name the file and the op.
class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &context, std::string file,
                    llvm::raw_ostream &os);
  ~DiagnosticPrinter();
  int errorCount() const { return errors; }

private:
  mlir::MLIRContext &context;
  uint64_t handlerId;
  std::string file;
  llvm::raw_ostream &os;
  int errors = 0;
};

/// "file:line:col" of `loc` if it holds a file location, else its name
/// (name location), else "".
std::string locationString(mlir::Location loc);

/// Parse + verify + find entry + check, in one call.
mlir::FailureOr<mlir::func::FuncOp>
loadModel(mlir::MLIRContext &context, llvm::StringRef path,
          const LoadOptions &options,
          mlir::OwningOpRef<mlir::ModuleOp> &moduleOut);

} // namespace goodhart

#endif // GOODHART_MLIR_MODELLOADER_H
