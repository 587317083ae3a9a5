//===- Progress.cpp - Progress and ETA of a measurement loop --------------===//

#include "generator/cli/Progress.h"

#include <fmt/format.h>

#include <unistd.h>

namespace goodhart::cli {

Progress::Progress(std::ostream &os, size_t total, size_t alreadyDone,
                   bool terminal)
    : os(os), total(total),
      remaining(total > alreadyDone ? total - alreadyDone : 0),
      terminal(terminal) {}

bool Progress::stderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

std::string Progress::formatDuration(double seconds) {
  auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600)
    return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string Progress::bar(size_t done, size_t total, size_t width) {
  size_t filled = total ? done * width / total : width;
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') +
         "]";
}

std::string Progress::eta() const {
  if (!measured)
    return "";
  return formatDuration(measuredSeconds / static_cast<double>(measured) *
                        static_cast<double>(remaining));
}

void Progress::begin(size_t planIndex, const std::string &what,
                     Clock::time_point now) {
  index = planIndex;
  current = what;
  started = now;
  std::string left = eta();
  std::string head = fmt::format("[{}/{}] {}", index, total, what);
  if (terminal)
    os << "\r\033[K" << bar(index - 1, total) << " " << head
       << (left.empty() ? "" : "  ETA " + left) << std::flush;
  else
    os << head << " ..." << std::flush;
}

void Progress::end(const std::string &outcome, Clock::time_point now) {
  measuredSeconds += std::chrono::duration<double>(now - started).count();
  ++measured;
  if (remaining)
    --remaining;
  std::string left = remaining ? eta() : "";
  if (terminal) {
    // Keep a line per plan in the scrollback; the bar redraws on begin.
    os << "\r\033[K"
       << fmt::format("[{}/{}] {} {}", index, total, current, outcome) << "\n"
       << std::flush;
    return;
  }
  os << " " << outcome << (left.empty() ? "" : " (ETA " + left + ")") << "\n";
}

} // namespace goodhart::cli
