#pragma once
// The live progress line of a long search, and the machine's free memory.

#include <chrono>
#include <cstdint>

namespace fl::sim {

struct ProgressStats {
  uint64_t states = 0;
  uint64_t frontier = 0;  // stored states not yet expanded
  uint32_t depth = 0;
  uint64_t memory_bytes = 0;
  double elapsed_s = 0;
};

// Prints "states, states/s, frontier, depth, memory, elapsed" to stderr,
// overwriting itself with a carriage return at most every half second.  The
// caller enables it only when stderr is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  // Prints if half a second has passed since the last line.
  void update(const ProgressStats& s);
  // Erases the line so that what follows starts on a clean line.
  void finish();

 private:
  bool enabled_;
  bool printed_ = false;
  double last_s_ = -1;
  uint64_t last_states_ = 0;
};

// MemAvailable from /proc/meminfo in bytes, or 0 when unknown.
uint64_t available_memory_bytes();

}  // namespace fl::sim
