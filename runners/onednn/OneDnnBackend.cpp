//===- OneDnnBackend.cpp - The oneDNN 2.6 backend -------------------------===//

#include "runners/onednn/OneDnnBackend.h"

#include "runners/common/DataFill.h"
#include "runners/common/Harness.h"
#include "runners/onednn/OneDnnPeak.h"
#include "runners/onednn/OneDnnPrimitives.h"
#include "runners/reference/Reference.h"

#include <cstring>
#include <fstream>
#include <omp.h>
#include <sched.h>
#include <unordered_map>

namespace goodhart::onednn {
namespace {

// 0.2.0: the copy peak (runner info peak_gbs) beside the GEMM peak. 0.3.0:
// benchdnn lines as this oneDNN's benchdnn reads them (BenchdnnRepro.cpp).
constexpr const char *kRunnerVersion = "0.3.0";

std::string cpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown CPU";
}

/// The CPUs this process may run on, as "0-1,4".
std::string cpuAffinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0)
    return "unknown";
  std::string text;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set))
      continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
      ++last;
    text += (text.empty() ? "" : ",") + std::to_string(cpu) +
            (last > cpu ? "-" + std::to_string(last) : "");
    cpu = last;
  }
  return text;
}

/// Whether oneDNN has a convolution and a matmul of `type` on `engine`: the
/// probe of which floating-point types this CPU runs (f16 needs
/// avx512_core_fp16 in oneDNN 2.6; bf16 runs everywhere from avx512_core).
bool computesIn(const dnnl::engine &engine, dnnl::memory::data_type type) {
  using tag = dnnl::memory::format_tag;
  try {
    dnnl::memory::desc src({1, 16, 8, 8}, type, tag::any),
        wei({16, 16, 3, 3}, type, tag::any), dst({1, 16, 8, 8}, type, tag::any);
    dnnl::convolution_forward::primitive_desc conv(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::convolution_direct,
                                        src, wei, dst, {1, 1}, {1, 1}, {1, 1}),
        engine);
    dnnl::memory::desc a({16, 16}, type, tag::ab), b({16, 16}, type, tag::ab),
        c({16, 16}, type, tag::ab);
    dnnl::matmul::primitive_desc matmul(dnnl::matmul::desc(a, b, c), engine);
    return true;
  } catch (const dnnl::error &) {
    return false;
  }
}

