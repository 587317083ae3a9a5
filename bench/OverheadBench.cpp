//===- OverheadBench.cpp - The runner's timing against a hand loop --------===//
//
// Measurement overhead: for ten distinct ResNet-50 convolutions (the first
// ten distinct conv2d problems of the plan lowered from corpus/resnet50.mlir)
// a minimal hand-written oneDNN 2.6 timing loop (create the primitive, warm
// up, time each execution with std::chrono, take the median) against
// goodhart's oneDNN backend measuring the same layer through its library API
// (what goodhart-runner-onednn runs per layer). The goal: the runner's median
// within 5% of the hand loop's. Hand loop and runner alternate for several
// rounds and each reports the median of its round medians, so slow drift of
// a shared machine hits both alike.
//
//   goodhart-bench-overhead [--rounds N] [--layers N] [--threads N]
//
// Prints one line per layer and a summary; figures are quoted in notes,
// never asserted in tests.
//
//===----------------------------------------------------------------------===//

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"
#include "runners/common/Stats.h"
#include "runners/onednn/OneDnnBackend.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using namespace goodhart;
using Clock = std::chrono::steady_clock;
using dnnl::memory;

struct BenchOptions {
  int rounds = 5;
  int layers = 10;
  int threads = 0;
  double warmupMs = 20;
  double minTimeMs = 100;
  int64_t minSamples = 20;
};

/// The hand loop: the primitive built from the layer's shapes alone, as a
/// oneDNN user would write it (any layouts, f32, bias), timed directly.
class HandLoop {
public:
  HandLoop(const dnnl::engine &engine, const Plan &plan, const Layer &conv)
      : engine(engine), stream(engine) {
    const TensorDesc &src = plan.tensor(conv.inputs[0]);
    const TensorDesc &wei = plan.tensor(conv.inputs[1]);
    const TensorDesc &dst = plan.tensor(conv.outputs[0]);
    auto stride = conv.attrs["stride"].get<std::vector<int64_t>>();
    auto pad = conv.attrs["pad"].get<std::vector<int64_t>>();
    // Plan tensors are NHWC and OHWI; oneDNN's logical order is NCHW, OIHW.
    memory::dims srcDims = {src.shape[0], src.shape[3], src.shape[1],
                            src.shape[2]};
    memory::dims weiDims = {wei.shape[0], wei.shape[3], wei.shape[1],
                            wei.shape[2]};
    memory::dims dstDims = {dst.shape[0], dst.shape[3], dst.shape[1],
                            dst.shape[2]};
    auto f32 = memory::data_type::f32;
    auto any = memory::format_tag::any;
    memory::desc srcMd(srcDims, f32, any), weiMd(weiDims, f32, any),
        dstMd(dstDims, f32, any),
        biasMd({wei.shape[0]}, f32, memory::format_tag::a);
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        srcMd, weiMd, biasMd, dstMd, {stride[0], stride[1]}, {0, 0},
        {pad[0], pad[2]}, {pad[1], pad[3]});
    dnnl::convolution_forward::primitive_desc pd(desc, engine);
    impl = pd.impl_info_str();
    primitive = dnnl::convolution_forward(pd);
    args = {{DNNL_ARG_SRC, filled(pd.src_desc())},
            {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())},
            {DNNL_ARG_BIAS, filled(pd.bias_desc())},
            {DNNL_ARG_DST, memory(pd.dst_desc(), engine)}};
  }

  /// Warm-up, then samples until both minimums hold; the median in ns.
  double measure(const BenchOptions &o) {
    auto start = Clock::now();
    do
      once();
    while (msSince(start) < o.warmupMs);
    std::vector<double> samples;
    start = Clock::now();
    while (static_cast<int64_t>(samples.size()) < o.minSamples ||
           msSince(start) < o.minTimeMs) {
      auto t0 = Clock::now();
      once();
      samples.push_back(
          std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    std::nth_element(samples.begin(), samples.begin() + samples.size() / 2,
                     samples.end());
    return samples[samples.size() / 2];
  }

  std::string impl;

private:
  void once() {
    primitive.execute(stream, args);
    stream.wait();
  }
  static double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  }
  memory filled(const memory::desc &md) {
    memory m(md, engine);
    float *data = static_cast<float *>(m.get_data_handle());
    for (size_t i = 0; i < md.get_size() / sizeof(float); ++i)
      data[i] = 0.01f * static_cast<float>(static_cast<int>(i % 17) - 8);
    return m;
  }

  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
};

double medianOf(std::vector<double> v) { return goodhart::median(v); }

