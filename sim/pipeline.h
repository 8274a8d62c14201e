#pragma once
// Ordered parallel expansion for the breadth-first search.
//
// The search is a sequence of chunks (ranges of consecutive stored states).
// Expanding a chunk needs nothing shared but the stored states it reads, so
// worker threads expand chunks ahead of time, while the calling thread
// merges finished chunks into the visited set strictly in state order.  The
// merge is the only writer of the table and of every result, so the outcome
// is the same for any number of threads and any timing; only how far ahead
// the workers run depends on them.
//
// When the next chunk to merge is not ready, the calling thread expands a
// chunk itself instead of waiting, so one thread (no workers) runs the very
// same code sequentially.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/expand.h"

namespace fl::sim {

class Pipeline {
 public:
  // expand(thread, first, last, skip, out): expands states [first, last)
  // into `out`; `thread` is 0 for the caller and 1..threads-1 for workers.
  using Expand =
      std::function<void(unsigned, uint64_t, uint64_t, const std::vector<char>&, ChunkOutput&)>;

  Pipeline(unsigned threads, uint64_t chunk_states, Expand expand);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Makes the states below `stored` available for expansion, with the
  // properties already known to be violated (`skip`, see Expander).
  void publish(uint64_t stored, const std::vector<char>& skip);

  // The next chunk in state order, expanded; nullptr when every published
  // state has been handed out and returned (the search is complete unless
  // the caller publishes more).  Hand it back with release() after merging.
  ChunkOutput* next();
  void release(ChunkOutput* out);

  // Bytes held by chunk buffers.
  uint64_t bytes() const;

 private:
  struct Task {
    uint64_t first = 0, last = 0;
    bool done = false;
    std::unique_ptr<ChunkOutput> out;
  };

  // Takes the next range to expand (under the lock), or nullptr.
  Task* take(std::vector<char>& skip);
  void worker_loop(unsigned thread);
  std::unique_ptr<ChunkOutput> buffer();

  const unsigned threads_;
  const uint64_t chunk_states_;
  const size_t max_in_flight_;
  Expand expand_;
  mutable std::mutex mutex_;
  std::condition_variable work_available_, task_done_;
  std::deque<Task> tasks_;  // in state order; the front is merged next
  std::vector<std::unique_ptr<ChunkOutput>> free_;
  uint64_t next_first_ = 0;
  uint64_t stored_ = 0;
  std::vector<char> skip_;
  uint64_t largest_buffer_ = 0;  // bytes of the largest chunk buffer merged
  bool quit_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fl::sim
