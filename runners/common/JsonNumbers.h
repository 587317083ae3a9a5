//===- JsonNumbers.h - Range checks before JSON integer casts ---*- C++ -*-===//
//
// nlohmann::json's get<T>() converts a number to an integer type with a
// static_cast: a float outside T's range is undefined behaviour, and an
// integer outside it silently wraps. Readers of outside input (plans,
// protocol messages, options) check with jsonFitsInteger first and report
// the field instead.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_JSONNUMBERS_H
#define GOODHART_RUNNERS_COMMON_JSONNUMBERS_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace goodhart {
namespace detail {

template <typename T> bool integerFits(const nlohmann::json &value) {
  if constexpr (std::is_same_v<T, bool> || !std::is_integral_v<T>) {
    return true;
  } else {
    if (value.is_number_float())
      return false;
    if (value.is_number_unsigned())
      return value.get<uint64_t>() <=
             static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (value.is_number_integer()) {
      int64_t v = value.get<int64_t>();
      if (v >= 0)
        return static_cast<uint64_t>(v) <=
               static_cast<uint64_t>(std::numeric_limits<T>::max());
      return std::is_signed_v<T> &&
             v >= static_cast<int64_t>(std::numeric_limits<T>::min());
    }
    return true; // not a number: get<T>() throws and the caller reports it
  }
}

template <typename T> struct IntegerTarget {
  static bool fits(const nlohmann::json &value) {
    return integerFits<T>(value);
  }
};
template <typename E> struct IntegerTarget<std::vector<E>> {
  static bool fits(const nlohmann::json &value) {
    if (!value.is_array())
      return true;
    for (const nlohmann::json &element : value)
      if (!IntegerTarget<E>::fits(element))
        return false;
    return true;
  }
};

} // namespace detail

/// False when get<T>() of `value` would convert a number that is not an
/// integer in T's range (elementwise for std::vector<T>). True for every T
/// that is not an integer type, and for values that are not numbers.
template <typename T> bool jsonFitsInteger(const nlohmann::json &value) {
  return detail::IntegerTarget<T>::fits(value);
}

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_JSONNUMBERS_H