/// A memory of `desc` holding tensor `id`'s seeded values: filled plain in
/// f32, then reordered (layout and type) into `desc`. `planLayout`, when
/// set, says how the plan's row-major data reads in `desc`'s dims.
dnnl::memory
seededMemory(const dnnl::engine &engine, dnnl::stream &stream, const Plan &plan,
             int64_t id, const dnnl::memory::desc &desc, uint64_t seed,
             bool planOrder = false,
             const std::optional<dnnl::memory::desc> &planLayout = {}) {
  const TensorDesc &t = plan.tensor(id);
  std::vector<float> values = seededTensorData(plan, id, seed);
  TensorDesc f32 = t;
  f32.dtype = DType::kF32;
  dnnl::memory::desc plain = plainDesc(f32);
  dnnl::memory::dims planDims(t.shape.begin(), t.shape.end());
  if (planLayout) {
    plain = retyped(*planLayout, dnnl::memory::data_type::f32);
  } else if (planOrder && desc.dims() == planDims) {
    // Described in the plan's own dim order (transpose, norm): row-major.
    dnnl::memory::dims strides(planDims.size(), 1);
    for (int64_t i = static_cast<int64_t>(planDims.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * planDims[i + 1];
    plain = dnnl::memory::desc(planDims, dnnl::memory::data_type::f32, strides);
  } else if (plain.get_size() != values.size() * sizeof(float) ||
             desc.dims() != plain.dims()) {
    // Grouped weights or a bias broadcast: same element count, other dims.
    plain = dnnl::memory::desc(
        desc.dims(), dnnl::memory::data_type::f32,
        desc.dims().size() == 5   ? dnnl::memory::format_tag::gohwi
        : desc.dims().size() == 4 ? dnnl::memory::format_tag::ohwi
                                  : dnnl::memory::format_tag::a);
  }
  dnnl::memory source(plain, engine, values.data());
  dnnl::memory target(desc, engine);
  dnnl::reorder(source, target).execute(stream, source, target);
  stream.wait();
  return target;
}

/// Layers whose primitive describes tensors in the plan's dim order rather
/// than oneDNN's logical NCHW order (see OneDnnPrimitives.cpp).
bool describedInPlanOrder(const Layer &layer) {
  return layer.kind == LayerKind::kTranspose || layer.kind == LayerKind::kNorm;
}

Measurement skipped(const std::string &reason) {
  Measurement m;
  m.status = ResultStatus::kSkipped;
  m.reason = reason;
  return m;
}

const BuiltLayer::Arg *findArg(const BuiltLayer &built, int dnnlArg) {
  for (const BuiltLayer::Arg &arg : built.args)
    if (arg.dnnlArg == dnnlArg)
      return &arg;
  return nullptr;
}

/// Whether `layer`'s sum operand `sumInput` may be overwritten by the
/// layer's output in whole-model execution (in place, as frameworks run a
/// residual add): an activation no later layer reads and no model output
/// shares a buffer with.
bool canAccumulateInPlace(
    const Plan &plan, const Layer &layer, int64_t sumInput,
    const std::vector<std::shared_ptr<std::vector<char>>> &buffers) {
  const TensorDesc &t = plan.tensor(sumInput);
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  if (t.role != TensorRole::kActivation || t.dtype != out.dtype ||
      t.shape != out.shape)
    return false;
  auto shares = [&](int64_t id) {
    return id == sumInput || (buffers[id] && buffers[id] == buffers[sumInput]);
  };
  for (int64_t id : plan.outputs)
    if (shares(id))
      return false;
  int readers = 0; // the sum itself, and the layer's src if it is the same
  for (int64_t id : layer.inputs)
    readers += shares(id);
  if (readers > 1)
    return false;
  for (size_t i = layer.id + 1; i < plan.layers.size(); ++i)
    for (int64_t id : plan.layers[i].inputs)
      if (shares(id))
        return false;
  return true;
}

} // namespace

std::string effectiveIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
  case dnnl::cpu_isa::sse41:
    return "sse41";
  case dnnl::cpu_isa::avx:
    return "avx";
  case dnnl::cpu_isa::avx2:
    return "avx2";
  case dnnl::cpu_isa::avx2_vnni:
    return "avx2_vnni";
  case dnnl::cpu_isa::avx512_core:
    return "avx512_core";
  case dnnl::cpu_isa::avx512_core_vnni:
    return "avx512_core_vnni";
  case dnnl::cpu_isa::avx512_core_bf16:
    return "avx512_core_bf16";
  case dnnl::cpu_isa::avx512_core_amx:
    return "avx512_core_amx";
  default:
    return "all";
  }
}

Status OneDnnBackend::initialize() {
  try {
    engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
    stream = dnnl::stream(engine);
  } catch (const dnnl::error &e) {
    return unsupported(std::string("oneDNN CPU engine: ") + e.what());
  }
  dtypes = {"f32"};
  for (auto [type, name] : {std::pair{dnnl::memory::data_type::bf16, "bf16"},
                            std::pair{dnnl::memory::data_type::f16, "f16"}})
    if (computesIn(engine, type))
      dtypes.push_back(name);
  dtypes.insert(dtypes.end(), {"i32", "i8"});
  return Status::ok();
}

RunnerInfo OneDnnBackend::info() const {
  RunnerInfo info;
  const dnnl_version_t *v = dnnl_version();
  info.name = "onednn";
  info.runnerVersion = kRunnerVersion;
  info.library = "oneDNN";
  info.libraryVersion = std::to_string(v->major) + "." +
                        std::to_string(v->minor) + "." +
                        std::to_string(v->patch);
  info.device = cpuModelName();
  info.isa = effectiveIsaName();
  info.threads = omp_get_max_threads();
  info.kinds = {"conv2d",  "matmul", "pool2d",  "eltwise",      "binary",
                "reshape", "reduce", "softmax", "transpose",    "cast",
                "concat",  "slice",  "norm",    "inner_product"};
  info.dtypes = dtypes;
  info.extra["library_hash"] = v->hash ? v->hash : "";
  info.extra["cpu_runtime"] = "OpenMP";
  info.extra["post_ops"] = {"sum", "eltwise", "binary"};
  info.extra["affinity"] = cpuAffinity();
  if (!peakGflops.is_null())
    info.extra["peak_gflops"] = peakGflops;
  if (peakGbs)
    info.extra["peak_gbs"] = *peakGbs;
  else if (!peakGbsError.empty())
    info.extra["peak_gbs_error"] = peakGbsError;
  return info;
}

