#!/usr/bin/env bash
# Installs what goodhart needs on Debian 12, and nothing else. Idempotent:
# packages already installed are not touched and apt is not called at all
# when nothing is missing. Runs apt through sudo when not root.
set -euo pipefail

packages=(
  # Build tools.
  cmake ninja-build g++ python3 pkg-config
  # MLIR/LLVM 22 (TOSA 1.0): libMLIR.so, mlir-opt, FileCheck, lit, clang for
  # the libFuzzer driver.
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22
  libclang-rt-22-dev
  # Libraries (oneDNN's CMake config needs OpenCL: Debian builds it with
  # the OpenCL GPU runtime).
  libdnnl-dev ocl-icd-opencl-dev opencl-c-headers libboost-program-options-dev libsqlite3-dev nlohmann-json3-dev
  libfmt-dev libspdlog-dev
  # zlib: goodhart ingest reads gzip-compressed results files.
  zlib1g-dev
  # Tests and benchmarks.
  googletest libgtest-dev libbenchmark-dev
)
# Browser check of the HTML report (tests/e2e/html-report.test); the test
# path of scripts/bootstrap.sh sets GOODHART_WITH_BROWSER=1.
if [ "${GOODHART_WITH_BROWSER:-0}" = 1 ]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  --no-install-recommends "${missing[@]}"
