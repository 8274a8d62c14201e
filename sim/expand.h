#pragma once
// Expansion of stored states, the part of the search that needs no shared
// mutable data and therefore runs on any number of threads.
//
// An Expander takes a range of stored states (a chunk) and writes, in
// order, everything the search must learn from each: the invariants it
// violates, its successors (packed and hashed, one per enabled action, in
// action order), and, for a final state, its deadlock, expectation and
// observation values.  The merge (sim/bfs.cpp) then consumes chunks in
// state order, so the result is the same whatever the chunking and the
// number of threads.

#include <cstdint>
#include <optional>
#include <vector>

#include "model/ir.h"
#include "sim/compiled.h"
#include "sim/state_table.h"

namespace fl::sim {

// Where a model run-time error happened.
enum class ErrorContext : uint8_t { Property, Guard, Body, Observation, Expectation };

struct ChunkError {
  uint64_t state = 0;
  ErrorContext context = ErrorContext::Body;
  model::Id id = model::kNoId;  // property, action, observation or expectation
  RunError error;
};

struct ChunkOutput {
  uint64_t first_state = 0;
  // Per state of the chunk (in order), one past its last successor.
  std::vector<uint32_t> successor_end;
  std::vector<uint64_t> successor_words;  // words() per successor
  std::vector<uint64_t> successor_hash;
  // The action of each successor, only when the search records the state
  // graph (a model with liveness properties).
  std::vector<model::Id> successor_action;
  // (state, property) for each invariant violation.
  std::vector<std::pair<uint64_t, model::Id>> violations;
  // Per final state: the state and the offset of its values in final_values
  // (see Expander::final_record_size()).
  std::vector<std::pair<uint64_t, uint32_t>> finals;
  std::vector<model::Value> final_values;
  // The first error; expansion of the chunk stops at that state.
  std::optional<ChunkError> error;

  void clear(uint64_t first);
  uint64_t bytes() const;
};

class Expander {
 public:
  explicit Expander(const Compiled& c);

  // Expands states [first, last) of `table`.  `skip` marks properties that
  // are already known to be violated (their later violations need not be
  // reported).
  void expand(const StateTable& table, uint64_t first, uint64_t last, const std::vector<char>& skip,
              ChunkOutput& out);

  // Only checks the invariants of states [first, last) (the states that a
  // stopped search stored but did not expand).
  void check_invariants(const StateTable& table, uint64_t first, uint64_t last,
                        const std::vector<char>& skip, ChunkOutput& out);

  // The layout of one final state's values: one 0/1 per deadlock property
  // (1 = holds), one 0/1 per expectation with an expression, then one value
  // per observation.
  const std::vector<model::Id>& deadlocks() const { return deadlocks_; }
  const std::vector<model::Id>& final_expectations() const { return final_expectations_; }
  uint32_t final_record_size() const;

  // Whether expand() also records each successor's action (needed only to
  // build the state graph for liveness, so off by default).
  void set_record_actions(bool on) { record_actions_ = on; }

 private:
  bool invariants(uint64_t s, const std::vector<char>& skip, ChunkOutput& out);
  bool successors(uint64_t s, ChunkOutput& out, uint32_t& enabled);
  bool successors_one_by_one(uint64_t s, ChunkOutput& out, uint32_t& enabled);
  bool fire(uint64_t s, model::Id a, ChunkOutput& out);
  bool final_state(uint64_t s, ChunkOutput& out);
  bool fail(ChunkOutput& out, uint64_t s, ErrorContext ctx, model::Id id);

  const Compiled& c_;
  uint32_t words_;
  std::vector<model::Id> invariants_, deadlocks_, final_expectations_;
  std::vector<model::Value> cur_, next_;
  std::vector<uint64_t> packed_;
  RunError err_;
  bool record_actions_ = false;
};

}  // namespace fl::sim
