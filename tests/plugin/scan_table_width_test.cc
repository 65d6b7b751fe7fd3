// The table of `kmsguard scan` sized to where it is read (issue 18): $COLUMNS, else the terminal,
// else 120 columns; `--wide` cuts nothing. The layout itself: tests/sdk/render/table_layout_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "plugin/terminal_width.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::DescribeRun;
using testing::Lines;
using testing::Shell;
using testing::BundledExample;

const std::string kBinary = KMSGUARD_BINARY;

// Columns on a terminal: code points (the table's "…" is three bytes).
std::size_t Columns(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The bundled example's one line longer than 120 columns when nothing is cut (tests/golden).
constexpr char kLongGrant[] =
    "kms:Decrypt, kms:ReEncryptFrom on \"arn:aws:kms:*:111122223333:key/*\" (stmt 0 "
    "\"DecryptWithAccountKeys\")";

TEST(TableWidthTest, ColumnsThenTheTerminalThenOneHundredTwenty) {
  EXPECT_EQ(plugin::TableWidth("80", std::nullopt), 80u);
  EXPECT_EQ(plugin::TableWidth("80", 200), 80u);  // COLUMNS wins, as for ls
  EXPECT_EQ(plugin::TableWidth(nullptr, 200), 200u);
  EXPECT_EQ(plugin::TableWidth(nullptr, std::nullopt), 120u);
  // Not a width: ignored.
  EXPECT_EQ(plugin::TableWidth("", 90), 90u);
  EXPECT_EQ(plugin::TableWidth("0", 90), 90u);
  EXPECT_EQ(plugin::TableWidth("-5", std::nullopt), 120u);
  EXPECT_EQ(plugin::TableWidth("80x", std::nullopt), 120u);
  EXPECT_EQ(plugin::TableWidth(nullptr, 0), 120u);  // a terminal that does not say
}

TEST(ScanTableWidthTest, ColumnsSizesTheTableAndWideNeverCuts) {
  const ProcessResult narrow = Shell("COLUMNS=80 '" + kBinary + "' scan '" + BundledExample() + "'");
  ASSERT_EQ(narrow.exit_code, 1) << DescribeRun(narrow);
  for (const std::string& line : Lines(narrow.out)) EXPECT_LE(Columns(line), 80u) << line;
  EXPECT_THAT(narrow.out, HasSubstr("7 FAIL"));

  // Not a terminal and no COLUMNS: 120.
  const ProcessResult piped = Shell("unset COLUMNS; '" + kBinary + "' scan '" + BundledExample() + "'");
  ASSERT_EQ(piped.exit_code, 1) << DescribeRun(piped);
  for (const std::string& line : Lines(piped.out)) EXPECT_LE(Columns(line), 120u) << line;
  // The grant does not fit beside the names: it is under its row, whole.
  EXPECT_THAT(piped.out, HasSubstr("\n  granted: " + std::string(kLongGrant) + "\n"));
  EXPECT_THAT(piped.out, HasSubstr("  role/glue-data-pipeline  "));

  const ProcessResult wide =
      Shell("COLUMNS=80 '" + kBinary + "' scan --wide '" + BundledExample() + "'");
  ASSERT_EQ(wide.exit_code, 1) << DescribeRun(wide);
  EXPECT_THAT(wide.out, HasSubstr(std::string(kLongGrant) + "\n"));
  EXPECT_THAT(wide.out, HasSubstr("role/partner-audit-access  "));
  EXPECT_THAT(wide.out, Not(HasSubstr("\xE2\x80\xA6")));
}

}  // namespace
}  // namespace kmsguard
