//===- InputSizeMutationTest.cpp - set_spatial, set_seq, set_batch --------===//

#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/zoo/ModelZoo.h"

#include "MlirTestSupport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"

namespace goodhart {
namespace {

const std::string kCorpus = std::string(GOODHART_SOURCE_DIR) + "/corpus/";

/// Collects error diagnostics instead of printing them.
struct Errors {
  explicit Errors(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &d) {
          text += d.str() + "\n";
          return mlir::success();
        }) {}
  std::string text;
  mlir::ScopedDiagnosticHandler handler;
};

Plan lower(mlir::func::FuncOp func) {
  mlir::FailureOr<Plan> plan = lowerToPlan(func, {});
  EXPECT_TRUE(mlir::succeeded(plan));
  return mlir::succeeded(plan) ? *plan : Plan{};
}

const Layer *layerNamed(const Plan &plan, const std::string &name) {
  for (const Layer &layer : plan.layers)
    if (layer.name == name)
      return &layer;
  return nullptr;
}

std::vector<int64_t> outputShape(const Plan &plan, const std::string &name) {
  const Layer *layer = layerNamed(plan, name);
  if (!layer || layer->outputs.empty())
    return {};
  return plan.tensors[layer->outputs.front()].shape;
}

/// "tosa.conv2d (1x28x28x128) pad=1,0,1,0 kernel=" for every op of `func`
/// but constants (and slices, unless `slices`): what the comparison with an
/// exporter's model looks at.
std::vector<std::string> opSignatures(mlir::func::FuncOp func, bool slices) {
  std::vector<std::string> sigs;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp>(op) ||
        (!slices && llvm::isa<mlir::tosa::SliceOp>(op)))
      continue;
    std::string sig = op.getName().getStringRef().str();
    for (mlir::Value result : op.getResults())
      for (int64_t d : shapeOf(result))
        sig += " " + std::to_string(d);
    for (const char *attr : {"pad", "kernel"})
      if (auto a = op.getAttrOfType<mlir::DenseI64ArrayAttr>(attr))
        for (int64_t v : a.asArrayRef())
          sig += std::string(" ") + attr + std::to_string(v);
    sigs.push_back(sig);
  }
  return sigs;
}

mlir::func::FuncOp zooEntry(mlir::MLIRContext &context,
                            mlir::OwningOpRef<mlir::ModuleOp> &holder,
                            const std::string &name, ZooOptions options) {
  const ZooModel *model = findZooModel(name);
  EXPECT_TRUE(model) << name;
  holder = buildZooModel(context, *model, options);
  EXPECT_TRUE(holder);
  return *holder->getOps<mlir::func::FuncOp>().begin();
}

TEST(SpatialMutationTest, SmallCnnAt64CountsAsByHand) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  EXPECT_EQ(modelSpatialSize(m.entry), 56);
  Plan before = lower(m.entry);
  ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, 64)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*m.module)));
  EXPECT_EQ(modelSpatialSize(m.entry), 64);
  Plan after = lower(m.entry);
  ASSERT_EQ(after.layers.size(), before.layers.size());

  // 3x3, pad 1, stride 1 over 64 rows: 64 * 3 - 2 taps fall inside.
  const Layer *conv1 = layerNamed(after, "block1.conv1");
  ASSERT_TRUE(conv1);
  EXPECT_EQ(conv1->flops, int64_t{2} * 190 * 190 * 64 * 64);
  // 3x3, stride 2, pad 1 before and 0 after: 32 outputs, the first loses
  // one tap: 31 * 3 + 2 taps.
  const Layer *down = layerNamed(after, "down.conv");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->flops, int64_t{2} * 95 * 95 * 64 * 128);
  EXPECT_EQ(outputShape(after, "down.conv"),
            (std::vector<int64_t>{1, 32, 32, 128}));
  EXPECT_EQ(outputShape(after, "expand.conv"),
            (std::vector<int64_t>{1, 16, 16, 256}));
  const Layer *expand = layerNamed(after, "expand.conv");
  EXPECT_EQ(expand->flops, int64_t{2} * 16 * 16 * 128 * 256);
  // The global pool follows; the classifier does not change.
  EXPECT_EQ(outputShape(after, "head.avgpool"),
            (std::vector<int64_t>{1, 1, 1, 256}));
  EXPECT_EQ(layerNamed(after, "head.fc")->flops,
            layerNamed(before, "head.fc")->flops);
  EXPECT_EQ(after.totalParams(), before.totalParams());
}

