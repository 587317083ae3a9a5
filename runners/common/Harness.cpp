//===- Harness.cpp - Warm-up, sampling and stopping criteria --------------===//

#include "runners/common/Harness.h"

#include "runners/common/Stats.h"

#include <chrono>
#include <fstream>

namespace goodhart {

bool MinSamplesAndTime::satisfied(const SampleSet &s) const {
  return static_cast<int64_t>(s.samplesNs.size()) >= minSamples &&
         s.elapsedMs >= minTimeMs;
}

bool TargetRsd::satisfied(const SampleSet &s) const {
  return s.samplesNs.size() >= 2 && medianRsd(s.samplesNs) <= target;
}

bool MaxTime::satisfied(const SampleSet &s) const {
  return !s.samplesNs.empty() && s.elapsedMs >= maxTimeMs;
}

bool MaxSamples::satisfied(const SampleSet &s) const {
  return static_cast<int64_t>(s.samplesNs.size()) >= maxSamples;
}

StoppingPolicy StoppingPolicy::fromOptions(const MeasureOptions &o) {
  StoppingPolicy p;
  p.addGate(std::make_unique<MinSamplesAndTime>(o.minSamples, o.minTimeMs));
  p.addConvergence(std::make_unique<TargetRsd>(o.targetRsd));
  p.addLimit(std::make_unique<MaxSamples>(o.maxSamples));
  p.addLimit(std::make_unique<MaxTime>(o.maxTimeMs));
  return p;
}

void StoppingPolicy::addGate(std::unique_ptr<StoppingCriterion> c) {
  gates.push_back(std::move(c));
}
void StoppingPolicy::addConvergence(std::unique_ptr<StoppingCriterion> c) {
  convergence.push_back(std::move(c));
}
void StoppingPolicy::addLimit(std::unique_ptr<StoppingCriterion> c) {
  limits.push_back(std::move(c));
}

std::string StoppingPolicy::shouldStop(const SampleSet &samples) const {
  for (const auto &limit : limits)
    if (limit->satisfied(samples))
      return limit->name();
  for (const auto &gate : gates)
    if (!gate->satisfied(samples))
      return "";
  if (convergence.empty())
    return gates.empty() ? "" : gates.back()->name();
  for (const auto &c : convergence)
    if (!c->satisfied(samples))
      return "";
  return convergence.back()->name();
}

namespace {

size_t lastLevelCacheBytes() {
  for (int index = 4; index >= 0; --index) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" +
                     std::to_string(index) + "/size");
    std::string text;
    if (!(in >> text) || text.empty())
      continue;
    size_t value = std::stoull(text);
    char unit = text.back();
    if (unit == 'K')
      value <<= 10;
    else if (unit == 'M')
      value <<= 20;
    if (value > 0)
      return value;
  }
  return size_t(32) << 20;
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

CacheFlusher::CacheFlusher() : buffer(2 * lastLevelCacheBytes()) {}

void CacheFlusher::flush() {
  ++salt;
  for (size_t i = 0; i < buffer.size(); i += 64)
    buffer[i] = static_cast<char>(buffer[i] + salt);
}

Measurement runMeasurement(const SampleFn &sample,
                           const MeasureOptions &options,
                           const std::function<void()> &beforeSample) {
  Measurement m;
  auto fail = [&](const Status &s) {
    m.status = ResultStatus::kError;
    m.reason = s.message();
    m.stats = computeStats(m.samplesNs);
    return m;
  };
  auto warmStart = std::chrono::steady_clock::now();
  bool first = true;
  do {
    if (beforeSample)
      beforeSample();
    StatusOr<double> t = sample();
    // A library that refuses its first run does not support the layer: a
    // skip with its reason. A refusal after a run is an error.
    if (!t && first && t.status().code() == StatusCode::kUnsupported) {
      m.status = ResultStatus::kSkipped;
      m.reason = t.status().message();
      return m;
    }
    if (!t)
      return fail(t.status());
    first = false;
  } while (msSince(warmStart) < options.warmupMs);

  StoppingPolicy policy = StoppingPolicy::fromOptions(options);
  SampleSet set;
  auto start = std::chrono::steady_clock::now();
  while (true) {
    if (beforeSample)
      beforeSample();
    StatusOr<double> t = sample();
    if (!t)
      return fail(t.status());
    set.samplesNs.push_back(*t);
    set.elapsedMs = msSince(start);
    std::string stop = policy.shouldStop(set);
    if (!stop.empty()) {
      m.stopReason = stop;
      break;
    }
  }
  m.samplesNs = std::move(set.samplesNs);
  m.stats = computeStats(m.samplesNs);
  return m;
}

Measurement measureWallClock(const std::function<void()> &execute,
                             const MeasureOptions &options) {
  std::unique_ptr<CacheFlusher> flusher;
  if (options.coldCache)
    flusher = std::make_unique<CacheFlusher>();
  return runMeasurement(
      [&]() -> StatusOr<double> {
        auto start = std::chrono::steady_clock::now();
        execute();
        return std::chrono::duration<double, std::nano>(
                   std::chrono::steady_clock::now() - start)
            .count();
      },
      options,
      [&] {
        if (flusher)
          flusher->flush();
      });
}

} // namespace goodhart
