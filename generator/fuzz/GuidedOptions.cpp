//===- GuidedOptions.cpp - What goodhart-fuzz is asked to do --------------===//

#include "generator/fuzz/GuidedOptions.h"

#include "generator/Genome.h"
#include "generator/cli/CliSupport.h"

#include <sstream>

namespace goodhart::fuzz {

namespace po = boost::program_options;

StatusOr<GuidedOptions>
parseGuidedOptions(const std::vector<std::string> &args) {
  po::options_description options(
      "goodhart-fuzz options (libFuzzer's own flags take one dash: -runs=N, "
      "-max_total_time=S, -seed=N)");
  options.add_options()("help", "this text")("model", po::value<std::string>(),
                                             "reference model (.mlir)")(
      "artifacts", po::value<std::string>()->default_value(""),
      "directory for the reproducers of cliffs, mismatches and crashes")(
      "identity-variants", po::value<int>()->default_value(2),
      "identity variants measured with the reference (the noise floor)")(
      "max-variants", po::value<int64_t>()->default_value(0),
      "stop after measuring this many variants (0: no limit)")(
      "max-genes", po::value<size_t>()->default_value(4),
      "mutations per variant at most")(
      "seed", po::value<uint64_t>()->default_value(1),
      "seed of the identity variants (libFuzzer's -seed drives the search)")(
      "flop-tolerance", po::value<double>()->default_value(0.10),
      "variants keep FLOPs within this fraction of the reference's")(
      "param-tolerance", po::value<double>()->default_value(0.10),
      "variants keep parameters within this fraction of the reference's")(
      "cliff-threshold", po::value<double>()->default_value(0.67),
      "a layer whose whole interval of relative throughput per FLOP lies "
      "below this is a cliff");
  cli::addLoadOptions(options);
  cli::addMeasureOptions(options);

  std::vector<std::string> ours;
  for (const std::string &arg : args)
    if (arg.rfind("--", 0) == 0)
      ours.push_back(arg);
  GuidedOptions out;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(ours).options(options).run(), vm);
    po::notify(vm);
    std::ostringstream help;
    help << options;
    out.helpText = help.str();
    if (vm.count("help")) {
      out.help = true;
      return out;
    }
    if (!vm.count("model"))
      return invalidInput("--model=FILE is required");
    out.model = vm["model"].as<std::string>();
    out.load = cli::readLoadOptions(vm);
    out.measure = cli::readMeasureOptions(vm);
    if (vm["mode"].defaulted())
      out.measure.measure.mode = MeasureMode::kLayers;
    out.artifacts = vm["artifacts"].as<std::string>();
    out.identityVariants = vm["identity-variants"].as<int>();
    out.maxVariants = vm["max-variants"].as<int64_t>();
    out.maxGenes = vm["max-genes"].as<size_t>();
    out.seed = vm["seed"].as<uint64_t>();
    out.equivalence.flopTolerance = vm["flop-tolerance"].as<double>();
    out.equivalence.paramTolerance = vm["param-tolerance"].as<double>();
    out.oracle.cliffThreshold = vm["cliff-threshold"].as<double>();
  } catch (const std::exception &e) {
    return invalidInput(e.what());
  }
  if (out.maxGenes < 1 || out.maxGenes > kMaxGenes)
    return invalidInput("--max-genes must be in [1, " +
                        std::to_string(kMaxGenes) + "]");
  if (out.identityVariants < 0 || out.maxVariants < 0)
    return invalidInput("--identity-variants and --max-variants must not be "
                        "negative");
  std::string line = "goodhart-fuzz";
  for (const std::string &arg : args)
    line += " " + arg;
  out.commandLine = line;
  return out;
}

} // namespace goodhart::fuzz