TEST(SpatialMutationTest, PoolWithoutTrimSliceTakesTheCeilSize) {
  // At 58 the 2x2 max pool meets 29 rows: PyTorch drops the last one, and
  // smallcnn has no slice to do it with, so the pool pads one row instead.
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, 58)));
  Plan plan = lower(m.entry);
  EXPECT_EQ(outputShape(plan, "down.conv"),
            (std::vector<int64_t>{1, 29, 29, 128}));
  EXPECT_EQ(outputShape(plan, "down.maxpool"),
            (std::vector<int64_t>{1, 15, 15, 128}));
}

TEST(SpatialMutationTest, ResNet50MatchesTheExporterAtEverySize) {
  for (int64_t size : {192, 223, 225, 232, 240, 256}) {
    testing::Loaded m = testing::load(kCorpus + "resnet50.mlir");
    ASSERT_TRUE(m.ok) << m.diagnostics;
    Plan before = lower(m.entry);
    ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, size))) << size;
    Plan after = lower(m.entry);
    EXPECT_EQ(after.layers.size(), before.layers.size()) << size;

    // Convolutions and pools are what the exporter writes at that size;
    // only its trim slices differ (kept whole here, dropped there).
    mlir::OwningOpRef<mlir::ModuleOp> zoo;
    ZooOptions options;
    options.resolution = size;
    mlir::func::FuncOp expected =
        zooEntry(*m.context, zoo, "resnet50", options);
    EXPECT_EQ(opSignatures(m.entry, false), opSignatures(expected, false))
        << size;
    EXPECT_EQ(m.entry.getFunctionType().getResult(0),
              expected.getFunctionType().getResult(0));
  }
}

TEST(SpatialMutationTest, ResNet50At232KeepsItsTrimSlices) {
  testing::Loaded m = testing::load(kCorpus + "resnet50.mlir");
  ASSERT_TRUE(m.ok);
  ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, 232)));
  Plan plan = lower(m.entry);
  // layer2 enters at 58: the 1x1 stride-2 shortcut still cuts one row.
  EXPECT_EQ(outputShape(plan, "layer2.0.downsample.trim"),
            (std::vector<int64_t>{1, 57, 57, 256}));
  // layer3 enters at 29 (odd): nothing to cut, the slice keeps it whole.
  EXPECT_EQ(outputShape(plan, "layer3.0.downsample.trim"),
            (std::vector<int64_t>{1, 29, 29, 512}));
  EXPECT_EQ(outputShape(plan, "layer3.0.downsample"),
            (std::vector<int64_t>{1, 15, 15, 1024}));
  // FLOPs are the exporter's at 232 (the whole slices count none). They
  // grow by more than 232^2 / 224^2 = 1.073: layer3 is 15x15 instead of
  // 14x14 and layer4 8x8 instead of 7x7.
  mlir::OwningOpRef<mlir::ModuleOp> zoo;
  ZooOptions options;
  options.resolution = 232;
  Plan exported = lower(zooEntry(*m.context, zoo, "resnet50", options));
  EXPECT_EQ(plan.totalFlops(), exported.totalFlops());
  testing::Loaded ref = testing::load(kCorpus + "resnet50.mlir");
  double ratio = static_cast<double>(plan.totalFlops()) /
                 static_cast<double>(lower(ref.entry).totalFlops());
  EXPECT_GT(ratio, 1.13);
  EXPECT_LT(ratio, 1.14);
}

TEST(SpatialMutationTest, MobileNetV2VerifiesAtOddAndEvenSizes) {
  for (int64_t size : {160, 221, 232}) {
    testing::Loaded m = testing::load(kCorpus + "mobilenet_v2.mlir");
    ASSERT_TRUE(m.ok) << m.diagnostics;
    size_t layers = lower(m.entry).layers.size();
    ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, size))) << size;
    EXPECT_TRUE(mlir::succeeded(mlir::verify(*m.module)));
    EXPECT_EQ(lower(m.entry).layers.size(), layers);
    mlir::OwningOpRef<mlir::ModuleOp> zoo;
    ZooOptions options;
    options.resolution = size;
    EXPECT_EQ(
        opSignatures(m.entry, false),
        opSignatures(zooEntry(*m.context, zoo, "mobilenet_v2", options), false))
        << size;
  }
}

