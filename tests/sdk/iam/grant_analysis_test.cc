// The KMS.2 decision, point by point from the semantics issue, each with both verdicts. Sources:
// Security Hub "AWS KMS controls" (KMS.2), IAM "Policy evaluation logic", "IAM JSON policy
// elements: Action / NotAction / Resource / NotResource", "IAM policy elements: Variables".
#include "sdk/iam/grant_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "absl/strings/str_cat.h"

namespace kmsguard::iam {
namespace {

using ::testing::HasSubstr;

GrantVerdict Analyze(const std::string& statements, GrantQuery query = {},
                     const std::string& version = "2012-10-17") {
  const std::string text =
      "{\"Version\":\"" + version + "\",\"Statement\":" + statements + "}";
  auto doc = ParsePolicyText(text);
  EXPECT_TRUE(doc.ok()) << doc.status() << " " << text;
  if (!doc.ok()) return {};
  // A verdict points at its document's statements: the documents live as long as the test.
  static std::deque<PolicyDocument>* const documents = new std::deque<PolicyDocument>();
  documents->push_back(*std::move(doc));
  return AnalyzeGrant(documents->back(), query);
}

bool Granted(const std::string& statements, GrantQuery query = {}) {
  return Analyze(statements, std::move(query)).granted;
}

std::string Allow(const std::string& action, const std::string& resource) {
  return R"({"Effect":"Allow","Action":)" + action + R"(,"Resource":)" + resource + "}";
}

// 1. Action matching: case-insensitive globs; NotAction grants what it does not list.
TEST(GrantAnalysisTest, ActionCoverage) {
  for (const std::string action : {R"("kms:Decrypt")", R"("KMS:DECRYPT")", R"("kms:*")", R"("kms:**")",
                                   R"("*")", R"("kms:?ecrypt")", R"("k?s:*")", R"(["s3:*","kms:De*"])",
                                   R"("kms:ReEncrypt*")", R"("kms:*From")"}) {
    EXPECT_TRUE(Granted("[" + Allow(action, R"("*")") + "]")) << action;
  }
  for (const std::string action : {R"("kms:Get*")", R"("kms:ReEncryptTo")", R"("kms:Encrypt")",
                                   R"("s3:*")", R"("kms:Decrypt?")", R"("kms:DescribeKey")"}) {
    EXPECT_FALSE(Granted("[" + Allow(action, R"("*")") + "]")) << action;
  }
  EXPECT_TRUE(Granted(R"([{"Effect":"Allow","NotAction":["s3:*","ec2:*"],"Resource":"*"}])"));
  EXPECT_TRUE(Granted(R"([{"Effect":"Allow","NotAction":"kms:Decrypt","Resource":"*"}])"))
      << "kms:ReEncryptFrom is still granted";
  EXPECT_FALSE(Granted(R"([{"Effect":"Allow","NotAction":["kms:Decrypt","kms:ReEncrypt*"],"Resource":"*"}])"));
  EXPECT_FALSE(Granted(R"([{"Effect":"Allow","NotAction":"KMS:*","Resource":"*"}])"));
}

TEST(GrantAnalysisTest, ReportsEachActionSeparately) {
  GrantVerdict v = Analyze("[" + Allow(R"("kms:ReEncrypt*")", R"("*")") + "]");
  ASSERT_EQ(v.actions.size(), 2u);
  EXPECT_FALSE(v.actions[0].granted);  // kms:Decrypt
  EXPECT_TRUE(v.actions[1].granted);   // kms:ReEncryptFrom
  ASSERT_EQ(v.actions[1].grants.size(), 1u);
  EXPECT_THAT(v.actions[1].grants[0].action_patterns, ::testing::ElementsAre("kms:ReEncrypt*"));
}

// 2. Resource reach: patterns that match every key ARN of the partition, structurally.
TEST(GrantAnalysisTest, ResourceReach) {
  for (const std::string r : {R"("*")", R"("arn:aws:kms:*")", R"("arn:aws:kms:*:*:key/*")",
                              R"("arn:*:kms:*:*:key/*")", R"(["arn:aws:s3:::b","*"])", R"("arn:aws:*")"}) {
    EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", r) + "]")) << r;
  }
  for (const std::string r :
       {R"("arn:aws:kms:*:111122223333:key/*")", R"("arn:aws:kms:us-east-1:*:key/*")",
        R"("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")",
        R"("arn:aws:kms:*:*:key/mrk-*")", R"("arn:aws:kms:*:*:alias/*")", R"("arn:aws:s3:::*")",
        R"("arn:aws:kms:*:*:key/%2A")"}) {
    EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", r) + "]")) << r;
  }
}

TEST(GrantAnalysisTest, ResourceArnsAreCaseSensitive) {
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("ARN:AWS:KMS:*")") + "]"));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:*:KEY/*")") + "]"));
}

TEST(GrantAnalysisTest, NotResourceReach) {
  // Every key but one, or every key outside one account, is an arbitrary key.
  EXPECT_TRUE(Granted(R"([{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}])"));
  EXPECT_TRUE(Granted(R"([{"Effect":"Allow","Action":"kms:Decrypt","NotResource":["arn:aws:s3:::*","arn:aws:kms:*:111122223333:key/*"]}])"));
  // Excluding every key leaves none.
  EXPECT_FALSE(Granted(R"([{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:*:key/*"}])"));
  EXPECT_FALSE(Granted(R"([{"Effect":"Allow","Action":"kms:Decrypt","NotResource":["arn:aws:s3:::*","*"]}])"));
}

TEST(GrantAnalysisTest, PartitionOfThePrincipal) {
  GrantQuery china;
  china.partition = "aws-cn";
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws-cn:kms:*:*:key/*")") + "]", china));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:*:key/*")") + "]", china));
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:*:kms:*:*:key/*")") + "]", china));
}

// Issue 15 item 1: an Allow reaches every key when it reaches every region the partition has;
// a Deny cancels, and a NotResource excludes, only what covers regions not launched yet too.
TEST(GrantAnalysisTest, RegionsOfThePartition) {
  for (const std::string resource : {R"("arn:aws:kms:??-*:*:key/*")", R"("arn:aws:kms:??-*-?:*:key/*")"}) {
    EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", resource) + "]")) << resource;
  }
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:??-*-1:*:key/*")") + "]"));
  GrantQuery china;
  china.partition = "aws-cn";
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws-cn:kms:cn-*-?:*:key/*")") + "]", china));

  const GrantVerdict denied = Analyze("[" + Allow(R"("kms:Decrypt")", R"("*")") +
                                      R"(,{"Effect":"Deny","Action":"kms:Decrypt","Resource":"arn:aws:kms:??-*-?:*:key/*"}])");
  ASSERT_TRUE(denied.actions[0].granted) << "the Deny leaves regions not launched yet open";
  EXPECT_THAT(denied.actions[0].denies.at(0).why, HasSubstr("regions not launched yet included"));
  EXPECT_THAT(denied.actions[0].denies.at(0).why, HasSubstr("arn:aws:kms:af-south-10:"));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("*")") +
                       R"(,{"Effect":"Deny","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:*:key/*"}])"));

  EXPECT_TRUE(Granted(R"([{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:??-*-?:*:key/*"}])"))
      << "NotResource leaves regions not launched yet in";
  // A Deny on everything but every launched region denies no key that exists (found by the
  // oracle, tests/bench/peers/oracle_compare.mjs); a Deny on everything but one account's keys
  // leaves only that account's keys, not every key.
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("*")") +
                      R"(,{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"arn:aws:kms:??-*-?:*:key/*"}])"));
  const GrantVerdict one_account = Analyze("[" + Allow(R"("kms:Decrypt")", R"("*")") +
      R"(,{"Effect":"Deny","Action":"kms:Decrypt","NotResource":"arn:aws:kms:*:111122223333:key/*"}])");
  ASSERT_FALSE(one_account.actions[0].granted);
  EXPECT_THAT(
      one_account.actions[0].denies.at(0).why,
      HasSubstr("from the Deny; e.g. the made-up key arn:aws:kms:af-south-1:918273645012:"));
  EXPECT_THAT(one_account.actions[0].denies.at(0).why, HasSubstr(" is denied"));

  GrantQuery strict;
  strict.scope = KeyScope::kAccountOrRegionWide;
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:??-*-?:111122223333:key/*")") + "]", strict))
      << "every key of one account, in every region it can have keys in";
}

// One document may name more accounts than the language cache holds (1,024): the languages a
// call holds must outlive it. Emptying the cache mid-call freed the every-key language still in
// use (heap-use-after-free under ASan; tests/fuzz, resource_proto).
TEST(GrantAnalysisTest, ADocumentNamingThousandsOfAccountsKeepsItsLanguages) {
  std::string resources = "[";
  for (int i = 0; i < 600; ++i) {  // two languages per account: past 1,024
    resources += absl::StrCat(i == 0 ? "" : ",", "\"arn:aws:kms:*:", 100000000000 + i, ":key/*\"");
  }
  resources += "]";
  GrantQuery strict;
  strict.scope = KeyScope::kAccountOrRegionWide;
  for (int round = 0; round < 2; ++round) {
    const GrantVerdict v = Analyze("[" + Allow(R"("kms:Decrypt")", resources) + "]", strict);
    ASSERT_TRUE(v.granted) << "every key of account 100000000000";
    EXPECT_THAT(v.actions[0].why, HasSubstr("of account 100000000000"));
  }
}

// 3. Conditions do not clear the finding, but the verdict says it is conditional.
TEST(GrantAnalysisTest, ConditionalAllow) {
  GrantVerdict v = Analyze(R"([{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
      "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}])");
  EXPECT_TRUE(v.granted);
  EXPECT_TRUE(v.conditional);
  ASSERT_EQ(v.actions[0].grants.size(), 1u);
  ASSERT_EQ(v.actions[0].grants[0].conditions().size(), 1u);
  EXPECT_EQ(v.actions[0].grants[0].conditions()[0].key, "kms:ViaService");
  // An unconditional grant elsewhere makes the verdict unconditional.
  GrantVerdict both = Analyze(R"([{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
      "Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}])");
  EXPECT_TRUE(both.granted);
  EXPECT_FALSE(both.conditional);
}

// 4. Deny cancels only when it covers the action, reaches every key and has no Condition.
TEST(GrantAnalysisTest, DenyCancels) {
  const std::string allow = Allow(R"("kms:*")", R"("*")");
  EXPECT_FALSE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":"kms:*","Resource":"*"}])"));
  EXPECT_FALSE(Granted("[" + allow + R"(,{"Effect":"Deny","NotAction":"s3:*","Resource":"arn:aws:kms:*"}])"));
  EXPECT_FALSE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":["kms:Decrypt","kms:ReEncryptFrom"],"NotResource":"arn:aws:s3:::*"}])"));
  // Deny on some keys leaves an arbitrary key open.
  EXPECT_TRUE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}])"));
  EXPECT_TRUE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/mrk-*"}])"));
  // Deny of one blocked action leaves the other.
  EXPECT_TRUE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}])"));
  // Deny of a different action.
  EXPECT_TRUE(Granted("[" + allow + R"(,{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}])"));
  // Deny of NotAction listing the blocked actions does not cover them.
  EXPECT_TRUE(Granted("[" + allow + R"(,{"Effect":"Deny","NotAction":"kms:*","Resource":"*"}])"));
}

TEST(GrantAnalysisTest, ConditionalDeny) {
  const std::string statements = "[" + Allow(R"("kms:*")", R"("*")") +
      R"(,{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}])";
  EXPECT_TRUE(Granted(statements)) << "ignored by default";
  GrantQuery honor;
  honor.honor_conditional_deny = true;
  EXPECT_FALSE(Granted(statements, honor));
}

// 5. The union of statements counts; so do several denies together.
TEST(GrantAnalysisTest, UnionOfStatements) {
  std::string hex_prefixes = "[";
  for (const char c : std::string("0123456789abcdef")) {
    hex_prefixes += Allow(R"("kms:Decrypt")", std::string(R"("arn:aws:kms:*:*:key/)") + c + "*\"") + ",";
  }
  const std::string without_mrk = hex_prefixes.substr(0, hex_prefixes.size() - 1) + "]";
  EXPECT_FALSE(Granted(without_mrk)) << "multi-Region keys are left out";
  const std::string all = hex_prefixes + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:*:key/mrk-*")") + "]";
  GrantVerdict v = Analyze(all);
  EXPECT_TRUE(v.granted);
  EXPECT_EQ(v.actions[0].grants.size(), 17u);

  const std::string allow = Allow(R"("kms:*")", R"("*")");
  EXPECT_FALSE(Granted("[" + allow +
                       R"(,{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/mrk-*"})" +
                       R"(,{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/mrk-*"}])"));
}

// 6. Policy variables, empty Action, resource policies.
TEST(GrantAnalysisTest, PolicyVariablesAreNotWildcards) {
  const std::string st = "[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:${aws:PrincipalAccount}:key/*")") + "]";
  EXPECT_FALSE(Analyze(st).granted);
  EXPECT_FALSE(Analyze(st, {}, "2008-10-17").granted) << "literal text under 2008-10-17";
  // ${*} is a literal asterisk, not a wildcard.
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("${*}")") + "]"));
}

// A statement without actions, or with an empty list, is an error (policy_document_test.cc);
// a document without statements grants nothing.
TEST(GrantAnalysisTest, NoStatementGrantsNothing) { EXPECT_FALSE(Granted("[]")); }

TEST(GrantAnalysisTest, ResourcePolicyIsNotEvaluated) {
  GrantVerdict v = Analyze(R"([{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}])");
  EXPECT_FALSE(v.granted);
  EXPECT_THAT(v.actions[0].why, HasSubstr("resource-based policy"));
}

// 7. Evidence names the statement, Sid, patterns.
TEST(GrantAnalysisTest, EvidenceNamesStatements) {
  GrantVerdict v = Analyze(R"([{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"},
      {"Sid":"Kms","Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"arn:aws:kms:*"}])");
  ASSERT_TRUE(v.granted);
  ASSERT_EQ(v.actions[0].grants.size(), 1u);
  const StatementRole& role = v.actions[0].grants[0];
  EXPECT_EQ(role.statement_index, 1);
  EXPECT_EQ(role.sid(), "Kms");
  EXPECT_THAT(role.action_patterns, ::testing::ElementsAre("kms:Decrypt"));
  EXPECT_THAT(role.resource_patterns(), ::testing::ElementsAre("arn:aws:kms:*"));
  EXPECT_THAT(v.actions[0].why, HasSubstr("every KMS key"));
}

TEST(GrantAnalysisTest, ExplainsWhyNotEveryKey) {
  GrantVerdict v = Analyze("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:111122223333:key/*")") + "]");
  ASSERT_FALSE(v.granted);
  EXPECT_THAT(v.actions[0].why, HasSubstr("arn:aws:kms:"));  // a counterexample key
  EXPECT_THAT(v.actions[0].why, HasSubstr("is not reached"));
}

// Strict tier: every key of one account or one region, but not every key.
TEST(GrantAnalysisTest, AccountOrRegionWideTier) {
  GrantQuery strict;
  strict.scope = KeyScope::kAccountOrRegionWide;
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:111122223333:key/*")") + "]", strict));
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:us-east-1:*:key/*")") + "]", strict));
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:${aws:PrincipalAccount}:key/*")") + "]", strict));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("*")") + "]", strict)) << "every-key tier";
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:us-east-1:111122223333:key/*")") + "]", strict));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:111122223333:key/mrk-*")") + "]", strict));
  EXPECT_FALSE(Granted("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:111122223333:key/*")") +
                           R"(,{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}])", strict));
}

// For explanations: every covering Allow, denies with whether they cancel, conditional denies
// set aside.
TEST(GrantAnalysisTest, RecordsAllowsDenyOutcomesAndSetAsideDenies) {
  GrantVerdict v = Analyze(R"([{"Sid":"Acct","Effect":"Allow","Action":"kms:Decrypt",
      "Resource":"arn:aws:kms:*:111122223333:key/*"}])");
  ASSERT_FALSE(v.granted);
  ASSERT_EQ(v.actions[0].allows.size(), 1u);
  EXPECT_EQ(v.actions[0].allows[0].sid(), "Acct");
  EXPECT_TRUE(v.actions[0].grants.empty());
  EXPECT_TRUE(v.actions[1].allows.empty()) << "kms:ReEncryptFrom is not covered";

  // A Deny on some keys does not cancel, and says which key it leaves open.
  v = Analyze(R"([{"Effect":"Allow","Action":"kms:*","Resource":"*"},
      {"Sid":"OneAccount","Effect":"Deny","Action":"kms:Decrypt",
       "Resource":"arn:aws:kms:*:111122223333:key/*"}])");
  ASSERT_TRUE(v.actions[0].granted);
  ASSERT_EQ(v.actions[0].denies.size(), 1u);
  EXPECT_THAT(v.actions[0].denies[0].why, HasSubstr("does not cancel the grant of kms:Decrypt"));
  EXPECT_THAT(v.actions[0].denies[0].why, HasSubstr("is not reached"));

  // A Deny on every key cancels.
  v = Analyze(R"([{"Effect":"Allow","Action":"kms:*","Resource":"*"},
      {"Sid":"All","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}])");
  ASSERT_FALSE(v.actions[0].granted);
  ASSERT_EQ(v.actions[0].allows.size(), 1u);
  ASSERT_EQ(v.actions[0].denies.size(), 1u);
  EXPECT_THAT(v.actions[0].denies[0].why, HasSubstr("cancels the grant of kms:Decrypt"));

  // A conditional Deny is set aside, unless honored.
  const std::string conditional_deny =
      R"([{"Effect":"Allow","Action":"kms:*","Resource":"*"},
          {"Sid":"C","Effect":"Deny","Action":"kms:*","Resource":"*",
           "Condition":{"Bool":{"aws:ViaAWSService":"false"}}}])";
  v = Analyze(conditional_deny);
  ASSERT_TRUE(v.actions[0].granted);
  EXPECT_TRUE(v.actions[0].denies.empty());
  ASSERT_EQ(v.actions[0].ignored_denies.size(), 1u);
  EXPECT_EQ(v.actions[0].ignored_denies[0].sid(), "C");
  GrantQuery honor;
  honor.honor_conditional_deny = true;
  v = Analyze(conditional_deny, honor);
  ASSERT_FALSE(v.actions[0].granted);
  EXPECT_TRUE(v.actions[0].ignored_denies.empty());
  ASSERT_EQ(v.actions[0].denies.size(), 1u);

  // Strict tier: a Deny on every key cancels, and the reason says so.
  GrantQuery strict;
  strict.scope = KeyScope::kAccountOrRegionWide;
  v = Analyze(R"([{"Effect":"Allow","Action":"kms:*","Resource":"*"},
      {"Effect":"Deny","Action":"kms:*","Resource":"*"}])",
              strict);
  ASSERT_FALSE(v.granted);
  EXPECT_THAT(v.actions[0].why, HasSubstr("an explicit Deny cancels it"));
  ASSERT_EQ(v.actions[0].denies.size(), 1u);
  EXPECT_THAT(v.actions[0].denies[0].why, HasSubstr("cancels the grant of kms:Decrypt"));
  // ...and a pattern that names no account or region is not "no Allow statement".
  v = Analyze("[" + Allow(R"("kms:Decrypt")", R"("arn:aws:kms:*:*:key/mrk-*")") + "]", strict);
  ASSERT_FALSE(v.granted);
  EXPECT_THAT(v.actions[0].why, HasSubstr("name no single account or region"));
}

}  // namespace
}  // namespace kmsguard::iam

namespace kmsguard::iam {
namespace {

// A pattern set the search cannot decide within its budget: an Allow is assumed to reach every
// key (a cautious FAIL, explained), a Deny is assumed not to cancel.
TEST(GrantAnalysisTest, UndecidablePatternsAreDecidedCautiously) {
  std::string resources = "[";
  for (const char c : std::string("0123456789abcdef")) {
    resources += std::string(c == '0' ? "" : ",") + "\"arn:aws:kms:*:*:key/*f*" + c + "*\"";
  }
  resources += "]";
  GrantVerdict v = Analyze("[" + Allow(R"("kms:Decrypt")", resources) + "]");
  ASSERT_EQ(v.actions.size(), 2u);
  // Undecided within the budget: reported, and a cautious grant; decided: a counterexample key.
  if (v.actions[0].granted) {
    EXPECT_THAT(v.actions[0].why, HasSubstr("search budget"));
  } else {
    EXPECT_THAT(v.actions[0].why, HasSubstr("is not reached"));
  }
  const std::string deny = R"({"Effect":"Deny","Action":"kms:*","Resource":)" + resources + "}";
  EXPECT_TRUE(Granted("[" + Allow(R"("kms:*")", R"("*")") + "," + deny + "]"));
}

}  // namespace
}  // namespace kmsguard::iam
