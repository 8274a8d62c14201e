// The replayer (kernel-shim/replay.h) on the running kernel: natural-order outcomes of scenarios
// whose answer is pinned by the kernel facts, a forced order, skips with reasons, the watchdog,
// and that hundreds of replays leak nothing.

#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "kernel-shim/replay.h"
#include "model/lang/diag.h"
#include "tests/shim/shim_test_util.h"

namespace fl::shim::test {
namespace {

std::string scenario(const std::string& name) {
  return std::string(FL_SOURCE_DIR) + "/scenarios/mm/" + name + ".fl";
}

class ReplayTest : public ShimTest {
 protected:
  // Replay children exit in the background; reap them before the fixture looks for children.
  void TearDown() override {
    reap_replay_children();
    ShimTest::TearDown();
  }
  // Loads a scenario for linux-6.18 and skips the test when this machine cannot replay it.
  ReplayScenario load(const std::string& name) {
    ReplayScenario sc = load_replay_scenario(scenario(name), "linux-6.18", {});
    skip_reason_ = unsupported_reason(sc, machine());
    return sc;
  }
  // Observation name -> observed text.
  static std::map<std::string, std::string> outcome(const ReplayScenario& sc, const RunResult& r) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < r.outcome_text.size(); ++i) {
      out[sc.model.observations[i].name] = r.outcome_text[i];
    }
    return out;
  }
  std::string skip_reason_;
};

#define FL_SKIP_IF_UNSUPPORTED() \
  if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_

TEST_F(ReplayTest, PoisonFirstAccessEveryAccessGetsSigbus) {
  ReplayScenario sc = load("poison-first-access");
  FL_SKIP_IF_UNSUPPORTED();
  const RunResult r = replay(sc, {}, {});
  ASSERT_TRUE(r.completed) << r.failure;
  auto o = outcome(sc, r);
  EXPECT_EQ(o["r1"], "SIGBUS_ADRERR");
  EXPECT_EQ(o["r2"], "SIGBUS_ADRERR");
  EXPECT_EQ(o["r3"], "SIGBUS_ADRERR");
}

// A partial COPY: -EAGAIN with the output field at one page, and the waiter on the done page
// woken with the source's data.
TEST_F(ReplayTest, PartialFillReportsOutputField) {
  ReplayScenario sc = load("partial-fill");
  FL_SKIP_IF_UNSUPPORTED();
  const RunResult r = replay(sc, {}, {});
  ASSERT_TRUE(r.completed) << r.failure;
  auto o = outcome(sc, r);
  EXPECT_EQ(o["c1"], "EAGAIN");
  EXPECT_EQ(o["c1_out"], "1");
  EXPECT_EQ(o["r1"], "DATA_SRC");
}

// COPY with DONTWAKE and no wake: the reader stays asleep in handle_userfault (BLOCKED); the
// child's exit ends it, so nothing hangs.
TEST_F(ReplayTest, DontwakeWithoutWakeLeavesReaderBlocked) {
  ReplayScenario sc = load("dontwake-without-wake");
  FL_SKIP_IF_UNSUPPORTED();
  const RunResult r = replay(sc, {}, {});
  ASSERT_TRUE(r.completed) << r.failure;
  auto o = outcome(sc, r);
  EXPECT_EQ(o["r1"], "BLOCKED");
  EXPECT_EQ(o["c1"], "OK");
}

TEST_F(ReplayTest, CloseWithWaiterReadsZeroes) {
  ReplayScenario sc = load("close-with-waiter");
  FL_SKIP_IF_UNSUPPORTED();
  const RunResult r = replay(sc, {}, {});
  ASSERT_TRUE(r.completed) << r.failure;
  EXPECT_EQ(outcome(sc, r)["r1"], "DATA_ZERO");
}

// A forced order: the monitor reads the vCPU's message, the prefetcher's COPY installs the page
// (and wakes the vCPU), then the monitor's COPY gets EEXIST.  The natural order gives c1 == OK
// with nobody's COPY failing in the monitor; the forced one must show the race's other side.
TEST_F(ReplayTest, ForcedOrderCopyRace) {
  ReplayScenario sc = load("copy-race-eexist");
  FL_SKIP_IF_UNSUPPORTED();
  ASSERT_EQ(sc.desc.threads.size(), 2u);
  ASSERT_EQ(sc.desc.monitors.size(), 1u);
  const Schedule s = {{ReplayStep::Kind::kOp, 0, 0},
                      {ReplayStep::Kind::kRead, 0, 0},
                      {ReplayStep::Kind::kOp, 1, 0},
                      {ReplayStep::Kind::kResolve, 0, 0}};
  EXPECT_EQ(format_schedule(sc.desc, s), "vcpu:0 m:read prefetch:0 m:resolve");
  const RunResult r = replay(sc, s, {});
  ASSERT_TRUE(r.completed) << r.failure;
  auto o = outcome(sc, r);
  EXPECT_EQ(o["r1"], "DATA_SRC");
  EXPECT_EQ(o["c1"], "OK");
  bool monitor_eexist = false;
  for (const std::string& n : r.notes) monitor_eexist |= n.find("-> EEXIST") != std::string::npos;
  EXPECT_TRUE(monitor_eexist) << "the monitor's COPY should have failed with EEXIST";
  EXPECT_TRUE(r.notes.size() == 1) << "no step should have been skipped";
}

