#include "sdk/core/yaml_text.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kmsguard::core {
namespace {

// Every code point outside YAML 1.2's c-printable set is found, at its offset, with its length
// and name; everything inside it is not.
TEST(FindForbiddenYamlCharacterTest, EveryCharacterOutsideThePrintableSet) {
  const char* const kC0[32] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                               "BS",  "TAB", "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                               "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                               "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  for (int c = 0; c < 0x20; ++c) {
    const std::string text = std::string("ab") + static_cast<char>(c) + "cd";
    const auto found = FindForbiddenYamlCharacter(text);
    if (c == '\t' || c == '\n' || c == '\r') {
      EXPECT_FALSE(found) << c;
      continue;
    }
    ASSERT_TRUE(found) << c;
    EXPECT_EQ(found->offset, 2u);
    EXPECT_EQ(found->length, 1u);
    char expected[32];
    std::snprintf(expected, sizeof expected, "U+%04X (%s)", c, kC0[c]);
    EXPECT_EQ(found->name, expected);
  }
  const auto del = FindForbiddenYamlCharacter("a\x7f");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->name, "U+007F (DEL)");
  for (int low = 0x80; low <= 0x9f; ++low) {
    const std::string text = std::string("\xC3\xA9") + '\xC2' + static_cast<char>(low);
    const auto found = FindForbiddenYamlCharacter(text);
    if (low == 0x85) {
      EXPECT_FALSE(found) << "NEL (U+0085) is allowed";
      continue;
    }
    ASSERT_TRUE(found) << low;
    EXPECT_EQ(found->offset, 2u);
    EXPECT_EQ(found->length, 2u);
    char expected[16];
    std::snprintf(expected, sizeof expected, "U+%04X", low);
    EXPECT_EQ(found->name, expected);
  }
  for (const auto& [text, name] : std::vector<std::pair<std::string, std::string>>{
           {"x\xEF\xBF\xBE", "U+FFFE"}, {"x\xEF\xBF\xBF", "U+FFFF"}}) {
    const auto found = FindForbiddenYamlCharacter(text);
    ASSERT_TRUE(found) << name;
    EXPECT_EQ(found->offset, 1u);
    EXPECT_EQ(found->length, 3u);
    EXPECT_EQ(found->name, name);
  }
  // Printable: U+00A0 up, U+FFFD, the BOM U+FEFF, four-byte characters, escapes as text.
  for (const char* text : {"\xC2\xA0 \xEF\xBF\xBD \xEF\xBB\xBF \xF0\x9F\x94\x91",
                           "\"\\0 \\x07 \\e\"", "tab\there\r\n"}) {
    EXPECT_FALSE(FindForbiddenYamlCharacter(text)) << text;
  }
  // `from` skips what was already found.
  const std::string two = std::string("a\0b\x01", 4);
  EXPECT_EQ(FindForbiddenYamlCharacter(two)->offset, 1u);
  EXPECT_EQ(FindForbiddenYamlCharacter(two, 2)->offset, 3u);
  EXPECT_FALSE(FindForbiddenYamlCharacter(two, 4));
}

