// The lexer, the cursor and the rendering of diagnostics.
#include <gtest/gtest.h>

#include "model/lang/lexer.h"

namespace fl::lang {
namespace {

std::string lex_error(const std::string& text) {
  try {
    tokenize("f.fl", text);
  } catch (const ScenarioError& e) {
    return e.render();
  }
  return "";
}

TEST(Lexer, TokensCarryKindTextValueAndPosition) {
  auto t = tokenize("f.fl", "var x[0x1F] : 0..3 # comment\n  \"a\\\"b\" <= -> ..");
  ASSERT_EQ(t.size(), 14u);
  EXPECT_EQ(t[0].kind, Tok::Ident);
  EXPECT_EQ(t[3].kind, Tok::Int);
  EXPECT_EQ(t[3].value, 31);
  EXPECT_EQ(t[7].text, "..");
  EXPECT_EQ(t[9].kind, Tok::String);
  EXPECT_EQ(t[9].text, "a\"b");
  EXPECT_EQ(t[9].line, 2);
  EXPECT_EQ(t[9].col, 3);
  EXPECT_EQ(t[10].text, "<=");
  EXPECT_EQ(t[11].text, "->");
  EXPECT_EQ(t[12].text, "..");
  EXPECT_EQ(t[13].kind, Tok::End);
}

TEST(Lexer, EndOfFileSitsJustPastTheLastToken) {
  auto t = tokenize("f.fl", "a bc\n\n// trailing comment\n");
  EXPECT_EQ(t.back().line, 1);
  EXPECT_EQ(t.back().col, 5);
  EXPECT_EQ(tokenize("f.fl", "").back().line, 1);
}

TEST(Lexer, Errors) {
  EXPECT_EQ(lex_error("x = 0x"),
            "f.fl:1:5: error: hexadecimal literal needs digits\n  x = 0x\n      ^");
  EXPECT_EQ(lex_error("x = 12ab"),
            "f.fl:1:7: error: unexpected character 'a' after a number\n  x = 12ab\n        ^");
  EXPECT_EQ(lex_error("s = \"a\\q\""),
            "f.fl:1:7: error: unknown escape in string (use \\\" \\\\ or \\n)\n  s = \"a\\q\"\n "
            "       ^");
  EXPECT_EQ(lex_error("x\x01"), "f.fl:1:2: error: unexpected character '\\x01'\n  x\x01\n   ^");
}

TEST(Diagnostics, CaretKeepsTabsAndCountsUtf8CharactersOnce) {
  ScenarioError tab({"f.fl", 1, 3}, "m", "\tx y");
  EXPECT_EQ(tab.render(), "f.fl:1:3: error: m\n  \tx y\n  \t ^");
  // "é" is two bytes: byte column 4 is the 'y' of "é y", the third character.
  ScenarioError utf8({"f.fl", 1, 4}, "m", "\xc3\xa9 y");
  EXPECT_EQ(utf8.render(), "f.fl:1:4: error: m\n  \xc3\xa9 y\n    ^");
  ScenarioError option({"--param V=x", 0, 0}, "bad");
  EXPECT_EQ(option.render(), "--param V=x: error: bad");
}

TEST(Cursor, NamesMayContainDashesAndDotsWrittenWithoutSpaces) {
  Cursor c("f.fl", "no-lost-wakeup linux-6.18 a - b");
  EXPECT_EQ(c.expect_name("n"), "no-lost-wakeup");
  EXPECT_EQ(c.expect_name("n"), "linux-6.18");
  EXPECT_EQ(c.expect_name("n"), "a");
  EXPECT_TRUE(c.is("-"));
}

TEST(Cursor, ANamePartMayStartWithADigit) {
  // The variant kvm-userfault-no-4k: "4k" follows a dash inside a name.
  Cursor c("f.fl", "kvm-userfault-no-4k x-2.5b");
  EXPECT_EQ(c.expect_name("n"), "kvm-userfault-no-4k");
  EXPECT_EQ(c.expect_name("n"), "x-2.5b");
  EXPECT_TRUE(c.at_end());
  // Outside a name it is still a typo.
  EXPECT_THROW(tokenize("f.fl", "x = - 4k"), ScenarioError);
}

}  // namespace
}  // namespace fl::lang
