//===- CudnnGraph.cpp - Graphs of the cuDNN backend API -------------------===//

#include "runners/cudnn/CudnnGraph.h"

#include "runners/cudnn/CudaCheck.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

namespace goodhart::cuda {
namespace {

template <typename T>
Status setAttr(const Descriptor &d, cudnnBackendAttributeName_t name,
               cudnnBackendAttributeType_t type, int64_t count,
               const T *values) {
  GOODHART_CUDNN_CHECK(
      cudnnBackendSetAttribute(d->get(), name, type, count, values));
  return Status::ok();
}

Status setDescriptors(const Descriptor &d, cudnnBackendAttributeName_t name,
                      const std::vector<Descriptor> &values) {
  std::vector<cudnnBackendDescriptor_t> raw;
  for (const Descriptor &v : values)
    raw.push_back(v->get());
  return setAttr(d, name, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                 static_cast<int64_t>(raw.size()), raw.data());
}

Status finalizeDescriptor(const Descriptor &d) {
  GOODHART_CUDNN_CHECK(cudnnBackendFinalize(d->get()));
  return Status::ok();
}

StatusOr<Descriptor> makeTensor(const GraphTensor &t) {
  auto d = BackendDescriptor::create(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  if (!d)
    return d.status();
  int64_t alignment = 16;
  GOODHART_RETURN_IF_ERROR(setAttr(*d, CUDNN_ATTR_TENSOR_DATA_TYPE,
                                   CUDNN_TYPE_DATA_TYPE, 1, &t.type));
  GOODHART_RETURN_IF_ERROR(
      setAttr(*d, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64,
              static_cast<int64_t>(t.dims.size()), t.dims.data()));
  GOODHART_RETURN_IF_ERROR(
      setAttr(*d, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64,
              static_cast<int64_t>(t.strides.size()), t.strides.data()));
  GOODHART_RETURN_IF_ERROR(
      setAttr(*d, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &t.uid));
  GOODHART_RETURN_IF_ERROR(setAttr(*d, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT,
                                   CUDNN_TYPE_INT64, 1, &alignment));
  if (t.byValue) {
    bool byValue = true;
    GOODHART_RETURN_IF_ERROR(setAttr(*d, CUDNN_ATTR_TENSOR_IS_BY_VALUE,
                                     CUDNN_TYPE_BOOLEAN, 1, &byValue));
  }
  if (t.isVirtual) {
    bool isVirtual = true;
    GOODHART_RETURN_IF_ERROR(setAttr(*d, CUDNN_ATTR_TENSOR_IS_VIRTUAL,
                                     CUDNN_TYPE_BOOLEAN, 1, &isVirtual));
  }
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*d));
  return *d;
}

/// makeTensor, its descriptor kept alive in `keep`.
StatusOr<Descriptor> makeKept(const GraphTensor &t,
                              std::vector<Descriptor> &keep) {
  auto d = makeTensor(t);
  if (d)
    keep.push_back(*d);
  return d;
}

/// An engine configuration's engine.
StatusOr<Descriptor> configEngine(const Descriptor &config) {
  auto engine = BackendDescriptor::create(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  if (!engine)
    return engine.status();
  cudnnBackendDescriptor_t raw = (*engine)->get();
  int64_t n = 0;
  GOODHART_CUDNN_CHECK(
      cudnnBackendGetAttribute(config->get(), CUDNN_ATTR_ENGINECFG_ENGINE,
                               CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &raw));
  return *engine;
}

/// The numerical notes of an engine configuration's engine.
StatusOr<std::vector<cudnnBackendNumericalNote_t>>
numericalNotes(const Descriptor &config) {
  auto engine = configEngine(config);
  if (!engine)
    return engine.status();
  cudnnBackendDescriptor_t raw = (*engine)->get();
  int64_t n = 0;
  std::vector<cudnnBackendNumericalNote_t> notes(
      CUDNN_NUMERICAL_NOTE_TYPE_COUNT);
  GOODHART_CUDNN_CHECK(cudnnBackendGetAttribute(
      raw, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
      static_cast<int64_t>(notes.size()), &n, notes.data()));
  notes.resize(static_cast<size_t>(std::max<int64_t>(n, 0)));
  return notes;
}

/// The engine a finalized plan runs: the id and knobs of its JSON form, read
/// whatever its length; where the plan has no JSON form, its engine's global
/// index. Empty when neither can be read.
std::string planEngineName(const Descriptor &plan, const Descriptor &config) {
  int64_t size = 0;
  if (cudnnBackendGetAttribute(
          plan->get(), CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION,
          CUDNN_TYPE_CHAR, 0, &size, nullptr) == CUDNN_STATUS_SUCCESS &&
      size > 0) {
    std::string json(static_cast<size_t>(size) + 1, '\0');
    int64_t n = 0;
    if (cudnnBackendGetAttribute(
            plan->get(), CUDNN_ATTR_EXECUTION_PLAN_JSON_REPRESENTATION,
            CUDNN_TYPE_CHAR, size, &n, json.data()) == CUDNN_STATUS_SUCCESS) {
      json.resize(std::strlen(json.c_str()));
      if (!json.empty())
        return engineName(json);
    }
  }
  auto engine = configEngine(config);
  int64_t index = -1, n = 0;
  if (!engine || cudnnBackendGetAttribute(
                     (*engine)->get(), CUDNN_ATTR_ENGINE_GLOBAL_INDEX,
                     CUDNN_TYPE_INT64, 1, &n, &index) != CUDNN_STATUS_SUCCESS)
    return std::string();
  return "engine " + std::to_string(index);
}

/// The engine configurations the heuristics propose in `mode`.
StatusOr<std::vector<Descriptor>>
heuristicConfigs(const Descriptor &graph, cudnnBackendHeurMode_t mode) {
  auto heuristics =
      BackendDescriptor::create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  if (!heuristics)
    return heuristics.status();
  GOODHART_RETURN_IF_ERROR(setDescriptors(
      *heuristics, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, {graph}));
  GOODHART_RETURN_IF_ERROR(setAttr(*heuristics, CUDNN_ATTR_ENGINEHEUR_MODE,
                                   CUDNN_TYPE_HEUR_MODE, 1, &mode));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*heuristics));
  int64_t count = 0;
  GOODHART_CUDNN_CHECK(cudnnBackendGetAttribute(
      (*heuristics)->get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
      CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr));
  std::vector<Descriptor> configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < count; ++i) {
    auto cfg = BackendDescriptor::create(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
    if (!cfg)
      return cfg.status();
    configs.push_back(*cfg);
    raw.push_back((*cfg)->get());
  }
  if (count == 0)
    return configs;
  int64_t returned = 0;
  GOODHART_CUDNN_CHECK(cudnnBackendGetAttribute(
      (*heuristics)->get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
      CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &returned, raw.data()));
  configs.resize(static_cast<size_t>(std::min(returned, count)));
  return configs;
}

