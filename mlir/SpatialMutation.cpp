//===- SpatialMutation.cpp - Change a CNN's input resolution --------------===//
//
// set_spatial sets the height and width of the model's image input (the
// first non-weight rank-4 argument, NHWC, of a model with convolutions or
// pools) and lets every op follow
// (InputSizeSupport.h). Window ops (conv2d, depthwise_conv2d, max_pool2d,
// avg_pool2d) get the padding an exporter would write at the new size,
// since TOSA 1.0 requires (in - 1 + pad_before + pad_after -
// (kernel - 1) * dilation) to divide by the stride:
//
//  * Which rule an op follows is read from its padding at the old size:
//    PyTorch's symmetric padding p (pad_before = p, output
//    floor((in + 2p - k_eff) / s) + 1), or TensorFlow's SAME (output
//    ceil(in / s), the total padding split with the odd one after); an op
//    that matches neither keeps both pads and has pad_after raised by the
//    least that divides.
//  * The rule gives the framework's output size; pad_after is what makes
//    TOSA's extent match it: (out - 1) * s + k_eff - in - pad_before. When
//    that is negative (the framework drops the last rows) pad_after is 0
//    and the input is cut, by the ".trim" slice in front of the op
//    (tosa.slice from offset 0 feeding only this op) if it has one. An op
//    without one gets the ceil-mode size instead (pad_after raised to the
//    next multiple): inserting a slice would add a layer, and variants keep
//    their reference's layer count. A trim slice that is no longer needed
//    keeps the whole input (a copy), for the same reason.
//  * A global average pool (kernel equal to its input, output 1x1) takes
//    the new input size as its kernel.
//
//===----------------------------------------------------------------------===//

#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace goodhart {
namespace {

bool isWindowOp(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp,
                   mlir::tosa::MaxPool2dOp, mlir::tosa::AvgPool2dOp>(op);
}

/// One spatial dimension (0: height, 1: width) of a window op.
struct Window {
  int64_t kernel = 1, stride = 1, dilation = 1, before = 0, after = 0;
  int64_t extent() const { return (kernel - 1) * dilation + 1; }
};

Window windowDim(mlir::Operation *op, unsigned i) {
  auto attr = [&](llvm::StringRef name) {
    return op->getAttrOfType<mlir::DenseI64ArrayAttr>(name);
  };
  Window w;
  w.before = attr("pad")[2 * i];
  w.after = attr("pad")[2 * i + 1];
  w.stride = attr("stride")[i];
  if (auto dilation = attr("dilation"))
    w.dilation = dilation[i];
  if (llvm::isa<mlir::tosa::Conv2DOp>(op))
    w.kernel = shapeOf(op->getOperand(1))[1 + i]; // [OC, KH, KW, IC]
  else if (llvm::isa<mlir::tosa::DepthwiseConv2DOp>(op))
    w.kernel = shapeOf(op->getOperand(1))[i]; // [KH, KW, C, M]
  else
    w.kernel = attr("kernel")[i];
  return w;
}

enum class PadRule { kSymmetric, kSame, kKeep };

/// Padding before and after, and rows to cut off the input's end.
struct Placement {
  int64_t before = 0, after = 0, trim = 0;
  bool operator==(const Placement &) const = default;
};

/// Where `rule` puts window `w` over an input of `in` rows; nullopt when
/// the input is smaller than the window.
std::optional<Placement> place(PadRule rule, const Window &w, int64_t in) {
  int64_t k = w.extent(), s = w.stride;
  Placement p;
  int64_t out = 0;
  switch (rule) {
  case PadRule::kSymmetric:
    if (in + 2 * w.before < k)
      return std::nullopt;
    p.before = w.before;
    out = (in + 2 * w.before - k) / s + 1;
    break;
  case PadRule::kSame: {
    out = (in + s - 1) / s;
    p.before = std::max<int64_t>((out - 1) * s + k - in, 0) / 2;
    break;
  }
  case PadRule::kKeep: {
    if (in + w.before + w.after < k)
      return std::nullopt;
    int64_t rest = (in + w.before + w.after - k) % s;
    return Placement{w.before, w.after + (rest ? s - rest : 0), 0};
  }
  }
  p.after = (out - 1) * s + k - in - p.before;
  if (p.after < 0) {
    p.trim = -p.after;
    p.after = 0;
  }
  return p;
}

/// The rule window `w` followed at the old size: `in` rows of which `trim`
/// were cut by a slice in front of it.
PadRule ruleOf(const Window &w, int64_t in, int64_t trim) {
  Placement was{w.before, w.after, trim};
  for (PadRule rule : {PadRule::kSymmetric, PadRule::kSame})
    if (place(rule, w, in) == was)
      return rule;
  return PadRule::kKeep;
}

/// The window op `slice` trims the input of: the slice starts at 0, cuts
/// only height and width, and feeds only that op's input.
mlir::Operation *trimmedWindow(mlir::tosa::SliceOp slice,
                               const OldShapes &old) {
  if (!slice->hasOneUse())
    return nullptr;
  mlir::OpOperand &use = *slice->getUses().begin();
  if (!isWindowOp(use.getOwner()) || use.getOperandNumber() != 0)
    return nullptr;
  auto start = slice.getStart().getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!start ||
      !llvm::all_of(llvm::cast<mlir::DenseIntElementsAttr>(start.getValues())
                        .getValues<llvm::APInt>(),
                    [](const llvm::APInt &v) { return v.isZero(); }))
    return nullptr;
  llvm::ArrayRef<int64_t> in = old.of(slice.getInput1()),
                          out = old.of(slice.getResult());
  if (in.size() != 4 || out.size() != 4 || in[0] != out[0] || in[3] != out[3])
    return nullptr;
  return use.getOwner();
}

