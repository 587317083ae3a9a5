//===- GenerationBench.cpp - Verified variants per second -----------------===//
//
// The generator must never matter next to measurement. One iteration makes
// one verified variant of a reference model: clone the module, apply one
// channel (or FFN width) mutation (cycling through the neighborhood proposals),
// re-infer shapes, verify, and lower to a plan. items_per_second is variants/s.
//
//   build/bin/goodhart-bench-generation --benchmark_min_time=2
//
//===----------------------------------------------------------------------===//

#include "generator/ChannelStrategy.h"
#include "generator/Mutation.h"
#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"

#include "mlir/IR/Verifier.h"

#include <benchmark/benchmark.h>

#include <cstdlib>

namespace {

void generateVariants(benchmark::State &state, const char *file) {
  mlir::DialectRegistry registry;
  goodhart::registerGoodhartDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string path = std::string(GOODHART_SOURCE_DIR) + "/corpus/" + file;
  auto entry = goodhart::loadModel(context, path, {}, module);
  if (mlir::failed(entry)) {
    state.SkipWithError("cannot load the model");
    return;
  }
  const std::string name = entry->getSymName().str();
  goodhart::Rng rng(1);
  std::vector<goodhart::MutationSpec> proposals =
      goodhart::proposeChannelMutations(goodhart::findChannelSites(*entry),
                                        rng);
  size_t next = 0, failed = 0;
  for (auto _ : state) {
    mlir::OwningOpRef<mlir::ModuleOp> clone(module->clone());
    auto func = clone->lookupSymbol<mlir::func::FuncOp>(name);
    const goodhart::MutationSpec &spec = proposals[next++ % proposals.size()];
    if (mlir::failed(goodhart::applyMutation(func, spec)) ||
        mlir::failed(mlir::verify(*clone))) {
      ++failed;
      continue;
    }
    auto plan = goodhart::lowerToPlan(func, {});
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["failed"] = static_cast<double>(failed);
  state.counters["layers"] = static_cast<double>(std::distance(
      entry->getBody().getOps().begin(), entry->getBody().getOps().end()));
}

BENCHMARK_CAPTURE(generateVariants, resnet50, "resnet50.mlir")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(generateVariants, mobilenet_v2, "mobilenet_v2.mlir")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(generateVariants, smallcnn, "smallcnn.mlir")
    ->Unit(benchmark::kMillisecond);
// FFN-width variants of the 24-layer encoder (816 plan layers).
BENCHMARK_CAPTURE(generateVariants, bert_large, "bert_large.mlir")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(generateVariants, llama2_7b_layer, "llama2_7b_layer.mlir")
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
