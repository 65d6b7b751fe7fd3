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
