#pragma once
// Tokens of the scenario language and a cursor over them, shared by the
// core parser (model/lang/parser.*) and the kernel-declaration parsers
// (model/mm, model/kvm).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/lang/diag.h"

namespace fl::lang {

enum class Tok : uint8_t {
  End,
  Ident,   // [A-Za-z_][A-Za-z0-9_]*
  Int,     // decimal or 0x hex
  String,  // "..." with \" and \\ escapes, no newline
  Punct,   // one of the operator / punctuation spellings
};

struct Token {
  Tok kind = Tok::End;
  std::string text;   // identifier, punctuation or the string's contents
  int64_t value = 0;  // Int
  int line = 1;
  int col = 1;
  size_t begin = 0;  // byte offsets in the source, to tell adjacent tokens
  size_t end = 0;
};

// Splits `source` into tokens.  `#` and `//` start a comment to the end of
// the line.  Throws ScenarioError on a bad character, an unterminated
// string or an integer that does not fit in 63 bits.
std::vector<Token> tokenize(const std::string& file, const std::string& source);

class Cursor {
 public:
  Cursor(std::string file, std::string source);

  const Token& peek(size_t ahead = 0) const;
  const Token& next();
  bool at_end() const { return peek().kind == Tok::End; }
  bool is(std::string_view text) const;        // next token is ident/punct `text`
  bool accept(std::string_view text);          // consume it if so
  const Token& expect(std::string_view text);  // consume or fail
  const Token& expect_ident(std::string_view what);
  int64_t expect_int(std::string_view what);
  std::string expect_string(std::string_view what);
  // A name that may contain '-' and '.' between parts written without
  // spaces: `no-lost-wakeup`, `linux-6.18`, `kvm-userfault-rfc`.
  std::string expect_name(std::string_view what);

  model::SourceLoc loc(const Token& t) const { return {file_, t.line, t.col}; }
  model::SourceLoc loc() const { return loc(peek()); }
  [[noreturn]] void fail(const Token& at, const std::string& message) const;
  [[noreturn]] void fail(const model::SourceLoc& at, const std::string& message) const;
  const std::string& file() const { return file_; }
  std::string line_text(int line) const;

 private:
  std::string file_;
  std::string source_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
};

}  // namespace fl::lang
