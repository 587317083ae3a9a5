//===- OneDnnRunner.cpp - goodhart-runner-onednn --------------------------===//
//
// Runs plans on oneDNN 2.6 on the host CPU, speaking the runner protocol
// (docs/RUNNER-PROTOCOL.md). Does not link MLIR.
//
//===----------------------------------------------------------------------===//

#include "runners/common/Backend.h"
#include "runners/onednn/OneDnnBackend.h"

int main(int argc, char **argv) {
  return goodhart::runnerMain(argc, argv, [] {
    return std::make_unique<goodhart::onednn::OneDnnBackend>();
  });
}
