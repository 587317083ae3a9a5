//===- ActivationMutation.cpp - Swap one activation for another -----------===//
//
// Replaces one activation (a ReLU/ReLU6 clamp, a lone sigmoid or tanh, or a
// recognized SiLU/GELU composite) with another of the same cost class,
// written in TOSA 1.0 the way exporters write it: ReLU and ReLU6 as
// tosa.clamp, SiLU as x * sigmoid(x), GELU as 0.5 * x * (1 + erf(x/sqrt 2))
// or with the tanh approximation (as mlir/zoo/TransformerLayers.cpp). The new
// root op takes the old root's location, so the plan layer keeps its name;
// the old ops and the constants only they used are erased.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <optional>

namespace goodhart {
namespace {

using namespace mlir::tosa;

bool isActivationPattern(llvm::StringRef pattern) {
  return pattern == "silu" || pattern == "gelu_erf" || pattern == "gelu_tanh";
}

/// relu, relu6, sigmoid or tanh for a stand-alone activation op.
std::optional<std::string> standaloneActivation(mlir::Operation *op) {
  if (auto clamp = llvm::dyn_cast<ClampOp>(op)) {
    auto lo = llvm::dyn_cast<mlir::FloatAttr>(clamp.getMinValAttr());
    auto hi = llvm::dyn_cast<mlir::FloatAttr>(clamp.getMaxValAttr());
    if (!lo || !hi || lo.getValueAsDouble() != 0)
      return std::nullopt;
    llvm::APFloat largest =
        llvm::APFloat::getLargest(hi.getValue().getSemantics());
    if (hi.getValue().compare(largest) != llvm::APFloat::cmpLessThan)
      return "relu";
    if (hi.getValueAsDouble() == 6.0)
      return "relu6";
    return std::nullopt;
  }
  if (llvm::isa<SigmoidOp>(op))
    return "sigmoid";
  if (llvm::isa<TanhOp>(op))
    return "tanh";
  return std::nullopt;
}

/// One swappable activation: its root, input and member ops.
struct Site {
  std::string activation;
  mlir::Operation *root = nullptr;
  mlir::Value input;
  llvm::SmallVector<mlir::Operation *, 12> ops;
};

/// Every site of `func` by root op, in program order.
llvm::SmallVector<Site> collectSites(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, CompositeMatch> byRoot;
  llvm::DenseSet<mlir::Operation *> members;
  for (CompositeMatch &m : findComposites(func)) {
    members.insert(m.ops.begin(), m.ops.end());
    if (m.fusible && isActivationPattern(m.pattern))
      byRoot[m.root] = m;
  }
  llvm::SmallVector<Site> sites;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (auto it = byRoot.find(&op); it != byRoot.end()) {
      sites.push_back(
          {it->second.pattern, &op, it->second.inputs.front(), it->second.ops});
      continue;
    }
    if (members.contains(&op))
      continue;
    if (std::optional<std::string> kind = standaloneActivation(&op))
      sites.push_back({*kind, &op, op.getOperand(0), {&op}});
  }
  return sites;
}

/// Builds activations on `x` before the old root.
class ActivationBuilder {
public:
  ActivationBuilder(mlir::Operation *root, mlir::Value x, std::string name)
      : builder(root), rootLoc(root->getLoc()), x(x),
        type(llvm::cast<mlir::RankedTensorType>(x.getType())),
        name(std::move(name)) {}

  mlir::FailureOr<mlir::Value> build(llvm::StringRef kind) {
    if (!llvm::isa<mlir::FloatType>(type.getElementType()))
      return mlir::failure();
    if (kind == "relu" || kind == "relu6")
      return clamp(kind == "relu6");
    if (kind == "silu")
      return mul(x, unary<SigmoidOp>(x, ".sigmoid"), rootLoc);
    if (kind == "gelu_erf") {
      mlir::Value scaled =
          mul(x, scalar(1 / std::sqrt(2.0), ".rsqrt2"), named(".scale"));
      return halfProduct(unary<ErfOp>(scaled, ".erf"));
    }
    if (kind == "gelu_tanh") {
      mlir::Value square = mul(x, x, named(".square"));
      mlir::Value cube = mul(square, x, named(".cube"));
      mlir::Value term =
          mul(cube, scalar(0.044715, ".coefficient"), named(".cube_term"));
      mlir::Value inner = add(x, term, ".inner");
      mlir::Value scaled =
          mul(inner, scalar(std::sqrt(2 / M_PI), ".sqrt2_pi"), named(".scale"));
      return halfProduct(unary<TanhOp>(scaled, ".tanh"));
    }
    return mlir::failure();
  }

private:
  mlir::Location named(llvm::StringRef suffix) {
    return mlir::NameLoc::get(builder.getStringAttr(name + suffix.str()));
  }

  mlir::Value scalar(double value, llvm::StringRef suffix) {
    auto t = mlir::RankedTensorType::get(
        llvm::SmallVector<int64_t>(type.getRank(), 1), type.getElementType());
    return ConstOp::create(
        builder, named(suffix), t,
        mlir::DenseElementsAttr::get(
            t, builder.getFloatAttr(type.getElementType(), value)));
  }

