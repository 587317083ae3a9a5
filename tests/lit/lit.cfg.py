# lit configuration for goodhart's FileCheck tests: the MLIR passes through
# goodhart-opt (tests/lit) and the goodhart command line end to end
# (tests/e2e). Paths come from lit.site.cfg.py, written by CMake.
import os

import lit.formats

config.name = "goodhart-" + os.path.basename(config.suite_dir)
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = config.suite_dir
config.test_exec_root = os.path.join(config.goodhart_binary_dir, "tests",
                                     os.path.basename(config.suite_dir))

config.environment["PATH"] = os.pathsep.join(
    [config.goodhart_tools_dir, config.llvm_tools_dir,
     config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%corpus", config.goodhart_corpus_dir))
config.substitutions.append(("%fault_runner", os.path.join(
    config.goodhart_tools_dir, "goodhart-fault-runner")))
config.substitutions.append(("%inputs",
                             os.path.join(config.suite_dir, "Inputs")))

# Browser checks of index.html (tests/e2e/html-report.test) need Chromium;
# without it they report UNSUPPORTED.
import shutil

if shutil.which("chromium", path=config.environment["PATH"]):
    config.available_features.add("chromium")
config.substitutions.append(("%gpu_check", os.path.join(
    os.path.dirname(config.goodhart_corpus_dir), "scripts", "gpu-check.sh")))
config.substitutions.append(("%check_html", os.path.join(
    os.path.dirname(config.goodhart_corpus_dir), "scripts", "check-html.sh")))

# The runners' repro lines are checked where the runner was built
# (tests/e2e/*-repro.test); no GPU needed.
for backend in ["onednn", "cudnn"]:
    if os.path.exists(os.path.join(config.goodhart_tools_dir,
                                   "goodhart-runner-" + backend)):
        config.available_features.add(backend)
config.substitutions.append(("%repro_lines", os.path.join(
    config.goodhart_tools_dir, "goodhart-repro-lines")))
