#include "sdk/remediation/least_privilege.h"

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/core/text.h"
#include "nlohmann/json.hpp"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_document.h"
#include "sdk/remediation/kms_actions.h"
#include "sdk/remediation/policy_text.h"
#include "sdk/remediation/specific_remediation.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::remediation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr char kPlaceholder[] = "arn:aws:kms:REGION:ACCOUNT:key/KEY_ID";
constexpr char kKeyA[] = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

bool Grants(const Json& document, const iam::GrantQuery& query = {}) {
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyDocument(document);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << document.dump(2);
  return parsed.ok() && iam::AnalyzeGrant(*parsed, query).granted;
}

Json AsJson(const OrderedJson& document) { return Json::parse(document.dump()); }

// The corrected document as written, keys in its order.
OrderedJson Document(const PolicyReplacement& r) { return OrderedJson::parse(r.document_json); }

// Does some Allow statement (unconditional or not) cover `action` on every resource it names?
// For non-KMS actions, the resource patterns must stay what they were: this returns them.
std::vector<std::vector<std::string>> AllowedOn(const Json& document, const std::string& action) {
  std::vector<std::vector<std::string>> out;
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyDocument(document);
  if (!parsed.ok()) return out;
  for (const iam::Statement& st : parsed->statements) {
    if (st.effect != iam::Effect::kAllow) continue;
    bool any = false;
    for (const std::string& p : st.actions) any = any || iam::ActionGlobMatches(p, action);
    if (st.not_action ? !any : any) {
      std::vector<std::string> resources = st.resources;
      if (st.not_resource) resources.insert(resources.begin(), "NotResource");
      out.push_back(resources);
    }
  }
  return out;
}

// Actions that a least-privilege replacement must keep exactly as the original had them.
const std::vector<std::string>& OtherActions() {
  static const auto* const kActions = new std::vector<std::string>{
      "kms:Encrypt",   "kms:DescribeKey", "kms:GenerateDataKey", "kms:ReEncryptTo",
      "kms:CreateKey", "kms:ListAliases", "s3:GetObject",        "ec2:RunInstances",
      "iam:PassRole",  "example:action"};
  return *kActions;
}

// The replacement grants nothing blocked on every key, and every other action on the same
// resources as before (KMS wildcards are expanded from the known action list, which holds every
// action of OtherActions()).
void ExpectLeastPrivilege(const Json& original, const PolicyReplacement& r,
                          const iam::GrantQuery& query = {}) {
  const Json replaced = Json::parse(r.document_json);
  EXPECT_FALSE(Grants(replaced, query)) << replaced.dump(2);
  for (const std::string& action : OtherActions()) {
    EXPECT_EQ(AllowedOn(replaced, action), AllowedOn(original, action))
        << action << "\noriginal:\n" << original.dump(2) << "\nreplacement:\n" << replaced.dump(2);
  }
  // The blocked actions the original granted are allowed only on the named keys, or by a
  // statement the original had and that does not reach every key on its own.
  const std::vector<std::string>& blocked = query.actions;
  for (const std::string& action : blocked) {
    const auto before = AllowedOn(original, action);
    for (const auto& resources : AllowedOn(replaced, action)) {
      EXPECT_TRUE(resources == r.key_arns ||
                  std::find(before.begin(), before.end(), resources) != before.end())
          << action << "\n" << replaced.dump(2);
    }
  }
  for (const std::string& action : r.actions) {
    EXPECT_THAT(AllowedOn(replaced, action), ::testing::Contains(r.key_arns)) << action;
  }
}

struct SharedCase {
  std::string id;
  Json policy;
  std::string expect;
};

std::string CasesPath() {
  return std::string(KMSGUARD_SHARED_DIR) + "/cases/kms-decrypt-all-keys.json";
}

std::vector<SharedCase> FailingCases() {
  std::ifstream in(CasesPath());
  if (!in) return {SharedCase{"missing", {}, ""}};
  std::vector<SharedCase> cases;
  for (const Json& c : Json::parse(in)) {
    if (c.at("expect") != "FAIL") continue;
    cases.push_back({c.at("id").get<std::string>(), c.at("policy"), "FAIL"});
  }
  return cases;
}