  mlir::Value mul(mlir::Value a, mlir::Value b, mlir::Location loc) {
    auto shiftType = mlir::RankedTensorType::get({1}, builder.getI8Type());
    mlir::Value shift = ConstOp::create(
        builder, builder.getUnknownLoc(), shiftType,
        mlir::DenseElementsAttr::get(shiftType, builder.getI8IntegerAttr(0)));
    return MulOp::create(builder, loc, type, a, b, shift);
  }

  mlir::Value add(mlir::Value a, mlir::Value b, llvm::StringRef suffix) {
    return AddOp::create(builder, named(suffix), type, a, b);
  }

  template <typename Op>
  mlir::Value unary(mlir::Value v, llvm::StringRef suffix) {
    return Op::create(builder, named(suffix), type, v);
  }

  /// 0.5 * x * (1 + inner), the root taking the old root's location.
  mlir::Value halfProduct(mlir::Value inner) {
    mlir::Value one = add(inner, scalar(1.0, ".one"), ".one_plus");
    mlir::Value half = mul(x, scalar(0.5, ".half"), named(".half_x"));
    return mul(half, one, rootLoc);
  }

  mlir::Value clamp(bool six) {
    mlir::Type element = type.getElementType();
    const llvm::fltSemantics &semantics =
        llvm::cast<mlir::FloatType>(element).getFloatSemantics();
    llvm::APFloat hi = six ? llvm::APFloat(6.0f) : llvm::APFloat(0.0f);
    if (!six)
      hi = llvm::APFloat::getLargest(semantics);
    bool lost = false;
    hi.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
    return ClampOp::create(builder, rootLoc, type, x,
                           builder.getFloatAttr(element, 0.0),
                           builder.getFloatAttr(element, hi));
  }

  mlir::OpBuilder builder;
  mlir::Location rootLoc;
  mlir::Value x;
  mlir::RankedTensorType type;
  std::string name;
};

/// Erases `ops` (now unused) and the constants only they read.
void eraseSite(llvm::ArrayRef<mlir::Operation *> ops) {
  llvm::SetVector<mlir::Operation *> pending(ops.begin(), ops.end());
  llvm::SetVector<mlir::Operation *> constants;
  bool progress = true;
  while (progress && !pending.empty()) {
    progress = false;
    for (mlir::Operation *op : pending.takeVector()) {
      if (!op->use_empty()) {
        pending.insert(op);
        continue;
      }
      for (mlir::Value operand : op->getOperands())
        if (mlir::Operation *def = operand.getDefiningOp();
            def && llvm::isa<ConstOp, ConstShapeOp>(def))
          constants.insert(def);
      op->erase();
      progress = true;
    }
  }
  for (mlir::Operation *c : constants)
    if (c->use_empty())
      c->erase();
}

} // namespace

const std::vector<std::string> &activationKinds() {
  static const std::vector<std::string> kKinds = {"relu", "relu6", "silu",
                                                  "gelu_erf", "gelu_tanh"};
  return kKinds;
}

std::vector<ActivationSite> findActivationSites(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  std::vector<ActivationSite> sites;
  for (const Site &site : collectSites(func))
    sites.push_back({names.lookup(site.root), site.activation});
  return sites;
}

mlir::LogicalResult setActivation(mlir::func::FuncOp func,
                                  llvm::StringRef layerName,
                                  llvm::StringRef activation) {
  if (!llvm::is_contained(activationKinds(), activation.str()))
    return func.emitError() << "unknown activation '" << activation
                            << "' (known: relu, relu6, silu, gelu_erf, "
                               "gelu_tanh)";
  mlir::Operation *layer = nullptr;
  for (auto &[op, name] : assignLayerNames(func))
    if (name == layerName)
      layer = op;
  if (!layer)
    return func.emitError() << "no layer named '" << layerName << "' in '"
                            << func.getSymName() << "'";
  llvm::SmallVector<Site> sites = collectSites(func);
  const Site *site = nullptr;
  for (const Site &s : sites)
    if (s.root == layer)
      site = &s;
  if (!site)
    return layer->emitOpError()
           << "is layer '" << layerName
           << "', not an activation (a ReLU or ReLU6 clamp, sigmoid, tanh, "
              "or the root of a SiLU or GELU)";
  if (site->activation == activation)
    return layer->emitOpError()
           << "is layer '" << layerName << "', already " << activation;
  ActivationBuilder builder(site->root, site->input, layerName.str());
  mlir::FailureOr<mlir::Value> replacement = builder.build(activation);
  if (mlir::failed(replacement))
    return layer->emitOpError()
           << "is layer '" << layerName << "': its input is not a float tensor";
  site->root->getResult(0).replaceAllUsesWith(*replacement);
  eraseSite(site->ops);
  if (mlir::failed(mlir::verify(func)))
    return func.emitError() << "setting '" << layerName << "' to " << activation
                            << " left an invalid function";
  return mlir::success();
}

} // namespace goodhart
