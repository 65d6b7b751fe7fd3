// The strict tier rule, effective exposure (group members, role trustees, severity raise) and
// explanations, each with both verdicts.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/exposure.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::json;
using test::BuiltinRule;
using test::Doc;
using test::EvaluateOne;
using test::Explanation;
using test::kBroadRule;
using test::MakeEvaluator;
using test::Policy;
using test::Principal;

const Json kEveryKey = Doc({{{"Sid", "Any"},
                             {"Effect", "Allow"},
                             {"Action", "kms:Decrypt"},
                             {"Resource", "arn:aws:kms:*:*:key/*"}}});
const Json kAccountKeys = Doc({{{"Sid", "AccountKeys"},
                                {"Effect", "Allow"},
                                {"Action", {"kms:Decrypt", "kms:ReEncryptFrom"}},
                                {"Resource", "arn:aws:kms:*:111122223333:key/*"}}});
const Json kRegionKeys = Doc(
    {{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "arn:aws:kms:eu-west-1:*:key/*"}}});
const Json kOneKey = Doc({{{"Effect", "Allow"},
                           {"Action", "kms:Decrypt"},
                           {"Resource",
                            "arn:aws:kms:us-east-1:111122223333:key/"
                            "1234abcd-12ab-34cd-56ef-1234567890ab"}}});

Json Trust(Json principal, Json condition = nullptr) {
  Json st = {
      {"Effect", "Allow"}, {"Principal", std::move(principal)}, {"Action", "sts:AssumeRole"}};
  if (!condition.is_null()) st["Condition"] = std::move(condition);
  return Doc({st});
}

model::Resource Role(const std::string& name, Json policy, Json trust) {
  model::Resource r = Principal(model::kIamRole, name, {Policy("p", std::move(policy))});
  r.document["trust_policy"] = std::move(trust);
  return r;
}

// ---- strict tier ------------------------------------------------------------------------------

TEST(BroadScopeRuleTest, AccountAndRegionWideGrantsFailEveryKeyAndOneKeyPass) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule(kBroadRule));
  model::Finding f =
      EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("acct", kAccountKeys)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.rule_id, kBroadRule);
  EXPECT_EQ(f.severity, model::Severity::kLow);
  EXPECT_THAT(f.compliance, IsEmpty());
  EXPECT_EQ(f.message,
            "user u has inline policies (acct) that allow kms:Decrypt, kms:ReEncryptFrom on every "
            "KMS key of an account or a region (Resource \"arn:aws:kms:*:111122223333:key/*\").");
  EXPECT_THAT(f.remediation.cli, HasSubstr("aws iam put-user-policy --user-name 'u'"));

  f = EvaluateOne(evaluator, Principal(model::kIamGroup, "g", {Policy("region", kRegionKeys)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.message, HasSubstr("arn:aws:kms:eu-west-1:*:key/*"));

  // Every key belongs to the every-key rule; one key is fine.
  f = EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("any", kEveryKey)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_THAT(Explanation(f), HasSubstr("reported by the every-key rule, not this tier"));
  f = EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("one", kOneKey)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.message,
            "user u has 1 inline policy, which does not allow kms:Decrypt, kms:ReEncryptFrom on "
            "every key of one account or one region.");

  // The two tiers never report the same grant.
  const Evaluator every_key = MakeEvaluator(BuiltinRule());
  for (const Json& doc : {kEveryKey, kAccountKeys, kRegionKeys, kOneKey}) {
    const model::Resource r = Principal(model::kIamUser, "u", {Policy("p", doc)});
    EXPECT_FALSE(EvaluateOne(every_key, r).status == model::Status::kFail &&
                 EvaluateOne(evaluator, r).status == model::Status::kFail)
        << doc.dump();
  }
}

