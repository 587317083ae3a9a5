//===- CudaCopies.cpp - Transpose, slice, concat and cast on the GPU ------===//
//
// Layers that only move (and perhaps convert) data, run as a framework
// runs them rather than through cuDNN: cudnnTransformTensor moved strided
// views at 70 GB/s on an H200 (a ResNet-50 stride trim took 1.36 ms;
// BERT-large's head transposes 17.5 of its 24 ms), which would have
// measured goodhart's choice of call, not the vendor's convolutions and
// GEMMs. Slices and concats whose views are pitched run as
// cudaMemcpy3DAsync; everything else (transposes, casts, other strided
// views) as goodhart's strided copy kernel (StridedCopy.cu).
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnOps.h"

#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/StridedCopy.h"

namespace goodhart::cuda {
namespace {

std::optional<CopyElement> copyElement(DType type) {
  switch (type) {
  case DType::kF32:
    return CopyElement::kF32;
  case DType::kBF16:
    return CopyElement::kBF16;
  case DType::kF16:
    return CopyElement::kF16;
  default:
    return std::nullopt;
  }
}

/// The largest power of two, at most 16, that divides the address.
int alignmentOf(const void *p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  int bytes = 16;
  while (bytes > 1 && a % bytes != 0)
    bytes /= 2;
  return bytes;
}

class CopyExecutor final : public LayerExecutor {
public:
  struct Copy {
    const void *x = nullptr; // at the view's offsets (pitched copies) or
    void *y = nullptr;       // the tensors' bases (kernel copies)
    /// Set when cudaMemcpy3DAsync moves it; otherwise the kernel does.
    std::optional<PitchedCopy> pitched;
    size_t elementBytes = 0;
    StridedCopyPlan kernel;
    CopyElement xType = CopyElement::kRaw, yType = CopyElement::kRaw;
  };
  Status run() override {
    for (const Copy &c : copies) {
      if (!c.pitched) {
        GOODHART_CUDA_CHECK(
            launchStridedCopy(c.kernel, c.xType, c.yType, c.x, c.y, stream));
        continue;
      }
      const PitchedCopy &p = *c.pitched;
      const size_t e = c.elementBytes;
      if (p.height == 1 && p.depth == 1) {
        // One run of bytes: a plain copy (a pitch is limited to
        // cudaDeviceProp::memPitch, 2 GiB, and one row's pitch is its size).
        GOODHART_CUDA_CHECK(cudaMemcpyAsync(c.y, c.x, p.width * e,
                                            cudaMemcpyDeviceToDevice, stream));
        continue;
      }
      cudaMemcpy3DParms parms = {};
      parms.srcPtr = make_cudaPitchedPtr(const_cast<void *>(c.x), p.xPitch * e,
                                         p.width * e, p.xRows);
      parms.dstPtr =
          make_cudaPitchedPtr(c.y, p.yPitch * e, p.width * e, p.yRows);
      parms.extent = make_cudaExtent(p.width * e, p.height, p.depth);
      parms.kind = cudaMemcpyDeviceToDevice;
      GOODHART_CUDA_CHECK(cudaMemcpy3DAsync(&parms, stream));
    }
    return Status::ok();
  }
  cudaStream_t stream = nullptr;
  std::vector<Copy> copies;
};

/// The copy of `view` from `src` to `dst`: pitched where the runtime can
/// move it and the types agree, the kernel otherwise.
StatusOr<CopyExecutor::Copy> planCopy(const CopyView &view,
                                      const TensorDesc &src, const void *x,
                                      const TensorDesc &dst, void *y) {
  CopyExecutor::Copy c;
  const bool convert = src.dtype != dst.dtype;
  if (!convert)
    if (auto p = pitchedCopy(view)) {
      c.x = static_cast<const char *>(x) + view.xOffset * dtypeSize(src.dtype);
      c.y = static_cast<char *>(y) + view.yOffset * dtypeSize(dst.dtype);
      c.pitched = *p;
      c.elementBytes = static_cast<size_t>(dtypeSize(src.dtype));
      return c;
    }
  if (convert) {
    auto xType = copyElement(src.dtype), yType = copyElement(dst.dtype);
    if (!xType || !yType)
      return unsupported("no conversion from " +
                         std::string(dtypeName(src.dtype)) + " to " +
                         std::string(dtypeName(dst.dtype)));
    c.xType = *xType;
    c.yType = *yType;
  }
  auto plan = planStridedCopy(view, static_cast<int>(dtypeSize(src.dtype)),
                              static_cast<int>(dtypeSize(dst.dtype)), convert,
                              std::min(alignmentOf(x), alignmentOf(y)));
  if (!plan)
    return plan.status();
  c.kernel = *plan;
  c.x = x;
  c.y = y;
  return c;
}

/// "cudaMemcpy3DAsync", "goodhart strided copy (tiled, 2B units)", or
/// both joined by " + " when a concat's pieces differ.
std::string describeCopies(const std::vector<CopyExecutor::Copy> &copies) {
  std::vector<std::string> names;
  for (const CopyExecutor::Copy &c : copies) {
    std::string name = c.pitched ? "cudaMemcpy3DAsync"
                                 : "goodhart strided copy (" +
                                       describeStridedCopy(c.kernel) + ")";
    if (std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(name);
  }
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "" : " + ") + n;
  return s;
}

} // namespace

ExecutorOr buildBroadcast(const CudaContext &ctx, const TensorDesc &x,
                          const void *xPtr, const TensorDesc &y, void *yPtr,
                          const BuildOptions &options) {
  auto v = broadcastView(x.shape, deviceStrides(x.shape, options.layout),
                         y.shape, deviceStrides(y.shape, options.layout));
  if (!v)
    return v.status();
  auto c = planCopy(*v, x, xPtr, y, yPtr);
  if (!c)
    return c.status();
  auto exec = std::make_unique<CopyExecutor>();
  exec->stream = ctx.stream;
  exec->copies.push_back(*c);
  exec->impl = describeCopies(exec->copies) + " broadcast";
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

ExecutorOr buildCopy(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options) {
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  const std::vector<int64_t> outStrides =
      deviceStrides(dst.shape, options.layout);
  auto strides = [&](const TensorDesc &t) {
    return deviceStrides(t.shape, options.layout);
  };
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  StatusOr<std::vector<CopyView>> views = std::vector<CopyView>{};
  auto one = [](StatusOr<CopyView> v) -> StatusOr<std::vector<CopyView>> {
    if (!v)
      return v.status();
    return std::vector<CopyView>{*v};
  };
  const std::string what(layerKindName(layer.kind));
  switch (layer.kind) {
  case LayerKind::kTranspose: {
    auto perm = layer.getInts("perm", dst.shape.size());
    if (!perm)
      return perm.status();
    views = one(transposeView(src.shape, strides(src), outStrides, *perm));
    break;
  }
  case LayerKind::kSlice: {
    auto start = layer.getInts("start", dst.shape.size());
    if (!start)
      return start.status();
    views =
        one(sliceView(src.shape, strides(src), dst.shape, outStrides, *start));
    break;
  }
  case LayerKind::kConcat: {
    auto axis = layer.getInt("axis");
    if (!axis)
      return axis.status();
    std::vector<std::vector<int64_t>> shapes, inStrides;
    for (int64_t id : layer.inputs) {
      shapes.push_back(plan.tensor(id).shape);
      inStrides.push_back(strides(plan.tensor(id)));
    }
    views = concatViews(shapes, inStrides, dst.shape, outStrides, *axis);
    break;
  }
  case LayerKind::kReshape: // one that moves data (NCHW-stored)
    views = one(reshapeView(src.shape, strides(src), dst.shape, outStrides));
    break;
  case LayerKind::kCast:
    if (src.shape != dst.shape)
      return invalidInput(layer.describe() + ": a cast changes the shape");
    views = one(CopyView{dst.shape, strides(src), outStrides});
    break;
  default:
    return invalidInput(layer.describe() + ": not a copy");
  }
  if (!views)
    return views.status().withContext(layer.describe());
  auto exec = std::make_unique<CopyExecutor>();
  exec->stream = ctx.stream;
  for (size_t i = 0; i < views->size(); ++i) {
    const TensorDesc &in = plan.tensor(layer.inputs[i]);
    if (in.dtype != dst.dtype && layer.kind != LayerKind::kCast)
      return unsupported(layer.describe() + ": element types differ");
    auto c = planCopy((*views)[i], in, ptr[in.id], dst, ptr[dst.id]);
    if (!c)
      return c.status().withContext(layer.describe());
    exec->copies.push_back(*c);
  }
  exec->impl = describeCopies(exec->copies) + " " + what +
               (views->size() > 1 ? " x" + std::to_string(views->size()) : "");
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace goodhart::cuda
