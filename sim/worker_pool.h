#pragma once
// A fixed set of threads that run one job at a time on every thread (the
// caller included) and wait for all of them: the parallel step of the
// level-synchronous parts of the search.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fl::sim {

class WorkerPool {
 public:
  // `threads` >= 1 (the caller counts as one; threads - 1 are started).
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()) + 1; }
  // Runs job(i) for i in [0, size()), i = 0 on the caller; returns when all
  // are done.
  void run(const std::function<void(unsigned)>& job);

 private:
  void loop(unsigned index);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  uint64_t generation_ = 0;
  unsigned running_ = 0;
  bool quit_ = false;
};

}  // namespace fl::sim
