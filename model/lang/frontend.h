#pragma once
// The scenario front end: parse a `.fl` file into an AST, then elaborate it
// for one variant and one parameter assignment into a model::Model.
// The language is documented in docs/scenario-language.md.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/ir.h"
#include "model/lang/diag.h"

namespace fl::lang {

struct Ast;       // defined in model/lang/ast.h
class Extension;  // model/lang/extension.h

struct ParamInfo {
  std::string name;
  model::Value default_value = 0;
  bool is_bool = false;
  bool has_range = false;
  model::Value min = 0, max = 0;
  std::string description;
};

// What `faultline list` shows without elaborating anything.
struct ScenarioInfo {
  std::string name;
  std::string file;
  std::string description;
  std::vector<std::string> variants;  // declared with `variants`; {"linux-6.18"} if none
  std::vector<ParamInfo> params;
  std::vector<std::string> properties;  // declared and built-in ones checked
};

class Scenario {
 public:
  ~Scenario();
  Scenario(Scenario&&) noexcept;
  const ScenarioInfo& info() const;
  const Ast& ast() const { return *ast_; }

  // Parses `text` (the contents of `file`).  Throws ScenarioError.
  static Scenario parse(const std::string& file, const std::string& text,
                        const std::vector<const Extension*>& extensions = {});
  // Reads and parses a file; a missing or unreadable file is a ScenarioError
  // naming the file.
  static Scenario load(const std::string& path,
                       const std::vector<const Extension*>& extensions = {});

  // Elaborates for `variant` with `--param NAME=VALUE` overrides.  Throws
  // ScenarioError for an unknown variant or parameter, a bad value, or any
  // semantic error in the file.
  model::Model elaborate(const std::string& variant,
                         const std::vector<std::pair<std::string, std::string>>& params) const;

 private:
  Scenario();
  std::unique_ptr<Ast> ast_;
  std::vector<const Extension*> extensions_;
};

}  // namespace fl::lang
