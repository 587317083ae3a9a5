//===- MutationSpaceTest.cpp - Every mutation a model offers --------------===//

#include "generator/MutationSpace.h"

#include "generator/Mutation.h"
#include "mlir/Mutations.h"

#include "../mlir/MlirTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace goodhart {
namespace {

std::map<std::string, std::vector<MutationSite>>
byKind(const std::vector<MutationSite> &sites) {
  std::map<std::string, std::vector<MutationSite>> kinds;
  for (const MutationSite &site : sites)
    kinds[site.kind].push_back(site);
  return kinds;
}

TEST(MutationSpaceTest, SmallCnnOffersEveryKindInFixedOrder) {
  testing::Loaded holder = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  std::vector<MutationSite> sites = enumerateMutationSites(holder.entry);
  auto kinds = byKind(sites);
  std::vector<ChannelSite> channels = findChannelSites(holder.entry);
  ASSERT_FALSE(channels.empty());

  ASSERT_EQ(kinds["set_channels"].size(), channels.size());
  for (size_t i = 0; i < channels.size(); ++i) {
    const MutationSite &site = kinds["set_channels"][i];
    EXPECT_EQ(site.layer, channels[i].layerName);
    EXPECT_EQ(site.current, channels[i].channels);
    EXPECT_EQ(site.minValue, channels[i].channels / 2);
    EXPECT_EQ(site.maxValue, channels[i].channels * 2);
    EXPECT_TRUE(std::is_sorted(site.candidates.begin(), site.candidates.end()));
    EXPECT_EQ(std::count(site.candidates.begin(), site.candidates.end(),
                         site.current),
              0);
  }

  // Four ReLUs, each may become any of the other four activations.
  ASSERT_EQ(kinds["set_activation"].size(), 4u);
  EXPECT_EQ(kinds["set_activation"][0].layer, "block1.relu1");
  EXPECT_EQ(kinds["set_activation"][0].current, 0);
  EXPECT_EQ(kinds["set_activation"][0].candidates,
            (std::vector<int64_t>{1, 2, 3, 4}));

  // f32 model: the whole model or one channel site to bf16 or f16.
  ASSERT_EQ(kinds["set_dtype"].size(), channels.size() + 1);
  EXPECT_EQ(kinds["set_dtype"][0].layer, "*");
  EXPECT_EQ(kinds["set_dtype"][0].current, 0);
  EXPECT_EQ(kinds["set_dtype"][0].candidates, (std::vector<int64_t>{1, 2}));

  // The whole model's width is always a stage, and last.
  ASSERT_FALSE(kinds["scale_width"].empty());
  EXPECT_EQ(kinds["scale_width"].back().layer, "*");
  EXPECT_EQ(kinds["scale_width"].back().current, 100);

  // Kinds come in the documented order.
  std::vector<std::string> order;
  for (const MutationSite &site : sites)
    if (order.empty() || order.back() != site.kind)
      order.push_back(site.kind);
  EXPECT_EQ(order, (std::vector<std::string>{"set_channels", "scale_width",
                                             "set_activation", "set_dtype",
                                             "set_spatial", "set_batch",
                                             "set_kernel", "set_groups"}));
}

TEST(MutationSpaceTest, SmallCnnGroupSitesAreItsDense3x3Convs) {
  testing::Loaded holder = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  auto kinds = byKind(geometrySites(holder.entry));
  // The 1x1 expand.conv is no site; down.conv (64 -> 128) compensates
  // through its output channels only.
  ASSERT_EQ(kinds["set_groups"].size(), 3u);
  EXPECT_EQ(kinds["set_groups"][0].layer, "block1.conv1");
  EXPECT_EQ(kinds["set_groups"][0].current, 1);
  EXPECT_EQ(kinds["set_groups"][0].candidates,
            (std::vector<int64_t>{2, 4, 8, 16}));
  EXPECT_EQ(kinds["set_groups"][2].layer, "down.conv");
  EXPECT_EQ(kinds["set_groups"][2].minValue, 2);
  EXPECT_EQ(kinds["set_groups"][2].maxValue, 16);
}

TEST(MutationSpaceTest, SmallCnnGeometryIsItsKernels) {
  testing::Loaded holder = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  auto kinds = byKind(enumerateMutationSites(holder.entry));
  // Its one strided conv is alone in its block; it has no attention.
  EXPECT_TRUE(kinds["move_stride"].empty());
  EXPECT_TRUE(kinds["set_heads"].empty());
  ASSERT_EQ(kinds["set_kernel"].size(), 4u);
  const MutationSite &conv1 = kinds["set_kernel"][0];
  EXPECT_EQ(conv1.layer, "block1.conv1");
  EXPECT_EQ(conv1.current, 3);
  EXPECT_EQ(conv1.candidates, (std::vector<int64_t>{1, 5, 7}));
  EXPECT_EQ(conv1.minValue, 1);
  EXPECT_EQ(conv1.maxValue, 7);
  EXPECT_EQ(kinds["set_kernel"][3].layer, "expand.conv");
  EXPECT_EQ(kinds["set_kernel"][3].candidates, (std::vector<int64_t>{3, 5, 7}));
}

TEST(MutationSpaceTest, EveryKernelCandidateApplies) {
  testing::Loaded holder = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  for (const MutationSite &site : geometrySites(holder.entry))
    for (int64_t value : site.candidates) {
      testing::Loaded fresh = testing::load(testing::kSmallCnn);
      ASSERT_TRUE(fresh.ok);
      EXPECT_TRUE(mlir::succeeded(applyMutation(fresh.entry, site.spec(value))))
          << site.spec(value).describe();
    }
}

TEST(MutationSpaceTest, ResNetStridesMoveWithinTheirBottlenecks) {
  testing::Loaded holder =
      testing::load(std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir");
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  auto kinds = byKind(geometrySites(holder.entry));
  ASSERT_EQ(kinds["move_stride"].size(), 3u);
  for (const MutationSite &site : kinds["move_stride"]) {
    EXPECT_EQ(site.current, 2) << site.layer; // v1.5
    EXPECT_EQ(site.candidates, (std::vector<int64_t>{1, 3})) << site.layer;
    EXPECT_EQ(site.maxValue, 3);
  }
  EXPECT_EQ(kinds["move_stride"][0].layer, "layer2.0");
  EXPECT_EQ(kinds["move_stride"][0].spec(1).describe(),
            "move_stride(layer2.0, 1)");
}

TEST(MutationSpaceTest, EveryActivationAndDTypeCandidateApplies) {
  testing::Loaded holder = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  for (const MutationSite &site : enumerateMutationSites(holder.entry)) {
    if (site.kind != "set_activation" && site.kind != "set_dtype")
      continue;
    for (int64_t value : site.candidates) {
      testing::Loaded fresh = testing::load(testing::kSmallCnn);
      ASSERT_TRUE(fresh.ok);
      EXPECT_TRUE(mlir::succeeded(applyMutation(fresh.entry, site.spec(value))))
          << site.spec(value).describe();
    }
  }
}

TEST(MutationSpaceTest, ResNetStagesAreItsFourStages) {
  testing::Loaded holder =
      testing::load(std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir");
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  EXPECT_EQ(
      widthStages(holder.entry),
      (std::vector<std::string>{"layer1", "layer2", "layer3", "layer4", "*"}));
}

TEST(MutationSpaceTest, InputSizesAreOfferedWhereTheModelHasThem) {
  // smallcnn: a 56x56 image, no tokens; every candidate applies.
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok) << cnn.diagnostics;
  auto kinds = byKind(enumerateMutationSites(cnn.entry));
  EXPECT_TRUE(kinds["set_seq"].empty());
  ASSERT_EQ(kinds["set_spatial"].size(), 1u);
  const MutationSite &spatial = kinds["set_spatial"][0];
  EXPECT_EQ(spatial.layer, "*");
  EXPECT_EQ(spatial.current, 56);
  EXPECT_EQ(spatial.minValue, 53);
  EXPECT_EQ(spatial.maxValue, 59);
  EXPECT_EQ(spatial.candidates, (std::vector<int64_t>{53, 54, 55, 57, 58, 59}));
  for (int64_t value : spatial.candidates) {
    testing::Loaded fresh = testing::load(testing::kSmallCnn);
    EXPECT_TRUE(
        mlir::succeeded(applyMutation(fresh.entry, spatial.spec(value))))
        << spatial.spec(value).describe();
  }

  ASSERT_EQ(kinds["set_batch"].size(), 1u);
  EXPECT_EQ(kinds["set_batch"][0].current, 1);
  EXPECT_EQ(kinds["set_batch"][0].candidates, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(kinds["set_batch"][0].maxValue, 4);
  testing::Loaded batched = testing::load(testing::kSmallCnn);
  EXPECT_TRUE(mlir::succeeded(
      applyMutation(batched.entry, kinds["set_batch"][0].spec(4))));

  // Llama: a 512-token sequence; its rank-4 rotary tables are no image.
  testing::Loaded llama = testing::load(std::string(GOODHART_SOURCE_DIR) +
                                        "/corpus/llama2_7b_layer.mlir");
  ASSERT_TRUE(llama.ok) << llama.diagnostics;
  std::vector<MutationSite> sites = inputSizeSites(llama.entry);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[1].kind, "set_batch");
  EXPECT_EQ(sites[0].kind, "set_seq");
  EXPECT_EQ(sites[0].current, 512);
  EXPECT_EQ(sites[0].minValue, 461);
  EXPECT_EQ(sites[0].maxValue, 563);
  EXPECT_FALSE(sites[0].candidates.empty());
  EXPECT_EQ(
      std::count(sites[0].candidates.begin(), sites[0].candidates.end(), 512),
      0);
  EXPECT_TRUE(mlir::succeeded(
      applyMutation(llama.entry, sites[0].spec(sites[0].candidates.front()))));
  EXPECT_TRUE(
      mlir::failed(applyMutation(llama.entry, {"set_seq", "self_attn", 500})));
}

TEST(MutationSpaceTest, LlamaHiddenSizesKeepAnEvenHeadDimension) {
  testing::Loaded llama = testing::load(std::string(GOODHART_SOURCE_DIR) +
                                        "/corpus/llama2_7b_layer.mlir");
  ASSERT_TRUE(llama.ok) << llama.diagnostics;
  auto kinds = byKind(geometrySites(llama.entry));
  // 32 heads: 4064 and 4128 would give heads of 127 and 129, which
  // rotate_half cannot halve.
  ASSERT_EQ(kinds["set_hidden"].size(), 1u);
  EXPECT_EQ(kinds["set_hidden"][0].candidates,
            (std::vector<int64_t>{4032, 4160}));
  ASSERT_EQ(kinds["set_heads"].size(), 1u);
  EXPECT_EQ(kinds["set_heads"][0].candidates,
            (std::vector<int64_t>{8, 16, 64, 128}));
  EXPECT_TRUE(mlir::succeeded(
      applyMutation(llama.entry, kinds["set_hidden"][0].spec(4160))));
  EXPECT_TRUE(mlir::failed(
      applyMutation(llama.entry, {"set_hidden", "self_attn", 4096})));
}

TEST(MutationSpaceTest, BertAttentionGeometry) {
  testing::Loaded holder = testing::load(std::string(GOODHART_SOURCE_DIR) +
                                         "/corpus/bert_large.mlir");
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  auto kinds = byKind(geometrySites(holder.entry));
  ASSERT_EQ(kinds["set_heads"].size(), 1u);
  EXPECT_EQ(kinds["set_heads"][0].current, 16);
  EXPECT_EQ(kinds["set_heads"][0].candidates,
            (std::vector<int64_t>{4, 8, 32, 64}));
  ASSERT_EQ(kinds["set_head_dim"].size(), 1u);
  EXPECT_EQ(kinds["set_head_dim"][0].current, 64);
  EXPECT_EQ(kinds["set_head_dim"][0].candidates,
            (std::vector<int64_t>{48, 56, 72, 80}));
  // Multiples of the 16 heads: -+64, -+2 heads, -+1 head.
  ASSERT_EQ(kinds["set_hidden"].size(), 1u);
  EXPECT_EQ(kinds["set_hidden"][0].current, 1024);
  EXPECT_EQ(kinds["set_hidden"][0].candidates,
            (std::vector<int64_t>{960, 992, 1008, 1040, 1056, 1088}));
  EXPECT_TRUE(kinds["set_kernel"].empty());
  EXPECT_TRUE(kinds["move_stride"].empty());
}

} // namespace
} // namespace goodhart
