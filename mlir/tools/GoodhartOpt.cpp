//===- GoodhartOpt.cpp - mlir-opt with goodhart's passes ------------------===//

#include "mlir/ModelLoader.h"
#include "mlir/Passes.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  goodhart::registerGoodhartPasses();
  mlir::DialectRegistry registry;
  goodhart::registerGoodhartDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "goodhart optimizer driver\n", registry));
}