TEST(SpatialMutationTest, TensorFlowSamePaddingStaysSame) {
  // A 3x3 stride-2 convolution padded the SAME way (0 before, 1 after).
  const char *text = R"mlir(
func.func @same(%x: tensor<1x8x8x4xf32>, %w: tensor<4x3x3x4xf32> {goodhart.weight}, %b: tensor<4xf32> {goodhart.weight}) -> tensor<1x4x4x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>, tensor<4x3x3x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32>
  return %c : tensor<1x4x4x4xf32>
})mlir";
  testing::Loaded m = testing::load(testing::writeTemp("same.mlir", text));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, 9)));
  auto conv = *m.entry.getOps<mlir::tosa::Conv2DOp>().begin();
  // SAME at 9: ceil(9 / 2) = 5 outputs, 2 rows of padding split 1 + 1.
  EXPECT_EQ(conv.getPad(), (llvm::ArrayRef<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(shapeOf(conv.getResult())[1], 5);
}

TEST(SpatialMutationTest, PaddingOfNoKnownRuleIsKept) {
  // A causal-style window: 2 rows before, none after (neither symmetric nor
  // SAME). Stride 1 divides any extent: both pads stay.
  const char *text = R"mlir(
func.func @causal(%x: tensor<1x8x8x4xf32>, %w: tensor<4x3x3x4xf32> {goodhart.weight}, %b: tensor<4xf32> {goodhart.weight}) -> tensor<1x8x8x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 2, 0, 2, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<4x3x3x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32>
  return %c : tensor<1x8x8x4xf32>
})mlir";
  testing::Loaded m = testing::load(testing::writeTemp("causal.mlir", text));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setSpatialSize(m.entry, 11)));
  auto conv = *m.entry.getOps<mlir::tosa::Conv2DOp>().begin();
  EXPECT_EQ(conv.getPad(), (llvm::ArrayRef<int64_t>{2, 0, 2, 0}));
  EXPECT_EQ(shapeOf(conv.getResult())[1], 11);
}

TEST(SpatialMutationTest, RefusesModelsWithoutAnImageInput) {
  testing::Loaded m = testing::load(kCorpus + "llama2_7b_layer.mlir");
  ASSERT_TRUE(m.ok);
  EXPECT_FALSE(modelSpatialSize(m.entry));
  Errors errors(*m.context);
  EXPECT_TRUE(mlir::failed(setSpatialSize(m.entry, 64)));
  EXPECT_NE(errors.text.find("has no NHWC image input"), std::string::npos)
      << errors.text;
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  Errors tooSmall(*cnn.context);
  EXPECT_TRUE(mlir::failed(setSpatialSize(cnn.entry, 1)));
  EXPECT_NE(tooSmall.text.find("the input is too small"), std::string::npos)
      << tooSmall.text;
}

/// Sets `model`'s sequence to `length` and compares it op by op with the
/// exporter's model at that length.
void expectSeqMatchesExporter(const std::string &model, const std::string &file,
                              int64_t length) {
  testing::Loaded m = testing::load(kCorpus + file);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  size_t layers = lower(m.entry).layers.size();
  ASSERT_TRUE(mlir::succeeded(setSequenceLength(m.entry, length)))
      << model << " " << length;
  EXPECT_EQ(modelSequenceLength(m.entry), length);
  EXPECT_EQ(lower(m.entry).layers.size(), layers);
  mlir::OwningOpRef<mlir::ModuleOp> zoo;
  ZooOptions options;
  options.seq = length;
  mlir::func::FuncOp expected = zooEntry(*m.context, zoo, model, options);
  EXPECT_EQ(m.entry.getFunctionType(), expected.getFunctionType())
      << model << " " << length;
  EXPECT_EQ(opSignatures(m.entry, true), opSignatures(expected, true))
      << model << " " << length;
}

TEST(SequenceMutationTest, BertLargeMatchesTheExporter) {
  expectSeqMatchesExporter("bert_large", "bert_large.mlir", 383);
  expectSeqMatchesExporter("bert_large", "bert_large.mlir", 416);
}