void OneDnnBackend::ensurePeak(const MeasureOptions &options) {
  if (!options.measurePeak || !peakGflops.is_null())
    return;
  peakGflops = measurePeaks(engine, stream, effectiveIsaName());
  StatusOr<double> gbs = measureCopyGbs(engine, stream, PeakOptions{});
  if (gbs)
    peakGbs = *gbs;
  else
    peakGbsError = gbs.status().message();
}

CheckResult OneDnnBackend::checkOutput(
    const Plan &plan, const Layer &layer, dnnl::memory &dst,
    const MeasureOptions &options,
    const std::optional<dnnl::memory::desc> &planLayout) {
  // The output in plain f32, whatever layout and type the primitive chose.
  TensorDesc out = plan.tensor(layer.outputs[0]);
  out.dtype = DType::kF32;
  std::vector<float> actual(static_cast<size_t>(out.numElements()));
  dnnl::memory plain(planLayout
                         ? retyped(*planLayout, dnnl::memory::data_type::f32)
                         : plainDesc(out),
                     engine, actual.data());
  dnnl::memory source = dst;
  if (describedInPlanOrder(layer))
    // A transpose's destination is described in source order with strides
    // that lay it out as the plan's row-major output (a norm's in the plan's
    // own order): read it as the plan's plain output.
    source = dnnl::memory(plainDesc(plan.tensor(layer.outputs[0])), engine,
                          dst.get_data_handle());
  dnnl::reorder(source, plain).execute(stream, source, plain);
  stream.wait();
  std::unordered_map<int64_t, std::vector<float>> inputs;
  return checkLayerOutput(
      plan, layer,
      [&](int64_t id) -> const std::vector<float> & {
        auto it = inputs.find(id);
        if (it == inputs.end())
          it = inputs.emplace(id, seededTensorData(plan, id, options.seed))
                   .first;
        return it->second;
      },
      actual, options.seed);
}

LayerResult OneDnnBackend::measureLayer(const Plan &plan, const Layer &layer,
                                        const MeasureOptions &options) {
  LayerResult result;
  result.id = layer.id;
  result.hash = layer.hash;
  result.repro = benchdnnLine(plan, layer);
  result.check.verdict = CheckVerdict::kSkipped;
  result.check.reason = "check disabled (options.check)";
  if (options.threads > 0)
    omp_set_num_threads(options.threads);
  ensurePeak(options);
  StatusOr<BuiltLayer> built = buildLayer(engine, plan, layer, Layout::kAny);
  if (!built) {
    result.measurement = skipped(built.status().message());
    return result;
  }
  if (built->isView) {
    result.impl = "view";
    result.measurement = skipped("view: a reshape moves no data");
    return result;
  }
  result.impl = built->impl;
  try {
    std::unordered_map<int, dnnl::memory> args;
    std::vector<dnnl::memory> owners; // whole tensors behind views
    const BuiltLayer::Arg *dstArg = findArg(*built, DNNL_ARG_DST);
    // A sum post-op accumulates into the destination: it starts as the
    // sum's operand, and is filled again before the checked execution.
    auto freshDestination = [&] {
      return built->sumInput >= 0
                 ? seededMemory(engine, stream, plan, built->sumInput,
                                dstArg->desc, options.seed, false,
                                dstArg->planLayout)
                 : dnnl::memory(dstArg->desc, engine);
    };
    for (const BuiltLayer::Arg &arg : built->args) {
      if (arg.tensorId == layer.outputs[0]) {
        args[arg.dnnlArg] = freshDestination();
      } else if (arg.storage) {
        owners.push_back(seededMemory(engine, stream, plan, arg.tensorId,
                                      *arg.storage, options.seed));
        args[arg.dnnlArg] =
            dnnl::memory(arg.desc, engine, owners.back().get_data_handle());
      } else {
        args[arg.dnnlArg] = seededMemory(
            engine, stream, plan, arg.tensorId, arg.desc, options.seed,
            describedInPlanOrder(layer), arg.planLayout);
      }
    }
    result.measurement = measureWallClock(
        [&] {
          built->primitive.execute(stream, args);
          stream.wait();
        },
        options);
    if (options.check && result.measurement.status == ResultStatus::kOk) {
      if (built->sumInput >= 0) {
        args[DNNL_ARG_DST] = freshDestination();
        built->primitive.execute(stream, args);
        stream.wait();
      }
      result.check = checkOutput(plan, layer, args.at(DNNL_ARG_DST), options,
                                 dstArg->planLayout);
    }
  } catch (const dnnl::error &e) {
    result.measurement.status = ResultStatus::kError;
    result.measurement.reason =
        layer.describe() + ": oneDNN execution failed: " + e.what();
  }
  return result;
}

