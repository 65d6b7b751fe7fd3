#include "sdk/adapters/authorization_details.h"
#include "sdk/model/iam_document.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kmsguard::adapters {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Json = nlohmann::json;

const model::Resource* Find(const AdapterResult& result, const std::string& name) {
  for (const model::Resource& r : result.resources) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

constexpr char kExport[] = R"({
  "UserDetailList": [
    {"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE1",
     "CreateDate": "2023-03-09 10:41:45+00:00",
     "Arn": "arn:aws:iam::111122223333:user/alice", "GroupList": ["devs"],
     "AttachedManagedPolicies": [{"PolicyName": "ReadOnly",
                                  "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]},
    {"Path": "/", "UserName": "bob", "Arn": "arn:aws-cn:iam::222233334444:user/team/bob",
     "GroupList": ["devs", "ops"],
     "UserPolicyList": [{"PolicyName": "enc",
        "PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}]}
  ],
  "GroupDetailList": [
    {"GroupName": "devs", "Arn": "arn:aws:iam::111122223333:group/devs", "Path": "/",
     "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": {"Statement": []}}]},
    {"GroupName": "empty", "Arn": "arn:aws:iam::111122223333:group/empty"}
  ],
  "RoleDetailList": [
    {"RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/service-role/app",
     "Path": "/service-role/",
     "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                                                 "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]},
     "RolePolicyList": [{"PolicyName": "p1",
                         "PolicyDocument": {"Version": "2012-10-17", "Statement": []}},
                        {"PolicyName": "no-doc"}]}
  ],
  "Policies": null
})";

TEST(ReadAuthorizationDetailsTest, NormalizesEveryPrincipal) {
  const AdapterResult result = ReadAuthorizationDetails(kExport, "gaad.json");
  EXPECT_THAT(result.diagnostics, IsEmpty());
  ASSERT_THAT(result.resources, SizeIs(5));

  const model::Resource* alice = Find(result, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->id, "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(alice->type, model::kIamUser);
  EXPECT_EQ(alice->partition, "aws");
  EXPECT_EQ(alice->account, "111122223333");
  EXPECT_EQ(alice->region, "global");
  EXPECT_EQ(alice->source.file, "gaad.json");
  EXPECT_EQ(alice->source.json_pointer, "/UserDetailList/0");
  // No UserPolicyList key, as boto3 prints users without inline policies.
  EXPECT_EQ(model::NormalizedDocument(*alice)["inline_policies"], Json::array());
  EXPECT_EQ(model::NormalizedDocument(*alice)["group_memberships"], Json({"devs"}));
  EXPECT_EQ(
      model::NormalizedDocument(*alice)["attached_managed_policies"],
      Json::parse(R"([{"name": "ReadOnly", "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])"));

  const model::Resource* bob = Find(result, "bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->partition, "aws-cn");
  EXPECT_EQ(bob->account, "222233334444");
  // URL-encoded documents are kept as given; the engine decodes them.
  EXPECT_EQ(model::NormalizedDocument(*bob)["inline_policies"],
            Json::parse(R"([{"name": "enc", "document": "%7B%22Statement%22%3A%5B%5D%7D",
                     "source_pointer": "/UserPolicyList/0/PolicyDocument"}])"));

  const model::Resource* devs = Find(result, "devs");
  ASSERT_NE(devs, nullptr);
  EXPECT_EQ(devs->type, model::kIamGroup);
  EXPECT_EQ(model::NormalizedDocument(*devs)["members"], Json({"alice", "bob"}));
  EXPECT_EQ(model::NormalizedDocument(*devs)["inline_policies"][0]["document"], Json::parse(R"({"Statement": []})"));
  const model::Resource* empty = Find(result, "empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(model::NormalizedDocument(*empty)["members"], Json::array());
  EXPECT_EQ(model::NormalizedDocument(*empty)["inline_policies"], Json::array());  // GroupPolicyList missing

  const model::Resource* app = Find(result, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->type, model::kIamRole);
  EXPECT_EQ(app->source.json_pointer, "/RoleDetailList/0");
  EXPECT_EQ(model::NormalizedDocument(*app)["path"], "/service-role/");
  EXPECT_EQ(model::NormalizedDocument(*app)["trust_policy"]["Statement"][0]["Principal"]["Service"],
            "ec2.amazonaws.com");
  // An inline entry without a document is passed on, so the engine reports it for this role.
  EXPECT_EQ(model::NormalizedDocument(*app)["inline_policies"][1], Json::parse(R"({"name": "no-doc"})"));
}

TEST(ReadAuthorizationDetailsTest, MissingAndNullListsLoadNothingWithoutComplaint) {
  AdapterResult result = ReadAuthorizationDetails("{}", "empty.json");
  EXPECT_THAT(result.resources, IsEmpty());
  EXPECT_THAT(result.diagnostics, IsEmpty());

  result = ReadAuthorizationDetails(
      R"({"UserDetailList": null, "GroupDetailList": null, "RoleDetailList": null,
          "Policies": null})",
      "nulls.json");
  EXPECT_THAT(result.resources, IsEmpty());
  EXPECT_THAT(result.diagnostics, IsEmpty());

  // Without the user list, group membership is unknown: no "members" rather than an empty one.
  result = ReadAuthorizationDetails(
      R"({"GroupDetailList": [{"GroupName": "g", "Arn": "arn:aws:iam::111122223333:group/g"}]})",
      "groups.json");
  ASSERT_THAT(result.resources, SizeIs(1));
  EXPECT_FALSE(model::NormalizedDocument(result.resources[0]).contains("members"));
}

TEST(ReadAuthorizationDetailsTest, NotJsonGivesLineAndColumn) {
  // The error is the unquoted key on line 3, column 5.
  const AdapterResult result =
      ReadAuthorizationDetails("{\n  \"UserDetailList\": [],\n    oops: 1\n}\n", "bad.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  const core::Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.code, "snapshot_error");
  EXPECT_EQ(d.location.file, "bad.json");
  EXPECT_EQ(d.location.line, 3);
  EXPECT_EQ(d.location.column, 5);
  EXPECT_THAT(d.message, HasSubstr("not valid JSON: syntax error"));
  EXPECT_THAT(d.message, ::testing::Not(HasSubstr("json.exception")));
}

TEST(ReadAuthorizationDetailsTest, TruncatedTextPointsAtTheEnd) {
  const AdapterResult result = ReadAuthorizationDetails("{\"RoleDetailList\": [", "cut.json");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].location.line, 1);
  EXPECT_EQ(result.diagnostics[0].location.column, 21);
}

