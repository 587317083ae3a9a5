//===- Harness.h - Warm-up, sampling and stopping criteria ------*- C++ -*-===//
//
// The measurement loop every runner shares. A sample is one call of a
// callable that executes the work once and returns its duration in ns, so
// the harness assumes no clock: CPU runners time with steady_clock, GPU
// runners with device events. Sampling stops when a criterion says so;
// criteria are small objects (as in nvbench) so new ones plug in.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_HARNESS_H
#define GOODHART_RUNNERS_COMMON_HARNESS_H

#include "runners/common/Protocol.h"
#include "runners/common/Status.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace goodhart {

/// What a criterion sees: the samples so far and the wall time spent.
struct SampleSet {
  std::vector<double> samplesNs;
  double elapsedMs = 0;
};

class StoppingCriterion {
public:
  virtual ~StoppingCriterion() = default;
  virtual std::string name() const = 0;
  virtual bool satisfied(const SampleSet &samples) const = 0;
};

/// Gate: at least `minSamples` samples and `minTimeMs` of sampling.
class MinSamplesAndTime final : public StoppingCriterion {
public:
  MinSamplesAndTime(int64_t minSamples, double minTimeMs)
      : minSamples(minSamples), minTimeMs(minTimeMs) {}
  std::string name() const override { return "min_samples_and_time"; }
  bool satisfied(const SampleSet &s) const override;

private:
  int64_t minSamples;
  double minTimeMs;
};

/// Convergence: the relative standard error of the median below a target.
class TargetRsd final : public StoppingCriterion {
public:
  explicit TargetRsd(double target) : target(target) {}
  std::string name() const override { return "target_rsd"; }
  bool satisfied(const SampleSet &s) const override;

private:
  double target;
};

/// Limit: sampling time spent.
class MaxTime final : public StoppingCriterion {
public:
  explicit MaxTime(double maxTimeMs) : maxTimeMs(maxTimeMs) {}
  std::string name() const override { return "max_time"; }
  bool satisfied(const SampleSet &s) const override;

private:
  double maxTimeMs;
};

/// Limit: number of samples.
class MaxSamples final : public StoppingCriterion {
public:
  explicit MaxSamples(int64_t maxSamples) : maxSamples(maxSamples) {}
  std::string name() const override { return "max_samples"; }
  bool satisfied(const SampleSet &s) const override;

private:
  int64_t maxSamples;
};

/// Stops when any limit holds, or when the gate and every convergence
/// criterion hold; reports which criterion ended sampling.
class StoppingPolicy {
public:
  static StoppingPolicy fromOptions(const MeasureOptions &options);

  void addGate(std::unique_ptr<StoppingCriterion> c);
  void addConvergence(std::unique_ptr<StoppingCriterion> c);
  void addLimit(std::unique_ptr<StoppingCriterion> c);

  /// The name of the criterion that stops sampling now, or "".
  std::string shouldStop(const SampleSet &samples) const;

private:
  std::vector<std::unique_ptr<StoppingCriterion>> gates, convergence, limits;
};

/// Evicts the last-level cache by writing over a buffer twice its size (read
/// from sysfs, 64 MiB when unknown).
class CacheFlusher {
public:
  CacheFlusher();
  void flush();
  size_t bufferBytes() const { return buffer.size(); }

private:
  std::vector<char> buffer;
  char salt = 0;
};

using SampleFn = std::function<StatusOr<double>()>;

/// Warms up for options.warmupMs (at least one call), then samples until
/// the policy stops. `beforeSample` runs untimed before each sample (cache
/// flushing). A failing sample ends the measurement with status error.
Measurement runMeasurement(const SampleFn &sample,
                           const MeasureOptions &options,
                           const std::function<void()> &beforeSample = {});

/// For CPU runners: times `execute` with steady_clock per sample and, with
/// options.coldCache, flushes the last-level cache before each (untimed).
Measurement measureWallClock(const std::function<void()> &execute,
                             const MeasureOptions &options);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_HARNESS_H
