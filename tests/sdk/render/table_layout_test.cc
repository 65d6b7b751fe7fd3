// The terminal table fitted to a width (issue 18): names cut in the middle so that similar names
// stay apart, the grant wrapped rather than cut, nothing cut in wide mode, and counts in the
// singular when there is one. Expected texts are written out by hand.
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/render/render.h"
#include "sdk/render/table_layout.h"

namespace kmsguard::render {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The 16 roles of the cloudsplaining example that issue 18 found indistinguishable when cut at
// about 45 characters: the same 38-character prefix, then a region.
const std::vector<std::string> kRegions = {
    "us-east-1",      "us-east-2",      "us-west-1",    "us-west-2",
    "ap-south-1",     "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
    "eu-west-1",      "eu-west-2",      "eu-west-3",    "sa-east-1"};

model::Finding QuickSetupFinding(const std::string& region) {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.severity = model::Severity::kMedium;
  f.status = model::Status::kFail;
  f.resource_name = "AWS-QuickSetup-EnableCRecording-1clff_" + region;
  f.resource_id = "arn:aws:iam::111122223333:role/" + f.resource_name;
  f.resource_type = "AWS::IAM::Role";
  f.account = "111122223333";
  f.message = "role allows kms:Decrypt on all KMS keys.";
  model::Evidence e;
  e.policy_name = "AWS-QuickSetup-EnableCRecording-Policy";
  e.statement_index = 0;
  e.effect = "Allow";
  e.actions = {"kms:Decrypt", "kms:ReEncryptFrom"};
  e.resource_patterns = {"*"};
  f.evidence = {e};
  f.exposure = "assumable by service config.amazonaws.com";
  return f;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TableTextTest, DisplayWidthCountsCharactersNotBytes) {
  EXPECT_EQ(internal::DisplayWidth(""), 0u);
  EXPECT_EQ(internal::DisplayWidth("role/app"), 8u);
  EXPECT_EQ(internal::DisplayWidth("r\xC3\xB4le\xE2\x80\xA6"), 5u);  // "rôle…"
}

TEST(TableTextTest, CutMiddleKeepsTheStartAndTheDistinguishingEnd) {
  const std::string name = "role/AWS-QuickSetup-EnableCRecording-1clff_us-east-1";  // 52
  EXPECT_EQ(internal::CutMiddle(name, 52), name);
  EXPECT_EQ(internal::CutMiddle(name, 100), name);
  // 30 columns: 15 from the start, the ellipsis, 14 from the end.
  EXPECT_EQ(internal::CutMiddle(name, 30), "role/AWS-QuickS\xE2\x80\xA6" "clff_us-east-1");
  // 35: 17 and 17.
  EXPECT_EQ(internal::CutMiddle(name, 35), "role/AWS-QuickSet\xE2\x80\xA6" "g-1clff_us-east-1");
  EXPECT_EQ(internal::CutMiddle("abcdef", 1), "\xE2\x80\xA6");
  EXPECT_EQ(internal::CutMiddle("abcdef", 0), "");
  // Never inside a UTF-8 sequence: "ééééé" (2 bytes each) in 4 is "éé…é".
  EXPECT_EQ(internal::CutMiddle("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4),
            "\xC3\xA9\xC3\xA9\xE2\x80\xA6\xC3\xA9");
}

TEST(TableTextTest, WrapBreaksAtSpacesAndSplitsOnlyWordsLongerThanALine) {
  EXPECT_THAT(internal::Wrap("kms:Decrypt on \"*\" (stmt 0)", 16),
              ElementsAre("kms:Decrypt on", "\"*\" (stmt 0)"));
  EXPECT_THAT(internal::Wrap("arn:aws:kms:*:111122223333:key/* x", 10),
              ElementsAre("arn:aws:km", "s:*:111122", "223333:key", "/* x"));
  EXPECT_THAT(internal::Wrap("", 10), ElementsAre(""));
  EXPECT_THAT(internal::Wrap("a  b", 0), ElementsAre("a  b"));  // 0: not wrapped
}

TEST(TableTextTest, FitTablePrefersWholeLinesThenWrappingThenTheGrantUnderTheRow) {
  // SEVERITY 6, STATUS 4, RULE 35, PRINCIPAL 52, POLICY 38, GRANTED 60; gaps 5 x 2 = 10: 205.
  const internal::ColumnWidths natural = {6, 4, 35, 52, 38, 60};
  const internal::TableLayout wide = internal::FitTable(natural, 0);
  EXPECT_EQ(wide.width, natural);
  EXPECT_FALSE(wide.wrap_last || wide.last_below);
  EXPECT_EQ(internal::FitTable(natural, 205).width, natural);

  // 145 + 40 = 185 columns leave the grant 40: wrapped beside the whole names.
  const internal::TableLayout wrapped = internal::FitTable(natural, 185);
  EXPECT_TRUE(wrapped.wrap_last);
  EXPECT_FALSE(wrapped.last_below);
  EXPECT_EQ(wrapped.width, (internal::ColumnWidths{6, 4, 35, 52, 38, 40}));

  // 120: the grant goes under the row; the names share 120 - 6 - 4 - 8 = 102 columns: 34 each.
  const internal::TableLayout below = internal::FitTable(natural, 120);
  EXPECT_TRUE(below.last_below);
  EXPECT_EQ(below.width, (internal::ColumnWidths{6, 4, 34, 34, 34, 0}));
  // A narrow name column keeps its width and leaves the rest to the others: 102 - 10 = 92, 46.
  const internal::TableLayout narrow_rule = internal::FitTable({6, 4, 10, 52, 60, 60}, 120);
  EXPECT_EQ(narrow_rule.width, (internal::ColumnWidths{6, 4, 10, 46, 46, 0}));
}

TEST(RenderTableWidthTest, SixteenSimilarRolesStayDistinctAndEveryLineFits) {
  std::vector<model::Finding> findings;
  for (const std::string& region : kRegions) findings.push_back(QuickSetupFinding(region));
  TableOptions options;
  // 120, what `scan` fits to when stdout is not a terminal. SEVERITY 8, STATUS 6 and four gaps
  // leave 98 to RULE (35), PRINCIPAL (57) and POLICY (38): 32 each.
  options.width = 120;
  const std::string table = RenderTable(findings, {}, options);
  std::set<std::string> principals;
  for (const std::string& line : Lines(table)) {
    EXPECT_LE(internal::DisplayWidth(line), 120u) << line;
    if (line.starts_with("medium")) {
      std::istringstream cells(line);
      std::string severity, status, rule, principal;
      cells >> severity >> status >> rule >> principal;
      principals.insert(principal);
      EXPECT_THAT(principal, HasSubstr("\xE2\x80\xA6")) << "cut in the middle";
    }
  }
  EXPECT_EQ(principals.size(), kRegions.size()) << table;
  EXPECT_THAT(table, HasSubstr("  role/AWS-QuickSe\xE2\x80\xA6" "_ap-northeast-1  "));
  // Each region is still read at the end of its principal's cell.
  for (const std::string& region : kRegions) {
    EXPECT_THAT(table, HasSubstr("_" + region + " ")) << region;
  }
  // The grant is under each row, whole, and so is the exposure.
  EXPECT_THAT(table, HasSubstr("\n  granted: kms:Decrypt, kms:ReEncryptFrom on \"*\" (stmt 0)\n"
                               "  exposed: assumable by service config.amazonaws.com\n"));
  EXPECT_THAT(table, Not(HasSubstr("GRANTED")));
  EXPECT_THAT(table, Not(HasSubstr("...")));
}

TEST(RenderTableWidthTest, WideModeNeverCuts) {
  model::Finding f = QuickSetupFinding("ap-southeast-2");
  f.evidence[0].policy_name = std::string(70, 'p');
  TableOptions options;  // width 0: --wide
  const std::string table = RenderTable({f}, {}, options);
  EXPECT_THAT(table, HasSubstr(" role/AWS-QuickSetup-EnableCRecording-1clff_ap-southeast-2 "));
  EXPECT_THAT(table, HasSubstr(" " + std::string(70, 'p') + " "));
  EXPECT_THAT(table, HasSubstr(" kms:Decrypt, kms:ReEncryptFrom on \"*\" (stmt 0)\n"));
  EXPECT_THAT(table, Not(HasSubstr("\xE2\x80\xA6")));
}

TEST(RenderTableWidthTest, TheGrantWrapsBesideWholeNamesWhenThereIsRoom) {
  model::Finding f = QuickSetupFinding("us-east-1");
  f.evidence[0].resource_patterns = {"arn:aws:kms:*:111122223333:key/*"};
  f.evidence[0].condition_keys = {"StringEquals:kms:ViaService", "Bool:aws:SecureTransport"};
  TableOptions options;
  // SEVERITY 8, STATUS 6, RULE 35, PRINCIPAL 52, POLICY 38 and five gaps: 149, then 46 to wrap in.
  options.width = 195;
  const std::vector<std::string> lines = Lines(RenderTable({f}, {}, options));
  ASSERT_EQ(lines.size(), 9u);  // header, 4 lines of the row, exposure, blank, 2 lines of counts
  EXPECT_EQ(lines[0].substr(0, 9), "SEVERITY ");
  EXPECT_TRUE(lines[0].ends_with("GRANTED")) << lines[0];
  EXPECT_EQ(lines[1],
            "medium    FAIL    aws-iam-inline-kms-decrypt-all-keys  "
            "role/AWS-QuickSetup-EnableCRecording-1clff_us-east-1  "
            "AWS-QuickSetup-EnableCRecording-Policy  kms:Decrypt, kms:ReEncryptFrom on");
  const std::string indent(lines[1].find("kms:Decrypt"), ' ');
  EXPECT_EQ(lines[2], indent + "\"arn:aws:kms:*:111122223333:key/*\" (stmt 0)");
  EXPECT_EQ(lines[3], indent + "[conditional: StringEquals:kms:ViaService,");
  EXPECT_EQ(lines[4], indent + "Bool:aws:SecureTransport]");
  EXPECT_EQ(lines[5], "  exposed: assumable by service config.amazonaws.com");
}

TEST(RenderTableCountTest, OneFindingIsSingular) {
  const std::string one = RenderTable({QuickSetupFinding("us-east-1")}, {});
  EXPECT_THAT(one, HasSubstr("\n1 finding: 1 FAIL, 0 ERROR, 0 WARNING, 0 PASS\n"));
  EXPECT_THAT(one, Not(HasSubstr("1 findings")));
  const std::string two =
      RenderTable({QuickSetupFinding("us-east-1"), QuickSetupFinding("us-east-2")}, {});
  EXPECT_THAT(two, HasSubstr("\n2 findings: 2 FAIL,"));
}

}  // namespace
}  // namespace kmsguard::render