// The PASS of a principal whose grant reaches every key (the every-key rule's FAIL) says so, and
// names only the policies and actions that reach every key; it never reads "does not allow"
// (issue 18: a reader saw that beside the every-key FAIL of the same principal).
TEST(BroadScopeRuleTest, APassLeftToTheEveryKeyTierSaysItIsGrantedOnEveryKey) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule(kBroadRule));
  const Json decrypt_only =
      Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
  model::Finding f = EvaluateOne(
      evaluator,
      Principal(model::kIamUser, "u", {Policy("any", kEveryKey), Policy("one", kOneKey)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.message,
            "user u has an inline policy (any) that allows kms:Decrypt on every KMS key, which the "
            "every-key rule reports; this rule reports only grants on every key "
            "of one account or one region, and there is none.");
  f = EvaluateOne(evaluator, Principal(model::kIamRole, "r",
                                       {Policy("a", decrypt_only), Policy("b", decrypt_only)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.message,
            "role r has inline policies (a, b) that allow kms:Decrypt on every KMS key, which the "
            "every-key rule reports; this rule reports only grants on every key of one account or "
            "one region, and there is none.");
  // A Deny on every key cancels the grant: then nothing is allowed, and the PASS says that.
  const Json denied = Doc(
      {kEveryKey["Statement"][0], {{"Effect", "Deny"}, {"Action", "kms:*"}, {"Resource", "*"}}});
  f = EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("denied", denied)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_THAT(f.message, HasSubstr("which does not allow"));
  // An every-key grant beside an account-wide one: this tier fails on the account-wide one.
  f = EvaluateOne(evaluator, Principal(model::kIamUser, "u",
                                       {Policy("any", kEveryKey), Policy("acct", kAccountKeys)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.message, HasSubstr("(acct)"));
}

TEST(BroadScopeRuleTest, DenyOnTheSameKeysCancelsAndConditionsWarnWhenAsked) {
  rules::Rule rule = BuiltinRule(kBroadRule);
  const Json denied = Doc({kAccountKeys["Statement"][0],
                           {{"Effect", "Deny"},
                            {"Action", "kms:*"},
                            {"Resource", "arn:aws:kms:*:111122223333:key/*"}}});
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), Principal(model::kIamRole, "r", {Policy("d", denied)}))
                .status,
            model::Status::kPass);
  Json conditional = kAccountKeys;
  conditional["Statement"][0]["Condition"] = {{"StringEquals", {{"kms:ViaService", "x"}}}};
  const model::Resource r = Principal(model::kIamRole, "r", {Policy("c", conditional)});
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), r).status, model::Status::kFail);
  rule.param_values["on_condition"] = "warn";
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), r).status, model::Status::kWarning);
}

// ---- exposure ---------------------------------------------------------------------------------

TEST(ExposureTest, GroupFindingsListTheMemberUsers) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Resource group = Principal(model::kIamGroup, "devs", {Policy("p", kEveryKey)});
  group.document["members"] = {"alice", "bob"};
  model::Finding f = EvaluateOne(evaluator, group);
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.exposed_to, ElementsAre("user/alice", "user/bob"));
  EXPECT_EQ(f.exposure, "inherited by 2 member users: alice, bob");
  EXPECT_EQ(f.severity, model::Severity::kMedium) << "members are in the account";

  group.document["members"] = Json::array();
  f = EvaluateOne(evaluator, group);
  EXPECT_THAT(f.exposed_to, IsEmpty());
  EXPECT_EQ(f.exposure, "no member user holds it yet (the group has no members)");

  group.document.erase("members");
  EXPECT_EQ(EvaluateOne(evaluator, group).exposure,
            "inherited by the group's member users, whom the snapshot does not list");

  // A PASS has no exposure.
  group = Principal(model::kIamGroup, "devs", {Policy("p", kOneKey)});
  group.document["members"] = {"alice"};
  f = EvaluateOne(evaluator, group);
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_THAT(f.exposed_to, IsEmpty());
  EXPECT_TRUE(f.exposure.empty());
}

TEST(ExposureTest, UserFindingsNameTheUser) {
  const model::Finding f = EvaluateOne(MakeEvaluator(BuiltinRule()),
                                       Principal(model::kIamUser, "bob", {Policy("p", kEveryKey)}));
  EXPECT_THAT(f.exposed_to, ElementsAre("user/bob"));
  EXPECT_EQ(f.exposure, "held by user bob");
}

