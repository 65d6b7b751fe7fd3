// Terminal safety of user content and excerpts of long lines.
#include "sdk/core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace kmsguard::core {
namespace {

TEST(TerminalSafeTest, KeepsPrintableAsciiAndValidUtf8) {
  EXPECT_EQ(TerminalSafe("role/app-1 \"x\""), "role/app-1 \"x\"");
  EXPECT_EQ(TerminalSafe("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
}

TEST(TerminalSafeTest, EscapesEveryC0ControlAndDel) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = TerminalSafe(in);
    char expected[8];
    std::snprintf(expected, sizeof expected, "\\x%02x", c);
    EXPECT_EQ(out, expected) << "byte " << c;
  }
  EXPECT_EQ(TerminalSafe("\x7f"), "\\x7f");
  // The attack this exists for: colour change and window title set by a principal name.
  EXPECT_EQ(TerminalSafe("u\x1b[31mred\x1b]0;pwned\x07"), "u\\x1b[31mred\\x1b]0;pwned\\x07");
}

TEST(TerminalSafeTest, EscapesC1ControlsWrittenAsUtf8) {
  EXPECT_EQ(TerminalSafe("a\xc2\x9b" "31mb"), "a\\u009b31mb");  // U+009B is CSI
  EXPECT_EQ(TerminalSafe("\xc2\x80"), "\\u0080");
  EXPECT_EQ(TerminalSafe("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
}

TEST(TerminalSafeTest, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(TerminalSafe("\xff"), "\\xff");
  EXPECT_EQ(TerminalSafe("\x9b"), "\\x9b");              // a lone 8-bit CSI
  EXPECT_EQ(TerminalSafe("\xc3"), "\\xc3");              // truncated sequence
  EXPECT_EQ(TerminalSafe("\xc0\xaf"), "\\xc0\\xaf");     // overlong '/'
  EXPECT_EQ(TerminalSafe("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(TerminalSafe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(ExcerptTest, ShortLinesAreKeptWhole) {
  std::size_t center = 0;
  EXPECT_EQ(Excerpt("{\"a\": 1}", 3, 120, &center), "{\"a\": 1}");
  EXPECT_EQ(center, 3u);
}

TEST(ExcerptTest, LongLinesAreWindowedAroundThePoint) {
  std::string line(100000, 'a');
  line[60000] = 'X';
  std::size_t center = 0;
  const std::string excerpt = Excerpt(line, 60000, 120, &center);
  EXPECT_LE(excerpt.size(), 126u);
  EXPECT_EQ(excerpt.substr(0, 3), "...");
  EXPECT_EQ(excerpt.substr(excerpt.size() - 3), "...");
  ASSERT_LT(center, excerpt.size());
  EXPECT_EQ(excerpt[center], 'X');
}

TEST(ExcerptTest, ThePointNearEitherEndKeepsThatEnd) {
  const std::string line = "X" + std::string(1000, 'a') + "Y";
  std::size_t center = 0;
  std::string excerpt = Excerpt(line, 0, 50, &center);
  EXPECT_EQ(center, 0u);
  EXPECT_EQ(excerpt[0], 'X');
  EXPECT_EQ(excerpt.substr(excerpt.size() - 3), "...");
  excerpt = Excerpt(line, line.size() - 1, 50, &center);
  EXPECT_EQ(excerpt.substr(0, 3), "...");
  EXPECT_EQ(excerpt[center], 'Y');
  EXPECT_EQ(excerpt.back(), 'Y');
}

TEST(ExcerptTest, NeverCutsInsideAUtf8Character) {
  std::string line;
  for (int i = 0; i < 200; ++i) line += "\xe2\x82\xac";  // 3 bytes each
  std::size_t center = 0;
  const std::string excerpt = Excerpt(line, 301, 50, &center);
  const std::string body = excerpt.substr(3, excerpt.size() - 6);
  EXPECT_EQ(body.size() % 3, 0u);
  EXPECT_EQ(static_cast<unsigned char>(body[0]), 0xe2);
  EXPECT_EQ(TerminalSafe(body), body) << "the cut left a partial sequence";
}

}  // namespace
}  // namespace kmsguard::core
