#pragma once
// The arithmetic of the IR, shared by the bytecode interpreter and the
// constant folder so that both compute exactly what model/eval.cpp does.
// Overflow wraps (two's complement) instead of being undefined; the
// reference computes the same values on every platform we build for.

#include <cstdint>

#include "model/ir.h"

namespace fl::sim::ops {

using model::Value;

inline Value add(Value x, Value y) {
  return static_cast<Value>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}
inline Value sub(Value x, Value y) {
  return static_cast<Value>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
}
inline Value mul(Value x, Value y) {
  return static_cast<Value>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}
inline Value neg(Value x) {
  return static_cast<Value>(0 - static_cast<uint64_t>(x));
}

// y != 0.  x / -1 is a negation (INT64_MIN / -1 would trap).
inline Value div(Value x, Value y) {
  return y == -1 ? neg(x) : x / y;
}

// y != 0.  The reference's ((x % y) + y) % y.
inline Value mod(Value x, Value y) {
  if (y > 0) {
    // The common case in one division: for y > 0, ((x % y) + y) % y is
    // x % y made non-negative.  Model values are small, and a 32-bit
    // division is several times faster than a 64-bit one on x86.
    Value r;
    if (x == static_cast<int32_t>(x) && y == static_cast<int32_t>(y)) {
      r = static_cast<int32_t>(x) % static_cast<int32_t>(y);
    } else {
      r = x % y;
    }
    return r < 0 ? r + y : r;
  }
  if (y == -1) return 0;
  return add(x % y, y) % y;
}

// A non-lazy binary operator on constants; false when it would fail
// (division or modulo by zero), which the caller leaves to run time.
inline bool binary(model::BinaryOp op, Value x, Value y, Value& out) {
  using model::BinaryOp;
  switch (op) {
    case BinaryOp::Add:
      out = add(x, y);
      return true;
    case BinaryOp::Sub:
      out = sub(x, y);
      return true;
    case BinaryOp::Mul:
      out = mul(x, y);
      return true;
    case BinaryOp::Div:
      if (y == 0) return false;
      out = div(x, y);
      return true;
    case BinaryOp::Mod:
      if (y == 0) return false;
      out = mod(x, y);
      return true;
    case BinaryOp::Eq:
      out = x == y;
      return true;
    case BinaryOp::Ne:
      out = x != y;
      return true;
    case BinaryOp::Lt:
      out = x < y;
      return true;
    case BinaryOp::Le:
      out = x <= y;
      return true;
    case BinaryOp::Gt:
      out = x > y;
      return true;
    case BinaryOp::Ge:
      out = x >= y;
      return true;
    case BinaryOp::Min:
      out = x < y ? x : y;
      return true;
    case BinaryOp::Max:
      out = x > y ? x : y;
      return true;
    default:
      return false;
  }
}

}  // namespace fl::sim::ops
