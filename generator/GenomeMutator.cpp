//===- GenomeMutator.cpp - Structure-aware edits of genomes ---------------===//

#include "generator/GenomeMutator.h"

#include <algorithm>

namespace goodhart {
namespace {

int64_t draw(Rng &rng, size_t n) {
  return rng.uniformInt(0, static_cast<int64_t>(n) - 1);
}

const MutationSite &siteOf(const Gene &gene,
                           const std::vector<MutationSite> &sites) {
  return sites[gene.site % sites.size()];
}

/// A value field: a candidate index, or one time in four a range value.
uint16_t randomValue(const MutationSite &site, Rng &rng) {
  if (site.candidates.empty() || rng.uniformInt(0, 3) == 0)
    return static_cast<uint16_t>(kRangeBit | rng.uniformInt(0, 0x7fff));
  return static_cast<uint16_t>(draw(rng, site.candidates.size()));
}

/// The next or previous candidate of `gene`'s value.
void step(Gene &gene, const std::vector<MutationSite> &sites, Rng &rng) {
  const MutationSite &site = siteOf(gene, sites);
  size_t n = site.candidates.size();
  if (n == 0) {
    gene.value = randomValue(site, rng);
    return;
  }
  int64_t index;
  if (gene.value & kRangeBit) {
    // From a range value to the candidate nearest to it.
    int64_t span = site.maxValue - site.minValue + 1;
    int64_t value = site.minValue + (gene.value & ~kRangeBit) % span;
    index = std::lower_bound(site.candidates.begin(), site.candidates.end(),
                             value) -
            site.candidates.begin();
  } else {
    index = gene.value % n;
    index += rng.uniformInt(0, 1) ? 1 : -1;
  }
  index = std::clamp<int64_t>(index, 0, static_cast<int64_t>(n) - 1);
  gene.value = static_cast<uint16_t>(index);
}

/// Another site for `gene`: of the same kind half the time.
void move(Gene &gene, const std::vector<MutationSite> &sites, Rng &rng) {
  const std::string &kind = siteOf(gene, sites).kind;
  std::vector<uint16_t> sameKind;
  for (size_t i = 0; i < sites.size(); ++i)
    if (sites[i].kind == kind)
      sameKind.push_back(static_cast<uint16_t>(i));
  if (rng.uniformInt(0, 1) && sameKind.size() > 1)
    gene.site = sameKind[draw(rng, sameKind.size())];
  else
    gene.site = static_cast<uint16_t>(draw(rng, sites.size()));
  gene.value = randomValue(sites[gene.site], rng);
}

} // namespace

Gene randomGene(const std::vector<MutationSite> &sites, Rng &rng) {
  Gene gene;
  gene.site = static_cast<uint16_t>(draw(rng, sites.size()));
  gene.value = randomValue(sites[gene.site], rng);
  return gene;
}

void mutateGenes(std::vector<Gene> &genes,
                 const std::vector<MutationSite> &sites, Rng &rng,
                 size_t maxGenes) {
  if (sites.empty())
    return;
  if (genes.empty()) {
    genes.push_back(randomGene(sites, rng));
    return;
  }
  Gene &gene = genes[draw(rng, genes.size())];
  switch (rng.uniformInt(0, 5)) {
  case 0:
    step(gene, sites, rng);
    break;
  case 1:
    gene.value = randomValue(siteOf(gene, sites), rng);
    break;
  case 2:
    move(gene, sites, rng);
    break;
  case 3:
    if (genes.size() < maxGenes) {
      genes.insert(genes.begin() + draw(rng, genes.size() + 1),
                   randomGene(sites, rng));
      break;
    }
    [[fallthrough]];
  case 4:
    if (genes.size() > 1) {
      genes.erase(genes.begin() + draw(rng, genes.size()));
      break;
    }
    step(gene, sites, rng);
    break;
  default:
    if (genes.size() > 1)
      std::swap(genes[draw(rng, genes.size())], genes[draw(rng, genes.size())]);
    else
      step(gene, sites, rng);
    break;
  }
}

std::vector<Gene> crossOverGenes(const std::vector<Gene> &a,
                                 const std::vector<Gene> &b, Rng &rng,
                                 size_t maxGenes) {
  const std::vector<Gene> &first = rng.uniformInt(0, 1) ? a : b;
  const std::vector<Gene> &second = &first == &a ? b : a;
  size_t cutFirst = static_cast<size_t>(rng.uniformInt(0, first.size()));
  size_t cutSecond = static_cast<size_t>(rng.uniformInt(0, second.size()));
  std::vector<Gene> child(first.begin(), first.begin() + cutFirst);
  child.insert(child.end(), second.begin() + cutSecond, second.end());
  if (child.empty() && !a.empty())
    child.push_back(a.front());
  if (child.size() > maxGenes)
    child.resize(maxGenes);
  return child;
}

} // namespace goodhart