std::string tensorKey(const GraphTensor &t) {
  std::string key = "t" + std::to_string(t.uid) + ":" +
                    std::to_string(static_cast<int>(t.type)) +
                    (t.byValue ? "v" : "") + (t.isVirtual ? "~" : "") + "[";
  for (int64_t d : t.dims)
    key += std::to_string(d) + ",";
  key += "/";
  for (int64_t s : t.strides)
    key += std::to_string(s) + ",";
  return key + "]";
}

std::string intsKey(const std::vector<int64_t> &values) {
  std::string key = "(";
  for (int64_t v : values)
    key += std::to_string(v) + ",";
  return key + ")";
}

std::string filterKey(const EngineFilter &filter) {
  return filter.strictF32 ? "strict|" : "any|";
}

std::string clipKey(bool clip, double lower, double upper) {
  if (!clip)
    return std::string();
  // Every bit of the bounds: they are baked into the cached plan.
  char key[64];
  std::snprintf(key, sizeof key, "clip%a,%a", lower, upper);
  return key;
}

/// The pointwise operation Y = MODE(X) or X MODE B; what it is built from
/// goes to `keep`.
StatusOr<Descriptor> pointwiseOperation(cudnnPointwiseMode_t mode,
                                        const Descriptor &xd,
                                        const Descriptor *bd,
                                        const Descriptor &yd, bool clip,
                                        double lowerClip, double upperClip,
                                        std::vector<Descriptor> &keep) {
  auto pw = BackendDescriptor::create(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  if (!pw)
    return pw.status();
  cudnnDataType_t precision = CUDNN_DATA_FLOAT;
  GOODHART_RETURN_IF_ERROR(setAttr(*pw, CUDNN_ATTR_POINTWISE_MODE,
                                   CUDNN_TYPE_POINTWISE_MODE, 1, &mode));
  GOODHART_RETURN_IF_ERROR(setAttr(*pw, CUDNN_ATTR_POINTWISE_MATH_PREC,
                                   CUDNN_TYPE_DATA_TYPE, 1, &precision));
  if (clip) {
    // The math is f32: a bound beyond its range (an open-ended clamp) is its
    // largest value, as cudnn-frontend sets it.
    const double fltMax = std::numeric_limits<float>::max();
    lowerClip = std::clamp(lowerClip, -fltMax, fltMax);
    upperClip = std::clamp(upperClip, -fltMax, fltMax);
    GOODHART_RETURN_IF_ERROR(setAttr(*pw, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP,
                                     CUDNN_TYPE_DOUBLE, 1, &lowerClip));
    GOODHART_RETURN_IF_ERROR(setAttr(*pw, CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP,
                                     CUDNN_TYPE_DOUBLE, 1, &upperClip));
  }
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*pw));
  keep.push_back(*pw);
  auto op =
      BackendDescriptor::create(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  if (!op)
    return op.status();
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, {*pw}));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, {xd}));
  if (bd)
    GOODHART_RETURN_IF_ERROR(
        setDescriptors(*op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, {*bd}));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, {yd}));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*op));
  return *op;
}

} // namespace

