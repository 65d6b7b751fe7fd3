// What a path selects (docs/rule-authoring.md, "Paths"), table-driven: every kind of step on every
// kind of value, so that one path behaves the same whatever shape the data has.
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/engine/expr_eval.h"
#include "sdk/engine/resource_view.h"
#include "sdk/model/resource.h"
#include "sdk/rules/expr.h"

namespace kmsguard::engine {
namespace {

using ::testing::HasSubstr;

struct PathCase {
  const char* name;
  const char* document;  // the role's document, JSON
  const char* path;
  const char* selects;  // the values selected, as a JSON array; null when it is an error
  const char* error;    // a part of the error message, when it is one
};

void PrintTo(const PathCase& c, std::ostream* os) { *os << c.name; }

// A resource of `type` whose document is `document_json`, as the rule tests give it (a value).
model::Resource ResourceWith(const std::string& type, const std::string& document_json) {
  model::Resource r;
  r.id = "arn:aws:iam::111122223333:role/r";
  r.type = type;
  r.name = "r";
  r.partition = "aws";
  r.account = "111122223333";
  r.document = nlohmann::json::parse(document_json);
  return r;
}

// What `path_text` selects in `resource`, as a JSON array; `error` receives the error, if any.
nlohmann::json Select(const model::Resource& resource, const std::string& path_text,
                      std::string* error) {
  const ResourceView view(resource);
  EvalScope scope;
  scope.resource = &view;
  rules::Path path;
  std::string problem;
  std::size_t offset = 0;
  EXPECT_TRUE(rules::ParsePath(path_text, &path, &problem, &offset)) << problem;
  nlohmann::json selected = nlohmann::json::array();
  for (const nlohmann::json* value : SelectPath(path, scope)) selected.push_back(*value);
  *error = scope.error;
  return selected;
}

class PathSelectTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(PathSelectTest, SelectsTheDocumentedValues) {
  const PathCase& c = GetParam();
  std::string error;
  const nlohmann::json selected = Select(ResourceWith(model::kIamRole, c.document), c.path, &error);
  if (c.selects == nullptr) {
    EXPECT_THAT(error, HasSubstr(c.error)) << c.path;
    return;
  }
  EXPECT_EQ(error, "") << c.path;
  EXPECT_EQ(selected, nlohmann::json::parse(c.selects)) << c.path << " on " << c.document;
}

std::string CaseName(const ::testing::TestParamInfo<PathCase>& param_info) {
  return param_info.param.name;
}

constexpr char kNotADocument[] = "not a JSON or URL-encoded JSON document";

// Item 3 of issue 17: `[*]` reads a document held as text as `.field` does.
INSTANTIATE_TEST_SUITE_P(
    DocumentText, PathSelectTest,
    ::testing::Values(
        PathCase{"field_of_json_text", R"({"x": "{\"a\": 1, \"b\": [2]}"})", "$.x.a", "[1]",
                 nullptr},
        PathCase{"wildcard_of_json_text", R"({"x": "{\"a\": 1, \"b\": [2]}"})", "$.x[*]",
                 "[1, [2]]", nullptr},
        PathCase{"wildcard_of_url_encoded_text", R"({"x": "%7B%22a%22%3A%5B1%2C2%5D%7D"})",
                 "$.x[*]", "[[1, 2]]", nullptr},
        PathCase{"wildcard_then_field_of_url_encoded_text",
                 R"({"x": "%7B%22a%22%3A%7B%22b%22%3A3%7D%7D"})", "$.x[*].b", "[3]", nullptr},
        PathCase{"index_of_json_text", R"({"x": " {\"a\": [5, 6]}"})", "$.x.a[1]", "[6]", nullptr},
        PathCase{"wildcard_of_plain_text_is_that_text", R"({"x": "s3:GetObject"})", "$.x[*]",
                 R"(["s3:GetObject"])", nullptr},
        PathCase{"wildcard_of_broken_json_text", R"({"x": "{\"a\": "})", "$.x[*]", nullptr,
                 kNotADocument},
        PathCase{"wildcard_of_broken_url_encoded_text", R"({"x": "%7B%ZZ"})", "$.x[*]", nullptr,
                 kNotADocument},
        PathCase{"field_of_broken_json_text", R"({"x": "{\"a\": "})", "$.x.a", nullptr,
                 kNotADocument}),
    CaseName);

