#pragma once
// Counterexample rendering shared by `check` and `show`: a per-actor
// timeline for the terminal (one column per actor, one row per step, the
// kernel function of each step and the state components it changed) and
// Graphviz DOT.  Both render a trace in its JSON form (docs/json.md,
// `trace`), so a trace re-loaded by `show` prints exactly as `check`
// printed it.

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

namespace fl::cli {

// `trace` is {"steps": [...], "cycle_start": N?}.
void render_timeline(std::ostream& out, const nlohmann::ordered_json& trace);
// `title` labels the graph.
void render_dot(std::ostream& out, const nlohmann::ordered_json& trace, const std::string& title);

}  // namespace fl::cli