TEST(ReadAuthorizationDetailsTest, BrokenEntriesAreReportedAndTheOthersLoad) {
  const AdapterResult result = ReadAuthorizationDetails(R"({
    "UserDetailList": [
      {"UserName": "ok", "Arn": "arn:aws:iam::111122223333:user/ok"},
      "not an object",
      {"UserName": "no-arn"},
      {"UserName": "odd", "Arn": "not-an-arn"}
    ],
    "RoleDetailList": {"oops": true},
    "Policies": "nope"
  })",
                                                        "mixed.json");
  ASSERT_THAT(result.resources, SizeIs(2));
  EXPECT_EQ(result.resources[0].name, "ok");
  EXPECT_EQ(result.resources[1].name, "odd");
  EXPECT_EQ(result.resources[1].id, "not-an-arn");
  EXPECT_EQ(result.resources[1].account, "");
  std::vector<std::string> where;
  for (const core::Diagnostic& d : result.diagnostics) {
    where.push_back(d.location.json_pointer + " " +
                    (d.severity == core::DiagnosticSeverity::kError ? "error" : "warning"));
  }
  // In the order of the file.
  EXPECT_THAT(where,
              ElementsAre("/UserDetailList/1 error", "/UserDetailList/2 error",
                          "/UserDetailList/3/Arn warning", "/RoleDetailList error",
                          "/Policies warning"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("no \"Arn\""));
  EXPECT_EQ(result.diagnostics[0].ToString(),
            "mixed.json#/UserDetailList/1: error: expected an object, got string; entry skipped "
            "[snapshot_error]");
}

TEST(ReadAuthorizationDetailsTest, TopLevelMustBeAnObject) {
  const AdapterResult result = ReadAuthorizationDetails("[1, 2]", "array.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("got array"));
}

TEST(NormalizePrincipalDocumentTest, ExportShapeAndNormalizedShape) {
  const Json role = Json::parse(R"({
    "RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "Path": "/",
    "AssumeRolePolicyDocument": {"Statement": []},
    "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "{\"Statement\": []}"}]
  })");
  const Json normalized = NormalizePrincipalDocument(model::kIamRole, role);
  EXPECT_EQ(normalized["name"], "r");
  EXPECT_EQ(normalized["arn"], "arn:aws:iam::111122223333:role/r");
  EXPECT_EQ(normalized["inline_policies"],
            Json::parse(R"([{"name": "p", "document": "{\"Statement\": []}",
                     "source_pointer": "/RolePolicyList/0/PolicyDocument"}])"));
  EXPECT_EQ(normalized["trust_policy"], Json::parse(R"({"Statement": []})"));
  EXPECT_EQ(normalized["attached_managed_policies"], Json::array());
  // Already normalized: unchanged.
  EXPECT_EQ(NormalizePrincipalDocument(model::kIamRole, normalized), normalized);

  // A user entry: UserPolicyList absent means no inline policies; name from the ARN if missing.
  const Json user = NormalizePrincipalDocument(
      model::kIamUser, Json::parse(R"({"Arn": "arn:aws:iam::111122223333:user/path/u"})"));
  EXPECT_EQ(user["name"], "u");
  EXPECT_EQ(user["inline_policies"], Json::array());
  EXPECT_EQ(user["group_memberships"], Json::array());

  // A garbled list is passed on for the engine to report by pointer.
  const Json garbled = NormalizePrincipalDocument(
      model::kIamGroup, Json::parse(R"({"GroupName": "g", "GroupPolicyList": {"x": 1}})"));
  EXPECT_EQ(garbled["inline_policies"], Json::parse(R"({"x": 1})"));

  EXPECT_EQ(NormalizePrincipalDocument(model::kIamUser, Json("text")), Json("text"));
}

