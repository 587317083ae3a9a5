//===- OneDnnPeak.cpp - The backend's peak GFLOP/s on this machine --------===//

#include "runners/onednn/OneDnnPeak.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace goodhart::onednn {

StatusOr<double> measureMatmulGflops(const dnnl::engine &engine,
                                     dnnl::stream &stream,
                                     dnnl::memory::data_type type,
                                     const PeakOptions &options) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const int64_t n = options.size;
  const char *typeName = type == dt::bf16 ? "bf16" : "f32";
  if (n <= 0 || options.repetitions <= 0)
    return Status(StatusCode::kInvalidInput,
                  "peak matmul: size and repetitions must be positive");
  try {
    dnnl::memory::desc a({n, n}, type, tag::ab), b({n, n}, type, tag::ab),
        c({n, n}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), engine);
    dnnl::memory ma(a, engine), mb(b, engine), mc(c, engine);
    // Zeroed inputs: the time of a GEMM does not depend on its values.
    for (dnnl::memory *m : {&ma, &mb})
      std::fill_n(static_cast<char *>(m->get_data_handle()),
                  m->get_desc().get_size(), 0);
    dnnl::matmul matmul(pd);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r <= options.repetitions; ++r) {
      auto start = std::chrono::steady_clock::now();
      matmul.execute(stream, args);
      stream.wait();
      std::chrono::duration<double, std::nano> took =
          std::chrono::steady_clock::now() - start;
      if (r > 0) // the first run warms caches and the thread pool
        best = std::min(best, took.count());
    }
    if (!(best > 0))
      return Status(StatusCode::kInternal,
                    std::string("peak matmul ") + typeName + ": no time");
    return 2.0 * double(n) * double(n) * double(n) / best; // FLOP/ns
  } catch (const dnnl::error &e) {
    return Status(StatusCode::kUnsupported, std::string("peak matmul ") +
                                                typeName +
                                                ": oneDNN: " + e.what());
  }
}

StatusOr<double> measureCopyGbs(const dnnl::engine &engine,
                                dnnl::stream &stream,
                                const PeakOptions &options) {
  const int64_t n = options.copyBytes / int64_t(sizeof(float));
  if (n <= 0 || options.repetitions <= 0)
    return Status(StatusCode::kInvalidInput,
                  "peak copy: size and repetitions must be positive");
  try {
    dnnl::memory::desc plain({n}, dnnl::memory::data_type::f32,
                             dnnl::memory::format_tag::a);
    dnnl::memory src(plain, engine), dst(plain, engine);
    // Both touched first, so no page is faulted in while timed.
    for (dnnl::memory *m : {&src, &dst})
      std::fill_n(static_cast<char *>(m->get_data_handle()),
                  m->get_desc().get_size(), 0);
    dnnl::reorder copy(src, dst);
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r <= options.repetitions; ++r) {
      auto start = std::chrono::steady_clock::now();
      copy.execute(stream, src, dst);
      stream.wait();
      std::chrono::duration<double, std::nano> took =
          std::chrono::steady_clock::now() - start;
      if (r > 0)
        best = std::min(best, took.count());
    }
    if (!(best > 0))
      return Status(StatusCode::kInternal, "peak copy: no time");
    return 2.0 * double(plain.get_size()) / best; // bytes/ns = GB/s
  } catch (const dnnl::error &e) {
    return Status(StatusCode::kUnsupported,
                  std::string("peak copy: oneDNN: ") + e.what());
  }
}

bool isaHasBf16(const std::string &isa) {
  return isa == "avx512_core_bf16" || isa == "avx512_core_amx";
}

nlohmann::json measurePeaks(const dnnl::engine &engine, dnnl::stream &stream,
                            const std::string &isa,
                            const PeakOptions &options) {
  nlohmann::json peaks = nlohmann::json::object();
  std::vector<std::pair<std::string, dnnl::memory::data_type>> types = {
      {"f32", dnnl::memory::data_type::f32}};
  if (isaHasBf16(isa))
    types.push_back({"bf16", dnnl::memory::data_type::bf16});
  for (const auto &[name, type] : types) {
    StatusOr<double> gflops =
        measureMatmulGflops(engine, stream, type, options);
    if (gflops)
      peaks[name] = *gflops;
    else
      peaks["errors"][name] = gflops.status().message();
  }
  return peaks;
}

} // namespace goodhart::onednn
