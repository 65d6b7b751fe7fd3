#include "sdk/adapters/config.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/snapshot.h"
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

// URL-encoded documents, as AWS Config records them.
constexpr char kKmsStarEncoded[] =
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%"
    "22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
constexpr char kS3Encoded[] =
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%"
    "22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
constexpr char kTrustEncoded[] =
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%"
    "22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%"
    "3AAssumeRole%22%7D%5D%7D";

// One small account as an S3 snapshot file: the delivery shape (ARN, awsAccountId, objects).
Json SnapshotFile() {
  const auto item = [](const char* type, const char* name, const char* arn, Json configuration) {
    return Json{{"configurationItemVersion", "1.3"},
                {"configurationItemCaptureTime", "2024-05-01T10:00:00.000Z"},
                {"configurationItemStatus", "OK"},
                {"resourceType", type},
                {"resourceId", std::string("ID-") + name},
                {"resourceName", name},
                {"ARN", arn},
                {"awsRegion", "global"},
                {"awsAccountId", "111122223333"},
                {"configuration", std::move(configuration)}};
  };
  Json items = Json::array();
  items.push_back(item(
      "AWS::IAM::User", "alice", "arn:aws:iam::111122223333:user/alice",
      {{"path", "/"},
       {"userName", "alice"},
       {"arn", "arn:aws:iam::111122223333:user/alice"},
       {"userPolicyList", {{{"policyName", "enc"}, {"policyDocument", kKmsStarEncoded}}}},
       {"groupList", {"devs"}},
       {"attachedManagedPolicies",
        {{{"policyName", "Custom"}, {"policyArn", "arn:aws:iam::111122223333:policy/Custom"}}}}}));
  items.push_back(item("AWS::IAM::User", "bob", "arn:aws:iam::111122223333:user/bob",
                       {{"path", "/"},
                        {"userName", "bob"},
                        {"userPolicyList", Json::array()},
                        {"groupList", {"devs"}}}));
  items.push_back(
      item("AWS::IAM::Group", "devs", "arn:aws:iam::111122223333:group/devs",
           {{"path", "/"},
            {"groupName", "devs"},
            {"groupPolicyList", {{{"policyName", "read"}, {"policyDocument", kS3Encoded}}}}}));
  items.push_back(item(
      "AWS::IAM::Role", "app", "arn:aws:iam::111122223333:role/app",
      {{"path", "/"},
       {"roleName", "app"},
       {"assumeRolePolicyDocument", kTrustEncoded},
       {"rolePolicyList", {{{"policyName", "decrypt-all"}, {"policyDocument", kKmsStarEncoded}}}},
       {"attachedManagedPolicies", Json::array()}}));
  items.push_back(
      item("AWS::IAM::Policy", "Custom", "arn:aws:iam::111122223333:policy/Custom",
           {{"policyName", "Custom"},
            {"arn", "arn:aws:iam::111122223333:policy/Custom"},
            {"path", "/"},
            {"defaultVersionId", "v2"},
            {"attachmentCount", 1},
            {"permissionsBoundaryUsageCount", 0},
            {"policyVersionList",
             {{{"document", kS3Encoded}, {"versionId", "v1"}, {"isDefaultVersion", false}},
              {{"document", kKmsStarEncoded}, {"versionId", "v2"}, {"isDefaultVersion", true}}}}}));
  items.push_back(item("AWS::S3::Bucket", "logs", "arn:aws:s3:::logs", {{"name", "logs"}}));
  return {{"fileVersion", "1.0"}, {"configSnapshotId", "snap-1"}, {"configurationItems", items}};
}

// The same items as an API response: `configuration` as JSON text, keys `arn` and `accountId`.
Json ApiResponse() {
  Json items = SnapshotFile()["configurationItems"];
  for (Json& item : items) {
    item["arn"] = item["ARN"];
    item["accountId"] = item["awsAccountId"];
    item.erase("ARN");
    item.erase("awsAccountId");
    item["configuration"] = item["configuration"].dump();
  }
  return {{"configurationItems", items}, {"nextToken", nullptr}};
}

