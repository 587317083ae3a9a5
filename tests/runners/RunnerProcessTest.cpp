//===- RunnerProcessTest.cpp - Containing crashes, hangs and garbage ------===//

#include "runners/common/RunnerProcess.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <sys/wait.h>

namespace goodhart {
namespace {

RunnerProcessOptions faultOptions() {
  RunnerProcessOptions o;
  o.executable = GOODHART_BINARY_DIR "/bin/goodhart-fault-runner";
  o.requestTimeoutMs = 1500;
  o.startTimeoutMs = 10000;
  return o;
}

Plan planFor(const std::string &mode) {
  Plan plan = testing::smallPlan();
  plan.model = mode;
  return plan;
}

StatusOr<MeasureResponse> measureMode(RunnerProcess &p,
                                      const std::string &mode) {
  return p.measure(planFor(mode), MeasureOptions());
}

void expectDeadAndReaped(pid_t pid) {
  ASSERT_GT(pid, 0);
  errno = 0;
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD) << "the runner was not reaped";
}

TEST(RunnerProcessTest, AnswersAndShutsDownCleanly) {
  RunnerProcess p(faultOptions());
  ASSERT_TRUE(p.start().isOk());
  EXPECT_EQ(p.info().name, "fault");
  auto r = measureMode(p, "ok");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_TRUE(r->model);
  EXPECT_EQ(r->model->measurement.samplesNs.size(), 5u);
  pid_t pid = p.pid();
  p.close();
  EXPECT_FALSE(p.running());
  expectDeadAndReaped(pid);
}

struct FaultCase {
  const char *mode;
  StatusCode code;
  const char *inMessage;
};

class RunnerFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(RunnerFaultTest, FaultBecomesStatusAndNextRequestWorks) {
  const FaultCase &c = GetParam();
  RunnerProcess p(faultOptions());
  ASSERT_TRUE(p.start().isOk());
  auto before = measureMode(p, "ok");
  ASSERT_TRUE(before.isOk());
  pid_t pid = p.pid();
  auto failed = measureMode(p, c.mode);
  ASSERT_FALSE(failed.isOk()) << c.mode;
  EXPECT_EQ(failed.status().code(), c.code) << failed.status().toString();
  EXPECT_NE(failed.status().message().find(c.inMessage), std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("goodhart-fault-runner"),
            std::string::npos);
  EXPECT_FALSE(p.running());
  expectDeadAndReaped(pid);
  // What was measured before is untouched, and the runner comes back.
  EXPECT_EQ(before->model->measurement.samplesNs.size(), 5u);
  auto after = measureMode(p, "ok");
  ASSERT_TRUE(after.isOk()) << after.status().toString();
  EXPECT_EQ(p.restarts(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RunnerFaultTest,
    ::testing::Values(
        FaultCase{"crash", StatusCode::kCrashed, "SIGABRT"},
        FaultCase{"segv", StatusCode::kCrashed, "SIGSEGV"},
        FaultCase{"hang", StatusCode::kTimeout, "hang"},
        FaultCase{"garbage", StatusCode::kInvalidInput, "not JSON"},
        FaultCase{"partial", StatusCode::kCrashed, "middle of an answer"},
        FaultCase{"exit3", StatusCode::kCrashed, "exited with code 3"}),
    [](const auto &info) { return std::string(info.param.mode); });

TEST(RunnerProcessTest, StderrTailIsInTheMessage) {
  RunnerProcess p(faultOptions());
  auto r = measureMode(p, "crash");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("fault runner: mode crash"),
            std::string::npos);
}

TEST(RunnerProcessTest, FloodedStderrDoesNotBlock) {
  RunnerProcess p(faultOptions());
  auto r = measureMode(p, "stderr-flood");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_LE(p.stderrTail().size(), faultOptions().stderrTailBytes);
}

TEST(RunnerProcessTest, LargeResponsesArrive) {
  RunnerProcess p(faultOptions());
  auto r = measureMode(p, "large");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->model->measurement.samplesNs.size(), 200000u);
}

TEST(RunnerProcessTest, RestartLimitIsHonored) {
  RunnerProcessOptions o = faultOptions();
  o.maxRestarts = 1;
  RunnerProcess p(o);
  EXPECT_FALSE(measureMode(p, "crash").isOk());
  EXPECT_FALSE(measureMode(p, "crash").isOk());
  auto third = measureMode(p, "ok");
  ASSERT_FALSE(third.isOk());
  EXPECT_NE(third.status().message().find("gave up after 1 restarts"),
            std::string::npos);
}

TEST(RunnerProcessTest, StartFreshReplacesTheProcessWithoutARestart) {
  RunnerProcessOptions o = faultOptions();
  o.maxRestarts = 0;
  RunnerProcess p(o);
  ASSERT_TRUE(p.start().isOk());
  pid_t first = p.pid();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(p.startFresh().isOk()) << "planned starts are not restarts";
  EXPECT_NE(p.pid(), first);
  expectDeadAndReaped(first);
  EXPECT_EQ(p.restarts(), 0);
  EXPECT_TRUE(measureMode(p, "ok").isOk());
  EXPECT_FALSE(measureMode(p, "crash").isOk());
  auto afterCrash = measureMode(p, "ok");
  ASSERT_FALSE(afterCrash.isOk()) << "a crash still counts: limit 0";
  EXPECT_NE(afterCrash.status().message().find("gave up after 0 restarts"),
            std::string::npos);
}

TEST(RunnerProcessTest, UnavailableBackendIsReportedClearly) {
  RunnerProcessOptions o = faultOptions();
  o.args = {"--serve", "--unavailable"};
  RunnerProcess p(o);
  Status s = p.start();
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("no device here"), std::string::npos);
  EXPECT_FALSE(p.running());
}

TEST(RunnerProcessTest, MissingExecutableFailsToStart) {
  RunnerProcessOptions o = faultOptions();
  o.executable = "/nonexistent/goodhart-runner";
  RunnerProcess p(o);
  Status s = p.start();
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("cannot execute"), std::string::npos)
      << s.message();
}

} // namespace
} // namespace goodhart