const PlanCache::Entry *PlanCache::find(const std::string &key) const {
  auto it = entries.find(key);
  return it == entries.end() ? nullptr : &it->second;
}

void PlanCache::insert(const std::string &key, Entry entry) {
  entries.emplace(key, std::move(entry));
}

const Status *PlanCache::refusal(const std::string &key) const {
  auto it = refusals.find(key);
  return it == refusals.end() ? nullptr : &it->second;
}

void PlanCache::refuse(const std::string &key, Status why) {
  refusals.emplace(key, std::move(why));
}

StatusOr<std::unique_ptr<CudnnGraph>>
CudnnGraph::cached(cudnnHandle_t handle, PlanCache *cache,
                   const std::string &key) {
  if (!cache)
    return std::unique_ptr<CudnnGraph>();
  if (const Status *why = cache->refusal(key)) {
    ++cache->hits;
    return *why;
  }
  const PlanCache::Entry *e = cache->find(key);
  if (!e)
    return std::unique_ptr<CudnnGraph>();
  ++cache->hits;
  return fromCache(handle, *e);
}

std::unique_ptr<CudnnGraph>
CudnnGraph::fromCache(cudnnHandle_t handle, const PlanCache::Entry &entry) {
  auto graph = std::unique_ptr<CudnnGraph>(new CudnnGraph());
  graph->handle = handle;
  graph->plan = entry.plan;
  graph->keepAlive = entry.keepAlive;
  graph->engineJson = entry.engine;
  graph->workspace = entry.workspace;
  return graph;
}

StatusOr<std::unique_ptr<CudnnGraph>>
CudnnGraph::planned(cudnnHandle_t handle, PlanCache *cache,
                    const std::string &key, const EngineFilter &filter,
                    std::vector<Descriptor> operations,
                    std::vector<Descriptor> keepAlive) {
  auto graph =
      build(handle, filter, std::move(operations), std::move(keepAlive));
  if (!cache)
    return graph;
  ++cache->misses;
  if (graph)
    cache->insert(key, {(*graph)->plan, (*graph)->keepAlive,
                        (*graph)->engineJson, (*graph)->workspace});
  else if (graph.status().code() == StatusCode::kUnsupported)
    cache->refuse(key, graph.status());
  return graph;
}

std::string engineName(const std::string &planJson) {
  nlohmann::json plan = nlohmann::json::parse(planJson, nullptr, false);
  if (plan.is_discarded() || !plan.is_object() || !plan.contains("engine") ||
      !plan["engine"].is_object())
    return planJson.substr(0, 120);
  const nlohmann::json &engine = plan["engine"];
  std::string name =
      "engine " + std::to_string(engine.value("engineId", int64_t(-1)));
  if (engine.contains("knobChoices") && engine["knobChoices"].is_object())
    for (auto it = engine["knobChoices"].begin();
         it != engine["knobChoices"].end(); ++it) {
      std::string knob = it.key();
      const std::string prefix = "CUDNN_KNOB_TYPE_";
      if (knob.rfind(prefix, 0) == 0)
        knob = knob.substr(prefix.size());
      name += " " + knob + "=" + it.value().dump();
    }
  return name;
}