std::string shapeOf(const Plan &plan, const Layer &conv) {
  const TensorDesc &src = plan.tensor(conv.inputs[0]);
  const TensorDesc &wei = plan.tensor(conv.inputs[1]);
  auto stride = conv.attrs["stride"].get<std::vector<int64_t>>();
  return fmt::format("ic{}ih{}oc{}k{}s{}", src.shape[3], src.shape[1],
                     wei.shape[0], wei.shape[1], stride[0]);
}

std::optional<Plan> lowerResNet50() {
  mlir::DialectRegistry registry;
  registerGoodhartDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string path = std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir";
  auto entry = loadModel(context, path, {}, module);
  if (mlir::failed(entry))
    return std::nullopt;
  auto plan = lowerToPlan(*entry, {});
  if (mlir::failed(plan))
    return std::nullopt;
  return *plan;
}

int parseArgs(int argc, char **argv, BenchOptions &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 < argc &&
        (arg == "--rounds" || arg == "--layers" || arg == "--threads")) {
      int value = std::atoi(argv[++i]);
      (arg == "--rounds"   ? o.rounds
       : arg == "--layers" ? o.layers
                           : o.threads) = value;
      continue;
    }
    std::cerr << "usage: goodhart-bench-overhead [--rounds N] [--layers N] "
                 "[--threads N]\n";
    return 2;
  }
  return o.rounds > 0 && o.layers > 0 ? 0 : 2;
}

} // namespace

int main(int argc, char **argv) {
  BenchOptions o;
  if (int code = parseArgs(argc, argv, o))
    return code;
  std::optional<Plan> plan = lowerResNet50();
  if (!plan) {
    std::cerr << "goodhart-bench-overhead: cannot lower corpus/resnet50.mlir\n";
    return 1;
  }
  std::vector<const Layer *> convs;
  std::set<std::string> seen;
  for (const Layer &l : plan->layers)
    if (l.kind == LayerKind::kConv2d && seen.insert(l.hash).second &&
        static_cast<int>(convs.size()) < o.layers)
      convs.push_back(&l);

  // Hand loop and runner share the process: both use the same threads.
  if (o.threads > 0)
    omp_set_num_threads(o.threads);
  onednn::OneDnnBackend backend;
  if (Status s = backend.initialize(); !s.isOk()) {
    std::cerr << "goodhart-bench-overhead: " << s.message() << "\n";
    return 3;
  }
  MeasureOptions runnerOptions; // goodhart run's defaults, no output check
  runnerOptions.mode = MeasureMode::kLayers;
  runnerOptions.warmupMs = o.warmupMs;
  runnerOptions.minSamples = o.minSamples;
  runnerOptions.minTimeMs = o.minTimeMs;
  runnerOptions.maxTimeMs = 1000;
  runnerOptions.targetRsd = 0.005;
  runnerOptions.check = false;
  runnerOptions.threads = o.threads;
  RunnerInfo info = backend.info();
  std::cout << fmt::format("oneDNN {} on {} ({}), {} threads, {} rounds\n",
                           info.libraryVersion, info.device, info.isa,
                           info.threads, o.rounds);
  std::cout << fmt::format("{:<22} {:<24} {:>12} {:>12} {:>8}  {}\n", "layer",
                           "problem", "hand ns", "runner ns", "ratio",
                           "impl (hand / runner)");
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  std::vector<double> ratios;
  int within = 0;
  for (const Layer *conv : convs) {
    HandLoop hand(engine, *plan, *conv);
    std::vector<double> handMedians, runnerMedians;
    std::string runnerImpl;
    bool ok = true;
    for (int r = 0; r < o.rounds && ok; ++r) {
      handMedians.push_back(hand.measure(o));
      LayerResult result = backend.measureLayer(*plan, *conv, runnerOptions);
      ok = result.measurement.status == ResultStatus::kOk;
      runnerImpl = ok ? result.impl : result.measurement.reason;
      runnerMedians.push_back(result.measurement.stats.medianNs);
    }
    if (!ok) {
      std::cout << fmt::format("{:<22} runner: {}\n", conv->name, runnerImpl);
      continue;
    }
    double h = medianOf(handMedians), g = medianOf(runnerMedians);
    double ratio = g / h;
    ratios.push_back(ratio);
    within += std::abs(ratio - 1) <= 0.05;
    std::cout << fmt::format("{:<22} {:<24} {:>12.0f} {:>12.0f} {:>8.4f}  {} / "
                             "{}\n",
                             conv->name, shapeOf(*plan, *conv), h, g, ratio,
                             hand.impl, runnerImpl);
  }
  double logSum = 0;
  for (double r : ratios)
    logSum += std::log(r);
  std::cout << fmt::format(
      "{} of {} layers within 5% of the hand loop; geometric mean ratio "
      "{:.4f}, median ratio {:.4f}\n",
      within, ratios.size(),
      ratios.empty() ? 0.0 : std::exp(logSum / ratios.size()),
      medianOf(ratios));
  return 0;
}
