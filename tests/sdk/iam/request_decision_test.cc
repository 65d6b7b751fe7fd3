// One document's decision for one request (iam/request_decision.h). Each case is a statement of
// the IAM User Guide: "Policy evaluation logic", "AWS JSON policy elements: Principal",
// "NotPrincipal", "Action / NotAction", "Resource / NotResource", "Policy variables".
#include "sdk/iam/request_decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kmsguard::iam {
namespace {

using ::testing::HasSubstr;

PolicyDocument Doc(const std::string& statements, const std::string& version = "2012-10-17") {
  auto doc = ParsePolicyText(R"({"Version":")" + version + R"(","Statement":)" + statements + "}");
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *doc : PolicyDocument{};
}

RequestPrincipal P(const nlohmann::json& value) {
  absl::StatusOr<RequestPrincipal> p = ParseRequestPrincipal(value);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : RequestPrincipal{};
}

Decision Decide(const std::string& statements, const std::vector<std::string>& actions,
                const nlohmann::json& principal = nullptr,
                const std::optional<std::string>& resource = std::nullopt,
                const std::string& version = "2012-10-17") {
  Request request;
  request.actions = actions;
  if (!principal.is_null()) request.principal = P(principal);
  request.resource = resource;
  return iam::Decide(Doc(statements, version), request).decision;
}

constexpr char kAnyone[] = "*";

TEST(RequestPrincipalTest, ReadsEveryForm) {
  EXPECT_EQ(P("*").kind, RequestPrincipal::Kind::kAnyone);
  EXPECT_EQ(P("444455556666").kind, RequestPrincipal::Kind::kAccount);
  const RequestPrincipal root = P("arn:aws-cn:iam::444455556666:root");
  EXPECT_EQ(root.kind, RequestPrincipal::Kind::kAccount);
  EXPECT_EQ(root.account, "444455556666");
  const RequestPrincipal role = P("arn:aws:iam::444455556666:role/ci");
  EXPECT_EQ(role.kind, RequestPrincipal::Kind::kArn);
  EXPECT_EQ(role.account, "444455556666");
  EXPECT_EQ(P("arn:aws:sts::444455556666:assumed-role/ci/s1").kind, RequestPrincipal::Kind::kArn);
  EXPECT_EQ(P({{"Service", "ec2.amazonaws.com"}}).kind, RequestPrincipal::Kind::kService);
  EXPECT_EQ(P({{"Federated", "cognito-identity.amazonaws.com"}}).kind,
            RequestPrincipal::Kind::kFederated);
  EXPECT_EQ(P({{"AWS", "*"}}).kind, RequestPrincipal::Kind::kAnyone);
}

TEST(RequestPrincipalTest, RefusesWhatNamesNoOnePrincipal) {
  for (const nlohmann::json& bad :
       {nlohmann::json("arn:aws:iam::*:root"), nlohmann::json("arn:aws:iam::444455556666:role/*"),
        nlohmann::json("ec2.amazonaws.com"), nlohmann::json("4444"),
        nlohmann::json("arn:aws:iam::444455556666:group/devs"), nlohmann::json(""),
        nlohmann::json(12), nlohmann::json({{"Service", "a"}, {"AWS", "b"}}),
        nlohmann::json({{"Robot", "x"}})}) {
    EXPECT_FALSE(ParseRequestPrincipal(bad).ok()) << bad.dump();
  }
  EXPECT_THAT(std::string(ParseRequestPrincipal("arn:aws:iam::*:root").status().message()),
              HasSubstr("wildcard"));
}

// "Principal": "*" and {"AWS": "*"} are everyone; an account (id or root ARN) is every principal
// of the account; an ARN is itself only; principal ARNs take no wildcards.
TEST(PrincipalMatchTest, PrincipalElementEntries) {
  const std::string allow = R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":)";
  const auto decide = [&](const std::string& principal, const nlohmann::json& who) {
    return Decide(allow + principal + "}]", {"sts:AssumeRole"}, who);
  };
  EXPECT_EQ(decide(R"("*")", kAnyone), Decision::kAllowed);
  EXPECT_EQ(decide(R"({"AWS":"*"})", kAnyone), Decision::kAllowed);
  EXPECT_EQ(decide(R"({"AWS":["*"]})", {{"Service", "ec2.amazonaws.com"}}), Decision::kAllowed);
  EXPECT_EQ(decide(R"({"AWS":"444455556666"})", kAnyone), Decision::kNotAllowed);
  EXPECT_EQ(decide(R"({"AWS":"444455556666"})", "arn:aws:iam::444455556666:role/ci"),
            Decision::kAllowed);
  EXPECT_EQ(decide(R"({"AWS":"arn:aws:iam::444455556666:root"})", "444455556666"),
            Decision::kAllowed);
  EXPECT_EQ(decide(R"({"AWS":"arn:aws:iam::444455556666:root"})", "arn:aws:iam::777788889999:root"),
            Decision::kNotAllowed);
  EXPECT_EQ(
      decide(R"({"AWS":"arn:aws:iam::444455556666:role/ci"})", "arn:aws:iam::444455556666:role/ci"),
      Decision::kAllowed);
  // A role named does not stand for its account, nor for another role of it.
  EXPECT_EQ(decide(R"({"AWS":"arn:aws:iam::444455556666:role/ci"})", "444455556666"),
            Decision::kNotAllowed);
  EXPECT_EQ(decide(R"({"AWS":"arn:aws:iam::444455556666:role/ci"})",
                   "arn:aws:iam::444455556666:role/other"),
            Decision::kNotAllowed);
  // A partial wildcard is not a pattern in a Principal (IAM rejects it): it matches only itself.
  EXPECT_EQ(decide(R"({"AWS":"arn:aws:iam::*:root"})", kAnyone), Decision::kNotAllowed);
  EXPECT_EQ(
      decide(R"({"AWS":"arn:aws:iam::444455556666:role/*"})", "arn:aws:iam::444455556666:role/ci"),
      Decision::kNotAllowed);
  // Services by name, in any case; a service is not an AWS account principal.
  EXPECT_EQ(decide(R"({"Service":"EC2.amazonaws.com"})", {{"Service", "ec2.amazonaws.com"}}),
            Decision::kAllowed);
  EXPECT_EQ(decide(R"({"Service":"ec2.amazonaws.com"})", kAnyone), Decision::kNotAllowed);
  EXPECT_EQ(decide(R"({"Federated":"cognito-identity.amazonaws.com"})", kAnyone),
            Decision::kNotAllowed);
}

// NotPrincipal with Allow: allowed to every principal not named. With Deny: denied to every
// principal not named; the docs name the principal's own ARN and its account, and an account
// listed alone does not exempt the account's roles.
TEST(PrincipalMatchTest, NotPrincipal) {
  const std::string allow_not =
      R"([{"Effect":"Allow","Action":"sts:AssumeRole","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"}}])";
  EXPECT_EQ(Decide(allow_not, {"sts:AssumeRole"}, kAnyone), Decision::kAllowed);
  // "444455556666" is a principal of the account that no entry names by its own ARN: the account
  // listed alone does not exempt it.
  EXPECT_EQ(Decide(allow_not, {"sts:AssumeRole"}, "444455556666"), Decision::kAllowed);
  EXPECT_EQ(Decide(allow_not, {"sts:AssumeRole"}, "arn:aws:iam::444455556666:role/ci"),
            Decision::kAllowed);

  const std::string allow_all =
      R"({"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"})";
  const std::string deny_not =
      R"({"Effect":"Deny","Action":"s3:*","Resource":"*","NotPrincipal":{"AWS":[
      "arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]}})";
  const std::string doc = "[" + allow_all + "," + deny_not + "]";
  EXPECT_EQ(Decide(doc, {"s3:GetObject"}, kAnyone), Decision::kDenied);
  EXPECT_EQ(Decide(doc, {"s3:GetObject"}, "arn:aws:iam::444455556666:user/Bob"),
            Decision::kAllowed);
  EXPECT_EQ(Decide(doc, {"s3:GetObject"}, "arn:aws:iam::444455556666:user/Alice"),
            Decision::kDenied);
  EXPECT_EQ(Decide(doc, {"s3:GetObject"}, "444455556666"), Decision::kDenied);
  EXPECT_EQ(Decide(doc, {"s3:GetObject"}, "arn:aws:iam::777788889999:user/Bob"), Decision::kDenied);
}

// A role named in a Principal stands for its sessions, which are what make requests ("IAM role
// principals"); a session is exempted from a NotPrincipal only by its own ARN. Accounts match
// within their partition.
TEST(PrincipalMatchTest, RoleSessionsAndPartitions) {
  const std::string session = "arn:aws:sts::444455556666:assumed-role/ci/build-17";
  const std::string to_role =
      R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::444455556666:role/deploy/ci"}}])";
  EXPECT_EQ(Decide(to_role, {"sts:AssumeRole"}, session), Decision::kAllowed);
  EXPECT_EQ(Decide(to_role, {"sts:AssumeRole"}, "arn:aws:sts::444455556666:assumed-role/cd/x"),
            Decision::kNotAllowed);
  EXPECT_EQ(Decide(to_role, {"sts:AssumeRole"}, "arn:aws-cn:sts::444455556666:assumed-role/ci/x"),
            Decision::kNotAllowed);
  const std::string deny_role =
      R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"},
          {"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::444455556666:role/ci"}}])";
  EXPECT_EQ(Decide(deny_role, {"sts:AssumeRole"}, session), Decision::kDenied);
  const std::string deny_all_but_role =
      R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"},
          {"Effect":"Deny","Action":"sts:AssumeRole","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:role/ci","arn:aws:iam::444455556666:root"]}}])";
  EXPECT_EQ(Decide(deny_all_but_role, {"sts:AssumeRole"}, session), Decision::kDenied);
  EXPECT_EQ(Decide(deny_all_but_role, {"sts:AssumeRole"}, "arn:aws:iam::444455556666:role/ci"),
            Decision::kAllowed);

  const std::string to_account =
      R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::444455556666:root"}}])";
  EXPECT_EQ(Decide(to_account, {"sts:AssumeRole"}, "arn:aws-us-gov:iam::444455556666:root"),
            Decision::kNotAllowed);
  EXPECT_EQ(Decide(to_account, {"sts:AssumeRole"}, "arn:aws-us-gov:iam::444455556666:role/x"),
            Decision::kNotAllowed);
  EXPECT_EQ(Decide(to_account, {"sts:AssumeRole"}, "444455556666"), Decision::kAllowed);
  EXPECT_EQ(Decide(to_account, {"sts:AssumeRole"}, "arn:aws:iam::444455556666:user/bob"),
            Decision::kAllowed);
}

// Principal elements IAM refuses are errors, never "names nobody" (found by a user trial:
// {"aws": "*"} and {"AWS": []} read as admitting no one, so an Allow passed and a Deny vanished).
TEST(PrincipalMatchTest, PrincipalElementsIamRefusesDoNotParse) {
  for (const char* principal :
       {R"({"aws":"*"})", R"({"Foo":"*"})", R"({"AWS":[]})", R"({})", R"({"Service":[]})"}) {
    for (const char* element : {"Principal", "NotPrincipal"}) {
      const std::string text =
          std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*",)") +
          "\"" + element + "\":" + principal + "}]}";
      EXPECT_FALSE(ParsePolicyText(text).ok()) << text;
    }
  }
}

// "An explicit deny in any policy overrides any allows"; nothing allowed is an implicit deny.
TEST(DecisionTest, DenyOverridesAllowAndNothingIsImplicitDeny) {
  const std::string allow = R"({"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"})";
  EXPECT_EQ(Decide("[" + allow + "]", {"kms:Decrypt"}), Decision::kAllowed);
  EXPECT_EQ(Decide("[" + allow + "]", {"kms:Encrypt"}), Decision::kNotAllowed);
  EXPECT_EQ(Decide("[" + allow + R"(,{"Effect":"Deny","Action":"kms:*","Resource":"*"}])",
                   {"kms:Decrypt"}),
            Decision::kDenied);
  // A Deny written before the Allow decides the same: order does not matter.
  EXPECT_EQ(Decide(R"([{"Effect":"Deny","Action":"kms:*","Resource":"*"},)" + allow + "]",
                   {"kms:Decrypt"}),
            Decision::kDenied);
  EXPECT_EQ(Decide("[]", {"kms:Decrypt"}), Decision::kNotAllowed);
}

// Action and NotAction: IAM's case-insensitive wildcards; NotAction covers what it does not list.
TEST(DecisionTest, ActionsAndNotActions) {
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"KMS:de?rypt","Resource":"*"}])", {"kms:Decrypt"}),
      Decision::kAllowed);
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}])", {"kms:Decrypt"}),
            Decision::kAllowed);
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}])", {"kms:Decrypt"}),
            Decision::kNotAllowed);
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","Action":"*","Resource":"*"},
                       {"Effect":"Deny","NotAction":"kms:Decrypt","Resource":"*"}])",
                   {"kms:Decrypt"}),
            Decision::kAllowed);
  // Several actions: the most permissive decision among them.
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","Action":"kms:ReEncrypt*","Resource":"*"}])",
                   {"kms:Decrypt", "kms:ReEncryptFrom"}),
            Decision::kAllowed);
}

// Resource / NotResource against one ARN; policy variables take a request value (conditional).
TEST(DecisionTest, ResourcesAndNotResources) {
  const std::string role = "arn:aws:iam::000000000000:role/any-role";
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}])",
                   {"iam:PassRole"}, nullptr, role),
            Decision::kAllowed);
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"}])",
             {"iam:PassRole"}, nullptr, role),
      Decision::kAllowed);
  EXPECT_EQ(
      Decide(
          R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}])",
          {"iam:PassRole"}, nullptr, role),
      Decision::kNotAllowed);
  EXPECT_EQ(
      Decide(
          R"([{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin"}])",
          {"iam:PassRole"}, nullptr, role),
      Decision::kAllowed);
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","NotResource":"*"}])",
                   {"iam:PassRole"}, nullptr, role),
            Decision::kNotAllowed);
  // ${aws:username} is one value the request supplies; the resource asked about is one no such
  // value names. So an Allow on "role/${aws:username}" does not reach it (one role per caller),
  // and a NotResource or a Deny written with it does not keep it out (found by a user trial: both
  // read as conditional and let "PassRole on all roles but one" pass).
  const std::string per_user = "arn:aws:iam::*:role/${aws:username}";
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":")" + per_user + R"("}])",
             {"iam:PassRole"}, nullptr, role),
      Decision::kNotAllowed);
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","NotResource":")" + per_user + R"("}])",
             {"iam:PassRole"}, nullptr, role),
      Decision::kAllowed);
  EXPECT_EQ(Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},
                       {"Effect":"Deny","Action":"iam:PassRole","Resource":")" +
                       per_user + R"("}])",
                   {"iam:PassRole"}, nullptr, role),
            Decision::kAllowed);
  // Under Version 2008-10-17 the same text is literal: it matches nothing but itself, and "${*}"
  // is a literal star under 2012-10-17.
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"iam:PassRole","NotResource":")" + per_user + R"("}])",
             {"iam:PassRole"}, nullptr, role, "2008-10-17"),
      Decision::kAllowed);
  EXPECT_EQ(
      Decide(
          R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::000000000000:role/${*}"}])",
          {"iam:PassRole"}, nullptr, role),
      Decision::kNotAllowed);
  // Without a resource in the request, Resource is not consulted (a resource-based policy).
  EXPECT_EQ(
      Decide(
          R"([{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/x"}])",
          {"iam:PassRole"}),
      Decision::kAllowed);
}

// A Condition makes a statement apply only sometimes: an Allow under one allows under conditions,
// a Deny under one can cancel an unconditional Allow; an empty Condition is no condition.
TEST(DecisionTest, Conditions) {
  const std::string allow = R"({"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"})";
  const std::string conditional_allow =
      R"({"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*","Condition":{"StringEquals":{"sts:ExternalId":"x"}}})";
  const std::string conditional_deny =
      R"({"Effect":"Deny","Action":"sts:AssumeRole","Principal":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}})";
  EXPECT_EQ(Decide("[" + conditional_allow + "]", {"sts:AssumeRole"}, kAnyone),
            Decision::kAllowedUnderConditions);
  EXPECT_EQ(Decide("[" + allow + "," + conditional_deny + "]", {"sts:AssumeRole"}, kAnyone),
            Decision::kAllowedUnderConditions);
  EXPECT_EQ(
      Decide(R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*","Condition":{}}])",
             {"sts:AssumeRole"}, kAnyone),
      Decision::kAllowed);
  // An unconditional Deny wins over everything, conditional or not.
  EXPECT_EQ(
      Decide("[" + conditional_allow + R"(,{"Effect":"Deny","Action":"sts:*","Principal":"*"}])",
             {"sts:AssumeRole"}, kAnyone),
      Decision::kDenied);
}

TEST(DecisionTest, DescribesTheStatementsThatDecided) {
  const PolicyDocument doc =
      Doc(R"([{"Sid":"Open","Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"},
      {"Effect":"Deny","Action":"sts:AssumeRole","Principal":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}])");
  Request request;
  request.actions = {"sts:AssumeRole"};
  request.principal = P(kAnyone);
  const DecisionResult result = iam::Decide(doc, request);
  EXPECT_THAT(
      DescribeDecision(doc, request, result),
      ::testing::ElementsAre("statement 0 (Sid Open) allows sts:AssumeRole, without a condition",
                             "statement 1 denies sts:AssumeRole, if its Condition holds "
                             "(StringNotEquals:aws:PrincipalOrgID)",
                             "decision for sts:AssumeRole by *: allowed under conditions"));
}

// A principal that NotPrincipal exempts leaves no statement applying: the explanation says so,
// and names the resource and principal asked about, so the exemption is visible.
TEST(DecisionTest, DescribesARequestNoStatementAppliesTo) {
  const PolicyDocument doc = Doc(
      R"([{"Effect":"Allow","Action":"s3:GetObject","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:role/r"},"Resource":"*"}])");
  Request request;
  request.actions = {"s3:GetObject"};
  request.resource = "arn:aws:s3:::b/k";
  request.principal = P("arn:aws:iam::444455556666:role/r");
  const DecisionResult result = iam::Decide(doc, request);
  EXPECT_EQ(result.decision, Decision::kNotAllowed);
  EXPECT_THAT(DescribeDecision(doc, request, result),
              ::testing::ElementsAre("no statement of the 1 applies to this request",
                                     "decision for s3:GetObject on arn:aws:s3:::b/k by "
                                     "arn:aws:iam::444455556666:role/r: not allowed"));
  request.principal = P("111122223333");
  EXPECT_THAT(DescribeDecision(doc, request, iam::Decide(doc, request)).back(),
              ::testing::HasSubstr("by account 111122223333: "));
  request.principal = P(nlohmann::json{{"Service", "ec2.amazonaws.com"}});
  EXPECT_THAT(DescribeDecision(doc, request, iam::Decide(doc, request)).back(),
              ::testing::HasSubstr("by Service ec2.amazonaws.com: "));
}

TEST(StatementTest, UnconditionalAndAdmits) {
  const PolicyDocument doc = Doc(R"([{"Effect":"Allow","Action":"s3:*","Principal":{"AWS":"*"}},
      {"Effect":"Allow","Action":"s3:*","Principal":{"AWS":"*"},"Condition":{"Bool":{"aws:SecureTransport":"true"}}}])");
  EXPECT_TRUE(StatementUnconditional(doc.statements[0]));
  EXPECT_FALSE(StatementUnconditional(doc.statements[1]));
  EXPECT_TRUE(StatementAdmits(doc.statements[0], P(kAnyone)));
  // A statement with no Principal element (an identity policy's) applies to its holder.
  EXPECT_TRUE(
      StatementAdmits(Doc(R"([{"Effect":"Allow","Action":"s3:*","Resource":"*"}])").statements[0],
                      P("444455556666")));
}

}  // namespace
}  // namespace kmsguard::iam
