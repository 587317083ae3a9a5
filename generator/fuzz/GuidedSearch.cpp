//===- GuidedSearch.cpp - Feedback-guided search for cliffs ---------------===//

#include "generator/fuzz/GuidedSearch.h"

#include "generator/Diagnostics.h"
#include "generator/GenomeMutator.h"
#include "generator/Mutation.h"
#include "generator/Strategies.h"
#include "generator/cli/CliSupport.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace goodhart::fuzz {
namespace {

uint64_t featureKey(const std::string &text) {
  return std::stoull(fnv1a64Hex(text), nullptr, 16);
}

std::string hexBytes(const std::string &bytes) {
  std::string hex;
  for (unsigned char c : bytes)
    hex += fmt::format("{:02x}", c);
  return hex;
}

bool isBadCheck(CheckVerdict verdict) {
  return verdict == CheckVerdict::kMismatch ||
         verdict == CheckVerdict::kMistrusted;
}

} // namespace

int throughputBucket(double relative) {
  if (!(relative > 0))
    return -16;
  return std::clamp(static_cast<int>(std::floor(4 * std::log2(relative))), -16,
                    8);
}

uint64_t throughputFeature(const std::string &kind, const std::string &impl,
                           double relative) {
  return featureKey("throughput|" + kind + "|" + impl + "|" +
                    std::to_string(throughputBucket(relative)));
}

uint64_t switchFeature(const std::string &kind, const std::string &from,
                       const std::string &to) {
  return featureKey("switch|" + kind + "|" + from + "|" + to);
}

StatusOr<std::unique_ptr<GuidedSearch>>
GuidedSearch::start(GuidedOptions options) {
  std::unique_ptr<GuidedSearch> search(new GuidedSearch());
  search->options_ = std::move(options);
  const GuidedOptions &o = search->options_;
  std::optional<cli::LoadedModel> loaded =
      cli::loadModelForCli(o.model, o.load);
  if (!loaded)
    return invalidInput(o.model + ": cannot be loaded (see the errors above)");
  search->context_ = std::move(loaded->context);
  search->module_ = std::move(loaded->module);
  search->entry_ = loaded->entry.getSymName().str();
  std::string modelName = cli::modelNameFromPath(o.model);
  auto decoder = GenomeDecoder::create(
      *search->module_, search->entry_,
      LoweringOptions{modelName, "reference", o.model}, o.equivalence);
  if (!decoder)
    return decoder.status().withContext(o.model);
  search->decoder_ = std::move(decoder).value();
  if (search->decoder_->sites().empty())
    return invalidInput(o.model + ": the model offers no mutation site");

  auto db = ResultsDb::open(o.measure.db);
  if (!db)
    return db.status();
  search->db_ = std::move(db).value();
  RunRecord run;
  run.model = search->decoder_->referencePlan().model;
  run.source = o.model;
  run.strategy = "guided";
  run.seed = o.seed;
  run.commandLine = o.commandLine;
  auto session =
      cli::MeasureSession::start(o.measure, run, *search->db_, false);
  if (!session)
    return session.status();
  search->session_ = std::move(session).value();
  GOODHART_RETURN_IF_ERROR(search->measureBaseline());
  return search;
}

GuidedSearch::~GuidedSearch() {
  Status finished = finish();
  if (!finished.isOk())
    std::cerr << "goodhart-fuzz: " << finished.message() << "\n";
}

int64_t GuidedSearch::runId() const { return session_->runId(); }

Status GuidedSearch::finish() {
  if (finished_ || !session_)
    return Status::ok();
  finished_ = true;
  return session_->finish("finished");
}

