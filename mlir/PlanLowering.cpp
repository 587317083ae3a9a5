//===- PlanLowering.cpp - Lower a TOSA function to an execution plan ------===//

#include "mlir/PlanLowering.h"

#include "mlir/Accounting.h"
#include "mlir/ModelLoader.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>
#include <map>

namespace goodhart {
namespace {

using IndexList = llvm::SmallVector<unsigned, 4>;

OpLowering make(LayerKind kind, IndexList operands,
                nlohmann::json attrs = nlohmann::json::object()) {
  return OpLowering{kind, std::move(operands), std::move(attrs)};
}

OpLowering eltwise(llvm::StringRef name) {
  return make(LayerKind::kEltwise, {0}, {{"op", name.str()}});
}

OpLowering binary(llvm::StringRef name) {
  return make(LayerKind::kBinary, {0, 1}, {{"op", name.str()}});
}

std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> values) {
  return std::vector<int64_t>(values.begin(), values.end());
}

double attrAsDouble(mlir::Attribute attr) {
  if (auto f = llvm::dyn_cast_or_null<mlir::FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = llvm::dyn_cast_or_null<mlir::IntegerAttr>(attr))
    return static_cast<double>(i.getInt());
  return 0;
}

OpLowering lowerClamp(mlir::tosa::ClampOp clamp) {
  double lo = attrAsDouble(clamp.getMinValAttr());
  double hi = attrAsDouble(clamp.getMaxValAttr());
  // ReLU as exporters write it: clamp to [0, the type's largest value]
  // (3.40282347E+38 in f32, 3.38953139E+38 in bf16, 65504 in f16).
  auto hiAttr = llvm::dyn_cast_or_null<mlir::FloatAttr>(clamp.getMaxValAttr());
  bool largest = hiAttr && hiAttr.getValue().compare(llvm::APFloat::getLargest(
                               hiAttr.getValue().getSemantics())) !=
                               llvm::APFloat::cmpLessThan;
  if (lo == 0 && (hi >= 3.4e38 || largest))
    return eltwise("relu");
  OpLowering l = eltwise("clamp");
  l.attrs["alpha"] = lo;
  l.attrs["beta"] = hi;
  return l;
}

template <typename PoolOp>
OpLowering lowerPool(PoolOp pool, llvm::StringRef algorithm) {
  return make(LayerKind::kPool2d, {0},
              {{"algorithm", algorithm.str()},
               {"kernel", toVector(pool.getKernel())},
               {"stride", toVector(pool.getStride())},
               {"pad", toVector(pool.getPad())}});
}

template <typename ConvOp> OpLowering lowerConv(ConvOp conv, int64_t groups) {
  return make(LayerKind::kConv2d, {0, 1, 2},
              {{"stride", toVector(conv.getStride())},
               {"pad", toVector(conv.getPad())},
               {"dilation", toVector(conv.getDilation())},
               {"groups", groups}});
}

OpLowering reduce(llvm::StringRef op, uint32_t axis) {
  return make(LayerKind::kReduce, {0},
              {{"op", op.str()}, {"axis", static_cast<int64_t>(axis)}});
}

std::optional<DType> toDType(mlir::Type type) {
  if (type.isF32())
    return DType::kF32;
  if (type.isBF16())
    return DType::kBF16;
  if (type.isF16())
    return DType::kF16;
  if (type.isF64())
    return DType::kF64;
  if (type.isInteger(1))
    return DType::kBool;
  if (type.isInteger(8))
    return DType::kI8;
  if (type.isInteger(16))
    return DType::kI16;
  if (type.isInteger(32))
    return DType::kI32;
  if (type.isInteger(64))
    return DType::kI64;
  return std::nullopt;
}

/// Builds the plan's tensors as values are met.
class TensorTable {
public:
  TensorTable(Plan &plan, mlir::func::FuncOp func) : plan(plan), func(func) {}

