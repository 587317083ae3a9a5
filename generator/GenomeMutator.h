//===- GenomeMutator.h - Structure-aware edits of genomes -------*- C++ -*-===//
//
// libFuzzer's byte mutations would mostly produce genes that the decoder
// drops; these edits work on genes, with the MutationSpace in view:
//
//   step     a gene's value moves to the next or previous candidate (the
//            next alignment class: 64 -> 72 -> 80)
//   redraw   a gene takes another candidate, or any value of its range
//   move     a gene moves to another site, of the same kind half the time
//   insert   a new gene on a random site (up to the maximum)
//   erase    a gene is removed (down to one)
//   swap     two genes trade places (order matters: later genes see the
//            earlier ones' result)
//
// All choices come from the Rng the caller passes (seeded by libFuzzer), so
// an edit is reproducible. The decoder decides what the result means.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_GENOMEMUTATOR_H
#define GOODHART_GENERATOR_GENOMEMUTATOR_H

#include "generator/Genome.h"
#include "generator/Rng.h"

namespace goodhart {

/// A random gene: a uniformly drawn site and one of its candidates (or,
/// one time in four, a value of its range).
Gene randomGene(const std::vector<MutationSite> &sites, Rng &rng);

/// Applies one edit to `genes` (an empty genome gets a random gene).
void mutateGenes(std::vector<Gene> &genes,
                 const std::vector<MutationSite> &sites, Rng &rng,
                 size_t maxGenes);

/// A child of `a` and `b`: a prefix of one followed by a suffix of the
/// other, at most `maxGenes` long.
std::vector<Gene> crossOverGenes(const std::vector<Gene> &a,
                                 const std::vector<Gene> &b, Rng &rng,
                                 size_t maxGenes);

} // namespace goodhart

#endif // GOODHART_GENERATOR_GENOMEMUTATOR_H
