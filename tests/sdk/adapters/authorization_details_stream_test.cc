// The streaming authorization-details reader: the same resources and findings as the DOM reader,
// concatenated pages, and what a truncated or broken file still yields.
#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/model/iam_document.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// Streams `text`, handing the reader at most `step` bytes per read, so that chunk boundaries fall
// everywhere (inside strings, between the bytes of a UTF-8 sequence).
AdapterResult Stream(const std::string& text, std::size_t step = 1 << 20) {
  AdapterResult result;
  std::size_t at = 0;
  result.diagnostics = StreamAuthorizationDetails(
      [&](char* buffer, std::size_t size) {
        const std::size_t n = std::min({size, step, text.size() - at});
        std::memcpy(buffer, text.data() + at, n);
        at += n;
        return n;
      },
      "gaad.json", [&](model::Resource r) { result.resources.push_back(std::move(r)); });
  return result;
}

// Everything a resource carries, in a comparable form.
using ResourceKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                               std::string, std::string>;
std::multiset<ResourceKey> Keys(const AdapterResult& result) {
  std::multiset<ResourceKey> out;
  for (const model::Resource& r : result.resources) {
    out.emplace(r.type, r.id, r.name, r.account, r.partition, r.source.json_pointer,
                model::NormalizedDocument(r).dump());
  }
  return out;
}

std::multiset<std::string> FindingKeys(const AdapterResult& result) {
  std::multiset<std::string> out;
  for (const model::Finding& f : test::EvaluateAll(result)) {
    out.insert(f.rule_id + " " + f.resource_id + " " + f.sub_key + " " +
               std::to_string(static_cast<int>(f.status)) + " " + f.source.json_pointer);
  }
  return out;
}

void ExpectSameAsDom(const std::string& text) {
  const AdapterResult dom = ReadAuthorizationDetails(text, "gaad.json");
  ASSERT_FALSE(dom.resources.empty());
  for (std::size_t step : {std::size_t{1} << 20, std::size_t{7}}) {
    SCOPED_TRACE(step);
    const AdapterResult streamed = Stream(text, step);
    EXPECT_EQ(Keys(streamed), Keys(dom));
    EXPECT_EQ(FindingKeys(streamed), FindingKeys(dom));
    EXPECT_EQ(Describe(streamed.diagnostics).size(), Describe(dom.diagnostics).size())
        << Describe(streamed.diagnostics) << "---\n"
        << Describe(dom.diagnostics);
  }
}

TEST(StreamAuthorizationDetailsTest, SameAsTheDomReaderOnTheSharedSamples) {
  for (const char* name :
       {"aws-gaad_cloudmapper_demo.json", "aws-gaad_cloudsplaining_example.json"}) {
    SCOPED_TRACE(name);
    std::string text;
    KMSGUARD_LOAD_SHARED_SAMPLE(text, name);
    ExpectSameAsDom(text);
  }
}

TEST(StreamAuthorizationDetailsTest, SameAsTheDomReaderOnTheBundledExample) {
  std::string text;
  ASSERT_TRUE(test::ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs" / "examples" /
                                 "account-authorization-details.json",
                             &text));
  ExpectSameAsDom(text);
}

