#include "sdk/iam/policy_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kmsguard::iam {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

TEST(PolicyDocumentTest, NormalizesSingleObjectsAndStrings) {
  auto doc = ParsePolicyDocument(json::parse(R"({"Version":"2012-10-17",
      "Statement":{"Sid":"One","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->statements.size(), 1u);
  const Statement& st = doc->statements[0];
  EXPECT_EQ(st.sid, "One");
  EXPECT_EQ(st.effect, Effect::kAllow);
  EXPECT_THAT(st.actions, ElementsAre("kms:Decrypt"));
  EXPECT_THAT(st.resources, ElementsAre("*"));
  EXPECT_FALSE(st.not_action);
  EXPECT_TRUE(doc->SupportsPolicyVariables());
}

TEST(PolicyDocumentTest, NotActionNotResourceAndConditions) {
  auto doc = ParsePolicyDocument(json::parse(R"({"Statement":[{"Effect":"Deny",
      "NotAction":["s3:*","ec2:*"],"NotResource":["arn:aws:s3:::b"],
      "Condition":{"StringEquals":{"kms:ViaService":"s3.amazonaws.com","aws:SourceAccount":"1"}}}]})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Statement& st = doc->statements[0];
  EXPECT_TRUE(st.not_action);
  EXPECT_TRUE(st.not_resource);
  EXPECT_EQ(st.effect, Effect::kDeny);
  ASSERT_EQ(st.conditions.size(), 2u);
  EXPECT_EQ(st.conditions[0].op, "StringEquals");
  EXPECT_FALSE(doc->SupportsPolicyVariables());  // no Version: variables are literal text
}

TEST(PolicyDocumentTest, JsonTextAndUrlEncodedText) {
  const std::string plain = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})";
  auto from_text = ParsePolicyDocument(json(plain));
  ASSERT_TRUE(from_text.ok()) << from_text.status();
  EXPECT_THAT(from_text->statements[0].actions, ElementsAre("kms:*"));

  // As the raw IAM API returns it (RFC 3986; spaces as %20).
  auto encoded = ParsePolicyText(
      "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22"
      "%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22arn%3Aaws%3Akms%3A*%3A%2A%3Akey%2F*%22%7D%5D%7D");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_THAT(encoded->statements[0].resources, ElementsAre("arn:aws:kms:*:*:key/*"));
}

// Found in a user trial: {"Action":"kms:Decrypt","Action":"s3:GetObject"} kept the last key and
// passed. Which of two equal keys counts is undefined in JSON, so the document is an error.
TEST(PolicyDocumentTest, ARepeatedKeyInOneObjectIsAnError) {
  for (const char* text :
       {R"({"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Action":"s3:GetObject","Resource":"*"}]})",
        R"({"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"kms:*","Resource":"*"}]})",
        R"({"Statement":[],"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})"}) {
    auto doc = ParsePolicyDocument(json(text));
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_THAT(std::string(doc.status().message()), HasSubstr("repeats the key")) << text;
  }
  // The same key in two different objects is fine.
  auto doc = ParsePolicyDocument(json(
      R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->statements.size(), 2u);
}

TEST(PolicyDocumentTest, DecodesExactlyOnce) {
  // %252A decodes once to %2A, which is literal text, not a wildcard.
  auto doc = ParsePolicyText(
      "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C"
      "%22Resource%22%3A%22arn%3Aaws%3Akms%3A*%3A%252A%3Akey%2F*%22%7D%7D");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_THAT(doc->statements[0].resources, ElementsAre("arn:aws:kms:*:%2A:key/*"));
}

TEST(PolicyDocumentTest, PlusStaysPlusAndPlainPercentIsKept) {
  auto plus = ParsePolicyText("%7B%22Statement%22%3A%7B%22Sid%22%3A%22a+b%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D");
  ASSERT_TRUE(plus.ok()) << plus.status();
  EXPECT_EQ(plus->statements[0].sid, "a+b");
  auto plain = ParsePolicyText(R"({"Statement":{"Sid":"100%25","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/%2A"}})");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->statements[0].sid, "100%25");
  EXPECT_THAT(plain->statements[0].resources, ElementsAre("arn:aws:s3:::b/%2A"));
}

// A table of statements: each parses (error nullptr) or fails with an InvalidArgument whose
// message starts with `error` (a JSON pointer and the reason).
struct ParseCase {
  const char* statements;
  const char* error;
};

void ExpectParseOutcomes(const std::vector<ParseCase>& cases) {
  for (const ParseCase& c : cases) {
    const std::string text =
        std::string(R"({"Version":"2012-10-17","Statement":)") + c.statements + "}";
    absl::StatusOr<PolicyDocument> doc = ParsePolicyText(text);
    if (c.error == nullptr) {
      EXPECT_TRUE(doc.ok()) << c.statements << ": " << doc.status();
      continue;
    }
    ASSERT_FALSE(doc.ok()) << c.statements;
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(doc.status().message()), ::testing::StartsWith(c.error)) << c.statements;
  }
}