TEST(ExposureTest, RoleTrusteesInsideTheAccountKeepTheSeverity) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  Json trust =
      Doc({{{"Effect", "Allow"},
            {"Principal",
             {{"Service", {"ec2.amazonaws.com", "lambda.amazonaws.com"}},
              {"AWS", "arn:aws:iam::111122223333:role/ci"}}},
            {"Action", "sts:AssumeRole"}},
           {{"Effect", "Allow"},
            {"Principal",
             {{"Federated",
               "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}}},
            {"Action", "sts:AssumeRoleWithWebIdentity"},
            {"Condition",
             {{"StringLike", {{"token.actions.githubusercontent.com:sub", "repo:o/*"}}}}}}});
  const model::Finding f = EvaluateOne(evaluator, Role("app", kEveryKey, trust));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kMedium);
  EXPECT_THAT(f.exposed_to,
              ElementsAre("same-account 111122223333 (arn:aws:iam::111122223333:role/ci)",
                          "service ec2.amazonaws.com", "service lambda.amazonaws.com",
                          "federated arn:aws:iam::111122223333:oidc-provider/"
                          "token.actions.githubusercontent.com [conditional: "
                          "StringLike:token.actions.githubusercontent.com:sub]"));
  EXPECT_THAT(f.exposure, HasSubstr("assumable by same-account 111122223333 "
                                    "(arn:aws:iam::111122223333:role/ci); service ec2."));
  EXPECT_THAT(f.exposure, Not(HasSubstr("outside")));
  EXPECT_THAT(f.message, Not(HasSubstr("Severity raised")));
}

TEST(ExposureTest, RolesAssumableFromOutsideTheAccountAreRaisedOneLevel) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Finding f =
      EvaluateOne(evaluator, Role("partner", kEveryKey,
                                  Trust({{"AWS", "arn:aws:iam::444455556666:root"}},
                                        {{"StringEquals", {{"sts:ExternalId", "x"}}}})));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kHigh);
  EXPECT_THAT(f.exposed_to, ElementsAre("other-account 444455556666 "
                                        "(arn:aws:iam::444455556666:root) "
                                        "[conditional: StringEquals:sts:ExternalId]"));
  EXPECT_EQ(f.message,
            "role partner has inline policies (p) that allow kms:Decrypt on all KMS keys "
            "(Resource \"arn:aws:kms:*:*:key/*\"). Severity raised from medium to high: the role "
            "can be assumed from outside account 111122223333 by other-account 444455556666 "
            "(arn:aws:iam::444455556666:root) [conditional: StringEquals:sts:ExternalId].");
  EXPECT_THAT(f.exposure, HasSubstr("(from outside account 111122223333)"));
  // The rule's own severity and the raise, for every output to show.
  EXPECT_EQ(f.RuleSeverity(), model::Severity::kMedium);
  ASSERT_THAT(f.severity_changes, SizeIs(1));
  EXPECT_EQ(f.severity_changes[0].from, model::Severity::kMedium);
  EXPECT_EQ(f.severity_changes[0].to, model::Severity::kHigh);
  EXPECT_EQ(f.severity_changes[0].reason,
            "raised: the role can be assumed from outside account 111122223333 by other-account "
            "444455556666 (arn:aws:iam::444455556666:root) [conditional: "
            "StringEquals:sts:ExternalId]");

  f = EvaluateOne(evaluator, Role("public", kEveryKey, Trust({{"AWS", "*"}})));
  EXPECT_EQ(f.severity, model::Severity::kHigh);
  EXPECT_THAT(f.exposed_to, ElementsAre("anyone (AWS: \"*\")"));
  f = EvaluateOne(evaluator, Role("star", kEveryKey, Trust("*")));
  EXPECT_EQ(f.severity, model::Severity::kHigh);
  EXPECT_THAT(f.exposed_to, ElementsAre("anyone (\"*\")"));
  // An account id alone is an account principal too.
  f = EvaluateOne(evaluator, Role("by-id", kEveryKey, Trust({{"AWS", "444455556666"}})));
  EXPECT_EQ(f.severity, model::Severity::kHigh);

  // The strict tier is raised from low to medium; a PASS is never raised.
  const Evaluator strict = MakeEvaluator(BuiltinRule(kBroadRule));
  f = EvaluateOne(strict, Role("public", kAccountKeys, Trust({{"AWS", "*"}})));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kMedium);
  EXPECT_THAT(f.message, HasSubstr("Severity raised from low to medium"));
  f = EvaluateOne(evaluator, Role("public", kOneKey, Trust({{"AWS", "*"}})));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.severity, model::Severity::kMedium);
  EXPECT_THAT(f.exposed_to, IsEmpty());
  EXPECT_THAT(f.severity_changes, IsEmpty());
  EXPECT_EQ(f.RuleSeverity(), model::Severity::kMedium);
}