Status GuidedSearch::measureBaseline() {
  const Plan &reference = decoder_->referencePlan();
  cli::PlanInput input;
  input.key = "reference";
  input.isReference = true;
  input.planPath = options_.model;
  input.plan = reference;
  auto outcome = session_->measure(input);
  if (!outcome)
    return outcome.status();
  if (outcome->failure)
    return outcome->failure->withContext("the reference could not be measured");
  std::map<int64_t, const Layer *> byId;
  for (const Layer &layer : reference.layers)
    byId[layer.id] = &layer;
  for (const LayerResult &result : outcome->record.layers)
    if (auto it = byId.find(result.id); it != byId.end()) {
      referenceResults_[it->second->name] = result;
      referenceLayers_[it->second->name] = it->second;
    }
  seen_[decoder_->referenceHash()] = {};

  // The control group: measured afresh (never memoized), as in campaigns.
  Rng rng(options_.seed);
  std::vector<Proposal> identities =
      identityProposals(options_.identityVariants, rng);
  for (size_t i = 0; i < identities.size(); ++i) {
    mlir::OwningOpRef<mlir::ModuleOp> clone(module_->clone());
    auto func = clone->lookupSymbol<mlir::func::FuncOp>(entry_);
    DiagnosticCollector diags(context_.get());
    const MutationSpec &spec = identities[i].front();
    if (mlir::failed(applyMutation(func, spec)))
      return invalidInput(spec.describe() + ": " + diags.messages);
    cli::PlanInput control;
    control.key = fmt::format("identity-{}", i + 1);
    mlir::FailureOr<Plan> plan = lowerToPlan(
        func, LoweringOptions{reference.model, control.key, options_.model});
    if (mlir::failed(plan))
      return invalidInput(spec.describe() +
                          ": does not lower: " + diags.messages);
    control.plan = std::move(*plan);
    control.mutations = {spec.describe()};
    auto measured = session_->measure(control);
    if (!measured)
      return measured.status();
  }
  return Status::ok();
}

Evaluation GuidedSearch::evaluate(const uint8_t *data, size_t size) {
  Evaluation ev;
  std::vector<Gene> genes = parseGenome(data, size);
  if (genes.size() > options_.maxGenes)
    genes.resize(options_.maxGenes);
  DecodedVariant variant = decoder_->decode(genes);
  for (const MutationSpec &m : variant.mutations)
    ev.mutations.push_back(m.describe());
  if (variant.isReference())
    return ev;
  if (auto it = seen_.find(variant.canonicalHash); it != seen_.end()) {
    ev.kind = Evaluation::Kind::kSeen;
    ev.features = it->second;
    return ev;
  }
  if (exhausted()) {
    ev.kind = Evaluation::Kind::kSkipped;
    return ev;
  }
  ev.key = fmt::format("g{:04d}", ++measured_);
  std::string genome = serializeGenome(variant.genes);
  cli::PlanInput input;
  input.key = ev.key;
  input.plan = variant.plan;
  input.plan.variant = ev.key;
  input.plan.metadata = {{"strategy", "guided"},
                         {"parent", options_.model},
                         {"genome", hexBytes(genome)},
                         {"mutations", ev.mutations}};
  input.mutations = ev.mutations;
  std::string what = fmt::format("{}", fmt::join(ev.mutations, "; "));

  auto outcome = session_->measure(input);
  if (!outcome) {
    std::cerr << "goodhart-fuzz: " << ev.key << ": "
              << outcome.status().message() << "\n";
    ev.kind = Evaluation::Kind::kFailed;
    return ev;
  }
  if (outcome->failure) {
    std::cerr << "goodhart-fuzz: " << ev.key << ": "
              << outcome->failure->message() << "\n";
    ev.kind = Evaluation::Kind::kFailed;
    ev.features.push_back(
        featureKey("failure|" +
                   std::to_string(static_cast<int>(outcome->failure->code()))));
    writeArtifacts(ev.key, variant, input.plan, genome,
                   "runner failure: " + outcome->failure->message());
  } else {
    ev.kind = Evaluation::Kind::kMeasured;
    judge(variant, outcome->record, ev);
    if (ev.cliffs || ev.mismatches)
      writeArtifacts(
          ev.key, variant, input.plan, genome,
          fmt::format("{} cliffs, {} mismatches", ev.cliffs, ev.mismatches));
  }
  std::cerr << fmt::format(
      "goodhart-fuzz: {} {}: worst {:.3f}x{}{}\n", ev.key, what, ev.worst,
      ev.cliffs ? fmt::format(", {} cliff(s)", ev.cliffs) : "",
      ev.kind == Evaluation::Kind::kFailed ? ", runner failed" : "");
  seen_[variant.canonicalHash] = ev.features;
  return ev;
}

