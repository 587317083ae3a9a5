//===- CudnnGraph.h - Graphs of the cuDNN backend API -----------*- C++ -*-===//
//
// Frameworks run cuDNN 9 through its graph (backend) API: describe the
// operations, ask the heuristics for engine configurations, finalize the
// first execution plan that builds, and execute it with a variant pack.
// CudnnGraph does that for one operation, or a convolution with pointwise
// operations fused after it, and remembers the plan's JSON (the
// engine and knobs chosen), which goodhart reports as the implementation.
// Strict f32 graphs skip engine configurations whose numerical notes say
// they use tensor cores (TF32) or convert their inputs down, as PyTorch
// does with allow_tf32=False; heuristics mode A is asked first, then the
// fallback list.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H
#define GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H

#include "runners/common/Plan.h"
#include "runners/common/Status.h"
#include "runners/cudnn/CudnnLayout.h"

#include <cudnn.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace goodhart::cuda {

/// Owns one cudnnBackendDescriptor_t.
class BackendDescriptor {
public:
  static StatusOr<std::shared_ptr<BackendDescriptor>>
  create(cudnnBackendDescriptorType_t type);
  ~BackendDescriptor();
  cudnnBackendDescriptor_t get() const { return desc; }

private:
  cudnnBackendDescriptor_t desc = nullptr;
};
using Descriptor = std::shared_ptr<BackendDescriptor>;

/// A tensor as the graph sees it: N, C, H, W dims with device strides
/// (CudnnLayout's nchwView), its data type and a unique id. A by-value
/// tensor (a scalar such as epsilon) is read from host memory; a virtual
/// one (an intermediate result of a fused graph) is never in memory.
struct GraphTensor {
  int64_t uid = 0;
  std::vector<int64_t> dims;
  std::vector<int64_t> strides;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  bool byValue = false;
  bool isVirtual = false;
};

/// One pointwise operation after a fused graph's first: the previous
/// result MODE operand (which may broadcast), or MODE(result) when there is
/// no operand; clip bounds a RELU_FWD (a clamp).
struct ChainStep {
  cudnnPointwiseMode_t mode = CUDNN_POINTWISE_ADD;
  std::optional<GraphTensor> operand;
  bool clip = false;
  double lowerClip = 0, upperClip = 0;
};

std::optional<cudnnDataType_t> toCudnnType(DType type);
/// The plan tensor stored in `layout`, as cuDNN's N, C, H, W (plan ranks up
/// to 4; conv weights [OC,KH,KW,IC/g] become [OC,IC/g,KH,KW]).
StatusOr<GraphTensor> graphTensor(const TensorDesc &t, int64_t uid,
                                  DeviceLayout layout);

/// The tensors of one pointwise operation (`tensors[i]` gets `uids[i]`):
/// graphTensor each up to rank 4; above it, packed row-major, the views of
/// mergedPointwiseViews with their innermost group as C (stride 1): cuDNN 9
/// has pointwise engines for channels-last strides, not for NCHW-packed ones.
/// kUnsupported names what does not fit.
StatusOr<std::vector<GraphTensor>>
pointwiseTensors(const std::vector<const TensorDesc *> &tensors,
                 const std::vector<int64_t> &uids, DeviceLayout layout);

/// Which engine configurations a graph may use.
struct EngineFilter {
  /// Reject tensor-core (TF32), down-converting and reduced-precision
  /// reduction engines: for f32 graphs measured without TF32.
  bool strictF32 = false;
};

/// Whether an engine with these numerical notes passes the filter.
bool engineAllowed(const EngineFilter &filter,
                   const std::vector<cudnnBackendNumericalNote_t> &notes);

/// Names of the numerical notes an engine has, e.g. "TENSOR_CORE".
std::string numericalNoteName(cudnnBackendNumericalNote_t note);

/// "engine 67 TILE_SIZE=8 ..." from an execution plan's JSON representation
/// (cuDNN's engine id and knob choices; the operation graph is left out).
std::string engineName(const std::string &planJson);

