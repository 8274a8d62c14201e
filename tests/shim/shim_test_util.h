#pragma once
// Shared fixture for the shim tests: capability skips, userfaultfd setup, and a leak check that
// every test leaves no fd and no child process behind.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "kernel-shim/access.h"
#include "kernel-shim/mapping.h"
#include "kernel-shim/probe.h"
#include "kernel-shim/uapi.h"
#include "kernel-shim/userfaultfd.h"

namespace fl::shim::test {

using namespace std::chrono_literals;

// How long a test waits for something the kernel does promptly (a message, a wake-up).
inline constexpr auto kPrompt = 2000ms;
// How long a test watches for something that must NOT happen (a wake-up that is not due).
inline constexpr auto kQuiet = 200ms;

inline int count_open_fds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return count;
}

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds(); }

  void TearDown() override {
    EXPECT_EQ(count_open_fds(), fds_before_) << "the test leaked file descriptors";
    int status = 0;
    EXPECT_LE(waitpid(-1, &status, WNOHANG), 0) << "the test left an unreaped child";
  }

  static const Probe& machine() { return cached_probe(); }
  static std::size_t ps() { return page_size_bytes(); }

  // A userfaultfd with UFFDIO_API done for the given features; skips the test if the syscall or
  // a requested feature is unavailable.
  static Userfaultfd open_uffd(std::uint64_t features, int flags = O_CLOEXEC | O_NONBLOCK) {
    auto uffd = Userfaultfd::open_syscall(flags);
    EXPECT_TRUE(uffd.ok()) << "userfaultfd(): " << uffd.error();
    if (!uffd) return Userfaultfd::adopt(-1);
    auto api = uffd->api(features);
    EXPECT_TRUE(api.ok()) << "UFFDIO_API: " << api.error();
    return std::move(*uffd);
  }

  // A page-sized scratch source buffer filled with a byte.
  static std::string source_page(char fill) { return std::string(ps(), fill); }

  int fds_before_ = 0;
};

// Skips unless userfaultfd works and the kernel grants all of `features`.
#define FL_REQUIRE_UFFD(features)                                                                 \
  do {                                                                                            \
    const auto& fl_probe_ = ::fl::shim::cached_probe();                                           \
    if (!fl_probe_.uffd_syscall) GTEST_SKIP() << "userfaultfd(2) unavailable";                    \
    if ((fl_probe_.uffd_features & (features)) != (features))                                     \
      GTEST_SKIP() << "the kernel lacks uffd features "                                           \
                   << ::fl::shim::join_names(                                                     \
                          ::fl::shim::uffd_feature_names((features) & ~fl_probe_.uffd_features)); \
  } while (0)

}  // namespace fl::shim::test