  /// The tensor of an operand that is not produced by a lowered op: an
  /// argument (input or weight) or constant data (weight).
  mlir::FailureOr<int64_t> operandTensor(
      mlir::Value value, mlir::Operation *user,
      std::optional<std::vector<int64_t>> shapeOverride = std::nullopt) {
    if (auto it = ids.find(value); it != ids.end())
      return it->second;
    TensorRole role;
    std::string name;
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(value)) {
      bool weight =
          func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) != nullptr;
      role = weight ? TensorRole::kWeight : TensorRole::kInput;
      name = "arg" + std::to_string(arg.getArgNumber());
    } else if (auto c = value.getDefiningOp<mlir::tosa::ConstOp>()) {
      role = TensorRole::kWeight;
      name = nameFromLocation(c.getLoc());
      if (name.empty())
        name = "const_" + std::to_string(constCount++);
    } else {
      user->emitOpError() << "reads a value that no lowered op produces";
      return mlir::failure();
    }
    mlir::FailureOr<int64_t> id = add(value, name, role, user, shapeOverride);
    if (mlir::succeeded(id) && role == TensorRole::kInput)
      plan.inputs.push_back(*id);
    if (auto c = value.getDefiningOp<mlir::tosa::ConstOp>(); c && succeeded(id))
      if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(c.getValues());
          dense && dense.isSplat()) {
        if (llvm::isa<mlir::FloatType>(dense.getElementType()))
          plan.tensors[*id].value =
              dense.getSplatValue<llvm::APFloat>().convertToDouble();
        else if (llvm::isa<mlir::IntegerType>(dense.getElementType()))
          plan.tensors[*id].value = static_cast<double>(
              dense.getSplatValue<llvm::APInt>().getSExtValue());
      }
    return id;
  }

  mlir::FailureOr<int64_t>
  add(mlir::Value value, const std::string &name, TensorRole role,
      mlir::Operation *user,
      std::optional<std::vector<int64_t>> shapeOverride = std::nullopt) {
    auto type = llvm::dyn_cast<mlir::RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape()) {
      user->emitOpError() << "has an operand or result of type "
                          << value.getType()
                          << "; plans need statically shaped tensors";
      return mlir::failure();
    }
    std::optional<DType> dtype = toDType(type.getElementType());
    if (!dtype) {
      user->emitOpError() << "uses element type " << type.getElementType()
                          << ", which plans cannot express";
      return mlir::failure();
    }
    TensorDesc t;
    t.id = static_cast<int64_t>(plan.tensors.size());
    t.name = name;
    t.shape = shapeOverride ? *shapeOverride : toVector(type.getShape());
    t.dtype = *dtype;
    t.role = role;
    plan.tensors.push_back(t);
    ids[value] = t.id;
    return t.id;
  }

  std::optional<int64_t> lookup(mlir::Value value) const {
    auto it = ids.find(value);
    return it == ids.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }

private:
  Plan &plan;
  mlir::func::FuncOp func;
  llvm::DenseMap<mlir::Value, int64_t> ids;
  int constCount = 0;
};

} // namespace

std::string nameFromLocation(mlir::Location loc) {
  std::string name;
  loc->walk([&](mlir::Location inner) {
    if (auto n = llvm::dyn_cast<mlir::NameLoc>(inner)) {
      name = n.getName().str();
      return mlir::WalkResult::interrupt();
    }
    return mlir::WalkResult::advance();
  });
  return name;
}

std::optional<OpLowering> classifyOp(mlir::Operation *op) {
  using namespace mlir::tosa;
  return llvm::TypeSwitch<mlir::Operation *, std::optional<OpLowering>>(op)
      .Case([](Conv2DOp c) { return lowerConv(c, 1); })
      .Case([](DepthwiseConv2DOp c) {
        auto in = llvm::cast<mlir::RankedTensorType>(c.getInput().getType());
        return lowerConv(c, in.getDimSize(3));
      })
      .Case([](MatMulOp) {
        return make(LayerKind::kMatMul, {0, 1});
      })
      .Case([](MaxPool2dOp p) { return lowerPool(p, "max"); })
      .Case([](AvgPool2dOp p) { return lowerPool(p, "avg"); })
      .Case([](ClampOp c) { return lowerClamp(c); })
      .Case([](SigmoidOp) { return eltwise("sigmoid"); })
      .Case([](TanhOp) { return eltwise("tanh"); })
      .Case([](ExpOp) { return eltwise("exp"); })
      .Case([](LogOp) { return eltwise("log"); })
      .Case([](ErfOp) { return eltwise("erf"); })
      .Case([](AbsOp) { return eltwise("abs"); })
      .Case([](NegateOp) { return eltwise("neg"); })
      .Case([](RsqrtOp) { return eltwise("rsqrt"); })
      .Case([](ReciprocalOp) { return eltwise("reciprocal"); })
      .Case([](AddOp) { return binary("add"); })
      .Case([](SubOp) { return binary("sub"); })
      .Case([](MulOp) { return binary("mul"); }) // operand 2 is the shift
      .Case([](MaximumOp) { return binary("max"); })
      .Case([](MinimumOp) { return binary("min"); })
      .Case([](PowOp) { return binary("pow"); })
      .Case([](ReshapeOp) { return make(LayerKind::kReshape, {0}); })
      .Case([](TransposeOp t) {
        std::vector<int64_t> perm(t.getPerms().begin(), t.getPerms().end());
        return make(LayerKind::kTranspose, {0}, {{"perm", perm}});
      })
      .Case([](ConcatOp c) {
        IndexList operands;
        for (unsigned i = 0; i < c->getNumOperands(); ++i)
          operands.push_back(i);
        return make(LayerKind::kConcat, operands,
                    {{"axis", static_cast<int64_t>(c.getAxis())}});
      })
      .Case([](ReduceSumOp r) { return reduce("sum", r.getAxis()); })
      .Case([](ReduceMaxOp r) { return reduce("max", r.getAxis()); })
      .Case([](ReduceMinOp r) { return reduce("min", r.getAxis()); })
      .Case([](ReduceProductOp r) { return reduce("prod", r.getAxis()); })
      .Case([](CastOp) { return make(LayerKind::kCast, {0}); })
      .Case([](SliceOp slice) -> std::optional<OpLowering> {
        auto start = slice.getStart().getDefiningOp<ConstShapeOp>();
        if (!start)
          return std::nullopt; // a computed start cannot be planned
        std::vector<int64_t> values;
        for (const llvm::APInt &v :
             llvm::cast<mlir::DenseIntElementsAttr>(start.getValues())
                 .getValues<llvm::APInt>())
          values.push_back(v.getSExtValue());
        return make(LayerKind::kSlice, {0}, {{"start", values}});
      })
      .Default([](mlir::Operation *) { return std::nullopt; });
}