/// The trim slice in front of window op `op`, if any.
mlir::tosa::SliceOp trimOf(mlir::Operation *op, const OldShapes &old) {
  auto slice = op->getOperand(0).getDefiningOp<mlir::tosa::SliceOp>();
  return slice && trimmedWindow(slice, old) == op ? slice
                                                  : mlir::tosa::SliceOp();
}

/// Placement of window op `op` along dimension `i` at the new input size.
mlir::FailureOr<Placement> planDim(mlir::Operation *op, unsigned i,
                                   const OldShapes &old) {
  Window w = windowDim(op, i);
  mlir::tosa::SliceOp trim = trimOf(op, old);
  mlir::Value full = trim ? trim.getInput1() : op->getOperand(0);
  int64_t oldFull = old.of(full)[1 + i];
  int64_t oldTrim = oldFull - old.of(op->getOperand(0))[1 + i];
  int64_t in = shapeOf(full)[1 + i];
  std::optional<Placement> p = place(ruleOf(w, oldFull, oldTrim), w, in);
  if (!p)
    return op->emitOpError()
           << "has a " << w.extent() << "-wide window over " << in
           << (i == 0 ? " rows" : " columns")
           << " after the input size change: the input is too small";
  if (p->trim > 0 && !trim) {
    // Nothing to cut with: the ceil-mode output, one row more.
    int64_t rest = (in + p->before - w.extent()) % w.stride;
    p->after = rest ? w.stride - rest : 0;
    p->trim = 0;
  }
  return *p;
}

bool isGlobalPool(mlir::Operation *op, const OldShapes &old) {
  auto pool = llvm::dyn_cast<mlir::tosa::AvgPool2dOp>(op);
  if (!pool)
    return false;
  llvm::ArrayRef<int64_t> in = old.of(pool.getInput()),
                          out = old.of(pool.getResult());
  llvm::ArrayRef<int64_t> kernel = pool.getKernel(), pad = pool.getPad();
  return kernel[0] == in[1] && kernel[1] == in[2] && out[1] == 1 &&
         out[2] == 1 && llvm::all_of(pad, [](int64_t p) { return p == 0; });
}

/// The spatial step of the walk: window padding, global pools, trims.
mlir::FailureOr<bool> visitSpatial(mlir::Operation *op, const OldShapes &old) {
  mlir::OpBuilder builder(op);
  if (auto slice = llvm::dyn_cast<mlir::tosa::SliceOp>(op)) {
    mlir::Operation *window = trimmedWindow(slice, old);
    if (!window || old.of(slice.getInput1()) == shapeOf(slice.getInput1()))
      return false;
    Shape size(shapeOf(slice.getInput1()));
    for (unsigned i = 0; i < 2; ++i) {
      mlir::FailureOr<Placement> p = planDim(window, i, old);
      if (mlir::failed(p))
        return mlir::failure();
      size[1 + i] -= p->trim;
    }
    if (mlir::failed(setShapeOperand(op, slice.getSizeMutable(), size)))
      return mlir::failure();
    return true;
  }
  if (!isWindowOp(op))
    return false;
  mlir::Value in = op->getOperand(0);
  if (old.of(in) == shapeOf(in))
    return true;
  if (isGlobalPool(op, old)) {
    op->setAttr("kernel",
                builder.getDenseI64ArrayAttr({shapeOf(in)[1], shapeOf(in)[2]}));
    return true;
  }
  Shape pad;
  for (unsigned i = 0; i < 2; ++i) {
    mlir::FailureOr<Placement> p = planDim(op, i, old);
    if (mlir::failed(p))
      return mlir::failure();
    pad.append({p->before, p->after});
  }
  op->setAttr("pad", builder.getDenseI64ArrayAttr(pad));
  return true;
}

/// The image input: the first non-weight rank-4 argument of a model with
/// window ops (a transformer's rank-4 rotary tables are not images).
std::optional<unsigned> imageInputIndex(mlir::func::FuncOp func) {
  bool windows = false;
  func.walk([&](mlir::Operation *op) { windows |= isWindowOp(op); });
  return windows ? dataInputIndex(func, 4) : std::nullopt;
}

} // namespace

std::optional<int64_t> modelSpatialSize(mlir::func::FuncOp func) {
  std::optional<unsigned> index = imageInputIndex(func);
  if (!index)
    return std::nullopt;
  llvm::ArrayRef<int64_t> shape = shapeOf(func.getArgument(*index));
  if (shape[1] != shape[2])
    return std::nullopt;
  return shape[1];
}

mlir::LogicalResult setSpatialSize(mlir::func::FuncOp func, int64_t size) {
  std::optional<unsigned> index = imageInputIndex(func);
  if (!index)
    return func.emitError() << "'" << func.getSymName()
                            << "' has no NHWC image input: set_spatial needs "
                               "a rank-4 non-weight argument";
  if (size <= 0)
    return func.emitError() << "cannot set the input size to " << size;
  OldShapes old(func);
  mlir::BlockArgument input = func.getArgument(*index);
  Shape shape(shapeOf(input));
  shape[1] = shape[2] = size;
  if (mlir::failed(resizeLeaf(input, shape, old)))
    return mlir::failure();
  return followInputChange(
      func, old, [&](mlir::Operation *op) { return visitSpatial(op, old); });
}

} // namespace goodhart
