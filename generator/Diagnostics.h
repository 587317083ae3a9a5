//===- Diagnostics.h - Mutation errors as data, modules as text -*- C++ -*-===//
#ifndef GOODHART_GENERATOR_DIAGNOSTICS_H
#define GOODHART_GENERATOR_DIAGNOSTICS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace goodhart {

/// Collects the error diagnostics emitted while it lives, instead of
/// printing them: a rejected proposal is data, not a user-facing error.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *context)
      : handler(context, [this](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Error) {
            if (!messages.empty())
              messages += "; ";
            messages += diag.str();
          }
          return mlir::success();
        }) {}
  std::string messages;

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// `module` as text with its name locations (they carry the layer names),
/// in the form the parser reads back (the "pretty" form is not
/// round-trippable).
inline std::string printModuleWithLocations(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                        /*enable=*/true, /*prettyForm=*/false));
  return text;
}

} // namespace goodhart

#endif // GOODHART_GENERATOR_DIAGNOSTICS_H
