//===- Progress.h - Progress and ETA of a measurement loop ------*- C++ -*-===//
//
// One line per plan: on a terminal a bar redrawn in place, otherwise plain
// lines a log keeps. The estimate of the time left is the mean time of the
// plans measured so far in this process times the plans still to measure
// (plans already in the database when a run resumes cost nothing).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_PROGRESS_H
#define GOODHART_GENERATOR_CLI_PROGRESS_H

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace goodhart::cli {

class Progress {
public:
  using Clock = std::chrono::steady_clock;

  /// `total` plans of which `alreadyDone` need no measuring; `terminal`
  /// selects the redrawn bar.
  Progress(std::ostream &os, size_t total, size_t alreadyDone, bool terminal);

  /// Starts plan number `index` (1-based) described by `what`.
  void begin(size_t index, const std::string &what, Clock::time_point now);
  /// Ends the current plan with `outcome` ("model 1.2 ms", "failed").
  void end(const std::string &outcome, Clock::time_point now);

  /// "1:05" or "1:02:03" for `seconds`.
  static std::string formatDuration(double seconds);
  /// The estimate of the time left, or "" before any plan finished here.
  std::string eta() const;
  /// "[#####-----]" for `done` of `total`, `width` characters inside.
  static std::string bar(size_t done, size_t total, size_t width = 20);

  /// Whether standard error is a terminal.
  static bool stderrIsTerminal();

private:
  std::ostream &os;
  size_t total, remaining, measured = 0, index = 0;
  bool terminal;
  double measuredSeconds = 0;
  Clock::time_point started;
  std::string current;
};

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_PROGRESS_H