// S14's order "vmm:0 vcpu:0 mon:read": the vCPU reads after the munmap (which still sleeps in
// userfaultfd_unmap_complete until the monitor reads the UNMAP event) and must get SIGSEGV.  The
// hook fills every free page-sized hole the kernel's allocator would hand out next, as ASan's
// allocator did by chance: the old address must stay a hole, not read an unrelated mapping's
// zeroes (DATA_ZERO, which the model does not allow).
TEST_F(ReplayTest, MunmappedRegionIsNotReusedByOtherMappings) {
  ReplayScenario sc = load("munmap-strands-waiter");
  FL_SKIP_IF_UNSUPPORTED();
  ASSERT_EQ(sc.desc.threads.size(), 2u);
  const Schedule s = {{ReplayStep::Kind::kOp, 1, 0},
                      {ReplayStep::Kind::kOp, 0, 0},
                      {ReplayStep::Kind::kRead, 0, 0}};
  ASSERT_EQ(format_schedule(sc.desc, s), "vmm:0 vcpu:0 mon:read");
  ReplayOptions opts;
  opts.after_forced_step = [](std::size_t i) {
    if (i != 0) return;
    // 4096 one-page mappings (16 MiB), alternately read-only and read-write so they never merge
    // into fewer VMAs; the child exits right after the run, which unmaps them.
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    for (int k = 0; k < 4096; ++k) {
      const int prot = (k % 2) != 0 ? PROT_READ : PROT_READ | PROT_WRITE;
      if (mmap(nullptr, page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) return;
    }
  };
  for (int run = 0; run < 3; ++run) {
    const RunResult r = replay(sc, s, opts);
    ASSERT_TRUE(r.completed) << r.failure;
    auto o = outcome(sc, r);
    EXPECT_EQ(o["r"], "SIGSEGV") << "run " << run << ": " << format_outcome(r, sc.model);
    EXPECT_EQ(o["u"], "OK");
  }
}

TEST_F(ReplayTest, SkipsWithReasons) {
  ReplayScenario mce = load_replay_scenario(scenario("poison-first-access-mce"), "linux-6.18", {});
  if (!machine().memory_failure_enabled()) {
    EXPECT_NE(unsupported_reason(mce, machine()).find("CONFIG_MEMORY_FAILURE"), std::string::npos);
  }
  ReplayScenario huge =
      load_replay_scenario(scenario("hugetlb-punch-hole-drops-poison"), "linux-6.18", {});
  if (!machine().hugetlb_usable()) {
    EXPECT_NE(unsupported_reason(huge, machine()).find("huge page"), std::string::npos);
  }
  ReplayScenario v1 = load_replay_scenario(scenario("uffdio-sigbus-v1"), "uffdio-sigbus-v1", {});
  EXPECT_NE(unsupported_reason(v1, machine()).find("linux-6.18"), std::string::npos);
}

// The watchdog: a run that cannot finish in time is killed and reported, never waited for.
TEST_F(ReplayTest, WatchdogKillsAHungRun) {
  ReplayScenario sc = load("dontwake-without-wake");
  FL_SKIP_IF_UNSUPPORTED();
  ReplayOptions opts;
  opts.run_timeout = std::chrono::milliseconds(1);
  const RunResult r = replay(sc, {}, opts);
  if (r.completed) GTEST_SKIP() << "the run finished within 1 ms";
  EXPECT_NE(r.failure.find("timed out"), std::string::npos) << r.failure;
}

int count_entries(const char* dir) {
  int n = 0;
  if (DIR* d = opendir(dir)) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

int count_lines(const char* path) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

// Several hundred replays (blocking and non-blocking scenarios) leave the same fds, mappings,
// threads and children behind as before: all of their state lives and dies in the children.
TEST_F(ReplayTest, HundredsOfReplaysLeakNothing) {
  std::vector<ReplayScenario> scs;
  for (const char* name : {"dontwake-without-wake", "poison-first-access", "copy-race-eexist"}) {
    scs.push_back(load(name));
    FL_SKIP_IF_UNSUPPORTED();
  }
  replay(scs[0], {}, {});  // warm up lazily allocated state (probe cache, allocator arenas)
  reap_replay_children();
  const int fds = count_open_fds();
  const int maps = count_lines("/proc/self/maps");
  const int tasks = count_entries("/proc/self/task");
  for (int i = 0; i < 300; ++i) {
    const RunResult r = replay(scs[i % scs.size()], {}, {});
    ASSERT_TRUE(r.completed) << r.failure;
  }
  reap_replay_children();
  EXPECT_EQ(count_open_fds(), fds);
  EXPECT_EQ(count_lines("/proc/self/maps"), maps);
  EXPECT_EQ(count_entries("/proc/self/task"), tasks);
  int status = 0;
  EXPECT_LE(waitpid(-1, &status, WNOHANG), 0) << "an unreaped replay child";
}

}  // namespace
}  // namespace fl::shim::test
