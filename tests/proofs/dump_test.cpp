// --dump-smt: every query is written as an SMT-LIB2 file with a
// deterministic name, and the z3 command-line tool gives the same answer.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "proofs/bmc.h"
#include "proofs/ioctl_args.h"
#include "proofs/prove.h"
#include "tests/proofs/helpers.h"

namespace fl {
namespace {

namespace fs = std::filesystem;

std::string run_z3(const std::string& file) {
  std::string cmd = "z3 '" + file + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[256];
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::path(FL_BINARY_DIR) / "test-dump-smt" / name;
  fs::remove_all(d);
  return d;
}

void expect_replays(const std::vector<proofs::smt::QueryRecord>& queries, const fs::path& dir) {
  ASSERT_FALSE(queries.empty());
  size_t files = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++files;
  EXPECT_EQ(files, queries.size());
  const std::regex name(R"(\d{4}-[A-Za-z0-9_.-]+\.smt2)");
  for (const auto& q : queries) {
    ASSERT_FALSE(q.file.empty());
    EXPECT_TRUE(std::regex_match(fs::path(q.file).filename().string(), name)) << q.file;
    EXPECT_EQ(run_z3(q.file), proofs::smt::to_string(q.result)) << q.file;
  }
}

TEST(DumpSmt, ProveQueriesReplayWithZ3) {
  model::Model m = test::postcopy({.wake_prefetch = false});
  fs::path dir = fresh_dir("prove");
  proofs::ProveOptions o;
  o.dump_smt_dir = dir.string();
  o.max_k = 3;
  proofs::ProveResult r = proofs::prove(m, o);
  expect_replays(r.queries, dir);
  // Names are deterministic: the first query and the step of data.
  EXPECT_TRUE(fs::exists(dir / "0001-sanity-initial-state-exists.smt2"));
  EXPECT_TRUE(fs::exists(dir / "0002-data-init.smt2"));
  // The same run writes the same files.
  fs::path again = fresh_dir("prove-again");
  o.dump_smt_dir = again.string();
  proofs::ProveResult r2 = proofs::prove(m, o);
  ASSERT_EQ(r.queries.size(), r2.queries.size());
  for (size_t i = 0; i < r.queries.size(); ++i) {
    EXPECT_EQ(fs::path(r.queries[i].file).filename(), fs::path(r2.queries[i].file).filename());
    EXPECT_EQ(r.queries[i].result, r2.queries[i].result);
  }
}

TEST(DumpSmt, BmcQueriesReplayWithZ3) {
  model::Model m = test::postcopy({.vcpus = 1, .pages = 3, .wake_prefetch = false});
  fs::path dir = fresh_dir("bmc");
  proofs::BmcOptions o;
  o.depth = 4;
  o.dump_smt_dir = dir.string();
  expect_replays(proofs::bmc(m, o).queries, dir);
}

TEST(DumpSmt, IoctlQueriesReplayWithZ3) {
  fs::path dir = fresh_dir("ioctls");
  proofs::IoctlOptions o;
  o.ioctls = {model::uffd::Ioctl::Copy};
  o.dump_smt_dir = dir.string();
  proofs::IoctlReport r = proofs::prove_ioctls(o);
  ASSERT_EQ(r.ioctls.size(), 1u);
  expect_replays(r.queries, dir);
}

}  // namespace
}  // namespace fl
