//===- CampaignCommand.cpp - goodhart campaign ----------------------------===//
//
// Generate, measure, judge and report in one command. Resumable: started
// again with the same arguments, it continues the unfinished run and
// measures nothing it already stored.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/GeneratorCli.h"
#include "generator/cli/MeasureCli.h"
#include "generator/cli/ReportCli.h"

#include <iostream>

namespace goodhart::cli {

int runCampaign(const Args &args) {
  po::options_description options("campaign options");
  options.add_options()("model", po::value<std::string>()->required(),
                        "TOSA reference model (.mlir)")(
      "out", po::value<std::string>()->default_value("out"),
      "directory for the variants and the report");
  addGeneratorOptions(options);
  addMeasureOptions(options);
  addOracleOptions(options);
  addLoadOptions(options);
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "campaign",
          "MODEL [--backend onednn] [--strategy S] [--budget N] [--dtype bf16] "
          "[--db FILE] [--out DIR] [--seed K]",
          options, positional, args, vm))
    return *code;
  MeasureCliOptions measure;
  try {
    measure = readMeasureOptions(vm);
  } catch (const po::error &e) {
    printError("campaign", e.what());
    return kExitUsage;
  }
  const std::string path = vm["model"].as<std::string>();
  const std::string outDir = vm["out"].as<std::string>();

  std::optional<LoadedModel> model = loadModelForCli(path, readLoadOptions(vm));
  if (!model)
    return kExitFailure;
  GeneratorOptions generatorOptions = readGeneratorOptions(vm, path);
  // Variants in a type the backend cannot compute in on this machine (f16
  // on a CPU without avx512_fp16) are not generated: its runner says which.
  StatusOr<RunnerInfo> runner = queryRunnerInfo(measure);
  if (!runner) {
    printError("campaign", runner.status().message());
    return kExitFailure;
  }
  generatorOptions.dtypes = runner->dtypes;
  std::optional<Generation> generation =
      generateForCli("campaign", *model, generatorOptions);
  if (!generation)
    return kExitFailure;
  StatusOr<std::string> manifest =
      writeGeneration(*generation, outDir + "/variants");
  if (!manifest) {
    printError("campaign", manifest.status().message());
    return kExitFailure;
  }
  std::cerr << "goodhart: " << generation->variants.size() << " variants of "
            << path << " in " << outDir << "/variants\n";

  auto inputs = collectPlanInputs({outDir + "/variants"});
  if (!inputs) {
    printError("campaign", inputs.status().message());
    return kExitFailure;
  }
  auto db = ResultsDb::open(measure.db);
  if (!db) {
    printError("campaign", db.status().message());
    return kExitFailure;
  }
  RunRecord run;
  run.model = generation->reference.plan.model;
  run.source = path;
  run.strategy = generatorOptions.strategy;
  run.seed = generatorOptions.seed;
  run.commandLine = commandLineString("campaign", args);
  auto runId = measureIntoDb(*inputs, measure, run, **db, /*resume=*/true);
  if (!runId) {
    printError("campaign", runId.status().message());
    return kExitFailure;
  }
  auto paths =
      reportRun(**db, *runId, outDir, readFormats(vm), readOracleOptions(vm));
  if (!paths) {
    printError("campaign", paths.status().message());
    return kExitFailure;
  }
  std::cout << "run " << *runId << " stored in " << measure.db << "\n";
  for (const std::string &p : *paths)
    std::cout << "report: " << p << "\n";
  return kExitOk;
}

} // namespace goodhart::cli