bool isLowerableOp(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp>(op) ||
         classifyOp(op).has_value();
}

llvm::DenseMap<mlir::Operation *, std::string>
assignLayerNames(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names;
  llvm::StringSet<> used;
  int64_t index = 0;
  for (mlir::Operation &op : func.getBody().getOps()) {
    std::optional<OpLowering> lowering = classifyOp(&op);
    if (!lowering)
      continue;
    std::string base = nameFromLocation(op.getLoc());
    if (base.empty())
      base = std::string(layerKindName(lowering->kind)) + "_" +
             std::to_string(index);
    std::string name = base;
    for (int suffix = 2; used.contains(name); ++suffix)
      name = base + "_" + std::to_string(suffix);
    used.insert(name);
    names[&op] = name;
    ++index;
  }
  return names;
}

mlir::FailureOr<Plan> lowerToPlan(mlir::func::FuncOp func,
                                  const LoweringOptions &options) {
  Plan plan;
  plan.model = options.model.empty() ? func.getSymName().str() : options.model;
  plan.variant = options.variant;
  plan.source = options.source;
  TensorTable tensors(plan, func);
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  llvm::StringSet<> usedNames;
  for (auto &entry : names)
    usedNames.insert(entry.second);
  std::vector<CompositeMatch> composites = findComposites(func);
  llvm::SmallPtrSet<mlir::Operation *, 32> inComposite;
  for (const CompositeMatch &m : composites)
    inComposite.insert(m.ops.begin(), m.ops.end());
  // Opt-in post-op fusions (conv_post_ops, linear) stay clear of composites.
  const std::vector<CompositeMatch> postOpFusions =
      findPostOpFusions(func, options.fuse, inComposite);
  llvm::DenseMap<mlir::Operation *, const CompositeMatch *> fusedInto;
  for (const CompositeMatch &m : postOpFusions)
    for (mlir::Operation *op : m.ops)
      fusedInto[op] = &m;
  llvm::DenseMap<mlir::Operation *, std::string> tags;
  for (const CompositeMatch &m : composites) {
    if (m.fusible && fusedInto.count(m.root))
      continue; // a GELU or SiLU taken whole as a post-op
    bool fuse = m.fusible && options.fuse.count(m.pattern);
    for (mlir::Operation *op : m.ops) {
      if (fuse)
        fusedInto[op] = &m;
      else if (!tags.count(op) || m.pattern == "attention")
        tags[op] = m.pattern;
    }
    if (fuse) // a fused layer inside an attention is tagged as its ops were
      for (mlir::Operation *op : m.ops)
        if (tags.count(op))
          tags[m.root] = tags.lookup(op);
  }
  std::map<std::string, int> fusedCount;

  for (mlir::Operation &op : func.getBody().getOps()) {
    if (llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp,
                  mlir::func::ReturnOp>(op))
      continue;
    const CompositeMatch *fused = fusedInto.lookup(&op);
    if (fused && fused->root != &op)
      continue; // lowered with the composite's root
    std::optional<OpLowering> lowering = classifyOp(&op);
    if (!lowering)
      return op.emitOpError() << "is not supported by goodhart's plan lowering";
    Layer layer;
    layer.id = static_cast<int64_t>(plan.layers.size());
    layer.name = names.lookup(&op);
    layer.kind = lowering->kind;
    layer.attrs = std::move(lowering->attrs);
    layer.location = locationString(op.getLoc());
    layer.pattern = tags.lookup(&op);
    llvm::SmallVector<mlir::Value, 4> dataOperands;
    for (unsigned index : lowering->dataOperands)
      dataOperands.push_back(op.getOperand(index));
    if (fused) {
      layer.kind = fused->kind;
      layer.attrs = fused->attrs;
      dataOperands.assign(fused->inputs.begin(), fused->inputs.end());
      if (fused->anchor) {
        // A convolution with post-ops is still that convolution; a matmul
        // of an attention keeps its tag.
        layer.name = names.lookup(fused->anchor);
        layer.location = locationString(fused->anchor->getLoc());
        if (layer.pattern.empty())
          layer.pattern = tags.lookup(fused->anchor);
      } else if (nameFromLocation(op.getLoc()).empty()) {
        std::string base =
            fused->pattern + "_" + std::to_string(fusedCount[fused->pattern]++);
        layer.name = base;
        for (int suffix = 2; usedNames.contains(layer.name); ++suffix)
          layer.name = base + "_" + std::to_string(suffix);
        usedNames.insert(layer.name);
      }
    }
    if (layer.location.empty())
      layer.location = layer.name;
    mlir::Operation *shapeOp = fused && fused->anchor ? fused->anchor : &op;
    for (auto [position, operand] : llvm::enumerate(dataOperands)) {
      std::optional<std::vector<int64_t>> shape;
      // Depthwise weights [KH, KW, C, M] are stated in the plan's
      // canonical conv2d form [C*M, KH, KW, 1].
      if (auto dw = llvm::dyn_cast<mlir::tosa::DepthwiseConv2DOp>(shapeOp);
          dw && position == 1) {
        auto w = llvm::cast<mlir::RankedTensorType>(operand.getType());
        shape = std::vector<int64_t>{w.getDimSize(2) * w.getDimSize(3),
                                     w.getDimSize(0), w.getDimSize(1), 1};
      }
      // A composite may state an input in its own shape (grouped weights).
      if (fused && position < fused->inputShapes.size() &&
          !fused->inputShapes[position].empty())
        shape = fused->inputShapes[position];
      std::optional<int64_t> known = tensors.lookup(operand);
      mlir::FailureOr<int64_t> id =
          known ? mlir::FailureOr<int64_t>(*known)
                : tensors.operandTensor(operand, &op, shape);
      if (mlir::failed(id))
        return mlir::failure();
      layer.inputs.push_back(*id);
    }
    if (op.getNumResults() != 1)
      return op.emitOpError() << "has " << op.getNumResults()
                              << " results; plan layers have one";
    mlir::FailureOr<int64_t> out =
        tensors.add(op.getResult(0), layer.name, TensorRole::kActivation, &op);
    if (mlir::failed(out))
      return mlir::failure();
    layer.outputs.push_back(*out);
    OpCost cost = computeOpCost(&op);
    if (fused) {
      // The composite's arithmetic, and the traffic of one fused primitive.
      cost = OpCost{};
      for (mlir::Operation *member : llvm::SmallPtrSet<mlir::Operation *, 16>(
               fused->ops.begin(), fused->ops.end()))
        cost.flops += computeOpCost(member).flops;
      cost.bytes = plan.tensor(layer.outputs.front()).sizeInBytes();
      for (int64_t id : layer.inputs) {
        cost.bytes += plan.tensor(id).sizeInBytes();
        if (plan.tensor(id).isParameter())
          cost.params += plan.tensor(id).numElements();
      }
    }
    layer.flops = cost.flops;
    layer.bytes = cost.bytes;
    layer.params = cost.params;
    plan.layers.push_back(std::move(layer));
  }

  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  for (mlir::Value value : ret.getOperands()) {
    std::optional<int64_t> id = tensors.lookup(value);
    if (!id || plan.tensors[*id].role != TensorRole::kActivation)
      return ret.emitOpError()
             << "returns a value that no layer computes; plans need every "
                "output to be produced by a layer";
    plan.outputs.push_back(*id);
  }
  for (Layer &layer : plan.layers)
    layer.hash = computeLayerHash(plan, layer);
  if (Status status = validatePlan(plan); !status.isOk())
    return func.emitError() << "internal error: the lowered plan is invalid: "
                            << status.message();
  return plan;
}

} // namespace goodhart