// Item 2 of issue 17: a step that does not apply selects nothing, as a missing field does, so a
// path written for one shape is false, not an ERROR, on another.
INSTANTIATE_TEST_SUITE_P(
    StepsThatDoNotApply, PathSelectTest,
    ::testing::Values(
        PathCase{"missing_field", R"({"x": {"a": 1}})", "$.x.b", "[]", nullptr},
        PathCase{"field_of_plain_string", R"({"x": "*"})", "$.x.AWS", "[]", nullptr},
        PathCase{"wildcard_after_field_of_plain_string", R"({"x": "*"})", "$.x.AWS[*]", "[]",
                 nullptr},
        PathCase{"field_of_number", R"({"x": 5})", "$.x.a", "[]", nullptr},
        PathCase{"field_of_boolean", R"({"x": true})", "$.x.a", "[]", nullptr},
        PathCase{"field_of_null", R"({"x": null})", "$.x.a", "[]", nullptr},
        PathCase{"field_of_list", R"({"x": [{"a": 1}]})", "$.x.a", "[]", nullptr},
        PathCase{"index_of_map", R"({"x": {"0": 1}})", "$.x[0]", "[]", nullptr},
        PathCase{"index_of_plain_string", R"({"x": "abc"})", "$.x[0]", "[]", nullptr},
        PathCase{"index_past_the_end", R"({"x": [1]})", "$.x[1]", "[]", nullptr},
        PathCase{"wildcard_of_null", R"({"x": null})", "$.x[*]", "[]", nullptr},
        // [*] over a map of mixed values, then a field: the values without it select nothing.
        PathCase{"field_after_wildcard_over_mixed_values",
                 R"({"x": {"a": "text", "b": {"c": 1}, "d": [2]}})", "$.x[*].c", "[1]", nullptr},
        // Policy documents: the IAM shapes read in one shape, and a value of a shape IAM does not
        // allow is an ERROR when a path steps into it, never "nothing there".
        PathCase{"principal_star_has_aws",
                 R"({"trust_policy": {"Statement": [{"Principal": "*"}]}})",
                 "$.trust_policy.Statement[*].Principal.AWS[*]", R"(["*"])", nullptr},
        PathCase{"principal_of_another_string", R"({"trust_policy": {"Statement":
                     [{"Principal": "arn:aws:iam::444455556666:root"}]}})",
                 "$.trust_policy.Statement[*].Principal.AWS[*]", nullptr,
                 "Principal is neither \"*\" nor a map of principals"},
        PathCase{"not_principal_of_a_number",
                 R"({"trust_policy": {"Statement": [{"NotPrincipal": 5}]}})",
                 "$.trust_policy.Statement[*].NotPrincipal.AWS", nullptr,
                 "NotPrincipal is neither"},
        PathCase{"statement_of_a_string", R"({"trust_policy": {"Statement": "Allow"}})",
                 "$.trust_policy.Statement[*].Effect", nullptr,
                 "Statement is neither a statement nor a list of statements"},
        PathCase{"statement_of_a_number", R"({"trust_policy": {"Statement": 5}})",
                 "$.trust_policy.Statement[0]", nullptr, "Statement is neither"},
        PathCase{"statement_item_of_a_string",
                 R"({"trust_policy": {"Statement": [{"Effect": "Allow"}, "Deny"]}})",
                 "$.trust_policy.Statement[*].Effect", nullptr,
                 "the statement is not a JSON object"},
        PathCase{"trust_policy_plain_text", R"({"trust_policy": "not a document"})",
                 "$.trust_policy.Statement[*]", nullptr, kNotADocument},
        PathCase{"trust_policy_bad_escape", R"({"trust_policy": "%ZZ"})",
                 "$.trust_policy.Statement", nullptr, kNotADocument},
        PathCase{"trust_policy_a_number", R"({"trust_policy": 5})", "$.trust_policy.Statement",
                 nullptr, "the policy document is not a JSON object"},
        PathCase{"inline_policy_document_plain_text",
                 R"({"inline_policies": [{"name": "p", "document": "Allow everything"}]})",
                 "$.inline_policies[*].document.Statement[*]", nullptr, kNotADocument},
        PathCase{"trust_policy_null_selects_nothing", R"({"trust_policy": null})",
                 "$.trust_policy.Statement[*]", "[]", nullptr}),
    CaseName);

