//===- Passes.cpp - goodhart's mutation passes ----------------------------===//

#include "mlir/Passes.h"

#include "generator/Rng.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace goodhart {
namespace {

/// Sets one convolution's output channels (module pass: the layer may be in
/// any function).
struct SetChannelsPass
    : public mlir::PassWrapper<SetChannelsPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetChannelsPass)

  SetChannelsPass() = default;
  SetChannelsPass(const SetChannelsPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-channels"; }
  llvm::StringRef getDescription() const final {
    return "Set the output channels of one convolution and of every "
           "dimension tied to it";
  }

  void runOnOperation() override {
    if (layer.empty() || channels <= 0) {
      getOperation().emitError()
          << "goodhart-set-channels needs layer=NAME and channels=N > 0";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>()) {
      if (func.isExternal())
        continue;
      for (auto &[op, name] : assignLayerNames(func))
        if (name == layer) {
          if (mlir::failed(setOutputChannels(func, layer, channels)))
            signalPassFailure();
          return;
        }
    }
    getOperation().emitError() << "no layer named '" << layer << "'";
    signalPassFailure();
  }

  Option<std::string> layer{*this, "layer",
                            llvm::cl::desc("layer name (as in the plan)")};
  Option<int64_t> channels{*this, "channels",
                           llvm::cl::desc("new output channel count")};
};

/// Scales the widths of a stage or of the whole model by a percentage.
struct ScaleWidthPass
    : public mlir::PassWrapper<ScaleWidthPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ScaleWidthPass)

  ScaleWidthPass() = default;
  ScaleWidthPass(const ScaleWidthPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-scale-width"; }
  llvm::StringRef getDescription() const final {
    return "Scale the output channels of every convolution and linear layer "
           "of a stage (layers named STAGE.*) or of the whole model (*)";
  }

  void runOnOperation() override {
    if (stage.empty() || percent <= 0) {
      getOperation().emitError()
          << "goodhart-scale-width needs stage=NAME|* and percent=P > 0";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>())
      if (!func.isExternal() && mlir::failed(scaleWidths(func, stage, percent)))
        return signalPassFailure();
  }

  Option<std::string> stage{*this, "stage",
                            llvm::cl::desc("layer-name prefix (layer2), or *")};
  Option<int64_t> percent{*this, "percent",
                          llvm::cl::desc("new widths in percent of the old")};
};

/// Runs `mutate` on the function that has a layer named `layer`, or emits
/// "no layer named" on the module and fails.
template <typename Mutate>
mlir::LogicalResult mutateNamedLayer(mlir::ModuleOp module,
                                     llvm::StringRef layer, Mutate mutate) {
  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    if (func.isExternal())
      continue;
    for (auto &entry : assignLayerNames(func))
      if (entry.second == layer)
        return mutate(func);
  }
  return module.emitError() << "no layer named '" << layer << "'";
}

/// Swaps one activation for another of the same cost class.
struct SetActivationPass
    : public mlir::PassWrapper<SetActivationPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetActivationPass)

  SetActivationPass() = default;
  SetActivationPass(const SetActivationPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final {
    return "goodhart-set-activation";
  }
  llvm::StringRef getDescription() const final {
    return "Replace one activation (ReLU, ReLU6, sigmoid, tanh, SiLU, GELU) "
           "with relu, relu6, silu, gelu_erf or gelu_tanh";
  }

  void runOnOperation() override {
    if (layer.empty() || activation.empty()) {
      getOperation().emitError() << "goodhart-set-activation needs "
                                    "layer=NAME and activation=KIND";
      return signalPassFailure();
    }
    if (mlir::failed(mutateNamedLayer(
            getOperation(), layer, [&](mlir::func::FuncOp func) {
              return setActivation(func, layer, activation);
            })))
      signalPassFailure();
  }

  Option<std::string> layer{*this, "layer",
                            llvm::cl::desc("layer name (as in the plan)")};
  Option<std::string> activation{
      *this, "activation",
      llvm::cl::desc("relu, relu6, silu, gelu_erf or gelu_tanh")};
};