// Each entry of Policies becomes an AWS::IAM::Policy resource (sdk/model/resource.h).
TEST(ReadAuthorizationDetailsTest, ManagedPoliciesBecomeResources) {
  const AdapterResult result = ReadAuthorizationDetails(R"({
    "Policies": [
      {"PolicyName": "Mine", "Arn": "arn:aws:iam::111122223333:policy/team/Mine",
       "Path": "/team/", "DefaultVersionId": "v2", "AttachmentCount": 2,
       "PermissionsBoundaryUsageCount": 1,
       "PolicyVersionList": [
         {"VersionId": "v2", "IsDefaultVersion": true, "Document": "%7B%22Statement%22%3A%5B%5D%7D"},
         {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Statement": []}}]},
      {"PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
       "DefaultVersionId": "v1", "PolicyVersionList": [
         {"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Statement": []}}]},
      "not an object",
      {"PolicyName": "NoArn"}
    ]})",
                                                        "gaad.json");
  ASSERT_THAT(result.diagnostics, SizeIs(2));
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/Policies/2");
  EXPECT_EQ(result.diagnostics[1].location.json_pointer, "/Policies/3");
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("no \"Arn\""));
  ASSERT_THAT(result.resources, SizeIs(2));

  const model::Resource& mine = result.resources[0];
  EXPECT_EQ(mine.id, "arn:aws:iam::111122223333:policy/team/Mine");
  EXPECT_EQ(mine.type, model::kIamManagedPolicy);
  EXPECT_EQ(mine.name, "Mine");
  EXPECT_EQ(mine.partition, "aws");
  EXPECT_EQ(mine.account, "111122223333");
  EXPECT_EQ(mine.source.json_pointer, "/Policies/0");
  EXPECT_EQ(model::NormalizedDocument(mine), Json::parse(R"({
    "name": "Mine", "arn": "arn:aws:iam::111122223333:policy/team/Mine", "path": "/team/",
    "aws_managed": false, "default_version_id": "v2",
    "document": "%7B%22Statement%22%3A%5B%5D%7D",
    "attachment_count": 2, "permissions_boundary_usage_count": 1})"));

  const model::Resource& aws = result.resources[1];
  EXPECT_EQ(model::NormalizedDocument(aws)["aws_managed"], true);
  EXPECT_EQ(aws.account, "");
  EXPECT_EQ(model::NormalizedDocument(aws)["attachment_count"], 0) << "absent counts read as 0";
}

}  // namespace
}  // namespace kmsguard::adapters

namespace kmsguard::adapters {
namespace {

// Found in a user trial: with IsDefaultVersion on both v1 (one key) and v2 ("*"), the first was
// judged and the policy passed. An export that contradicts itself about the default version is
// an error for that policy (its finding is ERROR), never a guess.
TEST(ReadAuthorizationDetailsTest, ContradictoryDefaultVersionsAreAnErrorNotAGuess) {
  const char* const kCases[] = {
      // two versions flagged
      R"({"Policies": [{"PolicyName": "P", "Arn": "arn:aws:iam::111122223333:policy/P",
          "DefaultVersionId": "v2", "PolicyVersionList": [
          {"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Statement": []}},
          {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Statement": []}}]}]})",
      // the flag and DefaultVersionId disagree
      R"({"Policies": [{"PolicyName": "P", "Arn": "arn:aws:iam::111122223333:policy/P",
          "DefaultVersionId": "v2", "PolicyVersionList": [
          {"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Statement": []}},
          {"VersionId": "v2", "IsDefaultVersion": false, "Document": {"Statement": []}}]}]})"};
  for (const char* text : kCases) {
    const AdapterResult result = ReadAuthorizationDetails(text, "gaad.json");
    ASSERT_THAT(result.resources, SizeIs(1)) << text;
    const Json document = model::NormalizedDocument(result.resources[0]);
    EXPECT_FALSE(document.contains("document")) << document.dump();
    EXPECT_THAT(document.value("document_problem", ""), HasSubstr("contradicts itself"));
    ASSERT_THAT(result.diagnostics, SizeIs(1));
    EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/Policies/0/PolicyVersionList");
  }
}

// out_of_range (a number too large for a double) is not a parse_error: it must be reported
// like one, never thrown.
TEST(ReadAuthorizationDetailsTest, ANumberTooLargeForADoubleIsAnErrorNotAThrow) {
  AdapterResult result;
  EXPECT_NO_THROW(result = ReadAuthorizationDetails(
                      R"({"UserDetailList": [], "X": 1e999999})", "big.json"));
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_EQ(result.diagnostics[0].location.file, "big.json");
  EXPECT_NE(result.diagnostics[0].message.find("not valid JSON"), std::string::npos)
      << result.diagnostics[0].message;
}

}  // namespace
}  // namespace kmsguard::adapters
