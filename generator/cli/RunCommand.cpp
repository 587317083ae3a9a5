//===- RunCommand.cpp - goodhart run --------------------------------------===//
//
// Measures plans (a `goodhart generate` directory or plan files) on a
// backend and stores the results in the SQLite database.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/MeasureCli.h"

#include <iostream>

namespace goodhart::cli {

int runMeasure(const Args &args) {
  po::options_description options("run options");
  options.add_options()("input", po::value<std::vector<std::string>>(),
                        "generate output directories or plan files");
  addMeasureOptions(options);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  if (auto code =
          parseCommandLine("run", "DIR|PLAN... [--backend onednn] [--db FILE]",
                           options, positional, args, vm))
    return *code;
  if (!vm.count("input")) {
    printError("run", "give a generate output directory or plan files");
    return kExitUsage;
  }
  MeasureCliOptions measure;
  try {
    measure = readMeasureOptions(vm);
  } catch (const po::error &e) {
    printError("run", e.what());
    return kExitUsage;
  }
  auto inputs = collectPlanInputs(vm["input"].as<std::vector<std::string>>());
  if (!inputs) {
    printError("run", inputs.status().message());
    return kExitFailure;
  }
  auto db = ResultsDb::open(measure.db);
  if (!db) {
    printError("run", db.status().message());
    return kExitFailure;
  }
  RunRecord run;
  run.model = inputs->front().plan.model;
  run.source = inputs->front().plan.source;
  run.commandLine = commandLineString("run", args);
  // The generator's strategy and seed: the reference's plan has none, its
  // variants' do.
  for (const PlanInput &input : *inputs)
    if (!input.strategy.empty()) {
      run.strategy = input.strategy;
      run.seed = input.seed;
      break;
    }
  auto runId = measureIntoDb(*inputs, measure, run, **db, /*resume=*/false);
  if (!runId) {
    printError("run", runId.status().message());
    return kExitFailure;
  }
  std::cout << "run " << *runId << " stored in " << measure.db << "\n";
  return kExitOk;
}

} // namespace goodhart::cli
