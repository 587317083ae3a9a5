//===- VariantGenerator.cpp - Equivalent variants of a reference model ----===//

#include "generator/VariantGenerator.h"

#include "generator/Diagnostics.h"
#include "generator/Equivalence.h"
#include "generator/MutationSpace.h"
#include "generator/Strategies.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace goodhart {
namespace {

std::string header(const GeneratorOptions &options, const Variant &variant,
                   const std::string &model) {
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "// goodhart variant " << variant.id << " of " << model << "\n";
  os << "// parent: " << (options.source.empty() ? model : options.source)
     << "\n";
  os << "// strategy: " << options.strategy << ", seed: " << options.seed
     << "\n";
  os << "// mutations:";
  if (variant.mutations.empty())
    os << " none";
  for (const MutationSpec &m : variant.mutations)
    os << " " << m.describe() << ";";
  os << "\n";
  os << llvm::format("// flops ratio: %.4f, params ratio: %.4f\n",
                     variant.flopRatio, variant.paramRatio);
  return h;
}

std::string fileStem(const Variant &v) { return v.id; }

std::string joined(const std::vector<std::string> &items) {
  std::string text;
  for (const std::string &item : items)
    text += (text.empty() ? "" : ", ") + item;
  return text;
}

/// Why the backend cannot run what `spec` makes: a set_dtype to a type not
/// in `dtypes` (empty: any runs); "" when it can.
std::string unrunnableDtype(const MutationSpec &spec,
                            const std::vector<std::string> &dtypes) {
  if (spec.kind != "set_dtype" || dtypes.empty())
    return "";
  const std::vector<std::string> &names = MutationSpec::namedValues(spec.kind);
  if (spec.value < 0 || spec.value >= static_cast<int64_t>(names.size()) ||
      llvm::is_contained(dtypes, names[spec.value]))
    return "";
  return "the backend does not compute in " + names[spec.value] +
         " on this machine (its runner reports " + joined(dtypes) + ")";
}

} // namespace

std::vector<std::string> strategyNames() {
  return {"neighborhood", "random", "grid"};
}

std::string canonicalPlanHash(const Plan &plan) {
  // Sorted: reordering independent layers (identity variants) keeps it.
  std::vector<std::string> signatures;
  for (const Layer &layer : plan.layers)
    signatures.push_back(layerSignature(plan, layer));
  std::sort(signatures.begin(), signatures.end());
  std::string all;
  for (const std::string &signature : signatures)
    all += signature + "\n";
  return fnv1a64Hex(all);
}