ModelResult OneDnnBackend::measureModel(const Plan &plan,
                                        const MeasureOptions &options) {
  ModelResult result;
  if (options.threads > 0)
    omp_set_num_threads(options.threads);
  ensurePeak(options);
  try {
    // One buffer per tensor in its plain (row-major) layout; a reshape's
    // output shares its input's buffer.
    std::vector<std::shared_ptr<std::vector<char>>> buffers(
        plan.tensors.size());
    for (const TensorDesc &t : plan.tensors) {
      if (!toDnnlType(t.dtype)) {
        result.measurement = skipped("tensor '" + t.name + "' has type " +
                                     std::string(dtypeName(t.dtype)));
        return result;
      }
      if (t.role == TensorRole::kActivation &&
          plan.layers[plan.producerOf(t.id)].kind == LayerKind::kReshape)
        continue;
      buffers[t.id] =
          std::make_shared<std::vector<char>>(plainDesc(t).get_size());
      if (t.role != TensorRole::kActivation) {
        dnnl::memory filled = seededMemory(engine, stream, plan, t.id,
                                           plainDesc(t), options.seed);
        std::memcpy(buffers[t.id]->data(), filled.get_data_handle(),
                    buffers[t.id]->size());
      }
    }
    struct Step {
      BuiltLayer built;
      std::unordered_map<int, dnnl::memory> args;
    };
    std::vector<Step> steps;
    std::vector<dnnl::memory> keepAlive;
    for (const Layer &layer : plan.layers) {
      StatusOr<BuiltLayer> built =
          buildLayer(engine, plan, layer, Layout::kPlain);
      if (!built) {
        result.measurement = skipped(built.status().message());
        return result;
      }
      if (built->isView) {
        buffers[layer.outputs[0]] = buffers[layer.inputs[0]];
        continue;
      }
      if (int64_t sum = built->sumInput; sum >= 0) {
        // A sum post-op accumulates into the destination: it takes over the
        // operand's buffer when nothing reads the operand later, else the
        // operand is copied into it first.
        const int64_t out = layer.outputs[0];
        if (canAccumulateInPlace(plan, layer, sum, buffers)) {
          buffers[out] = buffers[sum];
        } else {
          dnnl::memory from(plainDesc(plan.tensor(sum)), engine,
                            buffers[sum]->data());
          dnnl::memory to(plainDesc(plan.tensor(out)), engine,
                          buffers[out]->data());
          Step copy;
          copy.built.primitive = dnnl::reorder(from, to);
          copy.built.impl = "sum operand copy";
          copy.args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
          steps.push_back(std::move(copy));
        }
      }
      Step step{std::move(*built), {}};
      for (const BuiltLayer::Arg &arg : step.built.args) {
        const TensorDesc &t = plan.tensor(arg.tensorId);
        if (t.role == TensorRole::kWeight && arg.desc != plainDesc(t)) {
          // Weights in the primitive's preferred layout, reordered once,
          // outside the timing, as inference frameworks do.
          keepAlive.push_back(seededMemory(engine, stream, plan, t.id, arg.desc,
                                           options.seed, false,
                                           arg.planLayout));
          step.args[arg.dnnlArg] = keepAlive.back();
          continue;
        }
        step.args[arg.dnnlArg] =
            dnnl::memory(arg.desc, engine, buffers[arg.tensorId]->data());
      }
      steps.push_back(std::move(step));
    }
    result.measurement = measureWallClock(
        [&] {
          for (Step &step : steps)
            step.built.primitive.execute(stream, step.args);
          stream.wait();
        },
        options);
  } catch (const dnnl::error &e) {
    result.measurement.status = ResultStatus::kError;
    result.measurement.reason =
        std::string("oneDNN failed running the model: ") + e.what();
  }
  return result;
}

} // namespace goodhart::onednn
