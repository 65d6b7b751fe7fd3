#include "sdk/iam/key_space.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdk/iam/arn_pattern.h"
#include "sdk/iam/partitions.h"

namespace kmsguard::iam {
namespace {

// Key ARNs no pattern below names: fresh regions, accounts and both key id forms.
const std::vector<std::string>& Canaries() {
  static const std::vector<std::string> canaries = {
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws:kms:xq-kmsguard-7:918273645012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      "arn:aws:kms:zz-north-42:000000000001:key/mrk-0123456789abcdef0123456789abcdef",
      "arn:aws:kms:ap-southeast-5:555566667777:key/ffffffff-ffff-ffff-ffff-ffffffffffff",
  };
  return canaries;
}

bool CoversEveryKey(const std::string& pattern, bool variables = true) {
  const ArnPattern p = CompileArnPattern(pattern, variables);
  return Covers(KeyLanguage::Build("aws"), {&p}).covered;
}

// Security Hub KMS.2 / the semantics issue: these name every key of the partition.
TEST(KeySpaceTest, PatternsThatNameEveryKey) {
  for (const std::string pattern :
       {"*", "arn:aws:kms:*", "arn:aws:kms:*:*:key/*", "arn:*:kms:*:*:key/*", "arn:aws:*",
        "arn:aws:kms:*:*:*", "arn:aws:kms:*:key/*", "arn:aws:kms:*:*:key/????????*", "arn:*",
        "arn:aws:kms:*:*:key*"}) {
    EXPECT_TRUE(CoversEveryKey(pattern)) << pattern;
    // Cross-check with canaries: a pattern that covers the language matches each of them.
    const ArnPattern p = CompileArnPattern(pattern, true);
    for (const std::string& arn : Canaries()) EXPECT_TRUE(ArnPatternMatches(p, arn)) << pattern << " " << arn;
  }
}

TEST(KeySpaceTest, PatternsThatFallShort) {
  for (const std::string pattern :
       {"arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:*:key/*",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:*:*:key/mrk-*", "arn:aws:kms:*:*:alias/*", "arn:aws:s3:::*",
        "arn:aws:kms:*:*:key/0*", "arn:aws-cn:kms:*:*:key/*", "arn:aws:kms:*:*:key/?",
        "arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "arn:aws:kms:us-*:*:key/*",
        "arn:aws:kms:*:*:key/%2A", "arn:aws:kms:*:*:KEY/*", "arn:aws:kms:*:?:key/*"}) {
    const ArnPattern p = CompileArnPattern(pattern, true);
    const CoverageResult result = Covers(KeyLanguage::Build("aws"), {&p});
    EXPECT_FALSE(result.covered) << pattern;
    // The counterexample is a real key ARN the pattern misses.
    EXPECT_FALSE(result.counterexample.empty()) << pattern;
    EXPECT_FALSE(ArnPatternMatches(p, result.counterexample)) << pattern << " " << result.counterexample;
    EXPECT_EQ(result.counterexample.rfind("arn:aws:kms:", 0), 0u) << result.counterexample;
  }
}

// Issue 15 item 1: an Allow's reach is judged over the regions a partition has (kPartition),
// a Deny's or a NotResource's over any region name (kOpen). `??-*` and `??-*-?` reach every aws
// region (two letters, a name, one digit), but not a region yet to launch such as us-east-10.
TEST(KeySpaceTest, RegionGrammars) {
  struct Case {
    std::string partition, pattern;
    bool covers_partition_regions, covers_open;
  };
  const std::vector<Case> cases = {
      {"aws", "arn:aws:kms:?\?-*:*:key/*", true, false},
      {"aws", "arn:aws:kms:?\?-*-?:*:key/*", true, false},
      {"aws", "arn:aws:kms:*-?:*:key/*", true, false},
      {"aws", "arn:aws:kms:*-*-?:*:key/*", true, false},
      {"aws", "arn:aws:kms:*:*:key/*", true, true},
      {"aws", "arn:aws:kms:*", true, true},
      {"aws", "arn:aws:kms:us-*:*:key/*", false, false},
      {"aws", "arn:aws:kms:?\?-*-1:*:key/*", false, false},  // us-east-2 exists
      {"aws", "arn:aws:kms:?-*-?:*:key/*", false, false},
      {"aws", "arn:aws:kms:?\?-*-?:111122223333:key/*", false, false},
      {"aws-cn", "arn:aws-cn:kms:cn-*:*:key/*", true, false},
      {"aws-cn", "arn:aws-cn:kms:cn-north-*:*:key/*", false, false},  // misses cn-northwest-1
      {"aws-us-gov", "arn:aws-us-gov:kms:us-gov-*-?:*:key/*", true, false},
      {"aws-made-up", "arn:aws-made-up:kms:?\?-*-?:*:key/*", false, false},  // no data: open
  };
  for (const Case& c : cases) {
    const ArnPattern p = CompileArnPattern(c.pattern, true);
    const CoverageResult known =
        Covers(KeyLanguage::Build(c.partition, std::nullopt, std::nullopt, RegionGrammar::kPartition), {&p});
    const CoverageResult open = Covers(KeyLanguage::Build(c.partition), {&p});
    EXPECT_EQ(known.covered, c.covers_partition_regions) << c.pattern << " " << known.counterexample;
    EXPECT_EQ(open.covered, c.covers_open) << c.pattern << " " << open.counterexample;
    // A key left out is a key the pattern misses, in a region of the language's kind.
    for (const CoverageResult* r : {&known, &open}) {
      if (r->covered) continue;
      EXPECT_FALSE(ArnPatternMatches(p, r->counterexample)) << c.pattern << " " << r->counterexample;
    }
    if (!known.covered && c.partition != "aws-made-up") {
      const std::string region = ArnPatternSegments(CompileArnPattern(known.counterexample, false))[3];
      EXPECT_THAT(FindPartitionRegions(c.partition)->regions, ::testing::Contains(region))
          << c.pattern << " " << known.counterexample;
    }
  }
}

// A list naming each region the partition has reaches every key; one region fewer does not.
TEST(KeySpaceTest, ARegionListReachesEveryKeyOnlyWhenComplete) {
  const std::vector<std::string>& regions = FindPartitionRegions("aws")->regions;
  std::vector<ArnPattern> compiled;
  for (const std::string& region : regions) {
    compiled.push_back(CompileArnPattern("arn:aws:kms:" + region + ":*:key/*", true));
  }
  std::vector<const ArnPattern*> patterns;
  for (const ArnPattern& p : compiled) patterns.push_back(&p);
  const KeyLanguage known = KeyLanguage::Build("aws", std::nullopt, std::nullopt, RegionGrammar::kPartition);
  EXPECT_TRUE(Covers(known, patterns).covered);
  EXPECT_FALSE(Covers(KeyLanguage::Build("aws"), patterns).covered);
  patterns.erase(patterns.begin() + 3);
  const CoverageResult short_one = Covers(known, patterns);
  EXPECT_FALSE(short_one.covered);
  EXPECT_THAT(short_one.counterexample, ::testing::HasSubstr(":" + regions[3] + ":"));
}

// The union counts: sixteen hex prefixes plus the multi-Region prefix cover every key id.
TEST(KeySpaceTest, UnionOfPrefixesCoversEveryKey) {
  std::vector<ArnPattern> compiled;
  for (const char c : std::string("0123456789abcdef")) {
    compiled.push_back(CompileArnPattern(std::string("arn:aws:kms:*:*:key/") + c + "*", true));
  }
  std::vector<const ArnPattern*> patterns;
  for (const ArnPattern& p : compiled) patterns.push_back(&p);
  EXPECT_FALSE(Covers(KeyLanguage::Build("aws"), patterns).covered) << "mrk- keys are left out";
  const ArnPattern mrk = CompileArnPattern("arn:aws:kms:*:*:key/mrk-*", true);
  patterns.push_back(&mrk);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws"), patterns).covered);
}

// The partition, region and account come from input ARNs and may hold any byte: a fuzzer found a
// principal whose partition held one past 127, which the key language wrote out of bounds
// (tests/fuzz/regressions/snapshot). Such languages are built like any other and decide alike.
TEST(KeySpaceTest, LanguagesOfPartitionsRegionsAndAccountsWithAnyByte) {
  const std::string partition = "aws\xC3\xA9\x80\xFF";
  const ArnPattern star = CompileArnPattern("*", true);
  const ArnPattern same = CompileArnPattern("arn:" + partition + ":kms:*:*:key/*", true);
  const ArnPattern other = CompileArnPattern("arn:aws:kms:*:*:key/*", true);
  const KeyLanguage language = KeyLanguage::Build(partition);
  EXPECT_TRUE(Covers(language, {&star}).covered);
  EXPECT_TRUE(Covers(language, {&same}).covered);
  EXPECT_FALSE(Covers(language, {&other}).covered);
  const ArnPattern region = CompileArnPattern("arn:aws:kms:\xFF:*:key/*", true);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws", "\xFF"), {&region}).covered);
  const ArnPattern account = CompileArnPattern("arn:aws:kms:*:\x80\x81:key/*", true);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws", std::nullopt, "\x80\x81"), {&account}).covered);
}

TEST(KeySpaceTest, AccountAndRegionLanguages) {
  const ArnPattern account = CompileArnPattern("arn:aws:kms:*:111122223333:key/*", true);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws", std::nullopt, "111122223333"), {&account}).covered);
  EXPECT_FALSE(Covers(KeyLanguage::Build("aws", std::nullopt, "444455556666"), {&account}).covered);
  const ArnPattern region = CompileArnPattern("arn:aws:kms:us-east-1:*:key/*", true);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws", "us-east-1"), {&region}).covered);
  EXPECT_FALSE(Covers(KeyLanguage::Build("aws", "us-east-2"), {&region}).covered);
  const ArnPattern variable = CompileArnPattern("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", true);
  EXPECT_TRUE(Covers(KeyLanguage::Build("aws", std::nullopt, std::string(1, kVariableSymbol)), {&variable})
                  .covered);
}

TEST(KeySpaceTest, Intersects) {
  const KeyLanguage lang = KeyLanguage::Build("aws");
  EXPECT_TRUE(Intersects(lang, CompileArnPattern("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)));
  EXPECT_TRUE(Intersects(lang, CompileArnPattern("arn:aws:kms:*:*:key/mrk-*", true)));
  EXPECT_FALSE(Intersects(lang, CompileArnPattern("arn:aws:kms:*:*:alias/*", true)));
  EXPECT_FALSE(Intersects(lang, CompileArnPattern("arn:aws:s3:::*", true)));
  EXPECT_FALSE(Intersects(lang, CompileArnPattern("arn:aws:kms:*:*:key/not-a-key-id", true)));
}

// "IAM JSON policy elements: Resource": a `*` ending a segment may span colons; one inside a
// segment may not; `?` is one character within a segment; matching is case-sensitive.
TEST(ArnPatternTest, SegmentRules) {
  const std::string key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  EXPECT_TRUE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:*", true), key));
  EXPECT_TRUE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:us-*:key/*", true), key));
  EXPECT_FALSE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:u*1:key/*", true), key));
  EXPECT_TRUE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:us-east-?:111122223333:key/*", true), key));
  EXPECT_FALSE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:us-east-1?111122223333:key/*", true), key));
  EXPECT_FALSE(ArnPatternMatches(CompileArnPattern("ARN:AWS:KMS:*", true), key));
  EXPECT_TRUE(ArnPatternMatches(CompileArnPattern("arn:aws:kms:us-east-1:111122223333:key/1234abcd-*-1234567890ab", true), key));
}

TEST(ArnPatternTest, PolicyVariables) {
  // Under 2012-10-17 a variable is one specific value, not a wildcard.
  const ArnPattern v = CompileArnPattern("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", true);
  EXPECT_FALSE(ArnPatternMatches(v, "arn:aws:kms:us-east-1:111122223333:key/x"));
  EXPECT_TRUE(ArnPatternMatches(v, std::string("arn:aws:kms:us-east-1:") + kVariableSymbol + ":key/x"));
  // ${*} is a literal asterisk.
  const ArnPattern star = CompileArnPattern("arn:aws:kms:*:*:key/${*}", true);
  EXPECT_TRUE(ArnPatternMatches(star, "arn:aws:kms:r-1:1:key/*"));
  EXPECT_FALSE(ArnPatternMatches(star, "arn:aws:kms:r-1:1:key/abc"));
  // Under 2008-10-17 the text is literal.
  const ArnPattern literal = CompileArnPattern("arn:aws:kms:*:*:key/${aws:username}", false);
  EXPECT_TRUE(ArnPatternMatches(literal, "arn:aws:kms:r-1:1:key/${aws:username}"));
}

}  // namespace
}  // namespace kmsguard::iam

namespace kmsguard::iam {
namespace {

// Many stars in one segment make the subset construction exponential; the search must stop at its
// budget and say so rather than run without bound (found by a tester: 16 such patterns, 6 GB).
TEST(KeySpaceTest, SearchBudgetBoundsPathologicalPatterns) {
  std::vector<ArnPattern> compiled;
  for (const char c : std::string("0123456789abcdef")) {
    compiled.push_back(CompileArnPattern(std::string("arn:aws:kms:*:*:key/*f*") + c + "*", true));
  }
  std::vector<const ArnPattern*> patterns;
  for (const ArnPattern& p : compiled) patterns.push_back(&p);
  const CoverageResult result = Covers(KeyLanguage::Build("aws"), patterns);
  EXPECT_FALSE(result.covered);
  // Either decided (a real counterexample) or stopped by the budget; never unbounded.
  if (!result.exhausted) {
    ASSERT_FALSE(result.counterexample.empty());
    for (const ArnPattern* p : patterns) EXPECT_FALSE(ArnPatternMatches(*p, result.counterexample));
  }
}

// Thousands of long patterns make every search state large: 4,096 key-id prefixes once took a
// minute and 500 MB for one policy. The search must stop at its byte budget, and the answer must
// stay on the safe side: these patterns do name every key, so "covered" or "undecided" (which an
// Allow treats as reaching), never a counterexample.
TEST(KeySpaceTest, ThousandsOfPatternsStayWithinTheByteBudget) {
  std::vector<ArnPattern> compiled;
  const std::string hex = "0123456789abcdef";
  for (const char a : hex) {
    for (const char b : hex) {
      for (const char c : hex) {
        compiled.push_back(
            CompileArnPattern(std::string("arn:aws:kms:*:*:key/") + a + b + c + "*", true));
      }
    }
  }
  compiled.push_back(CompileArnPattern("arn:aws:kms:*:*:key/mrk-*", true));
  std::vector<const ArnPattern*> patterns;
  for (const ArnPattern& p : compiled) patterns.push_back(&p);
  const CoverageResult result = Covers(KeyLanguage::Build("aws"), patterns);
  EXPECT_TRUE(result.covered || result.exhausted) << result.counterexample;
  EXPECT_TRUE(result.counterexample.empty());
  // One state holds a bit per pattern position (about 100 KB here): the budget plus one state.
  EXPECT_LE(result.search_bytes, kMaxSearchBytes + 256 * 1024);
}

}  // namespace
}  // namespace kmsguard::iam
