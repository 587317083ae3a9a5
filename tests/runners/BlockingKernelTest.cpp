//===- BlockingKernelTest.cpp - Hold a stream until released --------------===//

#include "runners/cudnn/BlockingKernel.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

TEST(BlockingKernelTest, HoldsTheStreamUntilReleasedOrTimedOut) {
  auto created = BlockingKernel::create();
  if (!created) {
    // Without a GPU (or driver) there is no mapped memory: a reason, not a
    // crash; the runner then times from the host's launch and says why.
    EXPECT_NE(created.status().message().find("blocking kernel: "),
              std::string::npos)
        << created.status().message();
    GTEST_SKIP() << "no GPU here: " << created.status().message();
  }
  BlockingKernel &k = **created;
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  cudaEvent_t after = nullptr;
  ASSERT_EQ(cudaEventCreate(&after), cudaSuccess);

  // Held: an event queued behind the kernel has not run until the release.
  ASSERT_EQ(k.block(stream, 5'000'000'000ull), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(after, stream), cudaSuccess);
  EXPECT_EQ(cudaEventQuery(after), cudaErrorNotReady);
  k.release();
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_FALSE(k.timedOut());

  // Never released: it gives up after its timeout and says so.
  ASSERT_EQ(k.block(stream, 1'000'000), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_TRUE(k.timedOut());

  cudaEventDestroy(after);
  cudaStreamDestroy(stream);
}

} // namespace
} // namespace goodhart::cuda