// The GAAD export of the same account (CLI shape: decoded documents).
constexpr char kSameAccountGaad[] = R"({
  "UserDetailList": [
    {"Path": "/", "UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice",
     "GroupList": ["devs"],
     "UserPolicyList": [{"PolicyName": "enc", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}],
     "AttachedManagedPolicies": [{"PolicyName": "Custom",
                                  "PolicyArn": "arn:aws:iam::111122223333:policy/Custom"}]},
    {"Path": "/", "UserName": "bob", "Arn": "arn:aws:iam::111122223333:user/bob",
     "GroupList": ["devs"]}
  ],
  "GroupDetailList": [
    {"Path": "/", "GroupName": "devs", "Arn": "arn:aws:iam::111122223333:group/devs",
     "GroupPolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}]}
  ],
  "RoleDetailList": [
    {"Path": "/", "RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/app",
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
     "RolePolicyList": [{"PolicyName": "decrypt-all", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}
  ],
  "Policies": [
    {"PolicyName": "Custom", "Arn": "arn:aws:iam::111122223333:policy/Custom", "Path": "/",
     "DefaultVersionId": "v2", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0,
     "PolicyVersionList": [
       {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}},
       {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}
  ]
})";

TEST(ReadConfigItemsTest, SnapshotFileGivesTheGaadShape) {
  const AdapterResult result = ReadConfigItems(SnapshotFile().dump(2), "snapshot.json");
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  EXPECT_THAT(test::TypeNames(result),
              ElementsAre("AWS::IAM::User/alice", "AWS::IAM::User/bob", "AWS::IAM::Group/devs",
                          "AWS::IAM::Role/app", "AWS::IAM::Policy/Custom"));
  const model::Resource* alice = Find(result, "alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->id, "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(alice->partition, "aws");
  EXPECT_EQ(alice->account, "111122223333");
  EXPECT_EQ(alice->source.file, "snapshot.json");
  EXPECT_EQ(alice->source.json_pointer, "/configurationItems/0");
  EXPECT_EQ(
      alice->document["inline_policies"],
      Json::parse(R"([{"name": "enc", "document": ")" + std::string(kKmsStarEncoded) + R"("}])"));
  EXPECT_EQ(alice->document["group_memberships"], Json::array({"devs"}));
  EXPECT_EQ(alice->document["attached_managed_policies"][0]["name"], "Custom");
  const model::Resource* devs = Find(result, "devs");
  ASSERT_NE(devs, nullptr);
  EXPECT_EQ(devs->document["members"], Json::array({"alice", "bob"}));
  const model::Resource* app = Find(result, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->document["trust_policy"], kTrustEncoded);
  const model::Resource* custom = Find(result, "Custom", model::kIamManagedPolicy);
  ASSERT_NE(custom, nullptr);
  EXPECT_EQ(custom->document["document"], kKmsStarEncoded) << "the default version (v2)";
  EXPECT_EQ(custom->document["default_version_id"], "v2");
  EXPECT_EQ(custom->document["aws_managed"], false);
  EXPECT_EQ(custom->document["attachment_count"], 1);
}

TEST(ReadConfigItemsTest, ApiResponseAndInvokingEventReadLikeTheSnapshot) {
  const AdapterResult snapshot = ReadConfigItems(SnapshotFile().dump(), "s.json");
  const AdapterResult api = ReadConfigItems(ApiResponse().dump(), "api.json");
  EXPECT_THAT(api.diagnostics, IsEmpty()) << Describe(api.diagnostics);
  ASSERT_EQ(api.resources.size(), snapshot.resources.size());
  for (std::size_t i = 0; i < api.resources.size(); ++i) {
    EXPECT_EQ(api.resources[i].id, snapshot.resources[i].id);
    EXPECT_EQ(api.resources[i].account, snapshot.resources[i].account);
    EXPECT_EQ(api.resources[i].document, snapshot.resources[i].document) << api.resources[i].id;
  }

  const Json role_item = SnapshotFile()["configurationItems"][3];
  const Json event = {
      {"invokingEvent", Json{{"configurationItem", role_item},
                             {"notificationCreationTime", "2024-05-01T10:00:01.000Z"},
                             {"messageType", "ConfigurationItemChangeNotification"},
                             {"recordVersion", "1.3"}}
                            .dump()},
      {"ruleParameters", "{}"},
      {"resultToken", "token"},
      {"eventLeftScope", false},
      {"configRuleName", "kms-decrypt"},
      {"accountId", "111122223333"},
      {"version", "1.0"}};
  const AdapterResult invoked = ReadConfigItems(event.dump(), "event.json");
  EXPECT_THAT(invoked.diagnostics, IsEmpty()) << Describe(invoked.diagnostics);
  ASSERT_THAT(invoked.resources, SizeIs(1));
  EXPECT_EQ(invoked.resources[0].document, snapshot.resources[3].document);
  EXPECT_EQ(invoked.resources[0].source.json_pointer, "/invokingEvent/configurationItem");

  // The decoded event (as published to SNS), a bare item, and a list of items.
  EXPECT_THAT(ReadConfigItems(Json{{"configurationItem", role_item}}.dump(), "n.json").resources,
              SizeIs(1));
  EXPECT_THAT(ReadConfigItems(role_item.dump(), "item.json").resources, SizeIs(1));
  EXPECT_THAT(ReadConfigItems(SnapshotFile()["configurationItems"].dump(), "l.json").resources,
              SizeIs(5));
}

TEST(ReadConfigItemsTest, EventsWithoutAnItemAreReported) {
  const Json oversized = {
      {"invokingEvent", Json{{"configurationItemSummary",
                              {{"resourceType", "AWS::IAM::Role"},
                               {"resourceName", "big"},
                               {"ARN", "arn:aws:iam::111122223333:role/big"}}},
                             {"messageType", "OversizedConfigurationItemChangeNotification"}}
                            .dump()}};
  AdapterResult result = ReadConfigItems(oversized.dump(), "e.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("oversized"));
  EXPECT_EQ(result.diagnostics[0].location.resource_id, "arn:aws:iam::111122223333:role/big");

  result = ReadConfigItems(R"({"invokingEvent": "{\"messageType\": \"ScheduledNotification\"}"})",
                           "e.json");
  EXPECT_THAT(result.resources, IsEmpty());
  EXPECT_EQ(test::Errors(result.diagnostics), 0);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("scheduled"));

  // The invoking event's text does not parse: the position inside the string is given.
  result = ReadConfigItems(R"({"invokingEvent": "{\"configurationItem\": \n [}"})", "e.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/invokingEvent");
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("line 2, column 3"));
}

TEST(ReadConfigItemsTest, ArrayPolicyDocumentsAreReadElementByElement) {
  Json item = SnapshotFile()["configurationItems"][0];
  item["configuration"]["userPolicyList"] = Json::parse(R"([
    {"policyName": "one", "policyDocument": [{"Version": "2012-10-17", "Statement": []}]},
    {"policyName": "two", "policyDocument": [{"Statement": []}, "%7B%7D"]},
    {"policyName": "none", "policyDocument": []}
  ])");
  const AdapterResult result = ReadConfigItems(item.dump(), "item.json");
  ASSERT_THAT(result.resources, SizeIs(1));
  EXPECT_THAT(test::InlinePolicyNames(result.resources[0]),
              ElementsAre("one", "two[0]", "two[1]", "none"));
  const Json& policies = result.resources[0].document["inline_policies"];
  EXPECT_EQ(policies[0]["document"], Json::parse(R"({"Version": "2012-10-17", "Statement": []})"));
  EXPECT_EQ(policies[2]["document"], "%7B%7D");
  EXPECT_EQ(policies[3]["document"], Json::array()) << "kept: the engine reports an ERROR";
  EXPECT_EQ(test::Errors(result.diagnostics), 0);
  EXPECT_THAT(result.diagnostics, SizeIs(3)) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer,
            "/configuration/userPolicyList/0/policyDocument");

  // An empty list holds no document: ERROR, never PASS.
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("User/alice"));
}

