//===- JsonFields.h - Typed reads of JSON fields that name the field -*- C++
//-*-===//
//
// Plans, protocol messages and options come from outside: every read of a
// field checks its presence, its type and (jsonFitsInteger) its range, and
// an error names the field by its path ("plan.layers[3].inputs: wrong type
// (string)") instead of throwing. Shared by the plan and protocol readers.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_JSONFIELDS_H
#define GOODHART_RUNNERS_COMMON_JSONFIELDS_H

#include "runners/common/JsonNumbers.h"
#include "runners/common/Status.h"

#include <nlohmann/json.hpp>

#include <string>

namespace goodhart {

/// An invalid-input error at `where`: "where: what".
inline Status fieldError(const std::string &where, const std::string &what) {
  return invalidInput(where + ": " + what);
}

/// Reads field `key` of `object` into `out` when present and not null
/// (`out` keeps its value otherwise); a field of the wrong type or out of
/// T's range is an error naming `where.key`.
template <typename T>
Status readOptional(const nlohmann::json &object, const std::string &key,
                    const std::string &where, T &out) {
  if (!object.is_object())
    return fieldError(where, "expected an object");
  auto it = object.find(key);
  if (it == object.end() || it->is_null())
    return Status::ok();
  if (!jsonFitsInteger<T>(*it))
    return fieldError(where + "." + key, "not an integer in range");
  try {
    out = it->template get<T>();
  } catch (const nlohmann::json::exception &) {
    return fieldError(where + "." + key,
                      std::string("wrong type (") + it->type_name() + ")");
  }
  return Status::ok();
}

/// Like readOptional; a missing field is an error naming it.
template <typename T>
Status readRequired(const nlohmann::json &object, const std::string &key,
                    const std::string &where, T &out) {
  if (!object.is_object())
    return fieldError(where, "expected an object");
  if (!object.contains(key))
    return fieldError(where, "missing field '" + key + "'");
  return readOptional(object, key, where, out);
}

/// readRequired, returning the value.
template <typename T>
StatusOr<T> readField(const nlohmann::json &object, const std::string &key,
                      const std::string &where) {
  T value{};
  Status status = readRequired(object, key, where, value);
  if (!status.isOk())
    return status;
  return value;
}

/// An optional string field: "" when absent or null.
inline StatusOr<std::string> readOptionalString(const nlohmann::json &object,
                                                const std::string &key,
                                                const std::string &where) {
  std::string value;
  Status status = readOptional(object, key, where, value);
  if (!status.isOk())
    return status;
  return value;
}

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_JSONFIELDS_H