TEST(SequenceMutationTest, LlamaMaskAndRotaryTablesFollow) {
  // The causal mask [1, S, S] and the rotary tables [1, 1, S, 128] are
  // inputs: they get the new length in every dimension that had the old.
  expectSeqMatchesExporter("llama2_7b_layer", "llama2_7b_layer.mlir", 500);
  expectSeqMatchesExporter("llama2_7b_layer", "llama2_7b_layer.mlir", 520);
}

/// A causal mask as a constant, added to [1, 3, 3] scores.
const char *kMaskedScores = R"mlir(
func.func @masked(%q: tensor<1x3x8xf32>) -> tensor<1x3x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %kt = tosa.transpose %q {perms = array<i32: 0, 2, 1>} : (tensor<1x3x8xf32>) -> tensor<1x8x3xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<1x3x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3xf32>
  %mask = "tosa.const"() <{values = dense<[[[0.0, -1.0e9, -1.0e9], [0.0, 0.0, -1.0e9], [0.0, 0.0, 0.0]]]> : tensor<1x3x3xf32>}> : () -> tensor<1x3x3xf32>
  %m = tosa.add %s, %mask : (tensor<1x3x3xf32>, tensor<1x3x3xf32>) -> tensor<1x3x3xf32>
  return %m : tensor<1x3x3xf32>
})mlir";

std::vector<float> maskValues(mlir::func::FuncOp func) {
  std::vector<float> values;
  for (auto c : func.getOps<mlir::tosa::ConstOp>())
    if (shapeOf(c.getResult()).size() == 3)
      for (float v : llvm::cast<mlir::DenseElementsAttr>(c.getValues())
                         .getValues<float>())
        values.push_back(v);
  return values;
}

TEST(SequenceMutationTest, ConstantMaskGrowsAlongItsDiagonal) {
  testing::Loaded m =
      testing::load(testing::writeTemp("masked.mlir", kMaskedScores));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setSequenceLength(m.entry, 4)));
  // Still causal: 0 on and below the diagonal, -1e9 above.
  const float n = -1.0e9f;
  EXPECT_EQ(maskValues(m.entry), (std::vector<float>{0, n, n, n, 0, 0, n, n, 0,
                                                     0, 0, n, 0, 0, 0, 0}));
  EXPECT_EQ(m.entry.getFunctionType().getResult(0),
            mlir::RankedTensorType::get(
                {1, 4, 4}, mlir::Float32Type::get(m.context.get())));
}

TEST(SequenceMutationTest, ConstantMaskShrinksToItsLeadingBlock) {
  testing::Loaded m =
      testing::load(testing::writeTemp("masked2.mlir", kMaskedScores));
  ASSERT_TRUE(m.ok);
  ASSERT_TRUE(mlir::succeeded(setSequenceLength(m.entry, 2)));
  EXPECT_EQ(maskValues(m.entry), (std::vector<float>{0, -1.0e9f, 0, 0}));
}

TEST(SequenceMutationTest, RefusesABatchFoldedIntoTheTokens) {
  mlir::MLIRContext &context = *testing::makeContext().release();
  mlir::OwningOpRef<mlir::ModuleOp> zoo;
  ZooOptions options;
  options.batch = 2;
  options.seq = 8;
  mlir::func::FuncOp func = zooEntry(context, zoo, "bert_large", options);
  Errors errors(context);
  EXPECT_TRUE(mlir::failed(setSequenceLength(func, 12)));
  EXPECT_NE(errors.text.find("splits a dimension"), std::string::npos)
      << errors.text;
}

TEST(SequenceMutationTest, RefusesModelsWithoutTokens) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  EXPECT_FALSE(modelSequenceLength(m.entry));
  Errors errors(*m.context);
  EXPECT_TRUE(mlir::failed(setSequenceLength(m.entry, 16)));
  EXPECT_NE(errors.text.find("no [batch, sequence, hidden] input"),
            std::string::npos);
}