// An override and a raise in turn: the finding says the rule's own severity, then each change.
TEST(ExposureTest, AnOverriddenSeverityIsRaisedFromTheOverride) {
  rules::Rule rule = BuiltinRule();
  rules::Override override;
  override.rule_id = rule.id;
  override.has_severity = true;
  override.severity = model::Severity::kHigh;
  override.severity_location = {"org-overrides.yaml", 4, 11, "", ""};
  std::vector<rules::Rule> rules = {rule};
  ASSERT_THAT(rules::ApplyOverrides({override}, &rules), IsEmpty());
  const Evaluator evaluator = MakeEvaluator(rules[0]);

  model::Finding f =
      EvaluateOne(evaluator, Role("partner", kEveryKey, Trust({{"AWS", "444455556666"}})));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kCritical);
  EXPECT_EQ(f.RuleSeverity(), model::Severity::kMedium);
  ASSERT_THAT(f.severity_changes, SizeIs(2));
  EXPECT_EQ(f.severity_changes[0].from, model::Severity::kMedium);
  EXPECT_EQ(f.severity_changes[0].to, model::Severity::kHigh);
  EXPECT_EQ(f.severity_changes[0].reason, "override at org-overrides.yaml:4:11");
  EXPECT_EQ(f.severity_changes[1].from, model::Severity::kHigh);
  EXPECT_EQ(f.severity_changes[1].to, model::Severity::kCritical);
  EXPECT_THAT(f.severity_changes[1].reason,
              HasSubstr("raised: the role can be assumed from outside account 111122223333"));

  // Not raised: the override alone, on FAIL and PASS alike.
  f = EvaluateOne(evaluator, Role("inside", kEveryKey, Trust({{"Service", "ec2.amazonaws.com"}})));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kHigh);
  EXPECT_EQ(f.RuleSeverity(), model::Severity::kMedium);
  ASSERT_THAT(f.severity_changes, SizeIs(1));
  EXPECT_EQ(f.severity_changes[0].reason, "override at org-overrides.yaml:4:11");
  f = EvaluateOne(evaluator, Role("one-key", kOneKey, Trust({{"AWS", "444455556666"}})));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.severity, model::Severity::kHigh);
  ASSERT_THAT(f.severity_changes, SizeIs(1));
}

