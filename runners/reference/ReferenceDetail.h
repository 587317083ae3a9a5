//===- ReferenceDetail.h - Shared pieces of the float64 reference -*- C++ -*-//
//
// Index arithmetic and the per-kind reference functions that live outside
// Reference.cpp (ReferenceReductions.cpp). Internal to runners/reference.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_REFERENCE_REFERENCEDETAIL_H
#define GOODHART_RUNNERS_REFERENCE_REFERENCEDETAIL_H

#include "runners/reference/Reference.h"

namespace goodhart::reference {

/// Row-major multi-index of `index` in `shape`.
inline std::vector<int64_t> unravel(int64_t index,
                                    const std::vector<int64_t> &shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = index % shape[d];
    index /= shape[d];
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t> &idx,
                     const std::vector<int64_t> &shape) {
  int64_t index = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    index = index * shape[d] + idx[d];
  return index;
}

/// reduce, softmax, norm and concat at output index `o`.
StatusOr<ReferenceValue> reduceAt(const Plan &plan, const Layer &layer,
                                  const TensorValues &inputs,
                                  const std::vector<int64_t> &o);
StatusOr<ReferenceValue> softmaxAt(const Plan &plan, const Layer &layer,
                                   const TensorValues &inputs,
                                   const std::vector<int64_t> &o);
StatusOr<ReferenceValue> normAt(const Plan &plan, const Layer &layer,
                                const TensorValues &inputs,
                                const std::vector<int64_t> &o);
StatusOr<ReferenceValue> concatAt(const Plan &plan, const Layer &layer,
                                  const TensorValues &inputs,
                                  const std::vector<int64_t> &o);

} // namespace goodhart::reference

#endif // GOODHART_RUNNERS_REFERENCE_REFERENCEDETAIL_H