TEST(ReadConfigItemsTest, BrokenItemsAreReportedAndTheRestLoads) {
  Json file = SnapshotFile();
  Json& items = file["configurationItems"];
  items[0]["configuration"] = "{\"userName\": ";  // JSON text that does not parse
  items[1].erase("ARN");
  items[2] = Json::array({1, 2});  // a list where an item belongs
  items[3]["configuration"]["rolePolicyList"] = {{"policyName", "x"}};  // an object, not a list
  items[4]["configurationItemStatus"] = "ResourceDeleted";
  const AdapterResult result = ReadConfigItems(file.dump(), "broken.json");
  EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/app"));
  const std::string text = Describe(result.diagnostics);
  EXPECT_THAT(text, HasSubstr("broken.json#/configurationItems/0/configuration: error: not valid "
                              "JSON (line 1, column 14"));
  EXPECT_THAT(text, HasSubstr("broken.json#/configurationItems/1: error"));
  EXPECT_THAT(text, HasSubstr("broken.json#/configurationItems/2: error"));
  EXPECT_EQ(test::Errors(result.diagnostics), 3) << text;
  // The wrong shape goes to the engine, which reports the role as an ERROR.
  EXPECT_THAT(test::WithStatus(test::EvaluateAll(result), test::kInlineRule, model::Status::kError),
              ElementsAre("Role/app"));

  EXPECT_EQ(test::Errors(ReadConfigItems(R"({"configurationItems": {}})", "x").diagnostics), 1);
  EXPECT_EQ(test::Errors(ReadConfigItems(R"("text")", "x").diagnostics), 1);
  EXPECT_EQ(test::Errors(ReadConfigItems(R"({"configurationItems": [)", "x").diagnostics), 1);
}

