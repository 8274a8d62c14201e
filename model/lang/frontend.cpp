// The scenario front end's entry points: reading a file safely, parsing,
// and elaborating for one variant with `--param` overrides.
#include "model/lang/frontend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/lang/ast.h"
#include "model/lang/elab.h"
#include "model/lang/suggest.h"
#include "model/variants.h"

namespace fl::lang {

namespace {

constexpr size_t kMaxFileBytes = size_t{4} << 20;

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_length(const std::string& s, size_t i) {
  auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  unsigned c = at(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (n == 0) return 0;
  unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

std::string hex_byte(unsigned char c) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

// Rejects what is not a scenario file before the lexer sees it: too large,
// NUL bytes (a binary file) or bytes that are not UTF-8.
void check_text(const std::string& file, const std::string& text) {
  if (text.size() > kMaxFileBytes) {
    throw ScenarioError(
        {file, 0, 0}, "the file is larger than 4 MiB (" + std::to_string(text.size()) + " bytes)");
  }
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size();) {
    model::SourceLoc loc{file, line, static_cast<int>(i - line_start) + 1};
    if (text[i] == '\0') throw ScenarioError(loc, "the file contains a NUL byte: it is not text");
    size_t n = utf8_length(text, i);
    if (n == 0) {
      throw ScenarioError(loc, "the file is not UTF-8 text (byte " +
                                   hex_byte(static_cast<unsigned char>(text[i])) + ")");
    }
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += n;
  }
}

model::SourceLoc option_loc(const std::string& option) {
  return {option, 0, 0};
}

bool parse_int(const std::string& s, model::Value& out) {
  size_t i = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) ++i;
  int base = 10;
  if (s.compare(i, 2, "0x") == 0 || s.compare(i, 2, "0X") == 0) {
    base = 16;
    i += 2;
  }
  if (i == s.size()) return false;
  model::Value v = 0;
  for (; i < s.size(); ++i) {
    int d = std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0'
            : base == 16 && std::isxdigit(static_cast<unsigned char>(s[i]))
                ? std::tolower(static_cast<unsigned char>(s[i])) - 'a' + 10
                : -1;
    if (d < 0) return false;
    if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, neg ? -d : d, &v)) {
      return false;
    }
  }
  out = v;
  return true;
}

model::Value param_value(const ParamInfo& p, const std::string& text, const model::SourceLoc& loc) {
  model::Value v = 0;
  if (p.is_bool) {
    if (text == "true" || text == "1") return 1;
    if (text == "false" || text == "0") return 0;
    throw ScenarioError(loc, "bad value '" + text + "' for bool parameter '" + p.name +
                                 "' (use true, false, 1 or 0)");
  }
  if (!parse_int(text, v)) {
    throw ScenarioError(loc, "bad value '" + text + "' for integer parameter '" + p.name +
                                 "' (use a decimal or 0x hexadecimal integer)");
  }
  if (p.has_range && (v < p.min || v > p.max)) {
    throw ScenarioError(loc, "value " + std::to_string(v) + " of parameter '" + p.name +
                                 "' is outside " + std::to_string(p.min) + ".." +
                                 std::to_string(p.max));
  }
  return v;
}

std::map<std::string, model::Value> resolve_params(
    const ScenarioInfo& info, const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, model::Value> values;
  std::vector<std::string> names;
  for (const ParamInfo& p : info.params) {
    values[p.name] = p.default_value;
    names.push_back(p.name);
  }
  std::vector<std::string> seen;
  for (const auto& [name, text] : overrides) {
    model::SourceLoc loc = option_loc("--param " + name + "=" + text);
    const ParamInfo* p = nullptr;
    for (const ParamInfo& q : info.params) {
      if (q.name == name) p = &q;
    }
    if (p == nullptr) {
      throw ScenarioError(loc, "scenario '" + info.name + "' has no parameter '" + name + "'" +
                                   suggestion(name, names));
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      throw ScenarioError(loc, "parameter '" + name + "' is given twice");
    }
    seen.push_back(name);
    values[name] = param_value(*p, text, loc);
  }
  return values;
}

// The variant must exist, be one the scenario is checked under, and be
// modelled already.
void check_variant(const Ast& ast, const std::string& variant) {
  model::SourceLoc loc = option_loc("--variant " + variant);
  const model::VariantInfo* v = model::find_variant(variant);
  if (v == nullptr) {
    throw ScenarioError(loc, "unknown variant '" + variant + "' (see `faultline list variants`)");
  }
  const auto& listed = ast.info.variants;
  if (std::find(listed.begin(), listed.end(), variant) == listed.end()) {
    std::string all;
    for (const std::string& l : listed) all += (all.empty() ? "" : ", ") + l;
    throw ScenarioError(loc, "scenario '" + ast.info.name + "' is not checked under variant '" +
                                 variant + "' (its variants: " + all + ")");
  }
  if (v->implemented) return;
  for (const Named& n : ast.variants) {
    if (n.name == variant) loc = n.loc;
  }
  throw ScenarioError(loc, "variant '" + variant + "' is not modelled yet",
                      source_line(ast.source, loc.line));
}

}  // namespace

Scenario::Scenario() = default;
Scenario::~Scenario() = default;
Scenario::Scenario(Scenario&&) noexcept = default;

const ScenarioInfo& Scenario::info() const {
  return ast_->info;
}

Scenario Scenario::parse(const std::string& file, const std::string& text,
                         const std::vector<const Extension*>& extensions) {
  check_text(file, text);
  Scenario s;
  s.ast_ = parse_scenario(file, text, extensions);
  s.extensions_ = extensions;
  return s;
}

Scenario Scenario::load(const std::string& path, const std::vector<const Extension*>& extensions) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw ScenarioError({path, 0, 0}, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path, 0, 0}, std::string("cannot open: ") + std::strerror(errno));
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    throw ScenarioError({path, 0, 0},
                        "the file is larger than 4 MiB (" + std::to_string(size) + " bytes)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError({path, 0, 0}, "cannot read the file");
  return parse(path, text.str(), extensions);
}

model::Model Scenario::elaborate(
    const std::string& variant,
    const std::vector<std::pair<std::string, std::string>>& params) const {
  check_variant(*ast_, variant);
  Elaborator e(*ast_, extensions_, variant, resolve_params(ast_->info, params));
  return e.run();
}

}  // namespace fl::lang