TEST(ExposureTest, AnUnreadableTrustPolicyIsNotedAndTheVerdictStands) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Finding f = EvaluateOne(evaluator, Role("odd", kEveryKey, "{\"Statement\": ["));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.severity, model::Severity::kMedium);
  EXPECT_THAT(f.exposed_to, IsEmpty());
  EXPECT_THAT(f.exposure,
              HasSubstr("who can assume the role is unknown: its trust policy does not parse"));
  EXPECT_THAT(Explanation(f), HasSubstr("exposure: who can assume the role is unknown"));

  f = EvaluateOne(evaluator, Principal(model::kIamRole, "no-trust", {Policy("p", kEveryKey)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.exposure, "who can assume the role is unknown: the snapshot holds no trust policy");

  // A trust policy that lets nobody assume the role.
  f = EvaluateOne(evaluator, Role("nobody", kEveryKey,
                                  Doc({{{"Effect", "Allow"},
                                        {"Principal", {{"Service", "ec2.amazonaws.com"}}},
                                        {"Action", "sts:TagSession"}}})));
  EXPECT_THAT(f.exposed_to, IsEmpty());
  EXPECT_EQ(f.exposure,
            "no principal can assume the role (its trust policy allows no sts:AssumeRole*)");
}

TEST(ExposureTest, NotPrincipalAllowTrustsEveryoneNotListed) {
  const Exposure e = ExposureOf(Role("np", kEveryKey,
                                     Doc({{{"Effect", "Allow"},
                                           {"NotPrincipal", {{"AWS", "arn:aws:iam::1:root"}}},
                                           {"Action", "sts:AssumeRole"}}})));
  EXPECT_TRUE(e.outside_account);
  EXPECT_THAT(e.exposed_to, ElementsAre("anyone not listed in NotPrincipal"));
}

// ---- explanations -----------------------------------------------------------------------------

TEST(ExplainTest, FailNamesTheGrantingStatementAndWhyItCoversEveryKey) {
  const model::Finding f = EvaluateOne(MakeEvaluator(BuiltinRule()),
                                       Principal(model::kIamUser, "u", {Policy("p", kEveryKey)}));
  ASSERT_EQ(f.status, model::Status::kFail);
  const std::string why = Explanation(f);
  EXPECT_THAT(why, HasSubstr("inline policy \"p\": kms:Decrypt granted: kms:Decrypt: the Resource "
                             "patterns of 1 statement cover every KMS key (partition aws)"));
  EXPECT_THAT(why, HasSubstr("inline policy \"p\": statement 0 \"Any\" (Allow kms:Decrypt on "
                             "Resource [\"arn:aws:kms:*:*:key/*\"]): Resource "
                             "[\"arn:aws:kms:*:*:key/*\"] matches keys of every KMS key"));
  EXPECT_THAT(why,
              HasSubstr("inline policy \"p\": no statement allows or denies kms:ReEncryptFrom"));
  // The evidence carries the same reason.
  ASSERT_THAT(f.evidence, SizeIs(1));
  EXPECT_THAT(f.evidence[0].note, HasSubstr("matches keys of every KMS key"));
}

// A document stamped onto many principals is explained once (AnalyzedPolicy::Derived); each
// principal's lines still name its own policy, and each question asked of the document (the
// every-key rule, the account- or region-wide rule; a partition) gets its own lines.
TEST(ExplainTest, ARepeatedDocumentIsExplainedUnderEachPolicyAndEachQuestion) {
  std::vector<rules::Rule> both;
  both.push_back(BuiltinRule());
  both.push_back(BuiltinRule(kBroadRule));
  const Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(both)));
  const auto judge = [&evaluator](const std::string& policy, const std::string& partition) {
    model::Resource role = Principal(model::kIamRole, "r-" + policy, {Policy(policy, kAccountKeys)});
    role.partition = partition;
    std::vector<model::Finding> findings = evaluator.Evaluate(role);
    EXPECT_THAT(findings, SizeIs(2));
    return findings;
  };
  const std::vector<model::Finding> first = judge("alpha", "aws");
  const std::vector<model::Finding> second = judge("beta", "aws");
  const std::vector<model::Finding> china = judge("gamma", "aws-cn");
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  ASSERT_EQ(china.size(), 2u);
  // Every key: not granted; account- or region-wide: granted.
  EXPECT_EQ(second[0].status, model::Status::kPass);
  EXPECT_EQ(second[1].status, model::Status::kFail);
  EXPECT_THAT(Explanation(second[0]), HasSubstr("inline policy \"beta\": kms:Decrypt not granted"));
  EXPECT_THAT(Explanation(second[1]), HasSubstr("inline policy \"beta\": kms:Decrypt granted"));
  for (const model::Finding& f : second) {
    EXPECT_THAT(Explanation(f), Not(HasSubstr("alpha")));
  }
  // The same lines as the first principal's, apart from the name.
  for (std::size_t i = 0; i < 2; ++i) {
    std::string expected = Explanation(first[i]);
    for (std::size_t at; (at = expected.find("alpha")) != std::string::npos;) {
      expected.replace(at, 5, "beta");
    }
    EXPECT_EQ(Explanation(second[i]), expected);
  }
  // Another partition is another question: its lines name its own partition, not aws.
  EXPECT_THAT(Explanation(china[0]), HasSubstr("(partition aws-cn)"));
  EXPECT_THAT(Explanation(china[0]), Not(HasSubstr("(partition aws)")));
}

