#pragma once
// Internal to the replayer: the part that runs inside the forked child (replay_exec.cpp) and
// the byte patterns that make page contents decidable (shared with the C reproducer).

#include <cstdint>
#include <string>

#include "kernel-shim/replay.h"

namespace fl::shim::detail {

// Every source page is filled with a byte that names it, so a read tells which page it got:
// the source's page p, a stale page-cache copy of page p, or zeroes.
inline std::uint8_t src_byte(int page) {
  return static_cast<std::uint8_t>(0x80 | (page & 0x3f));
}
inline std::uint8_t stale_byte(int page) {
  return static_cast<std::uint8_t>(0x40 | (page & 0x3f));
}
// Reads look at this offset of a page and writes store at another one, so that a write never
// changes what a later read decides.
inline constexpr std::size_t kReadOffset = 0x100;
inline constexpr std::size_t kWriteOffset = 0x800;
inline constexpr std::uint8_t kWriteByte = 0x5a;

// The UFFD_FEATURE_* bit of a feature as a scenario names it ("sigbus"), 0 if unknown.
std::uint64_t uffd_feature_bit(const std::string& name);

// Runs the scenario in the calling (freshly forked) process and returns the observed
// registers and notes as JSON text: {"registers": [...], "notes": [...]}.
std::string run_in_child(const ReplayScenario& sc, const Schedule& schedule,
                         const ReplayOptions& opts);

}  // namespace fl::shim::detail
