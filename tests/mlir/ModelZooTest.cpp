//===- ModelZooTest.cpp - Reference models against published figures -----===//

#include "mlir/zoo/ModelZoo.h"

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <set>

namespace goodhart {
namespace {

struct Built {
  std::unique_ptr<mlir::MLIRContext> context = testing::makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
  Plan plan;
};

Built build(const std::string &name, ZooOptions options = {}) {
  Built b;
  const ZooModel *model = findZooModel(name);
  EXPECT_TRUE(model) << name;
  if (!model)
    return b;
  b.module = buildZooModel(*b.context, *model, options);
  EXPECT_TRUE(b.module) << name;
  if (!b.module)
    return b;
  b.entry = *b.module->getOps<mlir::func::FuncOp>().begin();
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  EXPECT_TRUE(mlir::succeeded(plan));
  b.plan = std::move(*plan);
  return b;
}

/// MACs of the convolutions and the classifier counting padded taps, the
/// way torchvision and fvcore publish them.
int64_t paddedMacs(const Plan &plan) {
  int64_t macs = 0;
  for (const Layer &l : plan.layers) {
    const TensorDesc &out = plan.tensor(l.outputs[0]);
    if (l.kind == LayerKind::kConv2d) {
      const TensorDesc &w = plan.tensor(l.inputs[1]);
      macs += out.numElements() * w.shape[1] * w.shape[2] * w.shape[3];
    } else if (l.kind == LayerKind::kMatMul) {
      macs += out.numElements() * plan.tensor(l.inputs[0]).shape[2];
    }
  }
  return macs;
}

TEST(ModelZooTest, ResNet50MatchesPublishedFigures) {
  Built r = build("resnet50");
  // Published: 25,557,032 with batch norm (gamma, beta per channel). Its
  // convolutions have 64 (stem) + 1,408 + 3,584 + 10,240 + 11,264 = 26,560
  // output channels, so folding replaces 2 x 26,560 parameters by 26,560
  // biases: 25,557,032 - 26,560 = 25,530,472.
  EXPECT_EQ(r.plan.totalParams(), 25557032 - 26560);
  int convs = 0, slices = 0;
  for (const Layer &l : r.plan.layers) {
    convs += l.kind == LayerKind::kConv2d;
    slices += l.kind == LayerKind::kSlice;
  }
  EXPECT_EQ(convs, 53);
  EXPECT_EQ(slices, 3) << "1x1 stride-2 projections on even inputs";
  // Published 4.09 GMACs count padded taps; goodhart's count does not.
  EXPECT_NEAR(paddedMacs(r.plan) / 1e9, 4.09, 0.01);
  EXPECT_LT(r.plan.totalFlops() / 2, paddedMacs(r.plan));
  EXPECT_GT(r.plan.totalFlops() / 2 / 1e9, 3.9);
  EXPECT_EQ(r.plan.tensor(r.plan.outputs[0]).shape,
            std::vector<int64_t>({1, 1000}));
}

TEST(ModelZooTest, MobileNetV2MatchesPublishedFigures) {
  Built m = build("mobilenet_v2");
  // Published: 3,504,872 with batch norm. Each convolution's batch norm has
  // gamma and beta per output channel; folding leaves one bias per channel,
  // so folded parameters + those channels = the published count.
  int64_t bnChannels = 0;
  int depthwise = 0, adds = 0;
  for (const Layer &l : m.plan.layers) {
    if (l.kind == LayerKind::kConv2d) {
      bnChannels += m.plan.tensor(l.outputs[0]).shape[3];
      depthwise += l.attrs["groups"].get<int64_t>() > 1;
    }
    adds += l.kind == LayerKind::kBinary &&
            l.name.find(".add") != std::string::npos;
  }
  EXPECT_EQ(m.plan.totalParams() + bnChannels, 3504872);
  EXPECT_EQ(depthwise, 17);
  EXPECT_EQ(adds, 10) << "residuals where stride is 1 and widths match";
  EXPECT_NEAR(paddedMacs(m.plan) / 1e6, 300.8, 1.0);
  // Expanding a block's input changes the depthwise convolution after it.
  std::vector<ChannelSite> sites = findChannelSites(m.entry);
  for (const ChannelSite &s : sites)
    if (s.layerName == "features.2.conv.0") {
      EXPECT_EQ(s.channels, 96);
      EXPECT_NE(std::find(s.tiedLayers.begin(), s.tiedLayers.end(),
                          "features.2.conv.1"),
                s.tiedLayers.end());
    }
  ASSERT_TRUE(
      mlir::succeeded(setOutputChannels(m.entry, "features.2.conv.0", 100)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  for (const Layer &l : plan->layers) {
    if (l.name == "features.2.conv.1") {
      EXPECT_EQ(l.attrs["groups"], 100);
    }
  }
}

TEST(ModelZooTest, ResNet50NamesFollowTorchvision) {
  Built r = build("resnet50");
  std::set<std::string> names;
  for (const Layer &l : r.plan.layers)
    names.insert(l.name);
  for (const char *name :
       {"conv1", "maxpool", "layer1.0.conv1", "layer2.0.conv2",
        "layer2.0.downsample", "layer4.2.relu3", "avgpool", "fc"})
    EXPECT_TRUE(names.count(name)) << name;
}

TEST(ModelZooTest, V15PutsTheStrideOnThe3x3) {
  Built r = build("resnet50");
  for (const Layer &l : r.plan.layers) {
    if (l.name == "layer2.0.conv1") {
      EXPECT_EQ(l.attrs["stride"], nlohmann::json({1, 1}));
    }
    if (l.name == "layer2.0.conv2") {
      EXPECT_EQ(l.attrs["stride"], nlohmann::json({2, 2}));
    }
  }
}

TEST(ModelZooTest, OtherSizesBuild) {
  ZooOptions options;
  options.batch = 2;
  options.resolution = 160;
  options.dtype = "bf16";
  Built r = build("resnet50", options);
  EXPECT_EQ(r.plan.tensor(r.plan.inputs[0]).shape,
            std::vector<int64_t>({2, 160, 160, 3}));
  EXPECT_EQ(r.plan.tensor(r.plan.inputs[0]).dtype, DType::kBF16);
  EXPECT_EQ(r.plan.tensor(r.plan.outputs[0]).shape,
            std::vector<int64_t>({2, 1000}));
  EXPECT_EQ(r.plan.totalParams(), 25557032 - 26560);
}

TEST(ModelZooTest, EveryResNet50ConvolutionIsAMutationSite) {
  Built r = build("resnet50");
  std::vector<ChannelSite> sites = findChannelSites(r.entry);
  EXPECT_EQ(sites.size(), 53u);
  // A bottleneck's last conv is tied to the whole stage by residual adds.
  for (const ChannelSite &s : sites)
    if (s.layerName == "layer3.2.conv3") {
      EXPECT_EQ(s.channels, 1024);
      // 6 blocks x {conv3, add, relu3}, layer3.0.downsample, and the slice
      // before layer4.0.downsample, which keeps channels whole.
      EXPECT_EQ(s.tiedLayers.size(), 6u * 3 + 2);
    }
  ASSERT_TRUE(
      mlir::succeeded(setOutputChannels(r.entry, "layer3.2.conv3", 1000)));
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*r.module)));
}

/// Layers of `kind` in `plan` (and with `op`, when given).
int countLayers(const Plan &plan, LayerKind kind, const std::string &op = "") {
  int n = 0;
  for (const Layer &l : plan.layers)
    n += l.kind == kind && (op.empty() || l.attrs.value("op", "") == op);
  return n;
}

TEST(ModelZooTest, BertLargeEncoderMatchesItsConfiguration) {
  ZooOptions options;
  options.seq = 64; // parameters do not depend on it; keeps the test small
  Built b = build("bert_large", options);
  const int64_t h = 1024, ffn = 4096;
  // Per layer: Q, K, V and the attention output (weight + bias each), the
  // two FFN linears, and the two layer norms' gamma and beta.
  const int64_t perLayer =
      4 * (h * h + h) + (h * ffn + ffn) + (ffn * h + h) + 2 * (2 * h);
  EXPECT_EQ(perLayer, 12596224);
  EXPECT_EQ(b.plan.totalParams(), 24 * perLayer);
  EXPECT_EQ(b.plan.totalParams(), 302309376);
  // Composites fuse: one softmax, two layer norms and one GELU per layer.
  EXPECT_EQ(countLayers(b.plan, LayerKind::kSoftmax), 24);
  EXPECT_EQ(countLayers(b.plan, LayerKind::kNorm, "layer_norm"), 48);
  EXPECT_EQ(countLayers(b.plan, LayerKind::kEltwise, "gelu_erf"), 24);
  EXPECT_EQ(countLayers(b.plan, LayerKind::kReduce), 0);
  // 6 matmuls per layer: 4 projections, 2 FFN; 2 batched attention ones.
  EXPECT_EQ(countLayers(b.plan, LayerKind::kMatMul), 24 * 8);
  // The attention around each softmax is recognized and tagged.
  int attention = 0;
  for (const Layer &l : b.plan.layers)
    attention += l.pattern == "attention";
  EXPECT_EQ(attention, 24 * 4) << "scores, scale, softmax, context";
  // Linear MACs: 24 x T x (4 h^2 + 2 h ffn); attention: 24 x 2 x T^2 x h.
  const int64_t t = 64;
  int64_t macs = 24 * (t * (4 * h * h + 2 * h * ffn) + 2 * t * t * h);
  int64_t matmulFlops = 0;
  for (const Layer &l : b.plan.layers)
    if (l.kind == LayerKind::kMatMul)
      matmulFlops += l.flops;
  EXPECT_EQ(matmulFlops, 2 * macs);
  EXPECT_EQ(b.plan.tensor(b.plan.outputs[0]).shape,
            std::vector<int64_t>({1, t, h}));
}

TEST(ModelZooTest, Llama2LayerMatchesItsConfiguration) {
  ZooOptions options;
  options.seq = 32;
  options.batch = 2;
  Built b = build("llama2_7b_layer", options);
  const int64_t h = 4096, ffn = 11008;
  // q, k, v, o (no biases), gate/up/down, two RMS norm weights.
  EXPECT_EQ(b.plan.totalParams(), 4 * h * h + 3 * h * ffn + 2 * h);
  EXPECT_EQ(b.plan.totalParams(), 202383360);
  // Inputs: hidden states, rotary cos and sin, the causal mask.
  ASSERT_EQ(b.plan.inputs.size(), 4u);
  EXPECT_EQ(b.plan.tensor(b.plan.inputs[0]).shape,
            std::vector<int64_t>({1, 64, h}));
  EXPECT_EQ(b.plan.tensor(b.plan.inputs[1]).shape,
            std::vector<int64_t>({1, 1, 32, 128}));
  EXPECT_EQ(b.plan.tensor(b.plan.inputs[3]).shape,
            std::vector<int64_t>({1, 32, 32}));
  // SiLU and softmax fuse; RMS norm has no oneDNN 2.6 primitive, so it
  // stays elementwise, each op tagged.
  EXPECT_EQ(countLayers(b.plan, LayerKind::kEltwise, "silu"), 1);
  EXPECT_EQ(countLayers(b.plan, LayerKind::kSoftmax), 1);
  EXPECT_EQ(countLayers(b.plan, LayerKind::kNorm), 0);
  int rms = 0;
  for (const Layer &l : b.plan.layers)
    rms += l.pattern == "rms_norm";
  EXPECT_EQ(rms, 2 * 7) << "square, sum, 1/N, eps, rsqrt, normalize, scale";
  // Fused when asked: two norm layers with their weights.
  LoweringOptions fuseAll;
  fuseAll.fuse.insert("rms_norm");
  mlir::FailureOr<Plan> fused = lowerToPlan(b.entry, fuseAll);
  ASSERT_TRUE(mlir::succeeded(fused));
  EXPECT_EQ(countLayers(*fused, LayerKind::kNorm, "rms_norm"), 2);
  EXPECT_EQ(fused->totalParams(), b.plan.totalParams());
  EXPECT_EQ(fused->totalFlops(), b.plan.totalFlops());
}

TEST(ModelZooTest, TransformerFfnWidthsAreTheMutationSites) {
  ZooOptions options;
  options.seq = 16;
  Built b = build("bert_large", options);
  // Q, K, V split into heads and the hidden size reaches the output: only
  // each layer's FFN width can change alone.
  std::vector<ChannelSite> sites = findChannelSites(b.entry);
  ASSERT_EQ(sites.size(), 24u);
  for (const ChannelSite &s : sites) {
    EXPECT_NE(s.layerName.find("intermediate.dense.matmul"), std::string::npos)
        << s.layerName;
    EXPECT_EQ(s.channels, 4096);
  }
  ASSERT_TRUE(mlir::succeeded(setOutputChannels(
      b.entry, "encoder.layer.5.intermediate.dense.matmul", 4000)));
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  for (const Layer &l : plan->layers) {
    if (l.name == "encoder.layer.5.intermediate.gelu") {
      EXPECT_EQ(plan->tensor(l.outputs[0]).shape,
                std::vector<int64_t>({1, 16, 4000}));
    }
  }
  // 96 fewer features: W1 columns, b1 entries and W2 rows.
  EXPECT_EQ(plan->totalParams(), 302309376 - 2 * 96 * 1024 - 96);

  Built l = build("llama2_7b_layer", options);
  std::vector<ChannelSite> llama = findChannelSites(l.entry);
  ASSERT_EQ(llama.size(), 2u) << "gate_proj and up_proj, tied by SwiGLU";
  EXPECT_EQ(llama[0].channels, 11008);
}

TEST(ModelZooTest, TransformerExportsStateTheirSequence) {
  Built b = build("bert_large");
  const ZooModel *model = findZooModel("bert_large");
  ASSERT_TRUE(model);
  ZooOptions options;
  std::string text = exportZooModel(*b.module, *model, options);
  EXPECT_NE(text.find("sequence 384"), std::string::npos);
  EXPECT_NE(text.find("--seq 384"), std::string::npos);
  EXPECT_EQ(b.plan.tensor(b.plan.inputs[0]).shape,
            std::vector<int64_t>({1, 384, 1024}));
}

} // namespace
} // namespace goodhart
