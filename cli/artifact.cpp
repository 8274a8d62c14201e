#include "cli/artifact.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "faultline/version.h"

namespace fl::cli {

namespace {

uint64_t fnv1a(uint64_t h, const std::string& bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

template <class Json>
std::string params_text_of(const Json& result) {
  // Sorted by name: an ordered_json written in declaration order and a json
  // read back (whose keys are sorted) give the same text.
  std::map<std::string, std::string> sorted;
  if (result.contains("params")) {
    for (const auto& [name, value] : result["params"].items()) sorted[name] = value.dump();
  }
  std::string text;
  for (const auto& [name, value] : sorted) text += name + "=" + value + ";";
  return text;
}

}  // namespace

std::string scenario_hash(const std::string& file, const std::string& variant,
                          const std::string& params_text) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv1a(h, ss.str());
  h = fnv1a(h, std::string(1, '\0') + variant + '\0' + params_text);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void stamp_artifact(nlohmann::ordered_json& result) {
  result["format_version"] = kArtifactFormatVersion;
  result["tool_version"] = FL_VERSION_STRING;
  result["scenario_hash"] =
      scenario_hash(result.value("file", ""), result.value("variant", ""), params_text_of(result));
}

std::string artifact_mismatch(const nlohmann::json& result) {
  if (!result.contains("format_version") || !result.contains("scenario_hash")) {
    return "not a faultline trace artifact (no format_version / scenario_hash)";
  }
  if (result["format_version"] != kArtifactFormatVersion) {
    return "trace format version " + result["format_version"].dump() + ", this faultline reads " +
           std::to_string(kArtifactFormatVersion) + " (written by faultline " +
           result.value("tool_version", "?") + ")";
  }
  const std::string file = result.value("file", "");
  const std::string now = scenario_hash(file, result.value("variant", ""), params_text_of(result));
  if (now.empty()) return "the scenario " + file + " it was made from cannot be read";
  if (now != result["scenario_hash"].get<std::string>()) {
    return "made from a different version of " + file + " (scenario hash " +
           result["scenario_hash"].get<std::string>() + ", now " + now +
           "); run `faultline check --json` again";
  }
  return "";
}

}  // namespace fl::cli
