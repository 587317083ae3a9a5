//===- RunnerMainTest.cpp - The real oneDNN runner over a pipe ------------===//

#include "runners/common/Protocol.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sys/wait.h>

namespace goodhart {
namespace {

const std::string kRunner = GOODHART_BINARY_DIR "/bin/goodhart-runner-onednn";

int runShell(const std::string &command, std::string *out = nullptr) {
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return -1;
  char buffer[4096];
  std::string text;
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe))
    text.append(buffer, n);
  int status = pclose(pipe);
  if (out)
    *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quickOptionsJson() {
  return testing::deterministicOptions(2).toJson().dump();
}

TEST(RunnerMainTest, ServeTranscript) {
  std::string dir = ::testing::TempDir();
  std::ofstream in(dir + "/transcript.jsonl");
  in << R"({"protocol":1,"id":1,"type":"hello"})"
     << "\n";
  Request measure;
  measure.id = 2;
  measure.type = "measure";
  measure.plan = testing::smallPlan();
  measure.options =
      *MeasureOptions::fromJson(nlohmann::json::parse(quickOptionsJson()));
  in << requestToJson(measure).dump() << "\n";
  in << "garbage\n";
  // Found by tests/fuzz/RequestFuzzer: an id that is not an integer threw
  // out of the serve loop and killed the runner.
  in << R"({"protocol":1,"id":"x","type":7})"
     << "\n";
  in << R"({"protocol":1,"id":3,"type":"shutdown"})"
     << "\n";
  in.close();
  std::string out;
  int rc = runShell(kRunner + " --serve < " + dir + "/transcript.jsonl", &out);
  EXPECT_EQ(rc, 0);
  std::vector<Response> responses;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos;
       start = end + 1) {
    auto r =
        responseFromJson(nlohmann::json::parse(out.substr(start, end - start)));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    responses.push_back(*r);
  }
  ASSERT_EQ(responses.size(), 5u) << out;
  EXPECT_EQ(responses[0].runner->library, "oneDNN");
  ASSERT_TRUE(responses[1].measure);
  EXPECT_EQ(responses[1].measure->layers.size(), 6u);
  ASSERT_TRUE(responses[2].error);
  EXPECT_EQ(responses[2].error->code, "invalid_input");
  ASSERT_TRUE(responses[3].error);
  EXPECT_EQ(responses[3].error->code, "invalid_input");
  EXPECT_NE(responses[3].error->message.find("request.id"), std::string::npos);
  EXPECT_EQ(responses[4].type, "shutdown");
}

TEST(RunnerMainTest, BatchModeWritesOneLinePerPlan) {
  std::string dir = ::testing::TempDir();
  ASSERT_TRUE(writePlanFile(testing::smallPlan(), dir + "/a.plan.json").isOk());
  {
    std::ofstream o(dir + "/options.json");
    o << quickOptionsJson();
  }
  int rc = runShell(kRunner + " --plan " + dir + "/a.plan.json --plan " + dir +
                    "/a.plan.json --options " + dir + "/options.json --out " +
                    dir + "/results.jsonl 2>&1");
  EXPECT_EQ(rc, 0);
  std::ifstream results(dir + "/results.jsonl");
  int lines = 0;
  for (std::string line; std::getline(results, line); ++lines) {
    auto r = responseFromJson(nlohmann::json::parse(line));
    ASSERT_TRUE(r.isOk());
    EXPECT_TRUE(r->measure);
  }
  EXPECT_EQ(lines, 2);
}

TEST(RunnerMainTest, ExitCodes) {
  EXPECT_EQ(runShell(kRunner + " --bogus 2>/dev/null"), 2);
  EXPECT_EQ(runShell(kRunner + " 2>/dev/null"), 2);
  EXPECT_EQ(runShell(kRunner + " --help >/dev/null"), 0);
  std::string dir = ::testing::TempDir();
  {
    std::ofstream bad(dir + "/bad.plan.json");
    bad << "{\"format\": \"goodhart.plan\"}";
  }
  std::string err;
  EXPECT_EQ(runShell(kRunner + " --plan " + dir + "/bad.plan.json --out " +
                         dir + "/x.jsonl 2>&1",
                     &err),
            4);
  EXPECT_NE(err.find("bad.plan.json"), std::string::npos) << err;
}

} // namespace
} // namespace goodhart