StatusOr<Generation> generateVariants(mlir::ModuleOp module,
                                      mlir::func::FuncOp entry,
                                      const GeneratorOptions &options) {
  if (!llvm::is_contained(strategyNames(), options.strategy))
    return invalidInput("unknown strategy '" + options.strategy +
                        "' (known: neighborhood, random, grid)");
  if (options.count < 0)
    return invalidInput("--count must not be negative");
  if (options.identityCount < 0)
    return invalidInput("--identity-variants must not be negative");
  if (!options.dtype.empty() && !options.dtypes.empty() &&
      !llvm::is_contained(options.dtypes, options.dtype))
    return invalidInput("--dtype " + options.dtype +
                        ": the backend does not compute in it on this "
                        "machine (its runner reports " +
                        joined(options.dtypes) + ")");

  Generation gen;
  gen.options = options;
  const std::string model =
      options.modelName.empty() ? entry.getSymName().str() : options.modelName;
  LoweringOptions lowering{model, "reference", options.source};
  if (options.fusePostOps)
    for (const std::string &pattern : postOpPatterns())
      lowering.fuse.insert(pattern);

  {
    DiagnosticCollector diags(module.getContext());
    mlir::FailureOr<Plan> plan = lowerToPlan(entry, lowering);
    if (mlir::failed(plan))
      return invalidInput("reference model does not lower to a plan: " +
                          diags.messages);
    gen.reference.id = "reference";
    gen.reference.plan = std::move(*plan);
    if (!options.baseMutations.empty())
      gen.reference.plan.metadata["base_mutations"] = options.baseMutations;
  }
  const Plan &ref = gen.reference.plan;
  gen.reference.canonicalHash = canonicalPlanHash(ref);
  gen.reference.mlirText =
      header(options, gen.reference, model) + printModuleWithLocations(module);

  if (options.strategy == "grid" && !options.kinds.empty())
    return invalidInput("--kinds applies to neighborhood and random; the "
                        "grid's dimensions name their kinds");
  Rng rng(options.seed);
  std::vector<Proposal> proposals;
  if (options.strategy == "neighborhood") {
    // The catalog is computed once per model.
    StatusOr<std::vector<MutationSite>> sites =
        selectKinds(enumerateMutationSites(entry), options.kinds);
    if (!sites)
      return sites.status();
    for (const MutationSpec &spec : proposeNeighborhoodMutations(*sites, rng))
      proposals.push_back({spec});
  } else if (options.strategy == "random") {
    if (!options.kinds.empty())
      if (StatusOr<std::vector<MutationSite>> sites =
              selectKinds(enumerateMutationSites(entry), options.kinds);
          !sites)
        return sites.status();
    proposals =
        proposeRandomMutations(entry, std::max(options.count * 20, 64), rng);
    // Draws of other kinds are dropped after drawing, so that a kind's
    // draws do not depend on --kinds.
    if (!options.kinds.empty())
      std::erase_if(proposals, [&](const Proposal &p) {
        return !llvm::is_contained(options.kinds, p.front().kind);
      });
  } else {
    StatusOr<std::vector<Proposal>> grid = proposeGridMutations(options.grid);
    if (!grid)
      return grid.status();
    proposals = std::move(grid).value();
  }
  // The control group comes after the strategy's variants (grid: only the
  // identity variants the user names).
  std::vector<Proposal> identities;
  if (options.strategy != "grid")
    identities = identityProposals(options.identityCount, rng);

  std::map<std::string, std::string> refHashes;
  for (const Layer &layer : ref.layers)
    refHashes[layer.name] = layer.hash;
  std::map<std::string, std::string> seen{
      {gen.reference.canonicalHash, "reference"}};
  double closest = -1; // the proposal ratio nearest to the constraint
  const std::string entryName = entry.getSymName().str();
  auto describe = [](const Proposal &p) {
    std::string text;
    for (const MutationSpec &m : p)
      text += (text.empty() ? "" : "; ") + m.describe();
    return text;
  };
  // Applies `proposal` to a clone; keeps it as a variant or records why not.
  auto tryProposal = [&](const Proposal &proposal) {
    for (const MutationSpec &spec : proposal)
      if (std::string why = unrunnableDtype(spec, options.dtypes);
          !why.empty()) {
        gen.rejected.emplace_back(describe(proposal), why);
        return;
      }
    mlir::OwningOpRef<mlir::ModuleOp> clone(module.clone());
    auto func = clone->lookupSymbol<mlir::func::FuncOp>(entryName);
    Variant variant;
    variant.id = llvm::formatv("v{0:D3}", gen.variants.size() + 1).str();
    variant.mutations = proposal;
    DiagnosticCollector diags(module.getContext());
    for (const MutationSpec &spec : proposal)
      if (mlir::failed(applyMutation(func, spec))) {
        gen.rejected.emplace_back(describe(proposal), diags.messages);
        return;
      }
    lowering.variant = variant.id;
    mlir::FailureOr<Plan> plan = lowerToPlan(func, lowering);
    if (mlir::failed(plan)) {
      gen.rejected.emplace_back(describe(proposal),
                                "does not lower: " + diags.messages);
      return;
    }
    variant.plan = std::move(*plan);
    variant.flopRatio = sizeRatio(variant.plan.totalFlops(), ref.totalFlops());
    variant.paramRatio =
        sizeRatio(variant.plan.totalParams(), ref.totalParams());
    if (std::string why = checkEquivalence(
            ref, variant.plan, {options.flopTolerance, options.paramTolerance});
        !why.empty()) {
      double dist = std::abs(variant.flopRatio - 1);
      if (closest < 0 || dist < std::abs(closest - 1))
        closest = variant.flopRatio;
      gen.rejected.emplace_back(describe(proposal), why);
      return;
    }
    variant.canonicalHash = canonicalPlanHash(variant.plan);
    bool identity = llvm::all_of(
        proposal, [](const MutationSpec &m) { return m.kind == "identity"; });
    if (identity && variant.canonicalHash != gen.reference.canonicalHash) {
      gen.rejected.emplace_back(describe(proposal),
                                "an identity variant changed the plan");
      return;
    }
    // Identity variants are the control group: equal to the reference by
    // construction, so the dedupe lets them through.
    if (auto it = seen.find(variant.canonicalHash);
        !identity && it != seen.end()) {
      gen.rejected.emplace_back(describe(proposal),
                                "duplicate of " + it->second);
      return;
    }
    // By name: casts may be added and independent layers reordered.
    for (const Layer &layer : variant.plan.layers)
      if (auto it = refHashes.find(layer.name);
          it == refHashes.end() || it->second != layer.hash)
        variant.changedLayers.push_back(layer.name);
    variant.plan.metadata = {{"seed", options.seed},
                             {"strategy", options.strategy},
                             {"parent", options.source}};
    variant.plan.metadata["mutations"] = nlohmann::json::array();
    for (const MutationSpec &m : variant.mutations)
      variant.plan.metadata["mutations"].push_back(m.describe());
    if (!options.baseMutations.empty())
      variant.plan.metadata["base_mutations"] = options.baseMutations;
    variant.mlirText =
        header(options, variant, model) + printModuleWithLocations(*clone);
    if (!identity)
      seen.emplace(variant.canonicalHash, variant.id);
    gen.variants.push_back(std::move(variant));
  };

  // Grid keeps every point; the other strategies stop at --count.
  size_t wanted = options.strategy == "grid"
                      ? proposals.size()
                      : static_cast<size_t>(options.count);
  for (const Proposal &proposal : proposals) {
    if (gen.variants.size() >= wanted)
      break;
    tryProposal(proposal);
  }
  size_t strategyVariants = gen.variants.size();
  for (const Proposal &proposal : identities)
    tryProposal(proposal);

  if (strategyVariants == 0 && wanted > 0) {
    std::string msg = "no variant satisfies the equivalence constraints "
                      "(FLOPs within +-" +
                      percentText(options.flopTolerance) +
                      ", parameters within +-" +
                      percentText(options.paramTolerance) + ") among " +
                      std::to_string(proposals.size()) + " proposals";
    if (closest >= 0)
      msg +=
          llvm::formatv("; closest FLOPs ratio reached: {0:F3}", closest).str();
    return invalidInput(msg);
  }
  return gen;
}