void GuidedSearch::judge(const DecodedVariant &variant,
                         const VariantRecord &record, Evaluation &ev) {
  std::map<int64_t, const Layer *> byId;
  for (const Layer &layer : variant.plan.layers)
    byId[layer.id] = &layer;
  std::set<std::string> changed(variant.changedLayers.begin(),
                                variant.changedLayers.end());
  for (const LayerResult &result : record.layers) {
    auto layerIt = byId.find(result.id);
    if (layerIt == byId.end() || !changed.count(layerIt->second->name))
      continue;
    const Layer &layer = *layerIt->second;
    std::string kind(layerKindName(layer.kind));
    if (isBadCheck(result.check.verdict)) {
      ++ev.mismatches;
      ev.features.push_back(
          featureKey("check|" + kind + "|" +
                     std::string(checkVerdictName(result.check.verdict))));
    }
    if (result.measurement.status != ResultStatus::kOk) {
      ev.features.push_back(
          featureKey("status|" + kind + "|" +
                     std::string(resultStatusName(result.measurement.status))));
      continue;
    }
    auto ref = referenceResults_.find(layer.name);
    auto refLayer = referenceLayers_.find(layer.name);
    if (ref == referenceResults_.end() || refLayer == referenceLayers_.end() ||
        ref->second.measurement.status != ResultStatus::kOk) {
      // A layer the reference does not have (a cast set_dtype added).
      ev.features.push_back(throughputFeature(kind, result.impl, 1));
      continue;
    }
    Ratio ratio =
        relativeLayerThroughput(*refLayer->second, ref->second.measurement,
                                layer, result.measurement, options_.oracle);
    if (!ratio.valid)
      continue;
    ev.worst = std::min(ev.worst, ratio.value);
    ev.features.push_back(throughputFeature(kind, result.impl, ratio.value));
    if (result.impl != ref->second.impl)
      ev.features.push_back(switchFeature(kind, ref->second.impl, result.impl));
    if (isCliff(ratio, options_.oracle))
      ++ev.cliffs;
  }
}

void GuidedSearch::writeArtifacts(const std::string &key,
                                  const DecodedVariant &variant,
                                  const Plan &plan, const std::string &genome,
                                  const std::string &why) {
  if (options_.artifacts.empty())
    return;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options_.artifacts, ec);
  fs::path base = fs::path(options_.artifacts) / key;
  std::ofstream mlir(base.string() + ".mlir");
  mlir << "// goodhart-fuzz variant " << key << " of " << options_.model
       << "\n// found: " << why << "\n// genome: " << hexBytes(genome)
       << "\n// mutations:";
  for (const MutationSpec &m : variant.mutations)
    mlir << " " << m.describe() << ";";
  mlir << fmt::format("\n// flops ratio: {:.4f}, params ratio: {:.4f}\n",
                      variant.flopRatio, variant.paramRatio)
       << printModuleWithLocations(*variant.module);
  std::ofstream(base.string() + ".genome", std::ios::binary) << genome;
  Status written = writePlanFile(plan, base.string() + ".plan.json");
  if (!mlir || !written.isOk())
    std::cerr << "goodhart-fuzz: cannot write the reproducer of " << key
              << " under " << options_.artifacts << "\n";
}

size_t GuidedSearch::writeCanonical(std::vector<Gene> genes, uint8_t *out,
                                    size_t maxOut, Rng &rng) {
  // The edit may leave only genes the decoder drops: then a fresh gene.
  for (int attempt = 0; attempt < 8; ++attempt) {
    DecodedVariant variant = decoder_->decode(genes);
    std::string bytes = serializeGenome(variant.genes);
    if (!variant.isReference() && bytes.size() <= maxOut) {
      std::memcpy(out, bytes.data(), bytes.size());
      return bytes.size();
    }
    genes = {randomGene(decoder_->sites(), rng)};
  }
  return 0;
}

size_t GuidedSearch::mutate(uint8_t *data, size_t size, size_t maxSize,
                            unsigned seed) {
  Rng rng(seed);
  std::vector<Gene> genes = parseGenome(data, size);
  std::vector<Gene> edited = genes;
  // Edits that decode to the same genes again are retried a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    edited = genes;
    mutateGenes(edited, decoder_->sites(), rng, options_.maxGenes);
    if (decoder_->decode(edited).genes != genes)
      break;
  }
  size_t written = writeCanonical(edited, data, maxSize, rng);
  return written ? written : std::min(size, maxSize);
}

size_t GuidedSearch::crossOver(const uint8_t *a, size_t aSize, const uint8_t *b,
                               size_t bSize, uint8_t *out, size_t maxOut,
                               unsigned seed) {
  Rng rng(seed);
  std::vector<Gene> child = crossOverGenes(
      parseGenome(a, aSize), parseGenome(b, bSize), rng, options_.maxGenes);
  return writeCanonical(child, out, maxOut, rng);
}

} // namespace goodhart::fuzz