/// Sets the element type of the whole model or of one layer.
struct SetDTypePass
    : public mlir::PassWrapper<SetDTypePass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetDTypePass)

  SetDTypePass() = default;
  SetDTypePass(const SetDTypePass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-dtype"; }
  llvm::StringRef getDescription() const final {
    return "Set the element type (f32, bf16, f16) of every function "
           "(layer=*) or of one layer, with casts at its boundaries";
  }

  void runOnOperation() override {
    if (layer.empty() || dtype.empty()) {
      getOperation().emitError()
          << "goodhart-set-dtype needs layer=NAME|* and dtype=f32|bf16|f16";
      return signalPassFailure();
    }
    if (layer == "*") {
      for (auto func : getOperation().getOps<mlir::func::FuncOp>())
        if (!func.isExternal() &&
            mlir::failed(setElementType(func, layer, dtype)))
          return signalPassFailure();
      return;
    }
    if (mlir::failed(mutateNamedLayer(
            getOperation(), layer, [&](mlir::func::FuncOp func) {
              return setElementType(func, layer, dtype);
            })))
      signalPassFailure();
  }

  Option<std::string> layer{
      *this, "layer", llvm::cl::desc("layer name (as in the plan), or *")};
  Option<std::string> dtype{*this, "dtype", llvm::cl::desc("f32, bf16 or f16")};
};

/// Runs an input-size mutation on every function with a body.
template <typename Resize>
mlir::LogicalResult resizeEveryFunction(mlir::ModuleOp module, Resize resize) {
  for (auto func : module.getOps<mlir::func::FuncOp>())
    if (!func.isExternal() && mlir::failed(resize(func)))
      return mlir::failure();
  return mlir::success();
}

/// Sets the input resolution (height and width) of a CNN.
struct SetSpatialPass
    : public mlir::PassWrapper<SetSpatialPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetSpatialPass)

  SetSpatialPass() = default;
  SetSpatialPass(const SetSpatialPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-spatial"; }
  llvm::StringRef getDescription() const final {
    return "Set the height and width of the NHWC image input; windows get "
           "exporter padding at the new size";
  }

  void runOnOperation() override {
    if (size <= 0) {
      getOperation().emitError() << "goodhart-set-spatial needs size=N > 0";
      return signalPassFailure();
    }
    if (mlir::failed(
            resizeEveryFunction(getOperation(), [&](mlir::func::FuncOp f) {
              return setSpatialSize(f, size);
            })))
      signalPassFailure();
  }

  Option<int64_t> size{*this, "size",
                       llvm::cl::desc("new input height and width")};
};

/// Sets the sequence length of a transformer.
struct SetSeqPass
    : public mlir::PassWrapper<SetSeqPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetSeqPass)

  SetSeqPass() = default;
  SetSeqPass(const SetSeqPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-seq"; }
  llvm::StringRef getDescription() const final {
    return "Set the sequence length of the [batch, sequence, hidden] token "
           "input; masks and position tables follow";
  }

  void runOnOperation() override {
    if (length <= 0) {
      getOperation().emitError() << "goodhart-set-seq needs length=N > 0";
      return signalPassFailure();
    }
    if (mlir::failed(
            resizeEveryFunction(getOperation(), [&](mlir::func::FuncOp f) {
              return setSequenceLength(f, length);
            })))
      signalPassFailure();
  }

  Option<int64_t> length{*this, "length",
                         llvm::cl::desc("new sequence length")};
};

/// Sets the batch size, following the batch through the model.
struct SetBatchPass
    : public mlir::PassWrapper<SetBatchPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetBatchPass)

  SetBatchPass() = default;
  SetBatchPass(const SetBatchPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-batch"; }
  llvm::StringRef getDescription() const final {
    return "Set the batch size of the image or token input; weights keep "
           "theirs";
  }

  void runOnOperation() override {
    if (size <= 0) {
      getOperation().emitError() << "goodhart-set-batch needs size=N > 0";
      return signalPassFailure();
    }
    if (mlir::failed(
            resizeEveryFunction(getOperation(), [&](mlir::func::FuncOp f) {
              return setBatchSize(f, size);
            })))
      signalPassFailure();
  }

  Option<int64_t> size{*this, "size", llvm::cl::desc("new batch size")};
};