StatusOr<std::shared_ptr<BackendDescriptor>>
BackendDescriptor::create(cudnnBackendDescriptorType_t type) {
  auto d = std::shared_ptr<BackendDescriptor>(new BackendDescriptor());
  GOODHART_CUDNN_CHECK(cudnnBackendCreateDescriptor(type, &d->desc));
  return d;
}

BackendDescriptor::~BackendDescriptor() {
  if (desc)
    cudnnBackendDestroyDescriptor(desc);
}

std::optional<cudnnDataType_t> toCudnnType(DType type) {
  switch (type) {
  case DType::kF32:
    return CUDNN_DATA_FLOAT;
  case DType::kF16:
    return CUDNN_DATA_HALF;
  case DType::kBF16:
    return CUDNN_DATA_BFLOAT16;
  default:
    return std::nullopt;
  }
}

StatusOr<GraphTensor> graphTensor(const TensorDesc &t, int64_t uid,
                                  DeviceLayout layout) {
  auto view = nchwView(t.shape, deviceStrides(t.shape, layout));
  if (!view)
    return view.status();
  GraphTensor g;
  g.uid = uid;
  g.type = toCudnnType(t.dtype).value_or(CUDNN_DATA_FLOAT);
  g.dims = view->dims;
  g.strides = view->strides;
  return g;
}

StatusOr<std::vector<GraphTensor>>
pointwiseTensors(const std::vector<const TensorDesc *> &tensors,
                 const std::vector<int64_t> &uids, DeviceLayout layout) {
  std::vector<GraphTensor> out;
  size_t rank = 0;
  for (const TensorDesc *t : tensors)
    rank = std::max(rank, t->shape.size());
  if (rank <= 4) {
    for (size_t i = 0; i < tensors.size(); ++i) {
      auto g = graphTensor(*tensors[i], uids[i], layout);
      if (!g)
        return g.status();
      out.push_back(*g);
    }
    return out;
  }
  std::vector<std::vector<int64_t>> shapes;
  for (const TensorDesc *t : tensors)
    shapes.push_back(t->shape);
  auto views = mergedPointwiseViews(shapes);
  if (!views)
    return views.status();
  for (size_t i = 0; i < tensors.size(); ++i) {
    // The merged view is packed in plan order; its innermost group becomes
    // C (stride 1), as the rank-4 NHWC tensors cuDNN has engines for.
    auto view = nchwView((*views)[i].dims, (*views)[i].strides);
    if (!view)
      return view.status();
    GraphTensor g;
    g.uid = uids[i];
    g.type = toCudnnType(tensors[i]->dtype).value_or(CUDNN_DATA_FLOAT);
    g.dims = view->dims;
    g.strides = view->strides;
    out.push_back(std::move(g));
  }
  return out;
}

bool engineAllowed(const EngineFilter &filter,
                   const std::vector<cudnnBackendNumericalNote_t> &notes) {
  if (!filter.strictF32)
    return true;
  for (cudnnBackendNumericalNote_t note : notes)
    if (note == CUDNN_NUMERICAL_NOTE_TENSOR_CORE ||
        note == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS ||
        note == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION)
      return false;
  return true;
}

std::string numericalNoteName(cudnnBackendNumericalNote_t note) {
  switch (note) {
  case CUDNN_NUMERICAL_NOTE_TENSOR_CORE:
    return "TENSOR_CORE";
  case CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS:
    return "DOWN_CONVERT_INPUTS";
  case CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION:
    return "REDUCED_PRECISION_REDUCTION";
  case CUDNN_NUMERICAL_NOTE_FFT:
    return "FFT";
  case CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC:
    return "NONDETERMINISTIC";
  case CUDNN_NUMERICAL_NOTE_WINOGRAD:
    return "WINOGRAD";
  case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_4x4:
    return "WINOGRAD_TILE_4x4";
  case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_6x6:
    return "WINOGRAD_TILE_6x6";
  case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_13x13:
    return "WINOGRAD_TILE_13x13";
  case CUDNN_NUMERICAL_NOTE_STRICT_NAN_PROP:
    return "STRICT_NAN_PROP";
  default:
    return "NOTE_" + std::to_string(static_cast<int>(note));
  }
}

