//===- Genome.h - A variant as a compact sequence of mutations --*- C++ -*-===//
//
// The guided search (generator/fuzz) fuzzes genomes, not models. A genome is
// a byte string of 4-byte genes; a gene names a site of the reference's
// MutationSpace and a value for it:
//
//   bytes 0-1  site, little endian, taken modulo the number of sites
//   bytes 2-3  value: with bit 15 set, (value & 0x7fff) modulo the site's
//              range size, offset by its minimum (any value a random draw
//              could take); else an index modulo the site's candidates
//              (the alignment classes a neighborhood tries)
//
// Bytes after the last whole gene and genes after the first kMaxGenes are
// ignored, so every byte string is a genome.
//
// GenomeDecoder turns a genome into a variant: it applies the genes in
// order, each to a clone of the result so far, and keeps a gene only when
// the clone verifies, lowers to a plan and stays equivalent to the
// reference (generator/Equivalence.h); other genes are dropped with the
// reason. Every genome therefore decodes to a valid, equivalent variant
// (with no effective gene: the reference itself), and the effective genes
// are its canonical form.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_GENOME_H
#define GOODHART_GENERATOR_GENOME_H

#include "generator/Equivalence.h"
#include "generator/MutationSpace.h"
#include "mlir/PlanLowering.h"
#include "runners/common/Plan.h"
#include "runners/common/Status.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace goodhart {

struct Gene {
  uint16_t site = 0;
  uint16_t value = 0;
  bool operator==(const Gene &other) const = default;
};

inline constexpr size_t kGeneBytes = 4;
inline constexpr size_t kMaxGenes = 8;
inline constexpr uint16_t kRangeBit = 0x8000;

/// The genes of `size` bytes at `data` (at most kMaxGenes).
std::vector<Gene> parseGenome(const uint8_t *data, size_t size);

/// The bytes parseGenome reads back as `genes`.
std::string serializeGenome(const std::vector<Gene> &genes);

/// The mutation `gene` names among `sites`; nullopt when there are no sites
/// or the value is the site's current one (a gene that changes nothing).
std::optional<MutationSpec> geneSpec(const Gene &gene,
                                     const std::vector<MutationSite> &sites);

/// A genome as a variant.
struct DecodedVariant {
  std::vector<Gene> genes; // the effective genes, in order
  std::vector<MutationSpec> mutations;
  /// Genes that were dropped: "set_channels(conv1, 3): FLOPs ratio ...".
  std::vector<std::string> dropped;
  Plan plan;
  double flopRatio = 1, paramRatio = 1;
  std::string canonicalHash;
  std::vector<std::string> changedLayers; // names whose problem changed
  mlir::OwningOpRef<mlir::ModuleOp> module;

  bool isReference() const { return genes.empty(); }
};

class GenomeDecoder {
public:
  /// Decodes genomes against `reference`'s function `entry`, which must
  /// lower to a plan with `lowering`. The decoder keeps a clone of the
  /// module; the context must outlive it.
  static StatusOr<std::unique_ptr<GenomeDecoder>>
  create(mlir::ModuleOp reference, const std::string &entry,
         LoweringOptions lowering, EquivalenceOptions equivalence);

  DecodedVariant decode(const std::vector<Gene> &genes) const;

  const std::vector<MutationSite> &sites() const { return sites_; }
  const Plan &referencePlan() const { return referencePlan_; }
  const std::string &referenceHash() const { return referenceHash_; }

private:
  GenomeDecoder() = default;

  mlir::OwningOpRef<mlir::ModuleOp> reference_;
  std::string entry_;
  LoweringOptions lowering_;
  EquivalenceOptions equivalence_;
  std::vector<MutationSite> sites_;
  Plan referencePlan_;
  std::string referenceHash_;
};

} // namespace goodhart

#endif // GOODHART_GENERATOR_GENOME_H
