#include "cli/timeline.h"

#include <algorithm>
#include <ostream>
#include <vector>

namespace fl::cli {

namespace {

// Columns wider than this are cut (with "~"), so that a timeline of many
// actors still fits a terminal; the change column is never cut.
constexpr size_t kMaxColumn = 32;

std::string text(const nlohmann::ordered_json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s + std::string(width - s.size(), ' ');
  return s.substr(0, width - 1) + "~";
}

// The actors in order of their first step.
std::vector<std::string> actors_of(const nlohmann::ordered_json& steps) {
  std::vector<std::string> actors;
  for (const auto& step : steps) {
    const std::string a = text(step, "actor");
    if (std::find(actors.begin(), actors.end(), a) == actors.end()) actors.push_back(a);
  }
  return actors;
}

std::string changes_text(const nlohmann::ordered_json& step) {
  std::string out;
  const auto it = step.find("changes");
  if (it == step.end()) return out;
  for (const auto& c : *it) {
    if (!out.empty()) out += ", ";
    out += text(c, "var") + ": " + text(c, "before") + " -> " + text(c, "after");
  }
  return out;
}

size_t cycle_start_of(const nlohmann::ordered_json& trace, size_t steps) {
  const auto it = trace.find("cycle_start");
  if (it == trace.end() || !it->is_number_unsigned()) return steps + 1;  // not a lasso
  return it->get<size_t>();
}

std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void render_timeline(std::ostream& out, const nlohmann::ordered_json& trace) {
  static const nlohmann::ordered_json kNone = nlohmann::ordered_json::array();
  const auto it = trace.find("steps");
  const nlohmann::ordered_json& steps = it != trace.end() ? *it : kNone;
  const std::vector<std::string> actors = actors_of(steps);
  std::vector<size_t> width;
  for (const std::string& a : actors) width.push_back(std::min(kMaxColumn, a.size()));
  for (const auto& step : steps) {
    const size_t col = static_cast<size_t>(
        std::find(actors.begin(), actors.end(), text(step, "actor")) - actors.begin());
    width[col] = std::max(width[col], std::min(kMaxColumn, text(step, "action").size()));
  }
  auto row = [&](const std::string& num, const std::vector<std::string>& cells,
                 const std::string& tail) {
    std::string line = "    " + fit(num, 4);
    for (size_t c = 0; c < actors.size(); ++c) line += " | " + fit(cells[c], width[c]);
    line += " | " + tail;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  auto rule = [&](const std::string& label) {
    size_t total = 4;
    for (size_t w : width) total += w + 3;
    const std::string dashes = "-- " + label + " ";
    out << "    " << dashes << std::string(total > dashes.size() ? total - dashes.size() : 2, '-')
        << "\n";
  };
  row("step", actors, "changes");
  {
    std::vector<std::string> dashes;
    for (size_t w : width) dashes.emplace_back(w, '-');
    row("----", dashes, "-------");
  }
  const size_t cycle = cycle_start_of(trace, steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i == cycle)
      rule("cycle: steps " + std::to_string(i + 1) + ".." + std::to_string(steps.size()) +
           " repeat forever");
    const auto& step = steps[i];
    const size_t col = static_cast<size_t>(
        std::find(actors.begin(), actors.end(), text(step, "actor")) - actors.begin());
    std::vector<std::string> cells(actors.size());
    cells[col] = text(step, "action");
    row(std::to_string(i + 1), cells, changes_text(step));
    // The kernel function goes under the action, whole: it is the most
    // useful line of the step, so it may run past the later columns.
    const std::string fn = text(step, "kernel_function");
    if (!fn.empty()) {
      std::string line = "    " + fit("", 4);
      for (size_t c = 0; c < col; ++c) line += " | " + fit("", width[c]);
      out << line << " | " << fn << "\n";
    }
  }
  if (cycle == steps.size()) {
    rule("no action is enabled: the execution stays here forever");
  } else if (cycle < steps.size()) {
    rule("back to step " + std::to_string(cycle + 1));
  }
}

void render_dot(std::ostream& out, const nlohmann::ordered_json& trace, const std::string& title) {
  static const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                        "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
  static const nlohmann::ordered_json kNone = nlohmann::ordered_json::array();
  const auto it = trace.find("steps");
  const nlohmann::ordered_json& steps = it != trace.end() ? *it : kNone;
  const std::vector<std::string> actors = actors_of(steps);
  out << "digraph trace {\n  label=\"" << dot_escape(title) << "\";\n  labelloc=t;\n"
      << "  node [shape=circle, fontsize=10];\n  edge [fontsize=10];\n";
  out << "  s0 [label=\"0\", shape=doublecircle];\n";
  for (size_t i = 0; i < steps.size(); ++i) {
    out << "  s" << i + 1 << " [label=\"" << i + 1 << "\"];\n";
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const std::string actor = text(step, "actor");
    const size_t col =
        static_cast<size_t>(std::find(actors.begin(), actors.end(), actor) - actors.begin());
    std::string label = actor + ": " + text(step, "action");
    if (!text(step, "kernel_function").empty())
      label += "\n[" + text(step, "kernel_function") + "]";
    const auto ch = step.find("changes");
    if (ch != step.end()) {
      for (const auto& c : *ch) {
        label += "\n" + text(c, "var") + ": " + text(c, "before") + " -> " + text(c, "after");
      }
    }
    const char* color = kColors[col % (sizeof kColors / sizeof kColors[0])];
    out << "  s" << i << " -> s" << i + 1 << " [label=\"" << dot_escape(label) << "\", color=\""
        << color << "\", fontcolor=\"" << color << "\"];\n";
  }
  const size_t cycle = cycle_start_of(trace, steps.size());
  if (cycle < steps.size()) {
    out << "  s" << steps.size() << " -> s" << cycle << " [style=dashed, label=\"forever\"];\n";
  } else if (cycle == steps.size()) {
    out << "  s" << steps.size() << " -> s" << cycle
        << " [style=dashed, label=\"no action enabled\"];\n";
  }
  out << "}\n";
}

}  // namespace fl::cli
