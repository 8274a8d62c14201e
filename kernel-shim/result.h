#pragma once
// Errno-style results for the shim. Expected kernel errors (EEXIST, EAGAIN, EFAULT ...) are data
// the tests and the replayer compare against the model, so they travel as values, never as
// exceptions.

#include <unistd.h>

#include <cassert>
#include <optional>
#include <utility>

namespace fl::shim {

// An errno value, used to build a failed Result implicitly: `return Errno{EINVAL};`.
struct Errno {
  int code = 0;
};

// Either a value or a positive errno. Accessing value() of a failed result is a programming error
// (asserted in debug builds).
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Errno err) : err_(err.code) {}          // NOLINT(google-explicit-constructor)

  bool ok() const { return err_ == 0; }
  explicit operator bool() const { return ok(); }
  // The errno, or 0 on success.
  int error() const { return err_; }

  T& value() {
    assert(ok());
    return *value_;
  }
  const T& value() const {
    assert(ok());
    return *value_;
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::optional<T> value_;
  int err_ = 0;
};

// An owned file descriptor, closed on destruction. Close errors are ignored there because a
// destructor has nobody to report them to and must not throw.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace fl::shim