TEST(ExplainTest, PassNamesTheStatementAndTheKeyItLeavesOut) {
  const model::Finding f =
      EvaluateOne(MakeEvaluator(BuiltinRule()),
                  Principal(model::kIamRole, "r", {Policy("acct", kAccountKeys)}));
  ASSERT_EQ(f.status, model::Status::kPass);
  EXPECT_THAT(f.evidence, IsEmpty());
  const std::string why = Explanation(f);
  EXPECT_THAT(why, HasSubstr("inline policy \"acct\": kms:Decrypt not granted: kms:Decrypt: not "
                             "every KMS key (partition aws): e.g. the made-up key arn:aws:kms:"));
  EXPECT_THAT(why, HasSubstr("is not reached"));
  EXPECT_THAT(why, HasSubstr("inline policy \"acct\": statement 0 \"AccountKeys\" (Allow "
                             "kms:Decrypt, kms:ReEncryptFrom on Resource "
                             "[\"arn:aws:kms:*:111122223333:key/*\"])"));
}

TEST(ExplainTest, DeniesAndConditionsSetAsideAreExplained) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  // A Deny on every key cancels; a Deny on one account does not, and says which key stays open.
  model::Finding f = EvaluateOne(
      evaluator,
      Principal(model::kIamRole, "r",
                {Policy("p", Doc({{{"Sid", "All"},
                                   {"Effect", "Allow"},
                                   {"Action", "kms:*"},
                                   {"Resource", "*"},
                                   {"Condition", {{"Bool", {{"aws:SecureTransport", "true"}}}}}},
                                  {{"Sid", "NoDecrypt"},
                                   {"Effect", "Deny"},
                                   {"Action", "kms:Decrypt"},
                                   {"Resource", "*"}},
                                  {{"Sid", "NotThisAccount"},
                                   {"Effect", "Deny"},
                                   {"Action", "kms:ReEncrypt*"},
                                   {"Resource", "arn:aws:kms:*:111122223333:key/*"}},
                                  {{"Sid", "OffVpc"},
                                   {"Effect", "Deny"},
                                   {"Action", "kms:ReEncryptFrom"},
                                   {"Resource", "*"},
                                   {"Condition", {{"Null", {{"aws:SourceVpc", "true"}}}}}}}))}));
  ASSERT_EQ(f.status, model::Status::kFail);
  const std::string why = Explanation(f);
  EXPECT_THAT(why, HasSubstr("kms:Decrypt not granted: kms:Decrypt is allowed but an explicit Deny "
                             "cancels it"));
  EXPECT_THAT(why, HasSubstr("statement 1 \"NoDecrypt\" (Deny kms:Decrypt on Resource [\"*\"]): "
                             "cancels the grant of kms:Decrypt"));
  EXPECT_THAT(why, HasSubstr("statement 2 \"NotThisAccount\" (Deny kms:ReEncryptFrom on Resource "
                             "[\"arn:aws:kms:*:111122223333:key/*\"]): does not cancel the grant "
                             "of kms:ReEncryptFrom: not every KMS key"));
  EXPECT_THAT(why, HasSubstr("statement 0 \"All\" (Allow kms:Decrypt, kms:ReEncryptFrom on "
                             "Resource [\"*\"])"));
  EXPECT_THAT(why, HasSubstr("; Condition Bool:aws:SecureTransport set aside (conditions are not "
                             "evaluated)"));
  EXPECT_THAT(why, HasSubstr("statement 3 \"OffVpc\" (Deny kms:ReEncryptFrom on Resource "
                             "[\"*\"]): set aside: its Condition (Null:aws:SourceVpc) is not "
                             "evaluated"));
  // Evidence: the granting Allow, both unconditional denies, and the conditional Deny set aside.
  ASSERT_THAT(f.evidence, SizeIs(4));
  EXPECT_EQ(f.evidence[3].sid, "OffVpc");
  EXPECT_THAT(f.evidence[3].note, HasSubstr("set aside"));
  EXPECT_THAT(f.evidence[2].note, HasSubstr("does not cancel"));
}

TEST(ExplainTest, ErrorsAndEmptyPrincipalsAreExplained) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Finding f = EvaluateOne(evaluator, Principal(model::kIamUser, "u", Json::array()));
  EXPECT_THAT(f.explanation, ElementsAre("no inline policy to judge"));
  f = EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("bad", "{")}));
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(Explanation(f), HasSubstr("inline policy \"bad\": not evaluated: "));
}

}  // namespace
}  // namespace kmsguard::engine
