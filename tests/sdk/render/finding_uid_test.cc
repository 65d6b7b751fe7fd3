// Finding uid stability through the real pipeline (adapter, evaluator, built-in rules) on the
// bundled example: the same grant seen in two scans has one uid, whatever the order of
// statements and resources and whatever the message, severity, rule version or status.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using test::Json;

using Key = std::pair<std::string, std::string>;  // rule id, resource id

std::string ExampleText() {
  std::string text;
  EXPECT_TRUE(test::ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / test::kExamplePath,
                             &text));
  return text;
}

std::map<Key, std::string> Uids(const std::vector<model::Finding>& findings) {
  std::map<Key, std::string> out;
  for (const model::Finding& f : findings) {
    EXPECT_TRUE(out.emplace(Key{f.rule_id, f.resource_id}, FindingUid(f)).second)
        << "two findings of " << f.rule_id << " for " << f.resource_id;
  }
  return out;
}

// Reverses every Statement array of the principals' inline policies and of the managed
// policies' versions (URL-encoded documents are left as they are).
void ReverseStatements(Json* node) {
  if (node->is_object()) {
    for (auto& [key, value] : node->items()) {
      if (key == "Statement" && value.is_array()) std::reverse(value.begin(), value.end());
      ReverseStatements(&value);
    }
  } else if (node->is_array()) {
    for (Json& item : *node) ReverseStatements(&item);
  }
}

// Reverses the order of users, groups, roles and policies, and of each principal's policy lists.
void ReverseResources(Json* gaad) {
  for (const char* list : {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}) {
    if (!gaad->contains(list)) continue;
    Json& items = (*gaad)[list];
    std::reverse(items.begin(), items.end());
    for (Json& item : items) {
      for (const char* sub : {"UserPolicyList", "GroupPolicyList", "RolePolicyList",
                              "AttachedManagedPolicies"}) {
        if (item.contains(sub)) std::reverse(item[sub].begin(), item[sub].end());
      }
    }
  }
}

TEST(FindingUidStabilityTest, ReorderedStatementsAndResourcesKeepEveryUid) {
  const std::string text = ExampleText();
  const test::Scan base = test::ScanText(text, test::kExamplePath);
  const std::map<Key, std::string> uids = Uids(base.findings);
  ASSERT_GE(uids.size(), 17u);  // one finding per principal and rule at least

  Json reordered = Json::parse(text);
  ReverseStatements(&reordered);
  ReverseResources(&reordered);
  const test::Scan again = test::ScanText(reordered.dump(4), "elsewhere/other-name.json");
  EXPECT_EQ(Uids(again.findings), uids);

  // Distinct findings, distinct uids.
  std::set<std::string> distinct;
  for (const auto& [key, uid] : uids) distinct.insert(uid);
  EXPECT_EQ(distinct.size(), uids.size());
}

TEST(FindingUidStabilityTest, ChangedMessagesSeverityVersionAndStatusKeepTheUid) {
  const std::string text = ExampleText();
  const std::map<Key, std::string> uids = Uids(test::ScanText(text, test::kExamplePath).findings);

  // The rules reworded, re-rated and re-versioned: same uids.
  rules::LoadResult loaded = rules::LoadBuiltinRules();
  for (rules::Rule& rule : loaded.rules) {
    rule.severity = model::Severity::kCritical;
    rule.version = "9.9.9";
    rule.message = "something else entirely about {{resource.name}}";
    rule.title = "Another title";
  }
  const engine::Evaluator reworded(std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  std::vector<model::Finding> findings;
  for (const model::Resource& r : adapters::ReadAuthorizationDetails(text, "x").resources) {
    for (model::Finding& f : reworded.Evaluate(r)) findings.push_back(std::move(f));
  }
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].rule_version, "9.9.9");
  EXPECT_EQ(Uids(findings), uids);

  // Every policy fixed (FAIL becomes PASS): the findings keep their uids, so a host resolves
  // the earlier FAIL with the later PASS.
  const std::string fixed = absl::StrReplaceAll(
      text, {{"\"Resource\": \"*\"", "\"Resource\": \"arn:aws:kms:us-east-1:111122223333:key/"
                                     "1234abcd-12ab-34cd-56ef-1234567890ab\""}});
  const test::Scan after = test::ScanText(fixed, test::kExamplePath);
  int changed_status = 0;
  const test::Scan before = test::ScanText(text, test::kExamplePath);
  for (std::size_t i = 0; i < before.findings.size() && i < after.findings.size(); ++i) {
    changed_status += before.findings[i].status != after.findings[i].status;
  }
  EXPECT_GT(changed_status, 0);
  EXPECT_EQ(Uids(after.findings), uids);
}

TEST(FindingUidStabilityTest, AnotherAccountOrPartitionIsAnotherFinding) {
  const std::string text = ExampleText();
  const std::map<Key, std::string> uids = Uids(test::ScanText(text, test::kExamplePath).findings);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"111122223333", "444455556666"}, {"arn:aws:", "arn:aws-cn:"}}) {
    const std::string moved = absl::StrReplaceAll(text, {{from, to}});
    const std::map<Key, std::string> other = Uids(test::ScanText(moved, test::kExamplePath).findings);
    ASSERT_EQ(other.size(), uids.size());
    std::set<std::string> before, after;
    for (const auto& [key, uid] : uids) before.insert(uid);
    for (const auto& [key, uid] : other) after.insert(uid);
    std::vector<std::string> shared;
    std::set_intersection(before.begin(), before.end(), after.begin(), after.end(),
                          std::back_inserter(shared));
    EXPECT_THAT(shared, ::testing::IsEmpty()) << from << " -> " << to;
  }
}

// A Google Cloud finding's account is not part of its uid: the scan names the project by id once
// it joins the number (gcp::ProjectAccount), by number otherwise, and the resource id names it
// already. The pinned value is the documented formula (docs/findings.md) with the account written
// empty, computed outside the program: the first 32 hex digits of the SHA-256 of
//   27:gcp-kms-decrypt-broad-scope;3:gcp;0:;0:;6:global;
//   51://cloudresourcemanager.googleapis.com/projects/1042;36:user:a_user@forseti.test roles/owner;
// (one line, no newline).
TEST(FindingUidStabilityTest, AGoogleCloudFindingKeepsItsUidWhetherItsProjectIsNamedByIdOrNumber) {
  model::Finding f;
  f.rule_id = "gcp-kms-decrypt-broad-scope";
  f.provider = "gcp";
  f.partition = "";
  f.region = "global";
  f.resource_id = "//cloudresourcemanager.googleapis.com/projects/1042";
  f.sub_key = "user:a_user@forseti.test roles/owner";
  f.account = "1042";
  model::Finding by_id = f;
  by_id.account = "project2";
  EXPECT_EQ(FindingUid(f), "a8887a48f8e49bda1413ec3cf28175df");
  EXPECT_EQ(FindingUid(by_id), FindingUid(f));
  // Another cloud's account still counts.
  model::Finding azure = f, other_subscription = f;
  azure.provider = other_subscription.provider = "azure";
  other_subscription.account = "project2";
  EXPECT_NE(FindingUid(azure), FindingUid(other_subscription));
}

}  // namespace
}  // namespace kmsguard::render