TEST(ReadConfigItemsTest, HistoryKeepsTheNewestItemAndOtherTypesAreSkipped) {
  Json older = SnapshotFile()["configurationItems"][3];
  Json newer = older;
  older["configurationItemCaptureTime"] = "2024-01-01T00:00:00.000Z";
  older["configuration"]["rolePolicyList"] = Json::array();
  const Json history = {{"configurationItems", {newer, older}}};
  const AdapterResult result = ReadConfigItems(history.dump(), "history.json");
  ASSERT_THAT(result.resources, SizeIs(1));
  EXPECT_THAT(test::InlinePolicyNames(result.resources[0]), ElementsAre("decrypt-all"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("2 configuration items"));

  const Json buckets = {{"configurationItems", {SnapshotFile()["configurationItems"][5]}}};
  const AdapterResult none = ReadConfigItems(buckets.dump(), "b.json");
  EXPECT_THAT(none.resources, IsEmpty());
  EXPECT_THAT(Describe(none.diagnostics), HasSubstr("AWS::S3::Bucket"));
}

// Capture times are instants, not text: "garbage" used to beat a real time (it sorts after
// "2024-..."), and the same instant written two ways picked whichever came first. When the
// newest cannot be told and the items differ, that is an error, never a silent choice.
TEST(ReadConfigItemsTest, CaptureTimesAreComparedAsInstants) {
  Json granting = SnapshotFile()["configurationItems"][3];  // role app, decrypt-all
  Json benign = granting;
  benign["configuration"]["rolePolicyList"] = Json::array();

  granting["configurationItemCaptureTime"] = "2024-01-01T00:00:00.000Z";
  benign["configurationItemCaptureTime"] = "2023-12-31T23:59:59Z";
  for (const Json& history : {Json{{"configurationItems", {benign, granting}}},
                              Json{{"configurationItems", {granting, benign}}}}) {
    const AdapterResult result = ReadConfigItems(history.dump(), "h.json");
    ASSERT_THAT(result.resources, SizeIs(1));
    EXPECT_THAT(test::InlinePolicyNames(result.resources[0]), ElementsAre("decrypt-all"));
    EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  }
  // Epoch seconds (the raw API) against RFC 3339 text.
  benign["configurationItemCaptureTime"] = 1704067199;  // 2023-12-31T23:59:59Z
  const AdapterResult mixed =
      ReadConfigItems(Json{{"configurationItems", {granting, benign}}}.dump(), "m.json");
  EXPECT_THAT(test::InlinePolicyNames(mixed.resources[0]), ElementsAre("decrypt-all"));

  // An epoch far beyond any real time is still an instant (it used to overflow a cast).
  benign["configurationItemCaptureTime"] = 1e300;
  const AdapterResult huge =
      ReadConfigItems(Json{{"configurationItems", {granting, benign}}}.dump(), "e.json");
  ASSERT_THAT(huge.resources, SizeIs(1));
  EXPECT_THAT(test::InlinePolicyNames(huge.resources[0]), IsEmpty());  // the "newer" benign one

  for (const Json& undecidable : {Json("garbage"), Json("2024-01-01T00:00:00Z")}) {
    benign["configurationItemCaptureTime"] = undecidable;
    const AdapterResult result =
        ReadConfigItems(Json{{"configurationItems", {benign, granting}}}.dump(), "u.json");
    ASSERT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
    EXPECT_THAT(Describe(result.diagnostics), HasSubstr("does not say which is newer"));
  }
  // Identical items at the same instant are just a repeat.
  granting["configurationItemCaptureTime"] = "2024-01-01T00:00:00Z";
  const AdapterResult same =
      ReadConfigItems(Json{{"configurationItems", {granting, granting}}}.dump(), "s.json");
  EXPECT_EQ(test::Errors(same.diagnostics), 0) << Describe(same.diagnostics);
}

// A resource whose newest item says it is gone (ResourceDeleted, ResourceDeletedNotRecorded,
// ResourceNotRecorded) has no finding, and that is said; its last recorded configuration used to
// FAIL as if current. An older deletion (a re-created role of the same ARN) does not hide a newer
// configuration, and items that cannot be ordered keep the configuration, with an error.
TEST(ReadConfigItemsTest, AResourceDeletedInItsNewestItemHasNoFindingAndThatIsSaid) {
  const Json recorded = [] {
    Json item = SnapshotFile()["configurationItems"][3];  // role app, decrypt-all: FAIL
    item["configurationItemCaptureTime"] = "2024-01-01T00:00:00.000Z";
    return item;
  }();
  // What Config records on deletion: no configuration, the identity kept.
  const auto gone = [](const char* status, Json time, bool with_arn) {
    Json item = {{"configurationItemStatus", status},
                 {"configurationItemCaptureTime", std::move(time)},
                 {"resourceType", "AWS::IAM::Role"},
                 {"resourceId", "ID-app"},
                 {"resourceName", "app"},
                 {"configuration", nullptr}};
    if (with_arn) item["ARN"] = "arn:aws:iam::111122223333:role/app";
    return item;
  };
  const Json later = "2024-02-01T00:00:00.000Z";
  const Json earlier = "2023-06-01T00:00:00.000Z";
  struct Case {
    const char* name;
    Json items;
    bool evaluated;  // the role is read (and FAILs)
    const char* says;
  };
  const std::vector<Case> cases = {
      {"deleted after its last configuration",
       {recorded, gone("ResourceDeleted", later, true)},
       false,
       "is ResourceDeleted: the resource no longer exists; it has no finding"},
      {"the deletion first in the file",
       {gone("ResourceDeleted", later, true), recorded},
       false,
       "is ResourceDeleted"},
      {"deleted, not recorded",
       {recorded, gone("ResourceDeletedNotRecorded", later, true)},
       false,
       "is ResourceDeletedNotRecorded: the resource no longer exists"},
      {"no longer recorded",
       {recorded, gone("ResourceNotRecorded", later, true)},
       false,
       "is ResourceNotRecorded: AWS Config no longer records it, so its current configuration "
       "is unknown; it has no finding"},
      {"a deletion item without an ARN, after",
       {recorded, gone("ResourceDeleted", later, false)},
       false,
       "is ResourceDeleted"},
      {"a deletion item without an ARN, before",
       {gone("ResourceDeleted", later, false), recorded},
       false,
       "is ResourceDeleted"},
      {"a deletion alone", {gone("ResourceDeleted", later, true)}, false, "is ResourceDeleted"},
      {"deleted, then re-created",
       {recorded, gone("ResourceDeleted", earlier, true)},
       true,
       "2 configuration items describe this resource; the newest is evaluated"},
      {"a deletion at the same instant",
       {recorded, gone("ResourceDeleted", recorded["configurationItemCaptureTime"], true)},
       true,
       "does not say which is newer; the configuration is evaluated"},
      {"a deletion at a time that does not parse",
       {gone("ResourceDeleted", "yesterday", true), recorded},
       true,
       "does not say which is newer; the configuration is evaluated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Json history = {{"configurationItems", c.items}};
    const AdapterResult result = ReadConfigItems(history.dump(), "history.json");
    EXPECT_THAT(Describe(result.diagnostics), HasSubstr(c.says));
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    if (c.evaluated) {
      EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
                  ElementsAre("Role/app"));
    } else {
      EXPECT_THAT(result.resources, IsEmpty());
      EXPECT_THAT(findings, IsEmpty());
      EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
      EXPECT_THAT(Describe(result.diagnostics), HasSubstr("history.json#/configurationItems/"));
    }
  }
}

TEST(ReadConfigItemsTest, DeletedUsersAreNotGroupMembersAndManyDeletionsAreCounted) {
  Json items = SnapshotFile()["configurationItems"];
  Json deleted = {{"configurationItemStatus", "ResourceDeleted"},
                  {"configurationItemCaptureTime", "2025-01-01T00:00:00Z"},
                  {"resourceType", "AWS::IAM::User"},
                  {"resourceId", "ID-bob"},
                  {"ARN", "arn:aws:iam::111122223333:user/bob"}};
  items.push_back(deleted);
  const AdapterResult result =
      ReadConfigItems(Json{{"configurationItems", items}}.dump(), "s.json");
  const model::Resource* devs = Find(result, "devs");
  ASSERT_NE(devs, nullptr);
  EXPECT_EQ(devs->document["members"], Json::array({"alice"}));
  EXPECT_EQ(Find(result, "bob"), nullptr);

  Json many = Json::array();
  for (int i = 0; i < 13; ++i) {
    deleted["resourceId"] = "ID-" + std::to_string(i);
    deleted["ARN"] = "arn:aws:iam::111122223333:user/u" + std::to_string(i);
    many.push_back(deleted);
  }
  const AdapterResult counted =
      ReadConfigItems(Json{{"configurationItems", many}}.dump(), "many.json");
  EXPECT_THAT(counted.resources, IsEmpty());
  ASSERT_THAT(counted.diagnostics, SizeIs(11)) << Describe(counted.diagnostics);
  EXPECT_THAT(counted.diagnostics[10].message,
              HasSubstr("3 more resources are deleted or no longer recorded"));
}

TEST(ReadConfigItemsTest, ManagedPolicyWithoutDefaultVersionIsKeptForAnError) {
  Json item = SnapshotFile()["configurationItems"][4];
  item["configuration"]["policyVersionList"][1]["isDefaultVersion"] = false;
  item["configuration"]["defaultVersionId"] = "v9";
  const AdapterResult result = ReadConfigItems(item.dump(), "p.json");
  ASSERT_THAT(result.resources, SizeIs(1));
  EXPECT_FALSE(result.resources[0].document.contains("document"));
  EXPECT_TRUE(result.resources[0].document.contains("document_problem"));
  EXPECT_EQ(test::Errors(result.diagnostics), 1);
}

// Findings compared: rule, status, principal ARN, the policies named by the evidence.
using FindingKey = std::tuple<std::string, std::string, std::string, std::vector<std::string>>;
std::vector<FindingKey> Keys(const std::vector<model::Finding>& findings) {
  std::vector<FindingKey> out;
  for (const model::Finding& f : findings) {
    std::vector<std::string> policies;
    for (const model::Evidence& e : f.evidence) policies.push_back(e.policy_name);
    std::sort(policies.begin(), policies.end());
    out.emplace_back(f.rule_id, std::string(model::StatusName(f.status)), f.resource_id, policies);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(EquivalenceTest, GaadAndConfigItemsOfOneAccountGiveTheSameFindings) {
  const AdapterResult gaad = ReadSnapshot(kSameAccountGaad, "gaad.json");
  const AdapterResult config = ReadSnapshot(SnapshotFile().dump(), "config.json");
  const AdapterResult api = ReadSnapshot(ApiResponse().dump(), "api.json");
  ASSERT_THAT(gaad.diagnostics, IsEmpty()) << Describe(gaad.diagnostics);
  ASSERT_THAT(config.diagnostics, IsEmpty()) << Describe(config.diagnostics);
  EXPECT_THAT(
      test::TypeNames(config),
      UnorderedElementsAre("AWS::IAM::User/alice", "AWS::IAM::User/bob", "AWS::IAM::Group/devs",
                           "AWS::IAM::Role/app", "AWS::IAM::Policy/Custom"));
  // Every resource the GAAD adapter gives is there, with the same id.
  for (const model::Resource& r : gaad.resources) {
    const model::Resource* same = Find(config, r.name, r.type);
    ASSERT_NE(same, nullptr) << r.type << "/" << r.name;
    EXPECT_EQ(same->id, r.id);
    EXPECT_EQ(same->account, r.account);
  }
  const std::vector<model::Finding> from_gaad = test::EvaluateAll(gaad);
  EXPECT_THAT(test::WithStatus(from_gaad, test::kInlineRule, model::Status::kFail),
              UnorderedElementsAre("User/alice", "Role/app"));
  EXPECT_EQ(Keys(test::EvaluateAll(config)), Keys(from_gaad));
  EXPECT_EQ(Keys(test::EvaluateAll(api)), Keys(from_gaad));
  // Group exposure (members from the users) is the same too.
  for (const model::Finding& f : test::EvaluateAll(config)) {
    for (const model::Finding& g : from_gaad) {
      if (g.rule_id == f.rule_id && g.resource_id == f.resource_id) {
        EXPECT_EQ(f.exposed_to, g.exposed_to) << f.resource_id;
      }
    }
  }
}

}  // namespace
}  // namespace kmsguard::adapters
