#include "sim/pipeline.h"

#include <algorithm>

namespace fl::sim {

Pipeline::Pipeline(unsigned threads, uint64_t chunk_states, Expand expand)
    : threads_(std::max(1U, threads)),
      chunk_states_(chunk_states),
      // Enough chunks ahead that no worker waits for the merge, few enough
      // that a limit stops the search promptly and buffers stay small.
      max_in_flight_(2 * threads_ + 1),
      expand_(std::move(expand)) {
  for (unsigned t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

Pipeline::~Pipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  work_available_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void Pipeline::publish(uint64_t stored, const std::vector<char>& skip) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stored_ = stored;
    skip_ = skip;
  }
  work_available_.notify_all();
}

std::unique_ptr<ChunkOutput> Pipeline::buffer() {
  if (free_.empty()) return std::make_unique<ChunkOutput>();
  std::unique_ptr<ChunkOutput> out = std::move(free_.back());
  free_.pop_back();
  return out;
}

Pipeline::Task* Pipeline::take(std::vector<char>& skip) {
  if (quit_ || tasks_.size() >= max_in_flight_ || next_first_ >= stored_) return nullptr;
  Task& t = tasks_.emplace_back();
  t.first = next_first_;
  t.last = std::min(stored_, next_first_ + chunk_states_);
  t.out = buffer();
  next_first_ = t.last;
  skip = skip_;
  return &t;
}

void Pipeline::worker_loop(unsigned thread) {
  std::vector<char> skip;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    Task* t = nullptr;
    work_available_.wait(lock, [&] { return quit_ || (t = take(skip)) != nullptr; });
    if (t == nullptr) return;
    // Tasks live in a deque that only grows at the back and shrinks at the
    // front after the task is merged, so `t` stays valid while unlocked.
    lock.unlock();
    expand_(thread, t->first, t->last, skip, *t->out);
    lock.lock();
    t->done = true;
    task_done_.notify_one();
  }
}

ChunkOutput* Pipeline::next() {
  std::vector<char> skip;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!tasks_.empty() && tasks_.front().done) return tasks_.front().out.get();
    if (Task* t = take(skip)) {
      // Nothing to merge yet: expand a chunk here rather than wait.
      lock.unlock();
      expand_(0, t->first, t->last, skip, *t->out);
      lock.lock();
      t->done = true;
      continue;
    }
    if (tasks_.empty()) return nullptr;
    task_done_.wait(lock);
  }
}

void Pipeline::release(ChunkOutput* out) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Only the merging thread touches a finished chunk, so its size can be
    // read here without racing with a writer.
    largest_buffer_ = std::max(largest_buffer_, out->bytes());
    free_.push_back(std::move(tasks_.front().out));
    tasks_.pop_front();
  }
  work_available_.notify_one();
}

uint64_t Pipeline::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return largest_buffer_ * (free_.size() + tasks_.size());
}

}  // namespace fl::sim
