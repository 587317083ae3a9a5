//===- ParallelChunks.h - Element-wise host work on several threads -*- C++
//-*-===//
//
// Host-side data preparation (seeded fills, conversions to the device's
// element types) touches every element of tensors of up to hundreds of
// millions of elements, once per plan. Each element is independent, so
// the range is cut into one chunk per hardware thread; small ranges run
// on the calling thread. The result does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_PARALLELCHUNKS_H
#define GOODHART_RUNNERS_COMMON_PARALLELCHUNKS_H

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace goodhart {

/// Below this many elements per thread, fewer threads are used.
constexpr size_t kElementsPerThread = size_t(1) << 20;

/// Calls `work(begin, end)` over [0, n) in disjoint chunks, concurrently.
template <typename Work> void parallelChunks(size_t n, Work work) {
  const size_t threads =
      std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                       n / kElementsPerThread);
  if (threads <= 1) {
    work(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  const size_t chunk = (n + threads - 1) / threads;
  for (size_t begin = 0; begin < n; begin += chunk)
    pool.emplace_back(work, begin, std::min(n, begin + chunk));
  for (std::thread &t : pool)
    t.join();
}

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_PARALLELCHUNKS_H
