//===- ProgressTest.cpp - Progress lines and the time left ----------------===//

#include "generator/cli/Progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace goodhart::cli {
namespace {

using std::chrono::seconds;

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(Progress::formatDuration(0), "0:00");
  EXPECT_EQ(Progress::formatDuration(65.4), "1:05");
  EXPECT_EQ(Progress::formatDuration(3723), "1:02:03");
}

TEST(ProgressTest, DrawsABar) {
  EXPECT_EQ(Progress::bar(0, 4, 8), "[--------]");
  EXPECT_EQ(Progress::bar(2, 4, 8), "[####----]");
  EXPECT_EQ(Progress::bar(4, 4, 8), "[########]");
}

TEST(ProgressTest, PlainLinesCarryTheEstimate) {
  std::ostringstream os;
  Progress p(os, 4, 0, /*terminal=*/false);
  auto t0 = Progress::Clock::time_point{};
  EXPECT_EQ(p.eta(), "");
  p.begin(1, "reference", t0);
  p.end("model 1.000 ms", t0 + seconds(10));
  // 10 s per plan, 3 plans left.
  EXPECT_EQ(p.eta(), "0:30");
  p.begin(2, "v001 set_channels(a, 65)", t0 + seconds(10));
  p.end("failed", t0 + seconds(40));
  // (10 + 30) / 2 per plan, 2 left.
  EXPECT_EQ(p.eta(), "0:40");
  EXPECT_EQ(os.str(), "[1/4] reference ... model 1.000 ms (ETA 0:30)\n"
                      "[2/4] v001 set_channels(a, 65) ... failed (ETA 0:40)\n");
}

TEST(ProgressTest, ResumedPlansCostNothing) {
  std::ostringstream os;
  Progress p(os, 10, 8, /*terminal=*/false);
  auto t0 = Progress::Clock::time_point{};
  p.begin(9, "v008", t0);
  p.end("done", t0 + seconds(5));
  EXPECT_EQ(p.eta(), "0:05"); // one plan left, not nine
  p.begin(10, "v009", t0 + seconds(5));
  p.end("done", t0 + seconds(10));
  EXPECT_EQ(os.str().find("ETA", os.str().find('\n')), std::string::npos)
      << "no estimate once nothing is left";
}

TEST(ProgressTest, TerminalRedrawsInPlace) {
  std::ostringstream os;
  Progress p(os, 2, 0, /*terminal=*/true);
  auto t0 = Progress::Clock::time_point{};
  p.begin(1, "reference", t0);
  EXPECT_EQ(os.str(), "\r\033[K[--------------------] [1/2] reference");
  p.end("done", t0 + seconds(3));
  p.begin(2, "v001", t0 + seconds(3));
  EXPECT_NE(os.str().find("[##########----------] [2/2] v001  ETA 0:03"),
            std::string::npos);
}

} // namespace
} // namespace goodhart::cli
