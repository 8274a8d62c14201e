// `faultline show TRACE.json`: re-loads the counterexamples of `check
// --json` (or `simulate --json`) output, of one result, of one violation or
// of one bare trace, and renders each as a per-actor timeline or as DOT.

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/timeline.h"

namespace fl::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string str(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "scenario [variant P=1 ...] (file)": what is needed to re-elaborate it.
std::string result_title(const Json& r) {
  std::string t = str(r, "scenario") + " [" + str(r, "variant");
  const auto params = r.find("params");
  if (params != r.end() && params->is_object()) {
    for (const auto& [name, value] : params->items()) t += " " + name + "=" + value.dump();
  }
  t += "]";
  if (!str(r, "file").empty()) t += " (" + str(r, "file") + ")";
  return t;
}

struct Item {
  std::string title;
  const Json* violation;  // has "trace"; or the trace itself
  bool bare_trace;
};

void collect_result(const Json& r, std::vector<Item>& out) {
  const auto v = r.find("violations");
  if (v == r.end() || !v->is_array()) return;
  for (const Json& violation : *v) out.push_back({result_title(r), &violation, false});
}

}  // namespace

int show_command(const std::string& file, bool dot) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "faultline: cannot read '" << file << "'\n";
    return kExitUsage;
  }
  Json doc;
  try {
    doc = Json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "faultline: " << file << " is not JSON: " << e.what() << "\n";
    return kExitUsage;
  }
  std::vector<Item> items;
  if (doc.is_object() && doc.contains("results") && doc["results"].is_array()) {
    for (const Json& r : doc["results"]) collect_result(r, items);
  } else if (doc.is_object() && doc.contains("violations")) {
    collect_result(doc, items);
  } else if (doc.is_object() && doc.contains("trace")) {
    items.push_back({"", &doc, false});
  } else if (doc.is_object() && doc.contains("steps")) {
    items.push_back({"", &doc, true});
  } else {
    std::cerr << "faultline: " << file
              << " holds no trace (expected check --json output, a result, a violation or a "
                 "trace)\n";
    return kExitUsage;
  }
  for (const Item& item : items) {
    const Json& trace = item.bare_trace ? *item.violation : (*item.violation)["trace"];
    std::string title = item.title;
    if (!item.bare_trace) {
      const std::string what =
          str(*item.violation, "property").empty()
              ? str(*item.violation, "kind")
              : str(*item.violation, "property") + " (" + str(*item.violation, "kind") + ")";
      title += (title.empty() ? "" : ": ") + what;
    }
    if (dot) {
      render_dot(std::cout, trace, title);
      continue;
    }
    const size_t n = trace.contains("steps") ? trace["steps"].size() : 0;
    std::cout << (title.empty() ? "trace" : title) << ", " << n << " step" << (n == 1 ? "" : "s")
              << "\n";
    if (!item.bare_trace && !str(*item.violation, "message").empty()) {
      std::cout << "  " << str(*item.violation, "message") << "\n";
    }
    render_timeline(std::cout, trace);
  }
  if (items.empty()) std::cout << "no counterexample in " << file << "\n";
  return kExitOk;
}

}  // namespace fl::cli