/// Moves a block's stride to another of its convolutions (ResNet v1/v1.5).
struct MoveStridePass
    : public mlir::PassWrapper<MoveStridePass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MoveStridePass)

  MoveStridePass() = default;
  MoveStridePass(const MoveStridePass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-move-stride"; }
  llvm::StringRef getDescription() const final {
    return "Move the stride of a block (layers BLOCK.*) to its N-th "
           "convolution, padding the way exporters do";
  }

  void runOnOperation() override {
    if (block.empty() || position <= 0) {
      getOperation().emitError()
          << "goodhart-move-stride needs block=NAME and position=N > 0";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>()) {
      if (func.isExternal())
        continue;
      for (const StrideSite &site : findStrideSites(func))
        if (site.block == block) {
          if (mlir::failed(moveStride(func, block, position)))
            signalPassFailure();
          return;
        }
    }
    getOperation().emitError()
        << "no block '" << block
        << "' with a chain of convolutions and one stride";
    signalPassFailure();
  }

  Option<std::string> block{*this, "block",
                            llvm::cl::desc("block name (layer2.0)")};
  Option<int64_t> position{
      *this, "position",
      llvm::cl::desc("1-based convolution of the block to stride")};
};

/// Changes a convolution's kernel size, compensating with channels.
struct SetKernelPass
    : public mlir::PassWrapper<SetKernelPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetKernelPass)

  SetKernelPass() = default;
  SetKernelPass(const SetKernelPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-kernel"; }
  llvm::StringRef getDescription() const final {
    return "Give one convolution a KxK kernel with its spatial output kept "
           "and its FLOPs compensated by channels";
  }

  void runOnOperation() override {
    if (layer.empty() || kernel <= 0) {
      getOperation().emitError()
          << "goodhart-set-kernel needs layer=NAME and kernel=K > 0";
      return signalPassFailure();
    }
    if (mlir::failed(mutateNamedLayer(getOperation(), layer,
                                      [&](mlir::func::FuncOp func) {
                                        return setKernel(func, layer, kernel);
                                      })))
      signalPassFailure();
  }

  Option<std::string> layer{*this, "layer",
                            llvm::cl::desc("layer name (as in the plan)")};
  Option<int64_t> kernel{*this, "kernel", llvm::cl::desc("new kernel extent")};
};

/// Splits a dense convolution into groups, width compensated.
struct SetGroupsPass
    : public mlir::PassWrapper<SetGroupsPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetGroupsPass)

  SetGroupsPass() = default;
  SetGroupsPass(const SetGroupsPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-groups"; }
  llvm::StringRef getDescription() const final {
    return "Split one dense convolution into G groups (slices, G convs, a "
           "concat), its FLOPs compensated by width";
  }

  void runOnOperation() override {
    if (layer.empty() || groups <= 0) {
      getOperation().emitError()
          << "goodhart-set-groups needs layer=NAME and groups=G > 0";
      return signalPassFailure();
    }
    if (mlir::failed(mutateNamedLayer(getOperation(), layer,
                                      [&](mlir::func::FuncOp func) {
                                        return setGroups(func, layer, groups);
                                      })))
      signalPassFailure();
  }

  Option<std::string> layer{*this, "layer",
                            llvm::cl::desc("layer name (as in the plan)")};
  Option<int64_t> groups{*this, "groups", llvm::cl::desc("number of groups")};
};

/// Re-splits attention into another number of heads, hidden kept.
struct SetHeadsPass
    : public mlir::PassWrapper<SetHeadsPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetHeadsPass)

  SetHeadsPass() = default;
  SetHeadsPass(const SetHeadsPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-heads"; }
  llvm::StringRef getDescription() const final {
    return "Set the number of attention heads (hidden = heads x head_dim "
           "kept) of every attention (scope=*) or of those named SCOPE.*";
  }

  void runOnOperation() override {
    if (heads <= 0) {
      getOperation().emitError()
          << "goodhart-set-heads needs heads=H > 0 (and scope=NAME|*)";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>())
      if (!func.isExternal() && mlir::failed(setHeads(func, scope, heads)))
        return signalPassFailure();
  }

  Option<std::string> scope{
      *this, "scope",
      llvm::cl::desc("layer-name prefix of the attention, or *"),
      llvm::cl::init("*")};
  Option<int64_t> heads{*this, "heads", llvm::cl::desc("new head count")};
};