StatusOr<std::unique_ptr<CudnnGraph>> CudnnGraph::convolution(
    cudnnHandle_t handle, PlanCache *cache, const EngineFilter &filter,
    const GraphTensor &x, const GraphTensor &w, const GraphTensor &y,
    const std::vector<int64_t> &stride, const std::vector<int64_t> &padBefore,
    const std::vector<int64_t> &padAfter, const std::vector<int64_t> &dilation,
    const std::vector<ChainStep> &steps) {
  std::string key = "conv|" + filterKey(filter) + tensorKey(x) + tensorKey(w) +
                    tensorKey(y) + intsKey(stride) + intsKey(padBefore) +
                    intsKey(padAfter) + intsKey(dilation);
  for (const ChainStep &step : steps)
    key += "|" + std::to_string(static_cast<int>(step.mode)) +
           (step.operand ? tensorKey(*step.operand) : std::string("-")) +
           clipKey(step.clip, step.lowerClip, step.upperClip);
  if (auto hit = cached(handle, cache, key); !hit || *hit)
    return hit;
  std::vector<Descriptor> keep;
  auto described = [&](const GraphTensor &t) { return makeKept(t, keep); };
  // Results before the last step are virtual f32 tensors shaped like Y.
  auto result = [&](size_t i) -> StatusOr<Descriptor> {
    if (i == steps.size())
      return described(y);
    GraphTensor v = y;
    v.uid = 100 + static_cast<int64_t>(i);
    v.type = CUDNN_DATA_FLOAT;
    v.isVirtual = true;
    return described(v);
  };
  auto xd = described(x), wd = described(w);
  auto convOut = result(0);
  for (const Status *s : {&xd.status(), &wd.status(), &convOut.status()})
    if (!s->isOk())
      return *s;
  auto conv = BackendDescriptor::create(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  if (!conv)
    return conv.status();
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  int64_t spatial = 2;
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE,
                                   CUDNN_TYPE_DATA_TYPE, 1, &compute));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE,
                                   CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS,
                                   CUDNN_TYPE_INT64, 1, &spatial));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_DILATIONS,
                                   CUDNN_TYPE_INT64, 2, dilation.data()));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES,
                                   CUDNN_TYPE_INT64, 2, stride.data()));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS,
                                   CUDNN_TYPE_INT64, 2, padBefore.data()));
  GOODHART_RETURN_IF_ERROR(setAttr(*conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS,
                                   CUDNN_TYPE_INT64, 2, padAfter.data()));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*conv));
  keep.push_back(*conv);
  auto op = BackendDescriptor::create(
      CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  if (!op)
    return op.status();
  float alpha = 1, beta = 0;
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, {*xd}));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, {*wd}));
  GOODHART_RETURN_IF_ERROR(setDescriptors(
      *op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, {*convOut}));
  GOODHART_RETURN_IF_ERROR(setDescriptors(
      *op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, {*conv}));
  GOODHART_RETURN_IF_ERROR(
      setAttr(*op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA,
              CUDNN_TYPE_FLOAT, 1, &alpha));
  GOODHART_RETURN_IF_ERROR(
      setAttr(*op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA,
              CUDNN_TYPE_FLOAT, 1, &beta));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*op));
  std::vector<Descriptor> operations = {*op};
  Descriptor previous = *convOut;
  for (size_t i = 0; i < steps.size(); ++i) {
    const ChainStep &step = steps[i];
    auto out = result(i + 1);
    if (!out)
      return out.status();
    StatusOr<Descriptor> operand = Descriptor();
    if (step.operand)
      operand = described(*step.operand);
    if (!operand)
      return operand.status();
    auto pointwise = pointwiseOperation(
        step.mode, previous, step.operand ? &*operand : nullptr, *out,
        step.clip, step.lowerClip, step.upperClip, keep);
    if (!pointwise)
      return pointwise.status();
    operations.push_back(*pointwise);
    previous = *out;
  }
  return planned(handle, cache, key, filter, std::move(operations),
                 std::move(keep));
}