// A policy document as generic conditions read it (policy_view.h): every shape IAM allows reads
// as one, at each place a resource holds a policy document, whatever form the input used.
struct PolicyViewCase {
  const char* name;
  const char* type;
  const char* document;
  const char* path;
  const char* selects;  // as a JSON array
};

void PrintTo(const PolicyViewCase& c, std::ostream* os) { *os << c.name; }

std::string PolicyCaseName(const ::testing::TestParamInfo<PolicyViewCase>& param_info) {
  return param_info.param.name;
}

class PolicyViewTest : public ::testing::TestWithParam<PolicyViewCase> {};

TEST_P(PolicyViewTest, OnePathFitsEveryShape) {
  const PolicyViewCase& c = GetParam();
  std::string error;
  const nlohmann::json selected = Select(ResourceWith(c.type, c.document), c.path, &error);
  EXPECT_EQ(error, "") << c.path;
  EXPECT_EQ(selected, nlohmann::json::parse(c.selects)) << c.path << " on " << c.document;
}

constexpr char kRole[] = "AWS::IAM::Role";
constexpr char kUser[] = "AWS::IAM::User";
constexpr char kGroup[] = "AWS::IAM::Group";
constexpr char kManaged[] = "AWS::IAM::Policy";

// Item 1 of issue 17: one statement or a list; one value or a list; "*" or {"AWS": "*"}.
INSTANTIATE_TEST_SUITE_P(
    PolicyDocuments, PolicyViewTest,
    ::testing::Values(
        PolicyViewCase{"single_statement_object", kRole,
                       R"({"trust_policy": {"Statement": {"Effect": "Allow"}}})",
                       "$.trust_policy.Statement[*].Effect", R"(["Allow"])"},
        PolicyViewCase{"statement_list", kRole,
                       R"({"trust_policy": {"Statement": [{"Effect": "Allow"},
                           {"Effect": "Deny"}]}})",
                       "$.trust_policy.Statement[*].Effect", R"(["Allow", "Deny"])"},
        PolicyViewCase{"single_statement_in_json_text", kRole,
                       R"({"trust_policy": "{\"Statement\": {\"Effect\": \"Allow\"}}"})",
                       "$.trust_policy.Statement[*].Effect", R"(["Allow"])"},
        PolicyViewCase{"single_statement_url_encoded", kRole,
                       R"({"trust_policy":
                           "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%7D%7D"})",
                       "$.trust_policy.Statement[*].Effect", R"(["Allow"])"},
        PolicyViewCase{"single_statement_index", kRole,
                       R"({"trust_policy": {"Statement": {"Sid": "one"}}})",
                       "$.trust_policy.Statement[0].Sid", R"(["one"])"},
        PolicyViewCase{"action_string", kRole,
                       R"({"trust_policy": {"Statement": [{"Action": "sts:AssumeRole"}]}})",
                       "$.trust_policy.Statement[0].Action", R"([["sts:AssumeRole"]])"},
        PolicyViewCase{"action_list_kept", kRole,
                       R"({"trust_policy": {"Statement": [{"Action": ["a:B", "c:D"]}]}})",
                       "$.trust_policy.Statement[0].Action", R"([["a:B", "c:D"]])"},
        PolicyViewCase{"not_action_resource_not_resource_strings", kUser,
                       R"({"inline_policies": [{"name": "p", "document": {"Statement":
                           {"NotAction": "iam:*", "Resource": "*", "NotResource": "arn:x"}}}]})",
                       "$.inline_policies[0].document.Statement[0]",
                       R"([{"NotAction": ["iam:*"], "Resource": ["*"],
                           "NotResource": ["arn:x"]}])"},
        PolicyViewCase{"principal_star", kRole,
                       R"({"trust_policy": {"Statement": {"Principal": "*"}}})",
                       "$.trust_policy.Statement[*].Principal", R"([{"AWS": ["*"]}])"},
        PolicyViewCase{"principal_aws_star", kRole,
                       R"({"trust_policy": {"Statement": {"Principal": {"AWS": "*"}}}})",
                       "$.trust_policy.Statement[*].Principal", R"([{"AWS": ["*"]}])"},
        PolicyViewCase{"principal_each_type_a_list", kRole,
                       R"({"trust_policy": {"Statement": {"Principal": {"AWS": "arn:a",
                           "Service": ["ec2.amazonaws.com"], "Federated": "cognito"}}}})",
                       "$.trust_policy.Statement[*].Principal",
                       R"([{"AWS": ["arn:a"], "Service": ["ec2.amazonaws.com"],
                           "Federated": ["cognito"]}])"},
        PolicyViewCase{"not_principal_star", kRole,
                       R"({"trust_policy": {"Statement": {"NotPrincipal": "*"}}})",
                       "$.trust_policy.Statement[*].NotPrincipal", R"([{"AWS": ["*"]}])"},
        PolicyViewCase{"one_path_for_every_principal_spelling", kRole,
                       R"({"trust_policy": {"Statement": [{"Principal": "*"},
                           {"Principal": {"AWS": "*"}}, {"Principal": {"AWS": ["*"]}}]}})",
                       "$.trust_policy.Statement[*].Principal.AWS[*]", R"(["*", "*", "*"])"},
        PolicyViewCase{"condition_as_written", kRole,
                       R"({"trust_policy": {"Statement": {"Condition":
                           {"StringEquals": {"sts:ExternalId": "x"}}}}})",
                       "$.trust_policy.Statement[*].Condition",
                       R"([{"StringEquals": {"sts:ExternalId": "x"}}])"},
        PolicyViewCase{"group_inline_policy", kGroup,
                       R"({"inline_policies": [{"name": "p", "document":
                           "{\"Statement\": {\"Action\": \"s3:*\"}}"}]})",
                       "$.inline_policies[*].document.Statement[*].Action[*]", R"(["s3:*"])"},
        PolicyViewCase{"managed_policy_document", kManaged,
                       R"({"document": {"Statement": {"Effect": "Allow", "Resource": "*"}}})",
                       "$.document.Statement[*].Resource", R"([["*"]])"},
        // Only the places docs/resource-model.md names are policy documents.
        PolicyViewCase{"other_places_as_written", kRole,
                       R"({"tags": {"Statement": {"Effect": "Allow"}}})", "$.tags.Statement[*]",
                       R"(["Allow"])"},
        PolicyViewCase{"other_types_as_written", "AWS::S3::Bucket",
                       R"({"trust_policy": {"Statement": {"Effect": "Allow"}}})",
                       "$.trust_policy.Statement[*]", R"(["Allow"])"}),
    PolicyCaseName);

// A role sent as an authorization-details entry (JSON text, the export's own keys): its trust
// policy, URL-encoded with one statement, reads as the normalized shape does.
TEST(PolicyViewTest, AnExportEntryReadsAsTheNormalizedShape) {
  model::Resource r = ResourceWith(kRole, "{}");
  r.document = nullptr;
  r.document_text =
      R"({"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "Path": "/",)"
      R"( "RolePolicyList": [], "AttachedManagedPolicies": [], "AssumeRolePolicyDocument":)"
      R"( "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%7D%7D"})";
  std::string error;
  EXPECT_EQ(Select(r, "$.trust_policy.Statement[*].Principal.AWS[*]", &error),
            nlohmann::json::parse(R"(["*"])"));
  EXPECT_EQ(error, "");
}

}  // namespace
}  // namespace kmsguard::engine
