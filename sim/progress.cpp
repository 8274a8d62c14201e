#include "sim/progress.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace fl::sim {

void ProgressLine::update(const ProgressStats& s) {
  if (!enabled_ || (last_s_ >= 0 && s.elapsed_s - last_s_ < 0.5)) return;
  // The rate is over the last interval, so it shows the current speed
  // rather than an average dragged down by the start.
  const double dt = last_s_ < 0 ? s.elapsed_s : s.elapsed_s - last_s_;
  const double rate = dt > 0 ? static_cast<double>(s.states - last_states_) / dt : 0;
  std::fprintf(
      stderr, "\r%12llu states  %10.0f states/s  frontier %llu  depth %u  %.0f MiB  %.1f s\x1b[K",
      static_cast<unsigned long long>(s.states), rate, static_cast<unsigned long long>(s.frontier),
      s.depth, static_cast<double>(s.memory_bytes) / (1024.0 * 1024.0), s.elapsed_s);
  std::fflush(stderr);
  printed_ = true;
  last_s_ = s.elapsed_s;
  last_states_ = s.states;
}

void ProgressLine::finish() {
  if (!printed_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  printed_ = false;
}

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    uint64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

}  // namespace fl::sim