// Ill-formed UTF-8 (RFC 3629; Unicode Table 3-7) is found as the maximal invalid subpart at its
// offset, named by its bytes; well-formed sequences of every length are not.
TEST(FindForbiddenYamlCharacterTest, BytesThatAreNotUtf8) {
  struct Case {
    std::string text;
    std::size_t offset;
    std::size_t length;
    const char* name;
  };
  const std::vector<Case> cases = {
      {"fu\x88z", 2, 1, "0x88"},            // a lone continuation byte
      {"caf\xC3", 3, 1, "0xC3"},            // cut short at the end
      {"\xE2\x82 x", 0, 2, "0xE2 0x82"},    // cut short by a space
      {"a\xC0\xAF", 1, 1, "0xC0"},          // an overlong '/'
      {"a\xE0\x80\xAF", 1, 1, "0xE0"},      // an overlong three-byte form
      {"a\xED\xA0\x80", 1, 1, "0xED"},      // a surrogate (U+D800)
      {"a\xF4\x90\x80\x80", 1, 1, "0xF4"},  // above U+10FFFF
      {"a\xF5\x80\x80\x80", 1, 1, "0xF5"},  // a lead byte UTF-8 never uses
      {"r\xE9sum\xE9", 1, 1, "0xE9"},       // Latin-1
      {"\xFF\xFE"
       "a\0",
       0, 1, "0xFF"},                                            // UTF-16's byte order mark
      {"\xF0\x9F\x94\x91\xF0\x9F\x94", 4, 3, "0xF0 0x9F 0x94"},  // a key, then half of one
  };
  for (const Case& c : cases) {
    const auto found = FindForbiddenYamlCharacter(c.text);
    ASSERT_TRUE(found) << c.name;
    EXPECT_TRUE(found->not_utf8) << c.name;
    EXPECT_EQ(found->offset, c.offset) << c.name;
    EXPECT_EQ(found->length, c.length) << c.name;
    EXPECT_EQ(found->name, c.name);
  }
  // One, two, three and four bytes, the extremes of each range included.
  EXPECT_FALSE(
      FindForbiddenYamlCharacter("a \xC2\xA0 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF "
                                 "\xEE\x80\x80 \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_EQ(ForbiddenYamlCharacterProblem(*FindForbiddenYamlCharacter("\x88")),
            "the byte 0x88 is not UTF-8 (YAML text is Unicode: save the file as UTF-8)");
  EXPECT_EQ(ForbiddenYamlCharacterProblem(*FindForbiddenYamlCharacter("\xE2\x82 "), 2),
            "the bytes 0xE2 0x82 (and 2 more) are not UTF-8 (YAML text is Unicode: save the file "
            "as UTF-8)");
  const auto where = CheckYamlText("a: 1\nb: \"fu\x88\"\n");
  ASSERT_TRUE(where);
  EXPECT_EQ(where->line, 2u);
  EXPECT_EQ(where->column, 7u);
  EXPECT_EQ(where->message,
            "not valid YAML: the byte 0x88 is not UTF-8 (YAML text is Unicode: save the file as "
            "UTF-8); the file is not read");
}

// Whole-file readers report the first forbidden character at its line and byte column.
TEST(CheckYamlTextTest, NamesTheLineAndColumnOfTheFirstForbiddenCharacter) {
  EXPECT_FALSE(CheckYamlText("a: b\nc: \"\\0\"\n"));
  const auto first = CheckYamlText(std::string("a\0", 2));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->line, 1u);
  EXPECT_EQ(first->column, 2u);
  const auto later = CheckYamlText("a: b\r\nkey: va\x7fl\n\x01");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->line, 2u);
  EXPECT_EQ(later->column, 8u);
  EXPECT_THAT(later->message, ::testing::HasSubstr("the raw control character U+007F (DEL)"));
}

// yaml-cpp 0.7's LoadAll never ends on some malformed text (jbeder/yaml-cpp#1319): found before
// it is called, at the document that makes no progress. Valid streams and ordinary syntax errors
// (which LoadAll reports itself) pass.
TEST(CheckYamlDocumentsTest, FindsTheDocumentTheReaderWouldRepeatForever) {
  const auto stuck = CheckYamlDocuments("\n,\n    ");
  ASSERT_TRUE(stuck);
  EXPECT_EQ(stuck->line, 2u);
  EXPECT_EQ(stuck->column, 1u);
  EXPECT_THAT(stuck->message, ::testing::HasSubstr("makes no progress"));
  const auto later = CheckYamlDocuments("a: 1\n---\nb: [2]\n---\n,\n");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->line, 5u);
  EXPECT_FALSE(CheckYamlDocuments("a: 1\n---\nb: 2\n---\n"));
  EXPECT_FALSE(CheckYamlDocuments(""));
  EXPECT_FALSE(CheckYamlDocuments("a: b: c"));  // a syntax error: LoadAll says it
}

}  // namespace
}  // namespace kmsguard::core