TEST(StreamAuthorizationDetailsTest, EntryProblemsAreReportedAsByTheDomReader) {
  const std::string text = R"({"UserDetailList": [3, {"UserName": "noarn"},
    {"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u", "GroupList": ["g"]}],
  "GroupDetailList": {"not": "a list"},
  "RoleDetailList": [{"RoleName": "r", "Arn": "not-an-arn"}],
  "Policies": [{"PolicyName": "nodefault", "Arn": "arn:aws:iam::111122223333:policy/nodefault",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": false}]}]})";
  const AdapterResult dom = ReadAuthorizationDetails(text, "gaad.json");
  const AdapterResult streamed = Stream(text, 5);
  EXPECT_EQ(Keys(streamed), Keys(dom));
  std::multiset<std::string> dom_problems, streamed_problems;
  for (const auto& d : dom.diagnostics) dom_problems.insert(d.ToString());
  for (const auto& d : streamed.diagnostics) streamed_problems.insert(d.ToString());
  EXPECT_EQ(streamed_problems, dom_problems);
  EXPECT_THAT(Describe(streamed.diagnostics), HasSubstr("gaad.json#/UserDetailList/0"));
  EXPECT_THAT(Describe(streamed.diagnostics), HasSubstr("gaad.json#/GroupDetailList"));
}

TEST(StreamAuthorizationDetailsTest, ReadsConcatenatedPages) {
  // Two pages of a paginated export, as `aws iam get-account-authorization-details
  // --no-paginate --starting-token` output appended to one file. The group is on the first page,
  // its member on the second.
  const std::string text = R"({"UserDetailList": [], "GroupDetailList": [
    {"GroupName": "devs", "Arn": "arn:aws:iam::111122223333:group/devs",
     "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": {"Statement": [
       {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}],
  "IsTruncated": true, "Marker": "page2"}
{"UserDetailList": [
    {"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice", "GroupList": ["devs"]}],
 "RoleDetailList": [
    {"RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/app",
     "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}]}],
 "IsTruncated": false}
)";
  const AdapterResult result = Stream(text, 11);
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::User/alice", "AWS::IAM::Role/app",
                                   "AWS::IAM::Group/devs"));
  const model::Resource* devs = test::Find(result, "devs");
  ASSERT_NE(devs, nullptr);
  EXPECT_EQ(model::NormalizedDocument(*devs)["members"], nlohmann::json::array({"alice"}));
  EXPECT_EQ(devs->source.json_pointer, "/GroupDetailList/0");
  EXPECT_EQ(devs->source.line, 0);  // the first page: the pointer says where
  const model::Resource* app = test::Find(result, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->source.json_pointer, "/RoleDetailList/0");
  EXPECT_EQ(app->source.line, 9);  // a later page: the line where the entry starts
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              UnorderedElementsAre("Group/devs", "Role/app"));
}

TEST(StreamAuthorizationDetailsTest, TruncatedFileKeepsTheEntriesBeforeTheBreak) {
  const std::string text = R"({"RoleDetailList": [
  {"RoleName": "first", "Arn": "arn:aws:iam::111122223333:role/first",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]},
  {"RoleName": "second", "Arn": "arn:aws:iam::111122223333:role/second",
   "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Statem)";
  const AdapterResult result = Stream(text, 3);
  EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/first"));
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  const core::Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.severity, core::DiagnosticSeverity::kError);
  EXPECT_THAT(d.message, HasSubstr("not valid JSON"));
  EXPECT_EQ(d.location.file, "gaad.json");
  EXPECT_EQ(d.location.line, 6);
  EXPECT_EQ(d.location.column, 69);  // just past the end of the text, where the string was cut
  EXPECT_THAT(test::WithStatus(test::EvaluateAll(result), test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/first"));
}

TEST(StreamAuthorizationDetailsTest, InvalidUtf8SplitAcrossReadsCostsOnlyItsPolicy) {
  // "\xe2\x82" is a three-byte sequence cut short; "\xe2\x82\xac" (the euro sign) is valid and,
  // read one byte at a time, arrives split over three reads.
  const std::string text = std::string(R"({"RoleDetailList": [
  {"RoleName": "bad", "Arn": "arn:aws:iam::111122223333:role/bad",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Sid": ")") +
                           "\xe2\x82" + R"("}]}}]},
  {"RoleName": "good)" + "\xe2\x82\xac" + R"(", "Arn": "arn:aws:iam::111122223333:role/good",
   "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}]})";
  for (std::size_t step : {std::size_t{1}, std::size_t{1} << 20}) {
    SCOPED_TRACE(step);
    const AdapterResult result = Stream(text, step);
    ASSERT_THAT(result.resources, SizeIs(2));
    ASSERT_THAT(result.diagnostics, SizeIs(2)) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("invalid UTF-8"));
    EXPECT_EQ(result.diagnostics[0].location.line, 4);
    EXPECT_EQ(result.diagnostics[0].location.column, 76);
    EXPECT_THAT(result.diagnostics[1].message, HasSubstr("inline policy \"p\""));
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
                ElementsAre("Role/bad"));
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
                ElementsAre("Role/good\xe2\x82\xac"));
  }
}

TEST(StreamAuthorizationDetailsTest, RootThatIsNotAnObjectIsOneError) {
  const AdapterResult result = Stream("[1, 2]");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("got array"));
}