nlohmann::json manifestToJson(const Generation &gen) {
  auto variantJson = [&](const Variant &v) {
    nlohmann::json mutations = nlohmann::json::array();
    std::vector<std::string> steps = gen.options.baseMutations;
    for (const MutationSpec &m : v.mutations) {
      mutations.push_back(m.describe());
      steps.push_back(m.describe());
    }
    return nlohmann::json{
        {"id", v.id},
        {"mlir", fileStem(v) + ".mlir"},
        {"plan", fileStem(v) + ".plan.json"},
        {"mutations", mutations},
        {"flops", v.plan.totalFlops()},
        {"params", v.plan.totalParams()},
        {"flops_ratio", v.flopRatio},
        {"params_ratio", v.paramRatio},
        {"changed_layers", v.changedLayers},
        {"canonical_hash", v.canonicalHash},
        // The model again from the source, by goodhart-opt.
        {"repro", goodhartOptLine(gen.options.source, steps)}};
  };
  nlohmann::json variants = nlohmann::json::array();
  for (const Variant &v : gen.variants)
    variants.push_back(variantJson(v));
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto &[what, why] : gen.rejected)
    rejected.push_back({{"mutation", what}, {"reason", why}});
  return {{"format", "goodhart.manifest"},
          {"version", 1},
          {"model", gen.reference.plan.model},
          {"source", gen.options.source},
          {"base_mutations", gen.options.baseMutations},
          {"strategy", gen.options.strategy},
          {"seed", gen.options.seed},
          {"count", gen.options.count},
          {"kinds", gen.options.kinds},
          {"flop_tolerance", gen.options.flopTolerance},
          {"param_tolerance", gen.options.paramTolerance},
          {"reference", variantJson(gen.reference)},
          {"variants", variants},
          {"rejected", rejected}};
}

StatusOr<std::string> writeGeneration(const Generation &gen,
                                      const std::string &outDir) {
  std::error_code ec;
  std::filesystem::create_directories(outDir, ec);
  if (ec)
    return Status(StatusCode::kIoError,
                  outDir + ": cannot create directory: " + ec.message());
  auto writeText = [&](const std::string &name,
                       const std::string &text) -> Status {
    std::string path = outDir + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out)
      return Status(StatusCode::kIoError, path + ": write failed");
    return Status::ok();
  };
  std::vector<const Variant *> all{&gen.reference};
  for (const Variant &v : gen.variants)
    all.push_back(&v);
  for (const Variant *v : all) {
    GOODHART_RETURN_IF_ERROR(writeText(fileStem(*v) + ".mlir", v->mlirText));
    GOODHART_RETURN_IF_ERROR(
        writePlanFile(v->plan, outDir + "/" + fileStem(*v) + ".plan.json"));
  }
  GOODHART_RETURN_IF_ERROR(
      writeText("manifest.json", manifestToJson(gen).dump(1) + "\n"));
  return outDir + "/manifest.json";
}

} // namespace goodhart
