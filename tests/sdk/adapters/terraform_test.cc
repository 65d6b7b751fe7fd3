#include "sdk/adapters/terraform.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using test::Find;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

// A policy as Terraform plans it: JSON text.
std::string PolicyText(const std::string& action) {
  return Json{{"Version", "2012-10-17"},
              {"Statement", {{{"Effect", "Allow"}, {"Action", action}, {"Resource", "*"}}}}}
      .dump(2);
}

Json Resource(const std::string& address, const std::string& type, Json values) {
  const std::size_t dot = address.rfind('.');
  return {{"address", address},
          {"mode", "managed"},
          {"type", type},
          {"name", address.substr(dot + 1)},
          {"values", std::move(values)}};
}

Json Change(const std::string& address, const std::string& type, Json after, Json after_unknown,
            Json actions = {"create"}) {
  return {{"address", address},
          {"mode", "managed"},
          {"type", type},
          {"change", {{"actions", actions}, {"after", after}, {"after_unknown", after_unknown}}}};
}

Json Plan() {
  std::string crlf =
      "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [{\"Effect\": "
      "\"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\r\n}\r\n";
  const Json role_values = {
      {"name", "app"},
      {"path", "/"},
      {"assume_role_policy",
       R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})"},
      {"inline_policy", {{{"name", "inline-star"}, {"policy", PolicyText("kms:*")}}}}};
  const Json by_ref = {{"name", "star"}, {"policy", PolicyText("kms:Decrypt")}};
  const Json orphan = {{"name", "p"}, {"policy", PolicyText("kms:Decrypt")}};
  const Json team_policy = {{"name", "team-star"}, {"policy", PolicyText("kms:ReEncrypt*")}};
  Json root = {
      {"resources",
       {Resource("aws_iam_role.app", "aws_iam_role", role_values),
        Resource("aws_iam_role_policy.by_name", "aws_iam_role_policy",
                 {{"name", "s3"}, {"policy", crlf}, {"role", "app"}}),
        Resource("aws_iam_group.g", "aws_iam_group", {{"name", "devs"}, {"path", "/"}}),
        Resource("aws_iam_group_policy.by_ref", "aws_iam_group_policy", by_ref),
        Resource("aws_iam_user_policy.orphan", "aws_iam_user_policy", orphan)}},
      {"child_modules",
       {{{"address", "module.team"},
         {"resources",
          {Resource("module.team.aws_iam_user.u[0]", "aws_iam_user",
                    {{"name", "carol"}, {"path", "/"}}),
           Resource("module.team.aws_iam_user_policy.p[0]", "aws_iam_user_policy", team_policy),
           Resource("module.team.aws_iam_policy.m", "aws_iam_policy",
                    {{"name", "team-managed"}, {"path", "/"}, {"policy", PolicyText("kms:*")}}),
           Resource("module.team.aws_iam_user_policy_attachment.a",
                    "aws_iam_user_policy_attachment", {{"user", "carol"}})}}}}}};
  const Json changes = {
      Change("aws_iam_group_policy.by_ref", "aws_iam_group_policy", by_ref,
             {{"group", true}, {"id", true}}),
      Change("aws_iam_user_policy.orphan", "aws_iam_user_policy", orphan, {{"user", true}}),
      Change("module.team.aws_iam_user_policy.p[0]", "aws_iam_user_policy", team_policy,
             {{"user", true}}),
      Change("module.team.aws_iam_user_policy_attachment.a", "aws_iam_user_policy_attachment",
             {{"user", "carol"}}, {{"policy_arn", true}}),
      Change("aws_iam_user.gone", "aws_iam_user", nullptr, Json::object(), {"delete"}),
      Change("aws_iam_user.kept", "aws_iam_user",
             {{"name", "dave"}, {"arn", "arn:aws:iam::111122223333:user/dave"}, {"path", "/"}},
             Json::object(), {"no-op"})};
  const Json configuration = {
      {"root_module",
       {{"resources",
         {{{"address", "aws_iam_group_policy.by_ref"},
           {"expressions",
            {{"group", {{"references", {"aws_iam_group.g.name", "aws_iam_group.g"}}}}}}},
          {{"address", "aws_iam_user_policy.orphan"},
           {"expressions", {{"user", {{"references", {"var.user_name"}}}}}}}}},
        {"module_calls",
         {{"team",
           {{"module",
             {{"resources",
               {{{"address", "aws_iam_user_policy.p"},
                 {"expressions",
                  {{"user",
                    {{"references",
                      {"aws_iam_user.u[0].name", "aws_iam_user.u[0]", "aws_iam_user.u"}}}}}}},
                {{"address", "aws_iam_user_policy_attachment.a"},
                 {"expressions",
                  {{"policy_arn",
                    {{"references", {"aws_iam_policy.m.arn", "aws_iam_policy.m"}}}}}}}}}}}}}}}}}};
  return {{"format_version", "1.2"},
          {"terraform_version", "1.6.0"},
          {"planned_values", {{"root_module", root}}},
          {"resource_changes", changes},
          {"configuration", configuration}};
}

