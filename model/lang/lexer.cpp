#include "model/lang/lexer.h"

#include <cctype>
#include <limits>

namespace fl::lang {

namespace {

// Longest first, so that "<=" wins over "<".
constexpr std::string_view kPuncts[] = {
    "..", "==", "!=", "<=", ">=", "&&", "||", "->", "+=", "-=", "{", "}", "(", ")", "[", "]",
    ",",  ";",  ":",  "=",  "<",  ">",  "+",  "-",  "*",  "/",  "%", "!", "?", ".", "@", "|",
};

std::string line_of(const std::string& src, int line) {
  int cur = 1;
  size_t start = 0;
  for (size_t i = 0; i < src.size() && cur < line; ++i) {
    if (src[i] == '\n') {
      ++cur;
      start = i + 1;
    }
  }
  if (cur != line) return {};
  size_t end = src.find('\n', start);
  std::string text = src.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

// The character at src[i] as it should appear in a message: itself when
// printable, a whole UTF-8 sequence when one starts there, else \xNN.
std::string show_char(const std::string& src, size_t i) {
  auto uc = static_cast<unsigned char>(src[i]);
  if (uc < 0x80 && std::isprint(uc)) return std::string(1, src[i]);
  size_t n = uc >= 0xF0 ? 4 : uc >= 0xE0 ? 3 : uc >= 0xC0 ? 2 : 0;
  bool whole = n > 0 && i + n <= src.size();
  for (size_t k = 1; whole && k < n; ++k) {
    whole = (static_cast<unsigned char>(src[i + k]) & 0xC0) == 0x80;
  }
  if (whole) return src.substr(i, n);
  const char* digits = "0123456789abcdef";
  return std::string("\\x") + digits[uc >> 4] + digits[uc & 15];
}

}  // namespace

std::vector<Token> tokenize(const std::string& file, const std::string& src) {
  std::vector<Token> out;
  int line = 1;
  size_t line_start = 0;
  size_t i = 0;
  auto error = [&](size_t at, const std::string& msg) {
    throw ScenarioError({file, line, static_cast<int>(at - line_start) + 1}, msg,
                        line_of(src, line));
  };
  while (i < src.size()) {
    char c = src[i];
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#' || (c == '/' && i + 1 < src.size() && src[i + 1] == '/')) {
      while (i < src.size() && src[i] != '\n') ++i;
      continue;
    }
    Token t;
    t.line = line;
    t.col = static_cast<int>(i - line_start) + 1;
    t.begin = i;
    auto uc = static_cast<unsigned char>(c);
    if (std::isalpha(uc) || c == '_') {
      while (i < src.size() &&
             (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '_')) {
        ++i;
      }
      t.kind = Tok::Ident;
      t.text = src.substr(t.begin, i - t.begin);
    } else if (std::isdigit(uc)) {
      bool hex = c == '0' && i + 1 < src.size() && (src[i + 1] == 'x' || src[i + 1] == 'X');
      if (hex) i += 2;
      size_t digits = i;
      unsigned __int128 v = 0;
      while (i < src.size() && std::isxdigit(static_cast<unsigned char>(src[i]))) {
        char d = src[i];
        if (!hex && !std::isdigit(static_cast<unsigned char>(d))) break;
        int dv =
            std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : (std::tolower(d) - 'a' + 10);
        v = v * (hex ? 16 : 10) + static_cast<unsigned>(dv);
        if (v > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max() / 2)) {
          error(t.begin, "integer literal too large");
        }
        ++i;
      }
      if (i == digits) error(t.begin, "hexadecimal literal needs digits");
      const bool letter_follows =
          i < src.size() && (std::isalpha(static_cast<unsigned char>(src[i])) || src[i] == '_');
      // Inside a dashed name written without spaces (`kvm-userfault-no-4k`,
      // `linux-6.18`), a part may start with a digit: lex it as an
      // identifier part so Cursor::expect_name can glue it.  Anywhere else
      // a letter right after a number is a typo.
      const bool in_name = t.begin >= 2 && (src[t.begin - 1] == '-' || src[t.begin - 1] == '.') &&
                           std::isalnum(static_cast<unsigned char>(src[t.begin - 2]));
      if (letter_follows && in_name && !hex) {
        while (i < src.size() &&
               (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '_')) {
          ++i;
        }
        t.kind = Tok::Ident;
        t.text = src.substr(t.begin, i - t.begin);
        t.end = i;
        out.push_back(std::move(t));
        continue;
      }
      if (letter_follows) {
        error(i, std::string("unexpected character '") + src[i] + "' after a number");
      }
      t.kind = Tok::Int;
      t.value = static_cast<int64_t>(v);
      t.text = src.substr(t.begin, i - t.begin);
    } else if (c == '"') {
      ++i;
      std::string s;
      for (;;) {
        if (i >= src.size() || src[i] == '\n') error(t.begin, "unterminated string");
        char d = src[i++];
        if (d == '"') break;
        if (d == '\\') {
          if (i >= src.size() || (src[i] != '"' && src[i] != '\\' && src[i] != 'n')) {
            error(i - 1, "unknown escape in string (use \\\" \\\\ or \\n)");
          }
          d = src[i++] == 'n' ? '\n' : src[i - 1];
        }
        s += d;
      }
      t.kind = Tok::String;
      t.text = std::move(s);
    } else {
      bool found = false;
      for (std::string_view p : kPuncts) {
        if (src.compare(i, p.size(), p) == 0) {
          t.kind = Tok::Punct;
          t.text = std::string(p);
          i += p.size();
          found = true;
          break;
        }
      }
      if (!found) {
        error(i, "unexpected character '" + show_char(src, i) + "'");
      }
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  // "found end of file" points just past the last token, on a line that
  // can be quoted, rather than at an empty line after the final newline.
  Token end;
  end.kind = Tok::End;
  if (!out.empty()) {
    end.line = out.back().line;
    end.col = out.back().col + static_cast<int>(out.back().end - out.back().begin);
  }
  end.begin = end.end = i;
  end.text = "end of file";
  out.push_back(std::move(end));
  return out;
}

Cursor::Cursor(std::string file, std::string source)
    : file_(std::move(file)), source_(std::move(source)), toks_(tokenize(file_, source_)) {}

const Token& Cursor::peek(size_t ahead) const {
  size_t i = pos_ + ahead;
  return i < toks_.size() ? toks_[i] : toks_.back();
}

const Token& Cursor::next() {
  const Token& t = peek();
  if (pos_ < toks_.size() - 1) ++pos_;
  return t;
}

bool Cursor::is(std::string_view text) const {
  const Token& t = peek();
  return (t.kind == Tok::Ident || t.kind == Tok::Punct) && t.text == text;
}

bool Cursor::accept(std::string_view text) {
  if (!is(text)) return false;
  next();
  return true;
}

namespace {
std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End:
      return "end of file";
    case Tok::String:
      return "string \"" + t.text + "\"";
    default:
      return "'" + t.text + "'";
  }
}
}  // namespace