// Issue 15, item 2's second half: IAM's grammar gives Action, NotAction, Resource and NotResource
// one or more values, and every statement an action block. An empty list or a missing Action is
// an error naming it: `"NotAction": []` read as "no action" made a statement IAM refuses a PASS,
// read as "every action" it would be the widest grant, and neither is what IAM stores.
TEST(PolicyDocumentTest, EmptyListsAndMissingActionsAreErrors) {
  ExpectParseOutcomes({
      {R"([{"Effect":"Allow","NotAction":[],"Resource":"*"}])", "/Statement/0/NotAction: an empty list"},
      {R"([{"Effect":"Allow","Action":[],"Resource":"*"}])", "/Statement/0/Action: an empty list"},
      {R"([{"Effect":"Allow","Action":"kms:*","Resource":[]}])", "/Statement/0/Resource: an empty list"},
      {R"([{"Effect":"Deny","Action":"kms:*","NotResource":[]}])", "/Statement/0/NotResource: an empty list"},
      {R"([{"Effect":"Allow","Resource":"*"}])", "/Statement/0: the statement has no Action or NotAction"},
      {R"([{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Resource":"*"}])",
       "/Statement/1: the statement has no Action or NotAction"},
      {R"([{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":["*"]}])", nullptr},
      {R"([{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":[]}}}])",
       nullptr},
  });
}

// Issue 15, item 2: "Statements must include either a Resource or a NotResource element" (IAM
// JSON policy elements: Resource). An identity-policy statement without one is an error naming
// it, never a statement that grants nothing (which made `"Action": "kms:*"` with no Resource a
// PASS). A statement that names its Principal (a trust policy's) may leave it out.
TEST(PolicyDocumentTest, AStatementWithoutResourceOrNotResourceIsAnError) {
  ExpectParseOutcomes({
      {R"([{"Effect":"Allow","Action":"kms:*"}])", "/Statement/0: the statement has no Resource"},
      {R"([{"Effect":"Deny","NotAction":"s3:*"}])", "/Statement/0: the statement has no Resource"},
      {R"([{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"x","Effect":"Allow","Action":"kms:Decrypt","Condition":{"Bool":{"aws:SecureTransport":"true"}}}])",
       "/Statement/1: the statement has no Resource"},
      {R"({"Effect":"Allow","Action":"kms:Decrypt"})", "/Statement: the statement has no Resource"},
      {R"([{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/a"}])", nullptr},
      {R"([{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}])",
       nullptr},
  });
}

TEST(PolicyDocumentTest, UnicodeEscapesAreDecodedBeforeMatching) {
  auto doc = ParsePolicyText(R"({"Statement":[{"Effect":"\u0041llow","Action":"km\u0073:*","Resource":"*"}]})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->statements[0].effect, Effect::kAllow);
  EXPECT_THAT(doc->statements[0].actions, ElementsAre("kms:*"));
}

TEST(PolicyDocumentTest, PrincipalMarksAResourcePolicy) {
  auto doc = ParsePolicyDocument(json::parse(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->is_resource_policy);
}

TEST(PolicyDocumentTest, ErrorsNameTheElement) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({"Statement":[{"Effect":"allow","Action":"kms:*","Resource":"*"}]})", "/Statement/0/Effect"},
      {R"({"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Allow","Action":[1]}]})", "/Statement/1/Action/0"},
      {R"({"Statement":[{"Effect":"Allow","action":"kms:*","Resource":"*"}]})", "/Statement/0/action"},
      {R"({"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b","Resource":"*"}]})", "both Action and NotAction"},
      {R"({"Statement":[{"Action":"kms:*","Resource":"*"}]})", "no Effect"},
      {R"({"Statement":"x"})", "/Statement"},
      {R"({"Statement":[7]})", "/Statement/0"},
      {R"({"Version":2012,"Statement":[]})", "/Version"},
      {R"({"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":[]}]})", "/Statement/0/Condition"},
      {R"({"Statement":[{"Effect":"Allow",)", "not valid JSON"},
      {"%7B%ZZ", "malformed percent-encoding"},
      {"%22abc%22", "neither a JSON object"},
      {"", "empty"},
  };
  for (const Case& c : cases) {
    auto doc = ParsePolicyText(c.text);
    ASSERT_FALSE(doc.ok()) << c.text;
    EXPECT_THAT(std::string(doc.status().message()), HasSubstr(c.message)) << c.text;
  }
  auto not_object = ParsePolicyDocument(json::array());
  EXPECT_FALSE(not_object.ok());
}

TEST(PolicyDocumentTest, PercentDecode) {
  EXPECT_EQ(*PercentDecode("a%20b+c%2a"), "a b+c*");
  EXPECT_FALSE(PercentDecode("100%").ok());
  EXPECT_FALSE(PercentDecode("%g0").ok());
}

}  // namespace
}  // namespace kmsguard::iam
