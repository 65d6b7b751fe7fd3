// Deterministic generator of realistic `aws iam get-account-authorization-details` exports, for
// benchmarks and scale tests. Same seed and options, same bytes.
#pragma once

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kmsguard::bench {

struct GeneratorOptions {
  std::uint64_t seed = 1;
  std::uint64_t target_bytes = 10u << 20;  // stop adding principals once this many bytes are out
  int policies_per_principal = 3;          // inline policies per user/group/role
  std::string account = "111122223333";
  // > 0: every inline policy document is one of this many distinct documents (drawn with the
  // same seed), as infrastructure as code stamps the same policy onto many principals.
  int shared_documents = 0;
  bool roles_only = false;        // no users and groups: every principal is a role
  std::uint64_t principals = 0;   // > 0: stop after this many principals, whatever the bytes
};

struct GeneratorStats {
  std::uint64_t bytes = 0;
  std::uint64_t users = 0, groups = 0, roles = 0, inline_policies = 0;
};

namespace internal {

inline nlohmann::json RandomStatement(std::mt19937_64& rng, const std::string& account) {
  using nlohmann::json;
  static const std::vector<json> kActions = {
      "kms:Decrypt", "kms:*", "*", json::array({"kms:Encrypt", "kms:GenerateDataKey*"}),
      json::array({"s3:GetObject", "s3:PutObject"}), "s3:*", "ec2:Describe*", "kms:ReEncrypt*",
      json::array({"logs:CreateLogStream", "logs:PutLogEvents"}), "dynamodb:*", "kms:De*",
      json::array({"sqs:SendMessage", "sqs:ReceiveMessage"})};
  const std::string key = "arn:aws:kms:us-east-1:" + account + ":key/";
  const std::vector<json> resources = {
      "*", "arn:aws:kms:*:*:key/*", key + "1234abcd-12ab-34cd-56ef-1234567890ab",
      json::array({key + "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", key + "mrk-7a6b5c4d3e2f10987a6b5c4d3e2f1098"}),
      "arn:aws:kms:*:" + account + ":key/*", "arn:aws:s3:::app-bucket/*",
      "arn:aws:kms:us-east-1:" + account + ":alias/app", "arn:aws:logs:*:*:*"};
  json st = {{"Effect", rng() % 10 == 0 ? "Deny" : "Allow"}};
  st[rng() % 12 == 0 ? "NotAction" : "Action"] = kActions[rng() % kActions.size()];
  st[rng() % 15 == 0 ? "NotResource" : "Resource"] = resources[rng() % resources.size()];
  if (rng() % 6 == 0) {
    st["Condition"] = {{"StringEquals", {{"kms:ViaService", "s3.us-east-1.amazonaws.com"}}}};
  }
  if (rng() % 2 == 0) st["Sid"] = "Stmt" + std::to_string(rng() % 100000);
  return st;
}

inline nlohmann::json RandomPolicy(std::mt19937_64& rng, const std::string& name,
                                   const std::string& account) {
  nlohmann::json statements = nlohmann::json::array();
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) statements.push_back(RandomStatement(rng, account));
  return {{"PolicyName", name},
          {"PolicyDocument", {{"Version", "2012-10-17"}, {"Statement", statements}}}};
}

}  // namespace internal

// Writes one export to `out`: users (30% of the bytes), groups (at most 300), then roles until
// target_bytes.
inline GeneratorStats GenerateAuthorizationDetails(const GeneratorOptions& options, std::ostream& out) {
  using nlohmann::json;
  std::mt19937_64 rng(options.seed);
  GeneratorStats stats;
  const std::string& account = options.account;
  std::vector<json> pool;  // the shared documents
  for (int i = 0; i < options.shared_documents; ++i) {
    pool.push_back(internal::RandomPolicy(rng, "shared", account)["PolicyDocument"]);
  }
  std::uint64_t made = 0;  // principals written
  auto write = [&](const std::string& text) {
    out << text;
    stats.bytes += text.size();
  };
  // Users, groups and roles go to separate lists; to stream, each list is written in turn, with a
  // share of the byte budget each. Groups stop at IAM's default quota of 300 per account (real
  // exports never hold more than a few hundred); roles take whatever budget is left.
  constexpr std::uint64_t kMaxGroups = 300;
  std::uint64_t budget[3] = {options.target_bytes * 3 / 10, options.target_bytes / 10, 0};
  if (options.roles_only) budget[0] = budget[1] = 0;
  const char* lists[3] = {"UserDetailList", "GroupDetailList", "RoleDetailList"};
  const char* policy_lists[3] = {"UserPolicyList", "GroupPolicyList", "RolePolicyList"};
  const char* kinds[3] = {"user", "group", "role"};
  write("{");
  for (int k = 0; k < 3; ++k) {
    write(std::string(k ? "," : "") + "\"" + lists[k] + "\":[");
    const std::uint64_t start = stats.bytes;
    if (k == 2) budget[2] = options.target_bytes > start ? options.target_bytes - start : 0;
    const bool skip = options.roles_only && k != 2;
    for (std::uint64_t i = 0;
         !skip && (options.principals == 0 || made < options.principals) &&
         ((options.principals > 0 && k == 2) ||
          (stats.bytes - start < budget[k] && (k != 1 || i < kMaxGroups)) || i == 0);
         ++i, ++made) {
      const std::string name = std::string(kinds[k]) + "-" + std::to_string(i);
      json p = {{"Path", "/"},
                {k == 0 ? "UserName" : k == 1 ? "GroupName" : "RoleName", name},
                {k == 0 ? "UserId" : k == 1 ? "GroupId" : "RoleId", "AIDA" + std::to_string(rng())},
                {"Arn", "arn:aws:iam::" + account + ":" + kinds[k] + "/" + name},
                {"CreateDate", "2024-01-01T00:00:00Z"},
                {"AttachedManagedPolicies", json::array()}};
      json policies = json::array();
      for (int j = 0; j < options.policies_per_principal; ++j) {
        const std::string policy_name = name + "-policy-" + std::to_string(j);
        if (pool.empty()) {
          policies.push_back(internal::RandomPolicy(rng, policy_name, account));
        } else {
          policies.push_back({{"PolicyName", policy_name},
                              {"PolicyDocument", pool[rng() % pool.size()]}});
        }
      }
      stats.inline_policies += policies.size();
      p[policy_lists[k]] = std::move(policies);
      if (k == 0) p["GroupList"] = json::array({"group-" + std::to_string(rng() % 50)});
      if (k == 2) {
        p["AssumeRolePolicyDocument"] = {
            {"Version", "2012-10-17"},
            {"Statement", {{{"Effect", "Allow"}, {"Action", "sts:AssumeRole"},
                            {"Principal", {{"Service", "ec2.amazonaws.com"}}}}}}};
      }
      (k == 0 ? stats.users : k == 1 ? stats.groups : stats.roles)++;
      write(std::string(i ? "," : "") + p.dump());
    }
    write("]");
  }
  write(",\"Policies\":[]}");
  return stats;
}

}  // namespace kmsguard::bench