TEST(BatchMutationTest, SmallCnnClassifierWeightKeepsBatchOne) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  EXPECT_EQ(modelBatchSize(m.entry), 1);
  Plan before = lower(m.entry);
  ASSERT_TRUE(mlir::succeeded(setBatchSize(m.entry, 4)));
  EXPECT_EQ(modelBatchSize(m.entry), 4);
  // The weight is [1, 256, 1000]: the flatten folds the batch into M.
  EXPECT_EQ(shapeOf(m.entry.getArgument(9)),
            (llvm::ArrayRef<int64_t>{1, 256, 1000}));
  Plan after = lower(m.entry);
  EXPECT_EQ(outputShape(after, "head.flatten"),
            (std::vector<int64_t>{1, 4, 256}));
  EXPECT_EQ(outputShape(after, "head.bias"),
            (std::vector<int64_t>{1, 4, 1000}));
  ASSERT_EQ(after.layers.size(), before.layers.size());
  // Every layer does the batch's work four times; no weight grows.
  for (size_t i = 0; i < after.layers.size(); ++i)
    EXPECT_EQ(after.layers[i].flops, 4 * before.layers[i].flops)
        << after.layers[i].name;
  EXPECT_EQ(after.totalParams(), before.totalParams());
}

TEST(BatchMutationTest, CorpusModelsMatchTheExporterAtBatchTwoAndThree) {
  for (const char *name :
       {"resnet50", "mobilenet_v2", "bert_large", "llama2_7b_layer"}) {
    for (int64_t batch : {2, 3}) {
      testing::Loaded m = testing::load(kCorpus + name + ".mlir");
      ASSERT_TRUE(m.ok) << m.diagnostics;
      size_t layers = lower(m.entry).layers.size();
      ASSERT_TRUE(mlir::succeeded(setBatchSize(m.entry, batch)))
          << name << " " << batch;
      EXPECT_EQ(lower(m.entry).layers.size(), layers);
      mlir::OwningOpRef<mlir::ModuleOp> zoo;
      ZooOptions options;
      options.batch = batch;
      mlir::func::FuncOp expected = zooEntry(*m.context, zoo, name, options);
      EXPECT_EQ(m.entry.getFunctionType(), expected.getFunctionType())
          << name << " " << batch;
      EXPECT_EQ(opSignatures(m.entry, true), opSignatures(expected, true))
          << name << " " << batch;
    }
  }
}

TEST(BatchMutationTest, RefusesAWeightThatSpansTheBatch) {
  // A learned position table [1, S, H] added to tokens whose dimension 1
  // also holds the batch: it cannot broadcast over batch x S.
  const char *text = R"mlir(
func.func @positions(%x: tensor<1x4x8xf32>, %pos: tensor<1x4x8xf32> {goodhart.weight}) -> tensor<1x4x8xf32> {
  %h = tosa.add %x, %pos : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %h : tensor<1x4x8xf32>
})mlir";
  testing::Loaded m = testing::load(testing::writeTemp("positions.mlir", text));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  Errors errors(*m.context);
  EXPECT_TRUE(mlir::failed(setBatchSize(m.entry, 2)));
  EXPECT_NE(errors.text.find("'tosa.add' op meets the batch (operand 0, "
                             "dimension 1) where operand 1 does not carry it "
                             "and does not broadcast (size 4)"),
            std::string::npos)
      << errors.text;
}

TEST(InputSizeSupportTest, ReshapesKeepMergeOrRefuseToSplit) {
  // [1, S, 1024] -> [1, S, 16, 64]: one-to-one.
  EXPECT_EQ(followReshape({1, 8, 1024}, {1, 9, 1024}, {1, 8, 16, 64}),
            (Shape{1, 9, 16, 64}));
  // [1, 16, S, 64] -> [16, S, 64]: the unit dimension merges.
  EXPECT_EQ(followReshape({1, 16, 8, 64}, {1, 16, 9, 64}, {16, 8, 64}),
            (Shape{16, 9, 64}));
  // A flatten merges: [1, 7, 7, 32] -> [1, 1568].
  EXPECT_EQ(followReshape({1, 7, 7, 32}, {1, 8, 8, 32}, {1, 1568}),
            (Shape{1, 2048}));
  // [1, 16, 64] -> [2, 8, 64]: which of 2 and 8 grows is unknown.
  EXPECT_FALSE(followReshape({1, 16, 64}, {1, 18, 64}, {2, 8, 64}));
}

} // namespace
} // namespace goodhart