const Token& Cursor::expect(std::string_view text) {
  if (!is(text)) fail(peek(), "expected '" + std::string(text) + "', found " + describe(peek()));
  return next();
}

const Token& Cursor::expect_ident(std::string_view what) {
  if (peek().kind != Tok::Ident) {
    fail(peek(), "expected " + std::string(what) + ", found " + describe(peek()));
  }
  return next();
}

int64_t Cursor::expect_int(std::string_view what) {
  bool neg = false;
  if (is("-") && peek(1).kind == Tok::Int) {
    next();
    neg = true;
  }
  if (peek().kind != Tok::Int) {
    fail(peek(), "expected " + std::string(what) + ", found " + describe(peek()));
  }
  int64_t v = next().value;
  return neg ? -v : v;
}

std::string Cursor::expect_string(std::string_view what) {
  if (peek().kind != Tok::String) {
    fail(peek(), "expected " + std::string(what) + ", found " + describe(peek()));
  }
  return next().text;
}

std::string Cursor::expect_name(std::string_view what) {
  if (peek().kind != Tok::Ident) {
    fail(peek(), "expected " + std::string(what) + ", found " + describe(peek()));
  }
  std::string name = next().text;
  // Glue `-part` and `.part` written without spaces.
  while ((is("-") || is(".")) && peek().begin == toks_[pos_ - 1].end &&
         (peek(1).kind == Tok::Ident || peek(1).kind == Tok::Int) && peek(1).begin == peek().end) {
    name += next().text;
    name += next().text;
  }
  return name;
}

void Cursor::fail(const Token& at, const std::string& message) const {
  throw ScenarioError({file_, at.line, at.col}, message, line_text(at.line));
}

void Cursor::fail(const model::SourceLoc& at, const std::string& message) const {
  throw ScenarioError(at, message, line_text(at.line));
}

std::string Cursor::line_text(int line) const {
  return line_of(source_, line);
}

}  // namespace fl::lang
