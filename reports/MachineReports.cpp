//===- MachineReports.cpp - findings.json, measurements.csv, junit.xml ----===//
//
// Reports for programs: findings.json (schema "goodhart.findings", version 2,
// documented in docs/REPORTS.md), one CSV row per measurement, and JUnit XML
// with a test case per variant (a cliff, a slower verdict or a wrong result
// fails it) so CI systems show goodhart's verdicts like test results.
//
//===----------------------------------------------------------------------===//

#include "reports/ReportText.h"
#include "reports/ReportWriter.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace goodhart {
namespace {

using nlohmann::json;

/// Version 2 renamed median_ns_* to time_ns_* (the oracle's statistic,
/// oracle.statistic); fields added within a version bump the minor one
/// (2.1: energy and throttled_samples; 2.2: a layer's `per`; 2.3: a
/// data-movement layer's peak in GB/s, oracle.peak_gbs).
constexpr int kFindingsVersion = 2;
constexpr int kFindingsMinorVersion = 3;

/// GFLOP/s, or GB/s for a layer that computes nothing, and the fraction of
/// the backend's peak (null without one).
json peakJson(const PeakShare &p) {
  if (!p.measured())
    return nullptr;
  if (p.perByte())
    return {{"gbs", p.gbs},
            {"fraction", p.hasFraction() ? json(p.fraction) : json()}};
  return {{"gflops", p.gflops},
          {"dtype", p.dtype},
          {"fraction", p.hasFraction() ? json(p.fraction) : json()}};
}

/// Throughput per watt (null when the backend reports no power at all).
json energyJson(const Efficiency &e) {
  if (!e.known() &&
      (e.power.missing.empty() || e.power.missing == "not reported"))
    return nullptr;
  json relative = nullptr;
  if (e.hasRelative)
    relative = {{"value", e.rel}, {"low", e.low}, {"high", e.high}};
  return {{"watts", e.known() ? json(e.power.watts) : json()},
          {"gflops_per_watt", e.known() ? json(e.gflopsPerWatt) : json()},
          {"relative_throughput_per_watt", relative},
          {"missing", e.power.missing}};
}

/// Throttled samples per side (null for a side that reported none).
json throttleJson(const ThrottleCount &ref, const ThrottleCount &var) {
  auto side = [](const ThrottleCount &t) {
    return t.reported ? json{{"throttled", t.throttled}, {"samples", t.samples}}
                      : json();
  };
  if (!ref.reported && !var.reported)
    return nullptr;
  return {{"reference", side(ref)}, {"variant", side(var)}};
}

json ratioJson(const Ratio &r) {
  if (!r.valid)
    return nullptr;
  return {{"value", r.value}, {"low", r.low}, {"high", r.high}};
}

class JsonWriter final : public ReportWriter {
public:
  std::string name() const override { return "json"; }
  std::string fileName() const override { return "findings.json"; }
  Status write(const ReportInput &in, std::ostream &os) const override {
    const RunRecord &r = in.run.run;
    json variants = json::array();
    for (const VariantVerdict &v : in.verdict.variants) {
      json layers = json::array();
      for (const LayerVerdict &l : v.layers)
        layers.push_back({{"id", l.layerId},
                          {"name", l.name},
                          {"kind", l.kind},
                          {"shape", l.shape},
                          {"changed", l.changed},
                          {"impl_reference", l.implRef},
                          {"impl_variant", l.implVar},
                          {"impl_switch", l.implSwitch},
                          {"time_ns_reference", l.refNs},
                          {"time_ns_variant", l.varNs},
                          {"relative_throughput_per_flop", ratioJson(l.rel)},
                          {"per", l.perByte ? "byte" : "FLOP"},
                          {"peak", peakJson(l.peak)},
                          {"energy", energyJson(l.energy)},
                          {"throttled_samples",
                           throttleJson(l.throttledRef, l.throttledVar)},
                          {"verdict", verdictName(l.verdict)},
                          {"cliff", l.cliff},
                          {"reason", l.reason},
                          {"check", checkVerdictName(l.check.verdict)},
                          {"repro", l.repro}});
      variants.push_back(
          {{"key", v.key},
           {"mutations", v.mutations},
           {"flop_ratio", v.flopRatio},
           {"param_ratio", v.paramRatio},
           {"time_ns_reference", v.refNs},
           {"time_ns_variant", v.varNs},
           {"relative_throughput_per_flop", ratioJson(v.rel)},
           {"peak", peakJson(v.peak)},
           {"energy", energyJson(v.energy)},
           {"throttled_samples", throttleJson(v.throttledRef, v.throttledVar)},
           {"verdict", verdictName(v.verdict)},
           {"cliff", v.cliff},
           {"reason", v.reason},
           {"layers", layers}});
    }
    json findings = json::array();
    for (const FindingRecord &f : in.run.findings)
      findings.push_back({{"kind", f.kind},
                          {"variant", f.variantKey},
                          {"layer", f.layerId ? json(*f.layerId) : json()},
                          {"message", f.message},
                          {"repro", f.repro}});
    json noise = json::object();
    for (const auto &[kind, floor] : in.verdict.noiseByKind)
      noise[kind] = {
          {"floor", floor.floor},
          {"layers", floor.layers},
          {"threshold", in.verdict.layerThreshold(kind, in.options)}};
    const OverfittingIndex &ov = in.verdict.overfitting;
    json overfitting = {
        {"evaluated", ov.evaluated},
        {"reason", ov.reason},
        {"variants", ov.variants},
        {"index", ratioJson(ov.index)},
        {"percentile", ov.evaluated ? json(ov.percentile) : json()},
        {"noise_floor", ov.noiseFloor},
        {"noise_source", ov.noiseSource},
        {"identity_variants", ov.identityVariants},
        {"threshold", ov.threshold},
        {"one_shot_tuning", ov.oneShotTuning}};
    json doc = {{"format", "goodhart.findings"},
                {"version", kFindingsVersion},
                {"minor_version", kFindingsMinorVersion},
                {"run", runRecordJson(r)},
                {"oracle",
                 {{"statistic", in.options.statistic.name()},
                  {"same_threshold", in.options.sameThreshold},
                  {"cliff_threshold", in.options.cliffThreshold},
                  {"noise_floor", in.verdict.noise.floor},
                  {"noise_layers", in.verdict.noise.layers},
                  {"noise_by_kind", noise},
                  {"peak_gflops", in.verdict.peakGflops},
                  {"peak_gbs",
                   in.verdict.peakGbs > 0 ? json(in.verdict.peakGbs) : json()},
                  {"reference_peak", peakJson(in.verdict.referencePeak)},
                  {"reference_energy", energyJson(in.verdict.referenceEnergy)},
                  {"throttled_comparisons", in.verdict.throttledComparisons}}},
                {"overfitting", overfitting},
                {"variants", variants},
                {"findings", findings}};
    os << doc.dump(1) << "\n";
    return Status::ok();
  }
};

/// RFC 4180: quote every field that needs it, double inner quotes.
std::string csvField(const std::string &s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class CsvWriter final : public ReportWriter {
public:
  std::string name() const override { return "csv"; }
  std::string fileName() const override { return "measurements.csv"; }
  Status write(const ReportInput &in, std::ostream &os) const override {
    os << "run,variant,mutations,layer_id,layer,kind,hash,flops,status,"
          "reason,impl,median_ns,min_ns,ci_low_ns,ci_high_ns,rsd,samples,"
          "check,power_w,throttled_samples\n";
    for (const VariantRecord &v : in.run.variants) {
      std::string mutations;
      for (const std::string &m : v.mutations)
        mutations += (mutations.empty() ? "" : "; ") + m;
      auto row = [&](const std::string &id, const std::string &name,
                     const std::string &kind, const std::string &hash,
                     int64_t flops, const Measurement &m,
                     const std::string &impl, const std::string &check) {
        os << in.run.run.id << ',' << csvField(v.key) << ','
           << csvField(mutations) << ',' << id << ',' << csvField(name) << ','
           << kind << ',' << hash << ',' << flops << ','
           << resultStatusName(m.status) << ',' << csvField(m.reason) << ','
           << csvField(impl) << ','
           << fmt::format("{:.1f},{:.1f},{:.1f},{:.1f},{:.5f},{}",
                          m.stats.medianNs, m.stats.minNs, m.stats.ciLowNs,
                          m.stats.ciHighNs, m.stats.rsd, m.stats.count)
           << ',' << check << ',';
        // Empty where the backend reports no power or throttling (CPUs).
        if (PowerReading p = powerOf(m); p.known())
          os << fmt::format("{:.1f}", p.watts);
        os << ',';
        if (ThrottleCount t = throttleOf(m); t.reported)
          os << t.throttled;
        os << '\n';
      };
      for (const LayerResult &l : v.layers) {
        const Layer *layer =
            l.id >= 0 && l.id < static_cast<int64_t>(v.plan.layers.size())
                ? &v.plan.layers[l.id]
                : nullptr;
        row(std::to_string(l.id), layer ? layer->name : "",
            layer ? std::string(layerKindName(layer->kind)) : "", l.hash,
            layer ? layer->flops : 0, l.measurement, l.impl,
            std::string(checkVerdictName(l.check.verdict)));
      }
      if (v.model)
        row("model", "(whole model)", "model", "", v.plan.totalFlops(),
            v.model->measurement, "", "");
    }
    return Status::ok();
  }
};

class JUnitWriter final : public ReportWriter {
public:
  std::string name() const override { return "junit"; }
  std::string fileName() const override { return "junit.xml"; }
  Status write(const ReportInput &in, std::ostream &os) const override {
    std::vector<JUnitCase> cases;
    for (const VariantVerdict &v : in.verdict.variants) {
      JUnitCase c{v.key, ""};
      for (const std::string &m : v.mutations)
        c.name += " " + m;
      if (v.cliff || v.verdict == Verdict::kSlower)
        c.failure = fmt::format(
            "{}: throughput per FLOP {:.3f} [{:.3f}, {:.3f}] of the reference",
            v.cliff ? "cliff" : "slower", v.rel.value, v.rel.low, v.rel.high);
      for (const LayerVerdict &l : v.layers)
        if (l.check.verdict == CheckVerdict::kMismatch ||
            l.check.verdict == CheckVerdict::kMistrusted)
          c.failure += (c.failure.empty() ? "" : "; ") + l.name + ": " +
                       std::string(checkVerdictName(l.check.verdict)) + ": " +
                       l.check.reason;
      cases.push_back(c);
    }
    for (const FindingRecord &f : in.run.findings)
      if (f.kind == "crash" || f.kind == "hang" || f.kind == "protocol")
        cases.push_back({f.variantKey + " " + f.kind, f.message});
    int failures = 0;
    for (const JUnitCase &c : cases)
      failures += !c.failure.empty();
    const RunRecord &r = in.run.run;
    os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       << "<testsuites>\n<testsuite name=\""
       << markupEscape("goodhart." + r.model + "." + r.backend) << "\" tests=\""
       << cases.size() << "\" failures=\"" << failures << "\">\n";
    writeJUnitCases(os, r.model, cases);
    os << "</testsuite>\n</testsuites>\n";
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<ReportWriter> createJsonWriter() {
  return std::make_unique<JsonWriter>();
}
std::unique_ptr<ReportWriter> createCsvWriter() {
  return std::make_unique<CsvWriter>();
}
std::unique_ptr<ReportWriter> createJUnitWriter() {
  return std::make_unique<JUnitWriter>();
}

} // namespace goodhart