// The 1-based line and column of the `{` that opens the object whose first key line holds
// `needle`, counted in `text` (nlohmann's dump(2) writes one key per line).
std::pair<int, int> ObjectHolding(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) return {0, 0};
  const std::size_t open = text.rfind('{', at);
  const std::size_t line_start = text.rfind('\n', open);
  return {1 + static_cast<int>(std::count(text.begin(), text.begin() + open, '\n')),
          static_cast<int>(open - line_start)};
}

TEST(ReadTerraformPlanTest, PrincipalsPoliciesAndReferences) {
  const std::string text = Plan().dump(2);
  const AdapterResult result = ReadTerraformPlan(text, "plan.json");
  EXPECT_THAT(test::TypeNames(result),
              ElementsAre("AWS::IAM::Role/app", "AWS::IAM::Group/devs", "AWS::IAM::User/carol",
                          "AWS::IAM::User/dave", "AWS::IAM::Policy/team-managed",
                          "AWS::IAM::User/<unknown: aws_iam_user_policy.orphan>"));
  // One warning: the orphan's user comes from a variable.
  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_EQ(result.diagnostics[0].location.resource_id, "aws_iam_user_policy.orphan");
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("var.user_name"));

  const model::Resource* app = Find(result, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->id, "terraform:aws_iam_role.app");
  EXPECT_EQ(app->source.json_pointer, "/planned_values/root_module/resources/0");
  EXPECT_EQ(app->source.resource_id, "aws_iam_role.app");
  EXPECT_THAT(test::InlinePolicyNames(*app), ElementsAre("inline-star", "s3"));
  EXPECT_TRUE(app->document["trust_policy"].is_string());
  EXPECT_THAT(app->document["inline_policies"][1]["source"].get<std::string>(),
              HasSubstr("aws_iam_role_policy.by_name"));

  // `group` is unknown at plan time; `aws_iam_group.g.name` resolves it.
  const model::Resource* devs = Find(result, "devs");
  ASSERT_NE(devs, nullptr);
  EXPECT_THAT(test::InlinePolicyNames(*devs), ElementsAre("star"));
  // In a counted child module: `aws_iam_user.u[0].name` relative to module.team.
  const model::Resource* carol = Find(result, "carol");
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->id, "terraform:module.team.aws_iam_user.u[0]");
  // Read from text, a resource is located where its object starts, in a child module too (SARIF
  // regions); an attribute's location is its resource's.
  const auto [line, column] = ObjectHolding(text, "\"address\": \"module.team.aws_iam_user.u[0]\"");
  ASSERT_GT(line, 0);
  EXPECT_EQ(carol->source.line, line);
  EXPECT_EQ(carol->source.column, column);
  EXPECT_EQ(ReadTerraformPlanJson(Plan(), "plan.json").resources.at(0).source.line, 0);
  EXPECT_THAT(test::InlinePolicyNames(*carol), ElementsAre("team-star"));
  EXPECT_EQ(carol->document["attached_managed_policies"],
            Json::parse(R"([{"name": "team-managed", "arn": ""}])"));
  const model::Resource* managed = Find(result, "team-managed");
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(managed->document["attachment_count"], 1);
  // Only in resource_changes (no-op): its ARN is known and is the id.
  const model::Resource* dave = Find(result, "dave");
  ASSERT_NE(dave, nullptr);
  EXPECT_EQ(dave->id, "arn:aws:iam::111122223333:user/dave");
  EXPECT_EQ(dave->account, "111122223333");
  EXPECT_EQ(dave->source.json_pointer, "/resource_changes/5/change/after");
  // Destroyed: gone.
  EXPECT_EQ(Find(result, "gone"), nullptr);
  const model::Resource* orphan = Find(result, "<unknown: aws_iam_user_policy.orphan>");
  ASSERT_NE(orphan, nullptr);
  EXPECT_EQ(orphan->id, "terraform:aws_iam_user_policy.orphan");
  EXPECT_THAT(orphan->document["notes"][0].get<std::string>(), HasSubstr("unknown until apply"));

  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              UnorderedElementsAre("Role/app", "Group/devs", "User/carol",
                                   "User/<unknown: aws_iam_user_policy.orphan>"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError), IsEmpty())
      << "the CRLF policy parses";
  EXPECT_THAT(test::WithStatus(findings, test::kManagedRule, model::Status::kFail),
              ElementsAre("Policy/team-managed"));
}

