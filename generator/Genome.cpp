//===- Genome.cpp - A variant as a compact sequence of mutations ----------===//

#include "generator/Genome.h"

#include "generator/Diagnostics.h"
#include "generator/Mutation.h"
#include "generator/VariantGenerator.h"

#include <map>

namespace goodhart {

std::vector<Gene> parseGenome(const uint8_t *data, size_t size) {
  std::vector<Gene> genes;
  for (size_t at = 0; at + kGeneBytes <= size && genes.size() < kMaxGenes;
       at += kGeneBytes)
    genes.push_back(
        {static_cast<uint16_t>(data[at] | (data[at + 1] << 8)),
         static_cast<uint16_t>(data[at + 2] | (data[at + 3] << 8))});
  return genes;
}

std::string serializeGenome(const std::vector<Gene> &genes) {
  std::string bytes;
  for (const Gene &gene : genes) {
    bytes.push_back(static_cast<char>(gene.site & 0xff));
    bytes.push_back(static_cast<char>(gene.site >> 8));
    bytes.push_back(static_cast<char>(gene.value & 0xff));
    bytes.push_back(static_cast<char>(gene.value >> 8));
  }
  return bytes;
}

std::optional<MutationSpec> geneSpec(const Gene &gene,
                                     const std::vector<MutationSite> &sites) {
  if (sites.empty())
    return std::nullopt;
  const MutationSite &site = sites[gene.site % sites.size()];
  int64_t value;
  bool ranged = (gene.value & kRangeBit) && site.maxValue >= site.minValue;
  if (ranged || site.candidates.empty()) {
    if (site.maxValue < site.minValue)
      return std::nullopt;
    int64_t span = site.maxValue - site.minValue + 1;
    value = site.minValue + (gene.value & ~kRangeBit) % span;
  } else {
    value = site.candidates[gene.value % site.candidates.size()];
  }
  if (value == site.current)
    return std::nullopt;
  return site.spec(value);
}

StatusOr<std::unique_ptr<GenomeDecoder>>
GenomeDecoder::create(mlir::ModuleOp reference, const std::string &entry,
                      LoweringOptions lowering,
                      EquivalenceOptions equivalence) {
  std::unique_ptr<GenomeDecoder> decoder(new GenomeDecoder());
  decoder->reference_ = reference.clone();
  decoder->entry_ = entry;
  decoder->lowering_ = std::move(lowering);
  decoder->equivalence_ = equivalence;
  auto func = decoder->reference_->lookupSymbol<mlir::func::FuncOp>(entry);
  if (!func)
    return invalidInput("no function '" + entry + "' in the reference model");
  DiagnosticCollector diags(reference.getContext());
  decoder->lowering_.variant = "reference";
  mlir::FailureOr<Plan> plan = lowerToPlan(func, decoder->lowering_);
  if (mlir::failed(plan))
    return invalidInput("reference model does not lower to a plan: " +
                        diags.messages);
  decoder->referencePlan_ = std::move(*plan);
  decoder->referenceHash_ = canonicalPlanHash(decoder->referencePlan_);
  decoder->sites_ = enumerateMutationSites(func);
  return decoder;
}

DecodedVariant GenomeDecoder::decode(const std::vector<Gene> &genes) const {
  DecodedVariant out;
  mlir::ModuleOp reference = reference_.get();
  out.module = reference.clone();
  out.plan = referencePlan_;
  DiagnosticCollector diags(reference.getContext());
  LoweringOptions lowering = lowering_;
  lowering.variant = "variant";
  for (size_t i = 0; i < genes.size() && i < kMaxGenes; ++i) {
    std::optional<MutationSpec> spec = geneSpec(genes[i], sites_);
    if (!spec) {
      out.dropped.push_back("gene " + std::to_string(i) + ": changes nothing");
      continue;
    }
    mlir::OwningOpRef<mlir::ModuleOp> trial(out.module->clone());
    auto func = trial->lookupSymbol<mlir::func::FuncOp>(entry_);
    diags.messages.clear();
    if (mlir::failed(applyMutation(func, *spec))) {
      out.dropped.push_back(spec->describe() + ": " + diags.messages);
      continue;
    }
    mlir::FailureOr<Plan> plan = lowerToPlan(func, lowering);
    if (mlir::failed(plan)) {
      out.dropped.push_back(spec->describe() +
                            ": does not lower: " + diags.messages);
      continue;
    }
    if (std::string why = checkEquivalence(referencePlan_, *plan, equivalence_);
        !why.empty()) {
      out.dropped.push_back(spec->describe() + ": " + why);
      continue;
    }
    out.module = std::move(trial);
    out.plan = std::move(*plan);
    out.genes.push_back(genes[i]);
    out.mutations.push_back(*spec);
  }
  out.flopRatio = sizeRatio(out.plan.totalFlops(), referencePlan_.totalFlops());
  out.paramRatio =
      sizeRatio(out.plan.totalParams(), referencePlan_.totalParams());
  out.canonicalHash = canonicalPlanHash(out.plan);
  std::map<std::string, std::string> refHashes;
  for (const Layer &layer : referencePlan_.layers)
    refHashes[layer.name] = layer.hash;
  for (const Layer &layer : out.plan.layers)
    if (auto it = refHashes.find(layer.name);
        it == refHashes.end() || it->second != layer.hash)
      out.changedLayers.push_back(layer.name);
  return out;
}

} // namespace goodhart