/// Changes the attention's head dimension, head count kept.
struct SetHeadDimPass
    : public mlir::PassWrapper<SetHeadDimPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetHeadDimPass)

  SetHeadDimPass() = default;
  SetHeadDimPass(const SetHeadDimPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-head-dim"; }
  llvm::StringRef getDescription() const final {
    return "Set the head dimension of every attention (scope=*) or of those "
           "named SCOPE.*; the projections' widths follow";
  }

  void runOnOperation() override {
    if (dim <= 0) {
      getOperation().emitError()
          << "goodhart-set-head-dim needs dim=D > 0 (and scope=NAME|*)";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>())
      if (!func.isExternal() && mlir::failed(setHeadDim(func, scope, dim)))
        return signalPassFailure();
  }

  Option<std::string> scope{
      *this, "scope",
      llvm::cl::desc("layer-name prefix of the attention, or *"),
      llvm::cl::init("*")};
  Option<int64_t> dim{*this, "dim", llvm::cl::desc("new head dimension")};
};

/// Changes a transformer's hidden size, heads kept (set_hidden).
struct SetHiddenPass
    : public mlir::PassWrapper<SetHiddenPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetHiddenPass)

  SetHiddenPass() = default;
  SetHiddenPass(const SetHiddenPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-set-hidden"; }
  llvm::StringRef getDescription() const final {
    return "Set the hidden size (residual width) of a transformer, inputs "
           "and outputs included; heads kept, head_dim = hidden / heads";
  }

  void runOnOperation() override {
    if (hidden <= 0) {
      getOperation().emitError() << "goodhart-set-hidden needs hidden=N > 0";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<mlir::func::FuncOp>())
      if (!func.isExternal() && mlir::failed(setHidden(func, hidden)))
        return signalPassFailure();
  }

  Option<int64_t> hidden{*this, "hidden", llvm::cl::desc("new hidden size")};
};

/// Makes an identity variant of every function: renamed, independent ops
/// reordered by a seeded draw.
struct IdentityPass
    : public mlir::PassWrapper<IdentityPass,
                               mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(IdentityPass)

  IdentityPass() = default;
  IdentityPass(const IdentityPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const final { return "goodhart-identity"; }
  llvm::StringRef getDescription() const final {
    return "Rename each function and reorder its independent ops (seeded): "
           "the same model, spelled differently";
  }

  void runOnOperation() override {
    Rng rng(seed);
    llvm::SmallVector<mlir::func::FuncOp> funcs(
        getOperation().getOps<mlir::func::FuncOp>());
    for (mlir::func::FuncOp func : funcs)
      if (!func.isExternal() && mlir::failed(makeIdentityVariant(func, rng)))
        return signalPassFailure();
  }

  Option<uint64_t> seed{*this, "seed", llvm::cl::desc("seed of the reorder"),
                        llvm::cl::init(1)};
};

struct RefineShapesPass
    : public mlir::PassWrapper<RefineShapesPass,
                               mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefineShapesPass)

  llvm::StringRef getArgument() const final { return "goodhart-refine-shapes"; }
  llvm::StringRef getDescription() const final {
    return "Re-infer every result type from the operands, in order";
  }
  void runOnOperation() override {
    if (mlir::failed(refineShapes(getOperation())))
      signalPassFailure();
  }
};

} // namespace

void registerGoodhartPasses() {
  mlir::PassRegistration<SetChannelsPass>();
  mlir::PassRegistration<ScaleWidthPass>();
  mlir::PassRegistration<RefineShapesPass>();
  mlir::PassRegistration<SetActivationPass>();
  mlir::PassRegistration<SetDTypePass>();
  mlir::PassRegistration<IdentityPass>();
  mlir::PassRegistration<MoveStridePass>();
  mlir::PassRegistration<SetKernelPass>();
  mlir::PassRegistration<SetGroupsPass>();
  mlir::PassRegistration<SetHeadsPass>();
  mlir::PassRegistration<SetHeadDimPass>();
  mlir::PassRegistration<SetHiddenPass>();
  mlir::PassRegistration<SetSpatialPass>();
  mlir::PassRegistration<SetSeqPass>();
  mlir::PassRegistration<SetBatchPass>();
}

} // namespace goodhart
