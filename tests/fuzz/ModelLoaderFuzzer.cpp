//===- ModelLoaderFuzzer.cpp - Fuzz model loading and plan lowering -------===//
//
// Input: a model file (.mlir text), as `goodhart generate/inspect/campaign`
// take one. It goes through loadModel (parse, verify, find the entry, check
// support) and lowerToPlan, as the command line does. Every refusal must be
// an MLIR diagnostic; a lowered plan must pass validatePlan and round-trip
// through its JSON form, since runners read it next.
//
//===----------------------------------------------------------------------===//

#include "tests/fuzz/FuzzSupport.h"

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"

#include "mlir/IR/MLIRContext.h"

using namespace goodhart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile file(".mlir");
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    registerGoodhartDialects(*r);
    return r;
  }();
  const std::string &path = file.write(data, size);
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  DiagnosticPrinter printer(context, path, llvm::nulls());

  LoadOptions loadOptions;
  loadOptions.maxTensorBytes = int64_t(1) << 30;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::FailureOr<mlir::func::FuncOp> entry =
      loadModel(context, path, loadOptions, module);
  if (mlir::failed(entry)) {
    if (printer.errorCount() == 0)
      fuzz::fail("loadModel failed without an error diagnostic");
    return 0;
  }
  LoweringOptions options;
  options.source = path;
  mlir::FailureOr<Plan> plan = lowerToPlan(*entry, options);
  if (mlir::failed(plan)) {
    if (printer.errorCount() == 0)
      fuzz::fail("lowerToPlan failed without an error diagnostic");
    return 0;
  }
  if (Status s = validatePlan(*plan); !s.isOk())
    fuzz::fail("lowered plan is not valid", s.message());
  StatusOr<Plan> again = planFromJson(planToJson(*plan), "lowered plan");
  if (!again)
    fuzz::fail("lowered plan does not read back", again.status().message());
  return 0;
}
