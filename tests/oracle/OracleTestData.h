//===- OracleTestData.h - A run built in code for oracle tests --*- C++ -*-===//
#ifndef GOODHART_TESTS_ORACLE_ORACLETESTDATA_H
#define GOODHART_TESTS_ORACLE_ORACLETESTDATA_H

#include "oracle/RunData.h"

namespace goodhart::testing {

/// A measurement whose minimum and median are `ns` (so its time is `ns` by
/// either statistic), with the median's interval +-`spread`; three samples,
/// too few for a bootstrap.
inline Measurement measured(double ns, double spread = 0.01) {
  Measurement m;
  m.samplesNs = {ns, ns, ns * (1 + spread)};
  m.stats.count = 3;
  m.stats.medianNs = ns;
  m.stats.minNs = ns;
  m.stats.meanNs = ns;
  m.stats.ciLowNs = ns * (1 - spread);
  m.stats.ciHighNs = ns * (1 + spread);
  m.stopReason = "target_rsd";
  return m;
}

/// A two-layer plan: conv (flops as given) then relu.
inline Plan twoLayerPlan(const std::string &variant, int64_t channels,
                         int64_t convFlops) {
  Plan p;
  p.model = "m";
  p.variant = variant;
  p.tensors = {
      {0, "x", {1, 8, 8, 4}, DType::kF32, TensorRole::kInput, std::nullopt},
      {1,
       "w",
       {channels, 3, 3, 4},
       DType::kF32,
       TensorRole::kWeight,
       std::nullopt},
      {2,
       "c",
       {1, 8, 8, channels},
       DType::kF32,
       TensorRole::kActivation,
       std::nullopt},
      {3,
       "r",
       {1, 8, 8, channels},
       DType::kF32,
       TensorRole::kActivation,
       std::nullopt}};
  Layer conv;
  conv.id = 0;
  conv.name = "conv";
  conv.kind = LayerKind::kConv2d;
  conv.inputs = {0, 1};
  conv.outputs = {2};
  conv.attrs = {{"stride", {1, 1}},
                {"pad", {1, 1, 1, 1}},
                {"dilation", {1, 1}},
                {"groups", 1}};
  conv.flops = convFlops;
  Layer relu;
  relu.id = 1;
  relu.name = "relu";
  relu.kind = LayerKind::kEltwise;
  relu.inputs = {2};
  relu.outputs = {3};
  relu.attrs = {{"op", "relu"}};
  relu.flops = 64 * channels;
  p.layers = {conv, relu};
  p.inputs = {0};
  p.outputs = {3};
  for (Layer &l : p.layers)
    l.hash = computeLayerHash(p, l);
  return p;
}

inline VariantRecord variant(const std::string &key, int64_t channels,
                             int64_t convFlops, double convNs, double reluNs,
                             double modelNs, const std::string &impl) {
  VariantRecord v;
  v.key = key;
  v.isReference = key == "reference";
  v.plan = twoLayerPlan(key, channels, convFlops);
  if (!v.isReference)
    v.mutations = {"set_channels(conv, " + std::to_string(channels) + ")"};
  LayerResult conv;
  conv.id = 0;
  conv.hash = v.plan.layers[0].hash;
  conv.impl = impl;
  conv.repro = "--conv g1mb1ic4ih8oc" + std::to_string(channels);
  conv.measurement = measured(convNs);
  LayerResult relu;
  relu.id = 1;
  relu.hash = v.plan.layers[1].hash;
  relu.impl = "jit:avx512_core";
  relu.measurement = measured(reluNs);
  v.layers = {conv, relu};
  v.model = ModelResult{measured(modelNs)};
  return v;
}

/// reference: 64 channels; v001: 65 channels and a different conv impl,
/// half the throughput per FLOP; v002: 96 channels, same throughput.
inline RunData sampleRun() {
  RunData data;
  data.run.id = 1;
  data.run.model = "m";
  data.run.source = "m.mlir";
  data.run.backend = "onednn";
  data.run.library = "oneDNN";
  data.run.libraryVersion = "2.6.3";
  data.run.device = "Test CPU";
  data.run.isa = "avx512_core";
  data.run.threads = 2;
  data.run.strategy = "neighborhood";
  data.run.seed = 1;
  data.run.commandLine = "goodhart campaign m.mlir";
  data.run.status = "finished";
  data.variants.push_back(
      variant("reference", 64, 1000000, 1000, 10, 1010, "brgconv:avx512_core"));
  data.variants.push_back(
      variant("v001", 65, 1015625, 2031.25, 10, 2041.25, "gemm:jit"));
  data.variants.push_back(
      variant("v002", 96, 1500000, 1500, 15, 1515, "brgconv:avx512_core"));
  return data;
}

/// Every variant's relu (layer 1) as a layer that computes nothing and
/// moves `bytes`, as a copy does: the oracle judges it per byte.
inline void makeReluACopy(RunData &run, int64_t bytes = 1000) {
  for (VariantRecord &v : run.variants) {
    v.plan.layers[1].flops = 0;
    v.plan.layers[1].bytes = bytes;
  }
}

/// sampleRun as a GPU runner would report it: the reference drew 400 W
/// over its whole-model sampling, v001 300 W; v002's energy counter did not
/// advance. Each conv layer drew 350 W, and one of v001's three conv
/// samples ran throttled.
inline RunData gpuRun() {
  RunData data = sampleRun();
  data.run.backend = "cudnn";
  data.run.library = "cuDNN";
  data.run.libraryVersion = "9.19.0";
  data.run.device = "Test GPU";
  auto power = [](double watts) {
    return nlohmann::json{{"power_w", watts},
                          {"energy_mj", watts}, // over one second
                          {"energy_wall_ms", 1000.0},
                          {"throttled", {0, 0, 0}},
                          {"throttled_samples", 0}};
  };
  data.variants[0].model->measurement.extra = power(400);
  data.variants[1].model->measurement.extra = power(300);
  data.variants[2].model->measurement.extra = {
      {"energy", "NVML's energy counter did not advance over the 12.0 ms of "
                 "sampling"}};
  for (VariantRecord &v : data.variants)
    v.layers[0].measurement.extra = power(350);
  data.variants[1].layers[0].measurement.extra["throttled"] = {0, 1, 0};
  data.variants[1].layers[0].measurement.extra["throttled_samples"] = 1;
  return data;
}

/// sampleRun plus v003 and v004, slower per FLOP than the reference: with
/// four measured variants the reference beats its neighborhood (overfitting
/// index about 1.4, one-shot tuning flagged).
inline RunData overfittedRun() {
  RunData data = sampleRun();
  data.variants.push_back(
      variant("v003", 96, 1500000, 2000, 15, 2015, "brgconv:avx512_core"));
  data.variants.push_back(
      variant("v004", 65, 1015625, 1500, 10, 1510, "brgconv:avx512_core"));
  return data;
}

} // namespace goodhart::testing

#endif // GOODHART_TESTS_ORACLE_ORACLETESTDATA_H
