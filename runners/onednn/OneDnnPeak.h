//===- OneDnnPeak.h - The backend's peak GFLOP/s on this machine -*- C++
//-*-===//
//
// Throughput per FLOP relative to the reference says how much a variant
// loses; the fraction of the machine's peak says how much there was to
// lose. The peak is measured, not taken from a data sheet: a large square
// matmul on the same engine, threads and ISA the layers run on, best of a
// few repetitions after a warm-up.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_ONEDNN_ONEDNNPEAK_H
#define GOODHART_RUNNERS_ONEDNN_ONEDNNPEAK_H

#include "runners/common/Status.h"

#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>

namespace goodhart::onednn {

struct PeakOptions {
  int64_t size = 2048; // M = N = K
  int repetitions = 3; // timed, after one untimed warm-up
  /// The copy's source (and destination) size: well beyond the last-level
  /// cache, so it streams from and to memory.
  int64_t copyBytes = int64_t(256) << 20;
};

/// GFLOP/s (2 M N K / best time) of a size^3 matmul in `type`, f32
/// accumulation. An error names the type when oneDNN cannot build it.
StatusOr<double> measureMatmulGflops(const dnnl::engine &engine,
                                     dnnl::stream &stream,
                                     dnnl::memory::data_type type,
                                     const PeakOptions &options);

/// GB/s of a plain f32 copy of options.copyBytes through a oneDNN reorder
/// (bytes read plus bytes written / best time): the ceiling of a layer
/// that only moves data (a transpose, slice, concat, copying reshape or
/// cast), counted as the plan counts its bytes.
StatusOr<double> measureCopyGbs(const dnnl::engine &engine,
                                dnnl::stream &stream,
                                const PeakOptions &options);

/// True when `isa` (effectiveIsaName()) computes bf16 natively.
bool isaHasBf16(const std::string &isa);

/// {"f32": GFLOP/s, "bf16": GFLOP/s}: bf16 only where `isa` has it. A type
/// oneDNN refuses is left out, with its error under "errors".
nlohmann::json measurePeaks(const dnnl::engine &engine, dnnl::stream &stream,
                            const std::string &isa,
                            const PeakOptions &options = {});

} // namespace goodhart::onednn

#endif // GOODHART_RUNNERS_ONEDNN_ONEDNNPEAK_H
