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
  const char* selects;   // the values selected, as a JSON array; null when it is an error
  const char* error;     // a part of the error message, when it is one
};

void PrintTo(const PathCase& c, std::ostream* os) { *os << c.name; }

// A role whose document is `document_json`, as the rule tests give it (a nlohmann value).
model::Resource RoleWith(const std::string& document_json) {
  model::Resource r;
  r.id = "arn:aws:iam::111122223333:role/r";
  r.type = model::kIamRole;
  r.name = "r";
  r.partition = "aws";
  r.account = "111122223333";
  r.document = nlohmann::json::parse(document_json);
  return r;
}

class PathSelectTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(PathSelectTest, SelectsTheDocumentedValues) {
  const PathCase& c = GetParam();
  const model::Resource resource = RoleWith(c.document);
  const ResourceView view(resource);
  EvalScope scope;
  scope.resource = &view;
  rules::Path path;
  std::string problem;
  std::size_t offset = 0;
  ASSERT_TRUE(rules::ParsePath(c.path, &path, &problem, &offset)) << problem;
  const std::vector<const nlohmann::json*> values = SelectPath(path, scope);
  if (c.selects == nullptr) {
    EXPECT_THAT(scope.error, HasSubstr(c.error)) << c.path;
    return;
  }
  EXPECT_EQ(scope.error, "") << c.path;
  nlohmann::json selected = nlohmann::json::array();
  for (const nlohmann::json* value : values) selected.push_back(*value);
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
        PathCase{"index_of_json_text", R"({"x": " {\"a\": [5, 6]}"})", "$.x.a[1]", "[6]",
                 nullptr},
        PathCase{"wildcard_of_plain_text_is_that_text", R"({"x": "s3:GetObject"})", "$.x[*]",
                 R"(["s3:GetObject"])", nullptr},
        PathCase{"wildcard_of_broken_json_text", R"({"x": "{\"a\": "})", "$.x[*]", nullptr,
                 kNotADocument},
        PathCase{"wildcard_of_broken_url_encoded_text", R"({"x": "%7B%ZZ"})", "$.x[*]", nullptr,
                 kNotADocument},
        PathCase{"field_of_broken_json_text", R"({"x": "{\"a\": "})", "$.x.a", nullptr,
                 kNotADocument}),
    CaseName);

}  // namespace
}  // namespace kmsguard::engine
