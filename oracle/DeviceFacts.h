//===- DeviceFacts.h - Published facts about accelerators -------*- C++ -*-===//
//
// What a run cannot measure about its device but a cross-device comparison
// needs: the transistor count of its die, from the vendor's own
// architecture documents. Comparing a candidate device with a baseline per
// transistor asks how much of a speed-up is design rather than silicon
// (the seed article's "per transistor" normalization).
//
// CPUs are not listed: their vendors do not publish per-SKU counts. Give
// any device's count on the command line (goodhart compare
// --baseline-transistors / --candidate-transistors).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_DEVICEFACTS_H
#define GOODHART_ORACLE_DEVICEFACTS_H

#include <optional>
#include <string>

namespace goodhart {

struct DeviceFact {
  std::string product;        // the table's name: "H100"
  std::string die;            // "GH100"
  double transistorsBillions; // all dies of the package
};

/// The known device a run's device name names ("NVIDIA H100 80GB HBM3" is
/// an H100): its tokens (letters and digits, case ignored) must contain a
/// table entry's tokens in a row, so "L4" is not an "L40S". nullopt when
/// no entry matches.
std::optional<DeviceFact> knownDevice(const std::string &deviceName);

} // namespace goodhart

#endif // GOODHART_ORACLE_DEVICEFACTS_H