/// Finalized execution plans by the graph they run. Planning a graph (the
/// heuristics query, then finalizing configurations until one builds, which
/// compiles a runtime-fusion kernel for pointwise graphs) takes far longer
/// than running it, and a campaign describes the same graphs again and
/// again: a layer in every variant, every layer again in the whole-model
/// run, one ReLU per equal shape. A plan runs with any pointers (the
/// variant pack), so a graph described again reuses its plan, as
/// frameworks' plan caches do. One cache per cuDNN handle.
class PlanCache {
public:
  struct Entry {
    Descriptor plan;
    std::vector<Descriptor> keepAlive; // what the plan was built from
    std::string engine;
    size_t workspace = 0;
  };
  const Entry *find(const std::string &key) const;
  void insert(const std::string &key, Entry entry);
  /// Why cuDNN refused the graph of `key` (kUnsupported), or null: a graph
  /// without an engine is not planned again (its heuristics and each
  /// configuration's finalize, a runtime compile for fusion engines, cost
  /// the same every time).
  const Status *refusal(const std::string &key) const;
  void refuse(const std::string &key, Status why);
  size_t size() const { return entries.size(); }
  /// Graphs planned, and graphs (or refusals) served from the cache.
  int64_t misses = 0, hits = 0;

private:
  std::map<std::string, Entry> entries;
  std::map<std::string, Status> refusals;
};

/// A finalized execution plan of a graph.
class CudnnGraph {
public:
  /// Convolution forward (cross-correlation) X * W -> Y, then `steps` in
  /// the same graph (cuDNN's runtime fusion): each result but the last is
  /// a virtual f32 tensor (uids 100, 101, ...) shaped like Y; the last step
  /// (the convolution when there are none) writes Y. Each factory plans
  /// through `cache` when it is given.
  static StatusOr<std::unique_ptr<CudnnGraph>> convolution(
      cudnnHandle_t handle, PlanCache *cache, const EngineFilter &filter,
      const GraphTensor &x, const GraphTensor &w, const GraphTensor &y,
      const std::vector<int64_t> &stride, const std::vector<int64_t> &padBefore,
      const std::vector<int64_t> &padAfter,
      const std::vector<int64_t> &dilation,
      const std::vector<ChainStep> &steps = {});
  /// Pointwise `mode` on X (and B when given; B may have size-1 dims that
  /// cuDNN broadcasts) -> Y.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  pointwise(cudnnHandle_t handle, PlanCache *cache, const EngineFilter &filter,
            cudnnPointwiseMode_t mode, const GraphTensor &x,
            const GraphTensor *b, const GraphTensor &y, double lowerClip = 0,
            double upperClip = 0, bool clip = false);
  /// Layer or RMS normalization forward, inference phase: X [rows, C, 1, 1]
  /// normalized over C, times scale [1, C, 1, 1] plus bias (optional for
  /// RMS), epsilon a by-value [1,1,1,1] tensor.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  normalization(cudnnHandle_t handle, PlanCache *cache,
                const EngineFilter &filter, cudnnBackendNormMode_t mode,
                const GraphTensor &x, const GraphTensor &scale,
                const GraphTensor *bias, const GraphTensor &epsilon,
                const GraphTensor &y);

  /// The engine and knobs chosen, as cuDNN describes the plan, with the
  /// engine's numerical notes ("notes=TENSOR_CORE") and, for strict f32
  /// graphs, how many configurations the filter rejected.
  const std::string &engine() const { return engineJson; }
  size_t workspaceBytes() const { return workspace; }
  /// Fixes the data pointers (in the order of the uids given) once.
  Status bind(const std::vector<int64_t> &uids,
              const std::vector<void *> &pointers, void *workspacePtr);
  /// Runs with the bound pointers on the handle's stream.
  Status run();

private:
  /// Plans the graph of `operations` (in order).
  static StatusOr<std::unique_ptr<CudnnGraph>>
  build(cudnnHandle_t handle, const EngineFilter &filter,
        std::vector<Descriptor> operations, std::vector<Descriptor> keepAlive);
  /// `build` through `cache` under `key`.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  planned(cudnnHandle_t handle, PlanCache *cache, const std::string &key,
          const EngineFilter &filter, std::vector<Descriptor> operations,
          std::vector<Descriptor> keepAlive);
  /// The graph of `key` from `cache`, or cuDNN's refusal of it (counted as
  /// a hit); null when neither is there or there is no cache.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  cached(cudnnHandle_t handle, PlanCache *cache, const std::string &key);
  /// A graph running the cached plan of `entry`.
  static std::unique_ptr<CudnnGraph> fromCache(cudnnHandle_t handle,
                                               const PlanCache::Entry &entry);

  cudnnHandle_t handle = nullptr;
  Descriptor plan;
  Descriptor pack;
  std::vector<Descriptor> keepAlive;
  std::string engineJson;
  size_t workspace = 0;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H
