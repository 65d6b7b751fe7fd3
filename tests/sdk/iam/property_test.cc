// Random policies checked against a deliberately simple, independent model: std::regex for the
// globs and a handful of canary key ARNs for "every key". The pools avoid pattern unions that only
// an exact language test gets right (e.g. sixteen hex prefixes), which the unit tests cover.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/iam/grant_analysis.h"

namespace kmsguard::iam {
namespace {

using nlohmann::json;

const std::vector<std::string> kActionPool = {
    "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:ReEncrypt*", "kms:*", "*",
    "KMS:DECRYPT", "kms:De*", "kms:Get*", "kms:Encrypt", "s3:*", "ec2:Describe*", "kms:?ecrypt",
    "k?s:*", "kms:*From", "iam:PassRole", "kms:Describe*"};
const std::vector<std::string> kResourcePool = {
    "*", "arn:aws:kms:*", "arn:aws:kms:*:*:key/*", "arn:*:kms:*:*:key/*",
    "arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:*:key/*",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:*:*:key/mrk-*", "arn:aws:kms:*:*:alias/*", "arn:aws:s3:::*", "arn:aws:kms:us-*",
    "arn:aws:kms:*:key/*", "arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "arn:aws:*"};

// Keys nobody names: fresh region, account and id, in both key id forms.
const std::vector<std::string> kCanaries = {
    "arn:aws:kms:xq-kmsguard-7:918273645012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "arn:aws:kms:zz-north-42:000000000001:key/mrk-0123456789abcdef0123456789abcdef"};

// Model of an ARN glob: `*` ending a segment spans colons, other `*` and `?` stay in the segment;
// a ${...} variable matches nothing a canary contains.
bool ModelArnMatch(const std::string& pattern, const std::string& arn) {
  std::string re;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '$' && pattern.compare(i, 2, "${") == 0) {
      re += "\\x01";
      i = pattern.find('}', i);
    } else if (c == '*') {
      re += (i + 1 == pattern.size() || pattern[i + 1] == ':') ? ".*" : "[^:]*";
    } else if (c == '?') {
      re += "[^:]";
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      re += c;
    } else {
      re += std::string("\\") + c;
    }
  }
  return std::regex_match(arn, std::regex(re));
}

bool ModelActionMatch(const std::string& pattern, const std::string& action) {
  std::string re;
  for (const char c : pattern) {
    if (c == '*') re += ".*";
    else if (c == '?') re += ".";
    else if (std::isalnum(static_cast<unsigned char>(c))) re += c;
    else re += std::string("\\") + c;
  }
  return std::regex_match(action, std::regex(re, std::regex::icase));
}

bool ModelCovers(const json& st, const std::string& action) {
  const bool not_action = st.contains("NotAction");
  bool any = false;
  for (const auto& p : st.at(not_action ? "NotAction" : "Action")) any |= ModelActionMatch(p, action);
  return not_action ? !any : any;
}

bool MatchesAny(const json& patterns, const std::string& arn) {
  for (const auto& p : patterns) {
    if (ModelArnMatch(p, arn)) return true;
  }
  return false;
}

// A set of statements reaches an arbitrary key when the union of its Resource patterns matches
// every canary, or one NotResource statement leaves some canary out of its exclusions.
bool ModelReach(const std::vector<json>& statements) {
  for (const json& st : statements) {
    if (!st.contains("NotResource")) continue;
    for (const auto& canary : kCanaries) {
      if (!MatchesAny(st["NotResource"], canary)) return true;
    }
  }
  bool any_resource = false;
  for (const auto& canary : kCanaries) {
    bool covered = false;
    for (const json& st : statements) {
      if (st.contains("Resource")) {
        any_resource = true;
        covered |= MatchesAny(st["Resource"], canary);
      }
    }
    if (!covered) return false;
  }
  return any_resource;
}

bool ModelGranted(const json& doc) {
  for (const std::string action : {"kms:Decrypt", "kms:ReEncryptFrom"}) {
    std::vector<json> allows, denies;
    for (const json& st : doc["Statement"]) {
      if (!ModelCovers(st, action)) continue;
      if (st["Effect"] == "Allow") allows.push_back(st);
      else if (!st.contains("Condition")) denies.push_back(st);
    }
    if (ModelReach(allows) && !ModelReach(denies)) return true;
  }
  return false;
}

json RandomPolicy(std::mt19937& rng) {
  auto pick = [&rng](const std::vector<std::string>& pool, int max) {
    json out = json::array();
    const int n = 1 + static_cast<int>(rng() % static_cast<unsigned>(max));
    for (int i = 0; i < n; ++i) out.push_back(pool[rng() % pool.size()]);
    return out;
  };
  json statements = json::array();
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    json st;
    st["Effect"] = rng() % 4 == 0 ? "Deny" : "Allow";
    st[rng() % 5 == 0 ? "NotAction" : "Action"] = pick(kActionPool, 3);
    st[rng() % 5 == 0 ? "NotResource" : "Resource"] = pick(kResourcePool, 3);
    if (rng() % 5 == 0) st["Condition"] = {{"StringEquals", {{"kms:ViaService", "s3.amazonaws.com"}}}};
    statements.push_back(st);
  }
  return {{"Version", "2012-10-17"}, {"Statement", statements}};
}

TEST(PropertyTest, AgreesWithSimpleModelOnRandomPolicies) {
  std::mt19937 rng(20261129);
  int granted = 0;
  constexpr int kPolicies = 3000;
  for (int i = 0; i < kPolicies; ++i) {
    const json policy = RandomPolicy(rng);
    auto doc = ParsePolicyDocument(policy);
    ASSERT_TRUE(doc.ok()) << doc.status() << policy.dump();
    const bool actual = AnalyzeGrant(*doc, GrantQuery{}).granted;
    const bool expected = ModelGranted(policy);
    ASSERT_EQ(actual, expected) << policy.dump();
    granted += actual;
  }
  // The generator must exercise both verdicts, or the comparison proves little.
  EXPECT_GT(granted, kPolicies / 10);
  EXPECT_LT(granted, kPolicies * 9 / 10);
}

}  // namespace
}  // namespace kmsguard::iam
