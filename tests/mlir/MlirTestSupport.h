//===- MlirTestSupport.h - Loading models in MLIR tests ---------*- C++ -*-===//
#ifndef GOODHART_TESTS_MLIR_MLIRTESTSUPPORT_H
#define GOODHART_TESTS_MLIR_MLIRTESTSUPPORT_H

#include "mlir/ModelLoader.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <unistd.h>

namespace goodhart::testing {

inline const std::string kSmallCnn =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/smallcnn.mlir";

/// A context with exactly goodhart's dialects.
inline std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  registerGoodhartDialects(registry);
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

/// Writes `text` to a file in the test temp dir and returns its path.
inline std::string writeTemp(const std::string &name, const std::string &text) {
  // ctest runs each test in its own process, two at a time: a name shared
  // by tests of one file must not be one path, or one test reads the file
  // while the other rewrites it.
  std::string path =
      ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

/// Loads `path` with `options`; diagnostics land in `diagnostics`.
struct Loaded {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
  std::string diagnostics;
  bool ok = false;
};

inline Loaded load(const std::string &path, LoadOptions options = {}) {
  Loaded l;
  l.context = makeContext();
  llvm::raw_string_ostream os(l.diagnostics);
  {
    DiagnosticPrinter printer(*l.context, path, os);
    mlir::FailureOr<mlir::func::FuncOp> entry =
        loadModel(*l.context, path, options, l.module);
    l.ok = mlir::succeeded(entry);
    if (l.ok)
      l.entry = *entry;
  }
  os.flush();
  return l;
}

} // namespace goodhart::testing

#endif // GOODHART_TESTS_MLIR_MLIRTESTSUPPORT_H
