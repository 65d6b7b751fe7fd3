// Helpers shared by the engine tests: the built-in rules by id, and small principals.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/rule.h"

namespace kmsguard::engine::test {

inline constexpr char kInlineRule[] = "aws-iam-inline-kms-decrypt-all-keys";
inline constexpr char kManagedRule[] = "aws-iam-managed-kms-decrypt-all-keys";
inline constexpr char kBroadRule[] = "aws-iam-kms-decrypt-broad-scope";

// The built-in rule `id` (rules/*.yaml); an empty rule, with a test failure, when it is missing.
inline rules::Rule BuiltinRule(const std::string& id = kInlineRule) {
  rules::LoadResult result = rules::LoadBuiltinRules();
  EXPECT_THAT(result.diagnostics, ::testing::IsEmpty());
  for (rules::Rule& rule : result.rules) {
    if (rule.id == id) return std::move(rule);
  }
  ADD_FAILURE() << "no built-in rule " << id;
  return rules::Rule();
}

inline Evaluator MakeEvaluator(rules::Rule rule) {
  std::vector<rules::Rule> rules;
  rules.push_back(std::move(rule));
  return Evaluator(std::make_shared<const rules::RuleSet>(std::move(rules)));
}

inline model::Resource Principal(std::string type, const std::string& name,
                                 nlohmann::json inline_policies) {
  model::Resource r;
  const std::string kind = type == model::kIamUser    ? "user"
                           : type == model::kIamGroup ? "group"
                                                      : "role";
  r.id = "arn:aws:iam::111122223333:" + kind + "/" + name;
  r.type = std::move(type);
  r.partition = "aws";
  r.account = "111122223333";
  r.name = name;
  r.document = {{"name", name}, {"arn", r.id}, {"path", "/"}, {"inline_policies", inline_policies}};
  return r;
}

inline nlohmann::json Policy(const std::string& name, nlohmann::json document) {
  return {{"name", name}, {"document", std::move(document)}};
}

inline nlohmann::json Doc(nlohmann::json statements) {
  return {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

// A Google Cloud project's allow policy as a Cloud Asset Inventory iam-policy asset: `member`
// holds `role` at //cloudresourcemanager.googleapis.com/projects/acme.
inline model::Resource GcpProject(const std::string& role, const std::string& member,
                                  const std::string& file) {
  model::Resource r;
  r.provider = "gcp";
  r.type = "cloudresourcemanager.googleapis.com/Project";
  r.id = r.name = "//cloudresourcemanager.googleapis.com/projects/acme";
  r.document = {{"name", r.id},
                {"asset_type", r.type},
                {"iam_policy", {{"bindings", {{{"role", role}, {"members", {member}}}}}}}};
  r.source.file = file;
  return r;
}

// The one finding `evaluator` gives for `resource` (a test failure when it gives another number).
inline model::Finding EvaluateOne(const Evaluator& evaluator, const model::Resource& resource) {
  std::vector<model::Finding> findings = evaluator.Evaluate(resource);
  EXPECT_THAT(findings, ::testing::SizeIs(1));
  return findings.empty() ? model::Finding() : findings[0];
}

// Every explanation line joined by newlines, for substring matching.
inline std::string Explanation(const model::Finding& f) {
  std::string out;
  for (const std::string& line : f.explanation) out += line + "\n";
  return out;
}

}  // namespace kmsguard::engine::test
