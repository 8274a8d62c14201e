#pragma once
// Trace artifacts (`check --json` output read back by `show` and `repro`)
// carry a format version, the tool version and a hash of the scenario file,
// variant and parameters they were made from.  Loading one that does not
// match the scenario as it is now is an error (exit 2), said in one line:
// a trace replayed against a changed model would silently mean something
// else.

#include <string>

#include <nlohmann/json.hpp>

namespace fl::cli {

inline constexpr int kArtifactFormatVersion = 1;

// FNV-1a over the file's bytes, the variant and the parameter assignment,
// as 16 hex digits; "" when the file cannot be read.
std::string scenario_hash(const std::string& file, const std::string& variant,
                          const std::string& params_text);

// Adds format_version, tool_version and scenario_hash to one result object.
void stamp_artifact(nlohmann::ordered_json& result);

// "" when `result` (one entry of `results`) matches the scenario on disk,
// else the one-line reason it does not.
std::string artifact_mismatch(const nlohmann::json& result);

}  // namespace fl::cli