StatusOr<std::unique_ptr<CudnnGraph>> CudnnGraph::pointwise(
    cudnnHandle_t handle, PlanCache *cache, const EngineFilter &filter,
    cudnnPointwiseMode_t mode, const GraphTensor &x, const GraphTensor *b,
    const GraphTensor &y, double lowerClip, double upperClip, bool clip) {
  const std::string key = "pointwise|" + filterKey(filter) +
                          std::to_string(static_cast<int>(mode)) +
                          tensorKey(x) +
                          (b ? tensorKey(*b) : std::string("-")) +
                          tensorKey(y) + clipKey(clip, lowerClip, upperClip);
  if (auto hit = cached(handle, cache, key); !hit || *hit)
    return hit;
  std::vector<Descriptor> keep;
  auto xd = makeKept(x, keep), yd = makeKept(y, keep);
  if (!xd)
    return xd.status();
  if (!yd)
    return yd.status();
  StatusOr<Descriptor> bd = Descriptor();
  if (b)
    bd = makeKept(*b, keep);
  if (!bd)
    return bd.status();
  auto op = pointwiseOperation(mode, *xd, b ? &*bd : nullptr, *yd, clip,
                               lowerClip, upperClip, keep);
  if (!op)
    return op.status();
  return planned(handle, cache, key, filter, {*op}, std::move(keep));
}

StatusOr<std::unique_ptr<CudnnGraph>> CudnnGraph::normalization(
    cudnnHandle_t handle, PlanCache *cache, const EngineFilter &filter,
    cudnnBackendNormMode_t mode, const GraphTensor &x, const GraphTensor &scale,
    const GraphTensor *bias, const GraphTensor &epsilon, const GraphTensor &y) {
  const std::string key = "norm|" + filterKey(filter) +
                          std::to_string(static_cast<int>(mode)) +
                          tensorKey(x) + tensorKey(scale) +
                          (bias ? tensorKey(*bias) : std::string("-")) +
                          tensorKey(epsilon) + tensorKey(y);
  if (auto hit = cached(handle, cache, key); !hit || *hit)
    return hit;
  std::vector<Descriptor> keep;
  auto described = [&](const GraphTensor &t) { return makeKept(t, keep); };
  auto xd = described(x), sd = described(scale), ed = described(epsilon),
       yd = described(y);
  for (const Status *s :
       {&xd.status(), &sd.status(), &ed.status(), &yd.status()})
    if (!s->isOk())
      return *s;
  auto op = BackendDescriptor::create(
      CUDNN_BACKEND_OPERATION_NORM_FORWARD_DESCRIPTOR);
  if (!op)
    return op.status();
  cudnnBackendNormFwdPhase_t phase = CUDNN_NORM_FWD_INFERENCE;
  GOODHART_RETURN_IF_ERROR(setAttr(*op, CUDNN_ATTR_OPERATION_NORM_FWD_MODE,
                                   CUDNN_TYPE_NORM_MODE, 1, &mode));
  GOODHART_RETURN_IF_ERROR(setAttr(*op, CUDNN_ATTR_OPERATION_NORM_FWD_PHASE,
                                   CUDNN_TYPE_NORM_FWD_PHASE, 1, &phase));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_NORM_FWD_XDESC, {*xd}));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_NORM_FWD_SCALE_DESC, {*sd}));
  if (bias) {
    auto bd = described(*bias);
    if (!bd)
      return bd.status();
    GOODHART_RETURN_IF_ERROR(
        setDescriptors(*op, CUDNN_ATTR_OPERATION_NORM_FWD_BIAS_DESC, {*bd}));
  }
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_NORM_FWD_EPSILON_DESC, {*ed}));
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*op, CUDNN_ATTR_OPERATION_NORM_FWD_YDESC, {*yd}));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*op));
  return planned(handle, cache, key, filter, {*op}, std::move(keep));
}

