// The probe, the uapi values and the access helpers themselves.

#include <sys/mman.h>

#include <cstring>

#include "tests/shim/shim_test_util.h"

namespace fl::shim::test {
namespace {

class ProbeTest : public ShimTest {};

TEST_F(ProbeTest, FormatsAlignedLinesAndJson) {
  const Probe& p = machine();
  EXPECT_FALSE(p.kernel_release.empty());
  EXPECT_EQ(p.page_size_bytes, static_cast<long>(ps()));
  const std::string text = format_probe(p);
  // Every line is "name:<spaces>value" with the values starting in one column.
  std::size_t column = std::string::npos;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = text.substr(start, end - start);
    const std::size_t colon = line.find(':');
    ASSERT_NE(colon, std::string::npos) << line;
    const std::size_t value_at = line.find_first_not_of(' ', colon + 1);
    if (column == std::string::npos) column = value_at;
    EXPECT_EQ(value_at, column) << line;
    start = end + 1;
  }
  EXPECT_NE(text.find("kernel:"), std::string::npos);
  EXPECT_NE(text.find("uffd.features:"), std::string::npos);
  EXPECT_NE(text.find("kvm.backend:"), std::string::npos);

  const nlohmann::json j = to_json(p);
  EXPECT_EQ(j["kernel_release"], p.kernel_release);
  EXPECT_EQ(j["userfaultfd"]["features"].get<std::uint64_t>(), p.uffd_features);
  EXPECT_TRUE(j["kvm"].contains("caps"));
  EXPECT_TRUE(j["memory_failure"].contains("method"));
}

// The uapi values in kernel-shim/uapi.h are static_asserted at compile time; this pins that the
// running kernel grants no feature bit faultline has no name for (a newer kernel would show up
// here first).
TEST_F(ProbeTest, KernelFeatureBitsAreAllKnown) {
  FL_REQUIRE_UFFD(0);
  for (const auto& name : uffd_feature_names(machine().uffd_features)) {
    EXPECT_EQ(name.rfind("bit", 0), std::string::npos) << "unknown uffd feature " << name;
  }
}

// userfaultfd_api (fs/userfaultfd.c) on this kernel: every mainline feature up to MOVE (v6.8),
// i.e. 0x1ffff, and the API-level ioctls REGISTER | UNREGISTER | API.
TEST_F(ProbeTest, UffdApiGrantsEveryMainlineFeature) {
  FL_REQUIRE_UFFD(0);
  const Probe& p = machine();
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_POISON));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_MOVE));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_WP_ASYNC));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_WP_UNPOPULATED));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_WP_HUGETLBFS_SHMEM));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_MINOR_SHMEM));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_SIGBUS));
  EXPECT_TRUE(p.has_uffd_feature(UFFD_FEATURE_EXACT_ADDRESS));
  EXPECT_EQ(p.uffd_features, 0x1ffffu);
  EXPECT_EQ(p.uffd_ioctls, (1u << _UFFDIO_REGISTER) | (1u << _UFFDIO_UNREGISTER) |
                               (std::uint64_t{1} << _UFFDIO_API));
}

// userfaultfd_register (fs/userfaultfd.c): the ioctls reported per memory type and mode.
TEST_F(ProbeTest, RegisterReportsIoctlsPerMemoryType) {
  FL_REQUIRE_UFFD(0);
  auto bits = [](std::initializer_list<int> nrs) {
    std::uint64_t v = 0;
    for (int nr : nrs) v |= std::uint64_t{1} << nr;
    return v;
  };
  const std::uint64_t missing =
      bits({_UFFDIO_WAKE, _UFFDIO_COPY, _UFFDIO_ZEROPAGE, _UFFDIO_MOVE, _UFFDIO_POISON});
  for (const auto& r : machine().uffd_register) {
    SCOPED_TRACE(r.memory + "." + r.mode);
    if (r.memory == "anon" && r.mode == "MINOR") {
      EXPECT_EQ(r.err, EINVAL);  // MINOR is refused on anonymous memory
      continue;
    }
    ASSERT_EQ(r.err, 0) << r.note;
    std::uint64_t expected = missing;
    if (r.memory == "hugetlb") expected = bits({_UFFDIO_WAKE, _UFFDIO_COPY, _UFFDIO_POISON});
    if (r.mode.find("WP") != std::string::npos) expected |= bits({_UFFDIO_WRITEPROTECT});
    if (r.mode == "MINOR") expected |= bits({_UFFDIO_CONTINUE});
    EXPECT_EQ(r.ioctls, expected) << join_names(uffd_ioctl_names(r.ioctls));
  }
}

class AccessHelperTest : public ShimTest {};

TEST_F(AccessHelperTest, ReadsWritesAndCapturesSegv) {
  auto m = Mapping::anon(2 * ps());
  ASSERT_TRUE(m.ok());
  auto w = access_byte(m->page(0) + 5, AccessKind::kWrite, 0x5a, m->addr());
  EXPECT_TRUE(w.completed);
  auto r = access_byte(m->page(0) + 5, AccessKind::kRead, 0, m->addr());
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.value, 0x5a);
  ASSERT_EQ(mprotect(m->page(1), ps(), PROT_NONE), 0);
  auto s = access_byte(m->page(1) + 7, AccessKind::kRead, 0, m->addr());
  EXPECT_FALSE(s.completed);
  EXPECT_EQ(s.signo, SIGSEGV);
  EXPECT_EQ(s.code, SEGV_ACCERR);
  EXPECT_EQ(s.addr_offset, static_cast<std::intptr_t>(ps() + 7));
}

TEST_F(AccessHelperTest, ChildAccessReportsSignal) {
  auto m = Mapping::anon(ps());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(mprotect(m->data(), ps(), PROT_READ), 0);
  auto out = access_in_child(m->data() + 3, AccessKind::kWrite, 1, m->addr(), kPrompt);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ(out->signo, SIGSEGV);
  EXPECT_EQ(out->code, SEGV_ACCERR);
  EXPECT_EQ(out->addr_offset, 3);
}

TEST_F(AccessHelperTest, KernelAccessesOnOrdinaryMemory) {
  auto m = Mapping::anon(ps());
  ASSERT_TRUE(m.ok());
  auto w = kernel_write_via_pipe(m->data(), 16);
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_EQ(*w, 16u);
  EXPECT_EQ(static_cast<unsigned char>(m->data()[15]), 0xA5);
  auto r = kernel_read_via_pipe(m->data(), 16);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 16u);
  auto v = kernel_read_via_process_vm_readv(m->data(), 16);
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(*v, 16u);
}

}  // namespace
}  // namespace fl::shim::test
