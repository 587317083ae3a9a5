//===- OneDnnBackend.h - The oneDNN 2.6 backend -----------------*- C++ -*-===//
#ifndef GOODHART_RUNNERS_ONEDNN_ONEDNNBACKEND_H
#define GOODHART_RUNNERS_ONEDNN_ONEDNNBACKEND_H

#include "runners/common/Backend.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <optional>

namespace goodhart::onednn {

class OneDnnBackend final : public Backend {
public:
  Status initialize() override;
  RunnerInfo info() const override;
  LayerResult measureLayer(const Plan &plan, const Layer &layer,
                           const MeasureOptions &options) override;
  ModelResult measureModel(const Plan &plan,
                           const MeasureOptions &options) override;

private:
  /// Compares sampled points of `dst` with the float64 reference.
  /// `planLayout`: the output's plan data in the primitive's dims, when
  /// those are not the plan tensor's (OneDnnPrimitives.h).
  CheckResult checkOutput(const Plan &plan, const Layer &layer,
                          dnnl::memory &dst, const MeasureOptions &options,
                          const std::optional<dnnl::memory::desc> &planLayout);
  /// Measures the peak GFLOP/s and copy GB/s (OneDnnPeak.h) on the first
  /// measurement
  /// that asks for it (options.measurePeak); info() reports it after.
  void ensurePeak(const MeasureOptions &options);

  dnnl::engine engine;
  dnnl::stream stream;
  nlohmann::json peakGflops; // null until measured
  /// GB/s of a plain copy (measureCopyGbs), or the reason there is none,
  /// measured with peakGflops.
  std::optional<double> peakGbs;
  std::string peakGbsError;
  /// The element types this CPU computes in (initialize() probes bf16 and
  /// f16), then the integer types of casts and indices.
  std::vector<std::string> dtypes;
};

/// "avx512_core_bf16" for the ISA oneDNN dispatches to on this CPU.
std::string effectiveIsaName();

} // namespace goodhart::onednn

#endif // GOODHART_RUNNERS_ONEDNN_ONEDNNBACKEND_H
