//===- GuidedFuzzer.cpp - goodhart-fuzz, the libFuzzer driver -------------===//
//
// libFuzzer owns main and the search loop; this file connects it to the
// guided search:
//
//   LLVMFuzzerInitialize       reads the --options, starts the session
//                              (reference and identity variants measured)
//   LLVMFuzzerTestOneInput     evaluates one genome and sets its features in
//                              the extra counters libFuzzer reads after the
//                              call (it clears them before each input)
//   LLVMFuzzerCustomMutator    structure-aware genome edits
//   LLVMFuzzerCustomCrossOver  genome crossover
//
// libFuzzer's C interface leaves no way to pass the session down, so it is
// the one file-level object; options live in it, not in globals.
//
//   goodhart-fuzz CORPUS_DIR -runs=200 --model=corpus/resnet50.mlir \
//       --db=fuzz.db --artifacts=findings/ [--max-variants=N]
//
// Exit codes: 0 when libFuzzer or --max-variants stops the search; 2 for bad
// options; 1 when the session cannot start (the message says why).
//
//===----------------------------------------------------------------------===//

#include "generator/fuzz/GuidedSearch.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace {

constexpr size_t kCounters = size_t(1) << 16;

std::unique_ptr<goodhart::fuzz::GuidedSearch> session;

} // namespace

// libFuzzer reads every byte of this section as a coverage counter.
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t
    extraCounters[kCounters];

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  std::vector<std::string> args(*argv + 1, *argv + *argc);
  auto options = goodhart::fuzz::parseGuidedOptions(args);
  if (!options) {
    std::cerr << "goodhart-fuzz: error: " << options.status().message()
              << "\n(--help lists the options)\n";
    std::exit(2);
  }
  if (options->help) {
    std::cout << "usage: goodhart-fuzz [CORPUS_DIR] [-libfuzzer_flag=V ...] "
                 "--model=FILE [--option=V ...]\n\n"
              << options->helpText;
    std::exit(0);
  }
  auto started = goodhart::fuzz::GuidedSearch::start(std::move(*options));
  if (!started) {
    std::cerr << "goodhart-fuzz: error: " << started.status().message() << "\n";
    std::exit(1);
  }
  session = std::move(started).value();
  std::cerr << "goodhart-fuzz: run " << session->runId() << ", "
            << session->decoder().sites().size()
            << " mutation sites; reference and identity variants measured\n";
  // libFuzzer ends with exit(): close the run then.
  std::atexit([] { session.reset(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using Kind = goodhart::fuzz::Evaluation::Kind;
  goodhart::fuzz::Evaluation ev = session->evaluate(data, size);
  if (ev.kind == Kind::kReference || ev.kind == Kind::kSkipped)
    return -1; // nothing new: keep it out of the corpus
  for (uint64_t feature : ev.features)
    extraCounters[feature % kCounters] = 1;
  if (session->exhausted() && ev.kind != Kind::kSeen) {
    std::cerr << "goodhart-fuzz: measured " << session->measuredVariants()
              << " variants (--max-variants); run " << session->runId()
              << " finished\n";
    session.reset();
    std::fflush(nullptr);
    // exit() inside the callback is a "fuzz target exited" error for
    // libFuzzer; this stop is deliberate.
    std::_Exit(0);
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  return session->mutate(data, size, maxSize, seed);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t aSize,
                                            const uint8_t *b, size_t bSize,
                                            uint8_t *out, size_t maxOut,
                                            unsigned int seed) {
  return session->crossOver(a, aSize, b, bSize, out, maxOut, seed);
}