// Issue 14, item 10: a JSON-legal escape that is no character (a lone surrogate) made the
// streamed read stop, dropping every later principal. It costs its entry only.
TEST(StreamAuthorizationDetailsTest, ALoneSurrogateCostsOnlyItsEntry) {
  for (const char* escape : {"\\ud800", "\\udc00", "\\ud800\\u0041"}) {
    SCOPED_TRACE(escape);
    const std::string text = std::string(R"({"RoleDetailList": [
  {"RoleName": "first", "Arn": "arn:aws:iam::111122223333:role/first"},
  {"RoleName": "bad)") + escape + R"(", "Arn": "arn:aws:iam::111122223333:role/bad"},
  {"RoleName": "last", "Arn": "arn:aws:iam::111122223333:role/last",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}]})";
    const AdapterResult result = Stream(text, 5);
    EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/first", "AWS::IAM::Role/last"));
    ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
    EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kError);
    EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/RoleDetailList/1");
    EXPECT_EQ(result.diagnostics[0].location.line, 3);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("entry skipped"));
    EXPECT_THAT(test::WithStatus(test::EvaluateAll(result), test::kInlineRule, model::Status::kFail),
                ElementsAre("Role/last"));
  }
}


// Issue 14, item 12: a number too large for a double inside an entry is reported where it is
// (it was 1:1), costs its entry, and the next entries are read.
TEST(StreamAuthorizationDetailsTest, ANumberTooLargeForADoubleIsReportedWhereItIs) {
  const std::string text = R"({"RoleDetailList": [
  {"RoleName": "big", "Arn": "arn:aws:iam::111122223333:role/big",
   "RoleLastUsed": {"Count": 1e999999}},
  {"RoleName": "next", "Arn": "arn:aws:iam::111122223333:role/next"}]})";
  const AdapterResult result = Stream(text, 4);
  EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/next"));
  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].location.line, 3);
  EXPECT_EQ(result.diagnostics[0].location.column, 30);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/RoleDetailList/0");
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("entry skipped"));
}

// The framer skips string text many bytes at a time (core::NextJsonStringStop): escaped quotes
// and backslashes, UTF-8 and a raw control character must be found at any offset from the
// start of a read and of a 16-byte block, and a backslash that ends a read must still escape the
// next read's first byte.
TEST(StreamAuthorizationDetailsTest, StringTextAtAnyOffsetAndReadBoundary) {
  for (std::size_t pad = 0; pad < 34; ++pad) {
    const std::string name = std::string(pad, 'x') + "q\\\"uo\\\\te-\xC3\xA9\\u00e9\\/z";
    const std::string decoded = std::string(pad, 'x') + "q\"uo\\te-\xC3\xA9\xC3\xA9/z";
    const std::string text = R"({"RoleDetailList": [{"RoleName": ")" + name +
                             R"(", "Arn": "arn:aws:iam::111122223333:role/r"}]})";
    for (std::size_t step : {1, 2, 3, 7, 16, 17, 1 << 20}) {
      SCOPED_TRACE(absl::StrCat("pad ", pad, " step ", step));
      const AdapterResult streamed = Stream(text, step);
      EXPECT_THAT(streamed.diagnostics, IsEmpty()) << Describe(streamed.diagnostics);
      ASSERT_THAT(streamed.resources, SizeIs(1));
      EXPECT_EQ(streamed.resources[0].name, decoded);
    }
    // A raw control character is a syntax error named as such, at any offset; as for any break
    // in the file, the entries before it are kept.
    const std::string broken =
        R"({"RoleDetailList": [{"RoleName": "ok", "Arn": "arn:aws:iam::111122223333:role/ok"},
           {"RoleName": ")" + std::string(pad, 'x') + "\x01" + R"("}]})";
    for (std::size_t step : {1, 5, 16, 1 << 20}) {
      SCOPED_TRACE(absl::StrCat("control character, pad ", pad, " step ", step));
      const AdapterResult streamed = Stream(broken, step);
      EXPECT_THAT(Describe(streamed.diagnostics), HasSubstr("control character"));
      ASSERT_THAT(streamed.resources, SizeIs(1));
      EXPECT_EQ(streamed.resources[0].name, "ok");
    }
  }
}

}  // namespace
}  // namespace kmsguard::adapters