class SharedFailingCasesTest : public ::testing::TestWithParam<SharedCase> {};

// The issue's acceptance test: on every failing reference case, the generated replacement
// re-evaluates to PASS and keeps everything else the policy allowed.
TEST_P(SharedFailingCasesTest, ReplacementPassesAndKeepsTheRest) {
  const SharedCase& c = GetParam();
  if (c.id == "missing") GTEST_SKIP() << "reference cases not found at " << CasesPath();
  ASSERT_TRUE(Grants(c.policy)) << "the case no longer fails; the verdict tests say why";
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(c.policy, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(c.policy, *r);
  EXPECT_FALSE(r->changes.empty());
  EXPECT_FALSE(r->actions.empty());
  // The same case as URL-encoded text, as the raw IAM API returns documents, and as JSON text.
  std::string encoded;
  for (const unsigned char ch : c.policy.dump()) {
    if (std::isalnum(ch)) {
      encoded += static_cast<char>(ch);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += {'%', kHex[ch >> 4], kHex[ch & 15]};
    }
  }
  for (const Json& text : {Json(encoded), Json(c.policy.dump())}) {
    absl::StatusOr<PolicyReplacement> again = ReplaceBroadGrant(text, iam::GrantQuery{});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->document_json, r->document_json);
    EXPECT_EQ(again->document_hcl, r->document_hcl);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SharedFailingCasesTest, ::testing::ValuesIn(FailingCases()),
                         [](const ::testing::TestParamInfo<SharedCase>& param_info) {
                           std::string name;
                           for (const char ch : param_info.param.id) {
                             name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           }
                           return name;
                         });

Json Doc(Json statements) {
  return {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

TEST(ReplaceBroadGrantTest, SplitsAStatementThatSharesBlockedAndOtherActions) {
  const Json original = Doc({{{"Sid", "Envelope"},
                              {"Effect", "Allow"},
                              {"Action", {"kms:Decrypt", "kms:GenerateDataKey"}},
                              {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_TRUE(r->uses_placeholder);
  EXPECT_THAT(r->key_arns, ElementsAre(kPlaceholder));
  EXPECT_THAT(r->actions, ElementsAre("kms:Decrypt"));
  EXPECT_EQ(r->document_json,
            OrderedJson::parse(R"({"Version":"2012-10-17","Statement":[
              {"Sid":"Envelope","Effect":"Allow","Action":["kms:GenerateDataKey"],"Resource":"*"},
              {"Sid":"EnvelopeScopedToKeys","Effect":"Allow","Action":["kms:Decrypt"],
               "Resource":["arn:aws:kms:REGION:ACCOUNT:key/KEY_ID"]}]})")
                .dump());
  ASSERT_THAT(r->changes, ::testing::SizeIs(1));
  EXPECT_EQ(r->changes[0],
            "statement 0 (Sid \"Envelope\") allowed kms:Decrypt on every key: now allowed only on "
            "arn:aws:kms:REGION:ACCOUNT:key/KEY_ID (new statement \"EnvelopeScopedToKeys\"); its "
            "other actions (kms:GenerateDataKey) keep their Resource.");
}

TEST(ReplaceBroadGrantTest, NotActionGetsTheBlockedActionsAndAScopedStatement) {
  const Json original =
      Doc({{{"Effect", "Allow"}, {"NotAction", {"iam:*", "organizations:*"}}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  const OrderedJson statements = Document(*r)["Statement"];
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0]["NotAction"],
            OrderedJson({"iam:*", "organizations:*", "kms:Decrypt", "kms:ReEncryptFrom"}));
  EXPECT_EQ(statements[0]["Resource"], "*");
  EXPECT_EQ(statements[1]["Action"], OrderedJson({"kms:Decrypt", "kms:ReEncryptFrom"}));
  EXPECT_EQ(statements[1]["Resource"], OrderedJson({kPlaceholder}));
}

TEST(ReplaceBroadGrantTest, EveryActionBecomesNotActionOfTheBlockedOnes) {
  const Json original = Doc({{{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_EQ(Document(*r)["Statement"][0],
            OrderedJson::parse(R"({"Effect":"Allow","NotAction":["kms:Decrypt","kms:ReEncryptFrom"],
                                   "Resource":"*"})"));
}

TEST(ReplaceBroadGrantTest, KmsWildcardIsExpandedWithoutTheBlockedActions) {
  const Json original = Doc({{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  const OrderedJson kept = Document(*r)["Statement"][0]["Action"];
  EXPECT_EQ(kept.size(), KmsActionNames().size() - 2);
  EXPECT_THAT(kept.dump(), Not(HasSubstr("\"kms:Decrypt\"")));
  EXPECT_THAT(kept.dump(), Not(HasSubstr("\"kms:ReEncryptFrom\"")));
  EXPECT_THAT(kept.dump(), HasSubstr("\"kms:ReEncryptTo\""));
  ASSERT_THAT(r->notes, ::testing::SizeIs(1));
  EXPECT_THAT(r->notes[0], HasSubstr("\"kms:*\" was replaced by the 53 other KMS actions"));
}

TEST(ReplaceBroadGrantTest, ConditionStaysOnTheScopedStatement) {
  const Json condition = {{"StringEquals", {{"kms:ViaService", "s3.us-east-1.amazonaws.com"}}}};
  const Json original = Doc({{{"Effect", "Allow"},
                              {"Action", {"kms:Decrypt", "kms:DescribeKey"}},
                              {"Resource", "*"},
                              {"Condition", condition}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_EQ(AsJson(Document(*r)["Statement"][1]["Condition"]), condition);
  EXPECT_EQ(AsJson(Document(*r)["Statement"][0]["Condition"]), condition);
  EXPECT_THAT(r->changes[0], HasSubstr("its Condition is kept"));
}

TEST(ReplaceBroadGrantTest, NarrowsToTheKeysThePoliciesName) {
  // The principal already names one key for kms:Encrypt: its Decrypt is narrowed to that key.
  const Json original = Doc({{{"Effect", "Allow"}, {"Action", "kms:Encrypt"}, {"Resource", kKeyA}},
                             {{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
  const std::string other_key =
      "arn:aws:kms:eu-west-1:111122223333:key/mrk-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{}, {other_key});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_FALSE(r->uses_placeholder);
  EXPECT_THAT(r->key_arns, ElementsAre(kKeyA, other_key));
  // Alias ARNs, wildcards, variables and NotResource lists name no key the principal uses.
  const Json not_keys = Doc({{{"Effect", "Allow"},
                              {"Action", "kms:Encrypt"},
                              {"Resource",
                               {"arn:aws:kms:us-east-1:111122223333:alias/app",
                                "arn:aws:kms:us-east-1:111122223333:key/*",
                                "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/abc"}}},
                             {{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"NotResource", kKeyA}}});
  EXPECT_THAT(NamedKeyArns(not_keys, "aws"), IsEmpty());
  r = ReplaceBroadGrant(not_keys, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->uses_placeholder);
  ExpectLeastPrivilege(not_keys, *r);
}

TEST(ReplaceBroadGrantTest, UnionOfStatementsIsNarrowedUntilNothingReachesEveryKey) {
  // Decrypt: neither statement alone reaches every key; together they do. The NotResource one is
  // narrowed; the us-* one then reaches only part of the keys and is left as written.
  // ReEncryptFrom: NotResource "every key but one" shadows the Resource "*" statement in the
  // verdict, which a second round then narrows.
  const Json original =
      Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "arn:aws:kms:us-*"}},
           {{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"NotResource", "arn:aws:kms:us-*"}},
           {{"Effect", "Allow"}, {"Action", "kms:ReEncryptFrom"}, {"NotResource", kKeyA}},
           {{"Effect", "Allow"}, {"Action", "kms:ReEncryptFrom"}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_THAT(r->changes, ::testing::SizeIs(3));
  EXPECT_EQ(Document(*r)["Statement"][0]["Resource"], "arn:aws:kms:us-*");
}

TEST(ReplaceBroadGrantTest, DenyKeepsCancellingAndOnlyTheGrantedActionIsScoped) {
  const Json original =
      Doc({{{"Sid", "Admin"}, {"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}},
           {{"Sid", "NoDecrypt"}, {"Effect", "Deny"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_THAT(r->actions, ElementsAre("kms:ReEncryptFrom"));
  EXPECT_EQ(Document(*r)["Statement"][2]["Sid"], "NoDecrypt");
  EXPECT_EQ(Document(*r)["Statement"][1]["Sid"], "AdminScopedToKeys");
}

TEST(ReplaceBroadGrantTest, AccountWideTierAndOtherPartitions) {
  iam::GrantQuery query;
  query.scope = iam::KeyScope::kAccountOrRegionWide;
  const Json account_wide = Doc({{{"Effect", "Allow"},
                                  {"Action", {"kms:Decrypt", "s3:GetObject"}},
                                  {"Resource", "arn:aws:kms:*:111122223333:key/*"}}});
  ASSERT_TRUE(Grants(account_wide, query));
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(account_wide, query);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(account_wide, *r, query);

  iam::GrantQuery china;
  china.partition = "aws-cn";
  const Json star = Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
  r = ReplaceBroadGrant(star, china);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->key_arns, ElementsAre("arn:aws-cn:kms:REGION:ACCOUNT:key/KEY_ID"));
  ExpectLeastPrivilege(star, *r, china);
}

TEST(ReplaceBroadGrantTest, WildcardOutsideKmsNamesWhatIsNotKept) {
  const Json original = Doc({{{"Effect", "Allow"}, {"Action", "k*:De*"}, {"Resource", "*"}}});
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(Grants(Json::parse(r->document_json)));
  ASSERT_THAT(r->notes, ::testing::SizeIs(1));
  EXPECT_THAT(r->notes[0], HasSubstr("the actions of other services that \"k*:De*\" may also "
                                     "match are not kept"));
  EXPECT_THAT(r->document_json, HasSubstr("\"kms:DescribeKey\""));
}

TEST(ReplaceBroadGrantTest, SingleStatementObjectAndSidsStayUniqueAndValid) {
  const Json original = {{"Version", "2012-10-17"},
                         {"Id", "keep-me"},
                         {"Statement",
                          {{"Sid", "Odd-Sid_1"},
                           {"Effect", "Allow"},
                           {"Action", {"kms:Decrypt", "kms:ReEncryptFrom"}},
                           {"Resource", "*"}}}};
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(original, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(original, *r);
  EXPECT_EQ(Document(*r)["Id"], "keep-me");
  ASSERT_TRUE(Document(*r)["Statement"].is_array());
  ASSERT_EQ(Document(*r)["Statement"].size(), 1u);  // it had no other action
  EXPECT_EQ(Document(*r)["Statement"][0]["Sid"], "OddSid1ScopedToKeys");

  const Json clash = Doc({{{"Sid", "AScopedToKeys"}, {"Effect", "Allow"}, {"Action", "s3:*"},
                           {"Resource", "*"}},
                          {{"Sid", "A"}, {"Effect", "Allow"}, {"Action", "kms:Decrypt"},
                           {"Resource", "*"}}});
  r = ReplaceBroadGrant(clash, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Document(*r)["Statement"][1]["Sid"], "AScopedToKeys2");
}

TEST(ReplaceBroadGrantTest, RefusesWhatItCannotFix) {
  EXPECT_EQ(ReplaceBroadGrant(Json("not json"), iam::GrantQuery{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const Json key_policy = Doc({{{"Effect", "Allow"},
                                {"Principal", {{"AWS", "arn:aws:iam::111122223333:root"}}},
                                {"Action", "kms:*"},
                                {"Resource", "*"}}});
  EXPECT_EQ(ReplaceBroadGrant(key_policy, iam::GrantQuery{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const Json scoped = Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", kKeyA}}});
  EXPECT_EQ(ReplaceBroadGrant(scoped, iam::GrantQuery{}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(KmsActionNamesTest, SortedUniqueAndKmsPrefixed) {
  const std::vector<std::string_view>& names = KmsActionNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  for (std::string_view name : names) EXPECT_EQ(name.substr(0, 4), "kms:") << name;
  for (const char* blocked : {"kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), blocked), names.end()) << blocked;
  }
}

std::string Hcl(std::string_view json_text) {
  const core::JsonTreeResult tree = core::ParseJsonTree(json_text);
  EXPECT_NE(tree.tree, nullptr) << tree.message;
  std::string out;
  if (tree.tree != nullptr) {
    internal::AppendHcl(internal::PolicyValue::Element(tree.tree->root(), false), 0, &out);
  }
  return out;
}

TEST(FormattingTest, ShellQuoteAndHcl) {
  EXPECT_EQ(core::ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(core::ShellQuote(""), "''");
  EXPECT_EQ(Hcl(R"({"Version":"2012-10-17","Statement":[{"Resource":"arn:aws:s3:::b/${aws:username}/%{x}",
          "Condition":{"StringEquals":{"kms:ViaService":"s3.\"q\"\\n"}}}]})"),
            "{\n"
            "  Version = \"2012-10-17\"\n"
            "  Statement = [\n"
            "    {\n"
            "      Resource = \"arn:aws:s3:::b/$${aws:username}/%%{x}\"\n"
            "      Condition = {\n"
            "        StringEquals = { \"kms:ViaService\" = \"s3.\\\"q\\\"\\\\n\" }\n"
            "      }\n"
            "    },\n"
            "  ]\n"
            "}");
  // Numbers, booleans and null as JSON writes them; a list of scalars on one line while it fits
  // in 96 columns, else one item per line; an object of one scalar member likewise.
  EXPECT_EQ(Hcl(R"({"n":[1,-2,2.5,1e100,true,null,18446744073709551615]})"),
            "{\n  n = [1, -2, 2.5, 1e+100, true, null, 18446744073709551615]\n}");
  EXPECT_EQ(Hcl(R"({"n":1.5})"), "{ n = 1.5 }");
  const std::string long_item(90, 'a');
  EXPECT_EQ(Hcl("[\"" + long_item + "\", 1]"), "[\n  \"" + long_item + "\",\n  1,\n]");
  EXPECT_EQ(Hcl("{\"k\":\"" + long_item + "\"}"), "{\n  k = \"" + long_item + "\"\n}");
  EXPECT_EQ(Hcl(R"({"a":{},"b":[],"c":[[1]]})"),
            "{\n  a = {}\n  b = []\n  c = [\n    [1],\n  ]\n}");
}

// The rewritten document is written without nlohmann (policy_text.h) but byte for byte as
// nlohmann's dump() wrote it: escapes, numbers, nesting, keys sorted for a document given as an
// object and as written for one given as text.
TEST(FormattingTest, DocumentTextIsWhatNlohmannWrites) {
  const std::string text =
      R"({"Statement":[{"Effect":"Allow","Action":["kms:Decrypt","s3:Get\u00e9"],"Resource":"*",)"
      R"("Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600.5,"x":-7,"y":1e3},)"
      R"("Bool":{"aws:SecureTransport":true},"Null":{"k\n\t\u0001\"":null}}},)"
      R"({"Effect":"Allow","Action":"s3:*","Resource":"*"}],"Version":"2012-10-17","Id":"z/\/"})";
  const OrderedJson as_written = OrderedJson::parse(text);
  for (const bool as_object : {true, false}) {
    const Json input = as_object ? Json::parse(text) : Json(text);
    absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(input, iam::GrantQuery{});
    ASSERT_TRUE(r.ok()) << r.status();
    // The same document rewritten through nlohmann: the statements the rewrite did not touch,
    // and every value inside the touched ones, must come out as nlohmann writes them.
    OrderedJson expected = as_object ? OrderedJson::parse(Json::parse(text).dump()) : as_written;
    OrderedJson statements = expected["Statement"];
    const OrderedJson condition = statements[0]["Condition"];
    OrderedJson kept = OrderedJson::object();
    kept["Effect"] = "Allow";
    kept["Action"] = OrderedJson::array({"s3:Get\xc3\xa9"});
    kept["Resource"] = "*";
    kept["Condition"] = condition;
    OrderedJson scoped = OrderedJson::object();
    scoped["Sid"] = "KmsScopedToKeys";
    scoped["Effect"] = "Allow";
    scoped["Action"] = OrderedJson::array({"kms:Decrypt"});
    scoped["Resource"] = OrderedJson::array({kPlaceholder});
    scoped["Condition"] = condition;
    OrderedJson doc = OrderedJson::object();
    doc["Version"] = "2012-10-17";
    doc["Id"] = "z//";
    doc["Statement"] = OrderedJson::array({kept, scoped, statements[1]});
    EXPECT_EQ(r->document_json, doc.dump()) << (as_object ? "object" : "text");
  }
}

// Issue 14, item 2: a statement that names only concrete key ARNs is already least privilege and
// stays as it is; only the statement that reaches every key is split. The replacement of a policy
// of thousands of such statements is as long as the policy (it was quadratic: each of them got a
// copy scoped to every named key), and a statement of 100,000 actions keeps each once.
TEST(ReplaceBroadGrantTest, ConcreteKeyStatementsAreKeptAndTheRewriteIsLinear) {
  constexpr int kStatements = 3000;
  OrderedJson statements = OrderedJson::array();
  for (int i = 0; i < kStatements; ++i) {
    char key[96];
    std::snprintf(key, sizeof(key), "arn:aws:kms:us-east-1:111122223333:key/%08d-0000-4000-8000-000000000000", i);
    statements.push_back({{"Sid", "K" + std::to_string(i)},
                          {"Effect", "Allow"},
                          {"Action", {"kms:Decrypt", "s3:GetObject"}},
                          {"Resource", key}});
  }
  statements.push_back({{"Sid", "Every"}, {"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}});
  const Json document = Json::parse(OrderedJson{{"Version", "2012-10-17"}, {"Statement", statements}}.dump());
  absl::StatusOr<PolicyReplacement> r = ReplaceBroadGrant(document, iam::GrantQuery{});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectLeastPrivilege(document, *r);
  // The concrete-key statements unchanged, "Every" gone (it had no other action), one new one.
  const OrderedJson out = Document(*r)["Statement"];
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kStatements) + 1);
  EXPECT_EQ(AsJson(out[0]), AsJson(statements[0]));
  EXPECT_EQ(AsJson(out[kStatements - 1]), AsJson(statements[kStatements - 1]));
  EXPECT_EQ(out[kStatements]["Sid"], "EveryScopedToKeys");
  EXPECT_EQ(out[kStatements]["Resource"].size(), static_cast<std::size_t>(kStatements));
  EXPECT_THAT(r->changes, ::testing::SizeIs(1));

  std::vector<std::string> actions;
  for (int i = 0; i < 100000; ++i) actions.push_back("svc" + std::to_string(i % 50000) + ":Act");
  actions.push_back("kms:*");
  const Json wide = {{"Version", "2012-10-17"},
                     {"Statement", {{{"Effect", "Allow"}, {"Action", actions}, {"Resource", "*"}}}}};
  absl::StatusOr<PolicyReplacement> w = ReplaceBroadGrant(wide, iam::GrantQuery{});
  ASSERT_TRUE(w.ok()) << w.status();
  // The 50,000 distinct other actions once each, plus the KMS actions "kms:*" stood for.
  const OrderedJson kept = Document(*w)["Statement"][0]["Action"];
  EXPECT_GT(kept.size(), 50000u);
  EXPECT_LT(kept.size(), 50000u + KmsActionNames().size());
}

}  // namespace
}  // namespace kmsguard::remediation
