#pragma once
// Scenario-file diagnostics: every error names file:line:col, quotes the
// line and puts a caret under the column (docs/scenario-language.md).

#include <stdexcept>
#include <string>

#include "model/ir.h"

namespace fl::lang {

class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(model::SourceLoc loc, std::string message, std::string line_text = {})
      : std::runtime_error(message), loc_(std::move(loc)), line_text_(std::move(line_text)) {}
  const model::SourceLoc& loc() const { return loc_; }
  const std::string& line_text() const { return line_text_; }
  // "file:line:col: error: message" then the quoted line and a caret line.
  std::string render() const;

 private:
  model::SourceLoc loc_;
  std::string line_text_;
};

}  // namespace fl::lang
