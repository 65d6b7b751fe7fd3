#include "sdk/iam/trust_policy.h"

#include <gtest/gtest.h>

namespace kmsguard::iam {
namespace {

TrustAnalysis Analyze(const std::string& statements, const std::string& account = "111122223333") {
  auto doc = ParsePolicyText(R"({"Version":"2012-10-17","Statement":)" + statements + "}");
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? AnalyzeTrustPolicy(*doc, account) : TrustAnalysis{};
}

TEST(TrustPolicyTest, ClassifiesPrincipals) {
  TrustAnalysis t = Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{
      "AWS":["arn:aws:iam::111122223333:root","444455556666","arn:aws:iam::777788889999:role/ci"],
      "Service":"ec2.amazonaws.com"}}])");
  ASSERT_EQ(t.trustees.size(), 4u);
  EXPECT_EQ(t.trustees[0].kind, TrusteeKind::kSameAccount);
  EXPECT_EQ(t.trustees[1].kind, TrusteeKind::kOtherAccount);
  EXPECT_EQ(t.trustees[1].account, "444455556666");
  EXPECT_EQ(t.trustees[2].kind, TrusteeKind::kOtherAccount);
  EXPECT_EQ(t.trustees[2].account, "777788889999");
  EXPECT_EQ(t.trustees[3].kind, TrusteeKind::kService);
  EXPECT_TRUE(t.outside_account);
}

TEST(TrustPolicyTest, SameAccountAndServicesStayInside) {
  TrustAnalysis t = Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{
      "AWS":"arn:aws:iam::111122223333:role/admin","Service":["lambda.amazonaws.com"]}}])");
  EXPECT_FALSE(t.outside_account);
  EXPECT_EQ(t.trustees.size(), 2u);
}

TEST(TrustPolicyTest, AnyoneAndNotPrincipal) {
  EXPECT_TRUE(Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}])").outside_account);
  EXPECT_TRUE(Analyze(R"([{"Effect":"Allow","Action":"sts:*","Principal":"*"}])").outside_account);
  TrustAnalysis np = Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRole","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"}}])");
  EXPECT_TRUE(np.not_principal_allow);
  EXPECT_TRUE(np.outside_account);
}

TEST(TrustPolicyTest, OnlyAssumeActionsAndAllowCount) {
  EXPECT_TRUE(Analyze(R"([{"Effect":"Allow","Action":"sts:TagSession","Principal":{"AWS":"*"}}])").trustees.empty());
  EXPECT_TRUE(Analyze(R"([{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}])").trustees.empty());
  TrustAnalysis fed = Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
      "Principal":{"Federated":"cognito-identity.amazonaws.com"},"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"x"}}}])");
  ASSERT_EQ(fed.trustees.size(), 1u);
  EXPECT_EQ(fed.trustees[0].kind, TrusteeKind::kFederated);
  EXPECT_TRUE(fed.trustees[0].conditional);
  EXPECT_FALSE(fed.outside_account);
}

TEST(TrustPolicyTest, UnknownRoleAccountMakesAccountsOther) {
  EXPECT_TRUE(Analyze(R"([{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"111122223333"}}])", "").outside_account);
}

TEST(TrustPolicyTest, MalformedPrincipalIsAnError) {
  EXPECT_FALSE(ParsePolicyText(R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"someone"}]})").ok());
  EXPECT_FALSE(ParsePolicyText(R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":[1]}}]})").ok());
}

}  // namespace
}  // namespace kmsguard::iam