TEST(ReadTerraformPlanTest, UnknownPoliciesComeFromDataSourcesOrAreErrors) {
  const std::string rendered = PolicyText("kms:Decrypt");
  Json plan = {
      {"format_version", "1.0"},
      {"planned_values",
       {{"root_module",
         {{"resources",
           {Resource("aws_iam_role.r", "aws_iam_role", {{"path", "/"}}),
            Resource("aws_iam_role_policy.from_data", "aws_iam_role_policy", {{"name", "d"}}),
            Resource("aws_iam_role_policy.lost", "aws_iam_role_policy", {{"name", "l"}})}}}}}},
      {"resource_changes",
       {Change("aws_iam_role.r", "aws_iam_role", {{"path", "/"}},
               {{"name", true}, {"inline_policy", true}}),
        Change("aws_iam_role_policy.from_data", "aws_iam_role_policy", {{"name", "d"}},
               {{"role", true}, {"policy", true}}),
        Change("aws_iam_role_policy.lost", "aws_iam_role_policy", {{"name", "l"}},
               {{"role", true}, {"policy", true}})}},
      {"prior_state",
       {{"values",
         {{"root_module",
           {{"resources",
             {{{"address", "data.aws_iam_policy_document.doc"},
               {"mode", "data"},
               {"type", "aws_iam_policy_document"},
               {"values", {{"json", rendered}}}}}}}}}}}},
      {"configuration",
       {{"root_module",
         {{"resources",
           {{{"address", "aws_iam_role.r"}, {"expressions", Json::object()}},
            {{"address", "aws_iam_role_policy.from_data"},
             {"expressions",
              {{"role", {{"references", {"aws_iam_role.r.id", "aws_iam_role.r"}}}},
               {"policy",
                {{"references",
                  {"data.aws_iam_policy_document.doc.json",
                   "data.aws_iam_policy_document.doc"}}}}}}},
            {{"address", "aws_iam_role_policy.lost"},
             {"expressions",
              {{"role", {{"references", {"aws_iam_role.r.id", "aws_iam_role.r"}}}},
               {"policy", {{"references", {"module.m.policy"}}}}}}}}}}}}}};
  const AdapterResult result = ReadTerraformPlan(plan.dump(), "plan.json");
  // The role's name is unknown, but `aws_iam_role.r.id` says which role: the policies join it.
  ASSERT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/<unknown: aws_iam_role.r>"));
  const model::Resource& role = result.resources[0];
  EXPECT_THAT(test::InlinePolicyNames(role), ElementsAre("d", "l"));
  EXPECT_EQ(role.document["inline_policies"][0]["document"], rendered);
  EXPECT_FALSE(role.document["inline_policies"][1].contains("document"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("\"l\" is unknown until apply"));
  // A grant and an unknown policy: FAIL (the grant is certain). Without the grant: ERROR.
  EXPECT_THAT(test::WithStatus(test::EvaluateAll(result), test::kInlineRule, model::Status::kFail),
              SizeIs(1));
  plan["prior_state"] = Json::object();
  const AdapterResult unresolved = ReadTerraformPlan(plan.dump(), "plan.json");
  EXPECT_THAT(
      test::WithStatus(test::EvaluateAll(unresolved), test::kInlineRule, model::Status::kError),
      ElementsAre("Role/<unknown: aws_iam_role.r>"));
}

// A resource address listed twice: the second copy (here the one that grants) was dropped
// silently and the plan passed. It is an error naming both places now, in planned_values and in
// resource_changes alike.
TEST(ReadTerraformPlanTest, AnAddressListedTwiceIsAnError) {
  const Json benign = Resource("aws_iam_user.u", "aws_iam_user",
                               {{"name", "erin"}, {"arn", "arn:aws:iam::111122223333:user/erin"}});
  Json granting = benign;
  granting["values"]["name"] = "erin2";
  const Json state = {{"format_version", "1.0"},
                      {"values", {{"root_module", {{"resources", {benign, granting}}}}}}};
  const AdapterResult twice = ReadTerraformPlan(state.dump(), "state.json");
  ASSERT_EQ(test::Errors(twice.diagnostics), 1) << Describe(twice.diagnostics);
  EXPECT_EQ(twice.diagnostics[0].location.json_pointer, "/values/root_module/resources/1");
  EXPECT_THAT(twice.diagnostics[0].message,
              HasSubstr("aws_iam_user.u is listed twice in the plan (first at "
                        "#/values/root_module/resources/0)"));

  const Json change = {{"address", "aws_iam_user.u"},
                       {"type", "aws_iam_user"},
                       {"mode", "managed"},
                       {"change", {{"after", benign["values"]}}}};
  const Json plan = {{"format_version", "1.1"}, {"resource_changes", {change, change}}};
  const AdapterResult changes = ReadTerraformPlan(plan.dump(), "plan.json");
  ASSERT_EQ(test::Errors(changes.diagnostics), 1) << Describe(changes.diagnostics);
  EXPECT_EQ(changes.diagnostics[0].location.json_pointer, "/resource_changes/1");
  EXPECT_THAT(changes.diagnostics[0].message,
              HasSubstr("two entries in resource_changes (first at #/resource_changes/0)"));
}

TEST(ReadTerraformPlanTest, StateValuesAndBadShapes) {
  const Json state = {
      {"format_version", "1.0"},
      {"values",
       {{"root_module",
         {{"resources",
           {Resource("aws_iam_user.u", "aws_iam_user",
                     {{"name", "erin"}, {"arn", "arn:aws:iam::111122223333:user/erin"}}),
            "not a resource",
            Resource("aws_iam_user_policy.p", "aws_iam_user_policy",
                     {{"name", "p"}, {"user", "erin"}, {"policy", "{not json"}})}}}}}}};
  const AdapterResult result = ReadTerraformPlan(state.dump(), "state.json");
  ASSERT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::User/erin"));
  EXPECT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/values/root_module/resources/1");
  // A policy that does not parse is an ERROR, never a PASS.
  EXPECT_THAT(test::WithStatus(test::EvaluateAll(result), test::kInlineRule, model::Status::kError),
              ElementsAre("User/erin"));

  EXPECT_EQ(test::Errors(ReadTerraformPlan(R"({"format_version": "1.0"})", "x").diagnostics), 1);
  EXPECT_EQ(test::Errors(ReadTerraformPlan(R"([1])", "x").diagnostics), 1);
  EXPECT_EQ(test::Errors(
                ReadTerraformPlan(R"({"planned_values": {"root_module": {"resources": {}}}})", "x")
                    .diagnostics),
            1);
  EXPECT_EQ(
      test::Errors(ReadTerraformPlan(R"({"resource_changes": [{"address": 1}]})", "x").diagnostics),
      1);
}

}  // namespace
}  // namespace kmsguard::adapters
