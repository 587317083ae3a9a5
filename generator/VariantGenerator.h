//===- VariantGenerator.h - Equivalent variants of a reference model -*- C++
//-*-===//
//
// Clones the reference, applies proposed mutations, keeps the variants that
// verify, lower to a plan and stay within the equivalence constraints (same
// layer count and kinds, FLOPs and parameters within a tolerance), drops
// duplicates by a canonical hash, and writes each variant as .mlir (with a
// provenance header) and .plan.json, plus a manifest of them all.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_VARIANTGENERATOR_H
#define GOODHART_GENERATOR_VARIANTGENERATOR_H

#include "generator/Mutation.h"
#include "generator/Rng.h"
#include "runners/common/Plan.h"
#include "runners/common/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace goodhart {

struct GeneratorOptions {
  std::string strategy = "neighborhood"; // strategyNames()
  int count = 6; // variants wanted (grid: every grid point is tried)
  /// identity(*, SEED) variants added after the strategy's (neighborhood
  /// and random): the control group.
  int identityCount = 2;
  /// Mutation kinds neighborhood and random may propose ("set_channels");
  /// empty: every kind of the model's MutationSpace.
  std::vector<std::string> kinds;
  /// Grid dimensions, "KIND:LAYER=V1,V2,..." (Strategies.h).
  std::vector<std::string> grid;
  /// Element type the reference is retyped to before generating (f32, bf16,
  /// f16; empty: as written): set_dtype(*, dtype) on the reference itself.
  std::string dtype;
  /// Element types the target backend computes in (its runner's hello,
  /// RunnerInfo::dtypes); empty: any. A set_dtype to another type is
  /// rejected with that reason instead of becoming a variant nothing runs.
  std::vector<std::string> dtypes;
  uint64_t seed = 1;
  double flopTolerance = 0.10;  // |flops ratio - 1| at most
  double paramTolerance = 0.10; // |params ratio - 1| at most
  std::string modelName;        // plan.model; empty: entry function name
  std::string source;           // reference file, for provenance
  /// The steps that made the reference from `source` (describe()'s form),
  /// e.g. set_dtype(*, bf16) when generateForCli retyped it: plan metadata
  /// `base_mutations`, and the head of every goodhart-opt reproducer.
  std::vector<std::string> baseMutations;
  /// Lower the reference and the variants with the post-op fusions
  /// (conv_post_ops, linear: CompositePatterns.h), as oneDNN frameworks run
  /// them; off by default (one layer per op).
  bool fusePostOps = false;
};

struct Variant {
  std::string id; // "reference", "v001", ...
  std::vector<MutationSpec> mutations;
  Plan plan;
  double flopRatio = 1;
  double paramRatio = 1;
  std::vector<std::string> changedLayers; // names whose problem changed
  std::string canonicalHash;
  std::string mlirText; // the module with a provenance header
};

struct Generation {
  GeneratorOptions options;
  Variant reference;
  std::vector<Variant> variants;
  /// Proposals that were not kept, with the reason ("FLOPs ratio 1.42 is
  /// outside +-10%", "duplicate of v002", the mutation's error).
  std::vector<std::pair<std::string, std::string>> rejected;
};

/// Lists the strategy names generateVariants accepts.
std::vector<std::string> strategyNames();

/// Generates up to options.count variants of `module`'s `entry` function.
/// Fails (with a message naming the constraint and the closest ratio
/// reached) when no proposal satisfies the constraints.
StatusOr<Generation> generateVariants(mlir::ModuleOp module,
                                      mlir::func::FuncOp entry,
                                      const GeneratorOptions &options);

/// Canonical hash of a plan: layer kinds, attributes and shapes as a sorted
/// multiset, independent of names and of the order of independent layers
/// (an identity variant has its reference's hash).
std::string canonicalPlanHash(const Plan &plan);

/// Writes DIR/<id>.mlir, DIR/<id>.plan.json for the reference and each
/// variant, and DIR/manifest.json. Returns the manifest path.
StatusOr<std::string> writeGeneration(const Generation &generation,
                                      const std::string &outDir);

/// The manifest object: options, and per variant its id, files, mutations,
/// ratios, changed layers and hash.
nlohmann::json manifestToJson(const Generation &generation);

} // namespace goodhart

#endif // GOODHART_GENERATOR_VARIANTGENERATOR_H