StatusOr<std::unique_ptr<CudnnGraph>>
CudnnGraph::build(cudnnHandle_t handle, const EngineFilter &filter,
                  std::vector<Descriptor> operations,
                  std::vector<Descriptor> keepAlive) {
  auto graph =
      BackendDescriptor::create(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  if (!graph)
    return graph.status();
  GOODHART_RETURN_IF_ERROR(
      setDescriptors(*graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, operations));
  GOODHART_RETURN_IF_ERROR(setAttr(*graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE,
                                   CUDNN_TYPE_HANDLE, 1, &handle));
  GOODHART_RETURN_IF_ERROR(finalizeDescriptor(*graph));
  int64_t tried = 0, rejected = 0;
  std::string lastError = "no engine configuration finalized";
  // Mode A first, as frameworks do; the fallback list when none of its
  // configurations passes the filter or finalizes.
  for (cudnnBackendHeurMode_t mode :
       {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    // A mode that fails leaves the other to try, as cudnn-frontend does.
    auto configs = heuristicConfigs(*graph, mode);
    if (!configs) {
      lastError = configs.status().message();
      continue;
    }
    for (const Descriptor &config : *configs) {
      // An engine whose notes cannot be read is no strict f32 engine.
      auto notes = numericalNotes(config);
      if (!notes && filter.strictF32) {
        ++rejected;
        continue;
      }
      if (!notes)
        notes = std::vector<cudnnBackendNumericalNote_t>();
      if (!engineAllowed(filter, *notes)) {
        ++rejected;
        continue;
      }
      ++tried;
      auto plan =
          BackendDescriptor::create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
      if (!plan)
        return plan.status();
      GOODHART_RETURN_IF_ERROR(setAttr(*plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE,
                                       CUDNN_TYPE_HANDLE, 1, &handle));
      GOODHART_RETURN_IF_ERROR(setDescriptors(
          *plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, {config}));
      cudnnStatus_t s = cudnnBackendFinalize((*plan)->get());
      if (s != CUDNN_STATUS_SUCCESS) {
        lastError = cudnnGetErrorString(s);
        continue;
      }
      auto result = std::unique_ptr<CudnnGraph>(new CudnnGraph());
      result->handle = handle;
      result->plan = *plan;
      keepAlive.insert(keepAlive.end(), operations.begin(), operations.end());
      keepAlive.push_back(*graph);
      keepAlive.push_back(config);
      result->keepAlive = std::move(keepAlive);
      int64_t workspace = 0, n = 0;
      GOODHART_CUDNN_CHECK(cudnnBackendGetAttribute(
          (*plan)->get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
          CUDNN_TYPE_INT64, 1, &n, &workspace));
      result->workspace = static_cast<size_t>(workspace);
      result->engineJson = planEngineName(*plan, config);
      if (result->engineJson.empty())
        result->engineJson = "engine config " + std::to_string(tried - 1);
      if (mode == CUDNN_HEUR_MODE_FALLBACK)
        result->engineJson += " (fallback list)";
      std::string noteNames;
      for (cudnnBackendNumericalNote_t note : *notes)
        noteNames += (noteNames.empty() ? "" : ",") + numericalNoteName(note);
      if (!noteNames.empty())
        result->engineJson += " notes=" + noteNames;
      if (rejected > 0)
        result->engineJson +=
            " (" + std::to_string(rejected) +
            " configurations with TF32 or down-converting notes "
            "skipped)";
      return result;
    }
  }
  if (tried == 0 && rejected == 0)
    return unsupported("cuDNN heuristics found no engine for this graph");
  if (tried == 0)
    return unsupported("no strict f32 cuDNN engine: all " +
                       std::to_string(rejected) +
                       " engine configurations use tensor cores or convert "
                       "inputs down (measure with tf32 to allow them)");
  return unsupported("no cuDNN execution plan finalized (" +
                     std::to_string(tried) +
                     " engine configurations tried; last: " + lastError + ")");
}

Status CudnnGraph::bind(const std::vector<int64_t> &uids,
                        const std::vector<void *> &pointers,
                        void *workspacePtr) {
  auto created =
      BackendDescriptor::create(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  if (!created)
    return created.status();
  pack = *created;
  GOODHART_RETURN_IF_ERROR(
      setAttr(pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64,
              static_cast<int64_t>(uids.size()), uids.data()));
  GOODHART_RETURN_IF_ERROR(
      setAttr(pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
              static_cast<int64_t>(pointers.size()), pointers.data()));
  GOODHART_RETURN_IF_ERROR(setAttr(pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE,
                                   CUDNN_TYPE_VOID_PTR, 1, &workspacePtr));
  return finalizeDescriptor(pack);
}

Status CudnnGraph::run() {
  if (!pack)
    return Status(StatusCode::kInternal, "cuDNN graph run before bind");
  GOODHART_CUDNN_CHECK(cudnnBackendExecute(handle, plan->get(), pack->get()));
  return Status::ok();
}

} // namespace goodhart::cuda
