// Helpers shared by the adapter tests: finding resources, running the built-in rules, reading the
// shared reference samples.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/model/iam_document.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/rule.h"

namespace kmsguard::adapters::test {

inline constexpr char kInlineRule[] = "aws-iam-inline-kms-decrypt-all-keys";
inline constexpr char kManagedRule[] = "aws-iam-managed-kms-decrypt-all-keys";

// The resource named `name` (and of `type`, when given); null when there is none.
inline const model::Resource* Find(const AdapterResult& result, std::string_view name,
                                   std::string_view type = "") {
  for (const model::Resource& r : result.resources) {
    if (r.name == name && (type.empty() || r.type == type)) return &r;
  }
  return nullptr;
}

// "AWS::IAM::Role/name" of every resource, in order.
inline std::vector<std::string> TypeNames(const AdapterResult& result) {
  std::vector<std::string> out;
  for (const model::Resource& r : result.resources) out.push_back(r.type + "/" + r.name);
  return out;
}

// Every diagnostic as "location: severity: message [code]", for matching and failure output.
inline std::string Describe(const core::Diagnostics& diagnostics) {
  std::string out;
  for (const core::Diagnostic& d : diagnostics) out += d.ToString() + "\n";
  return out;
}

inline int Errors(const core::Diagnostics& diagnostics) {
  int n = 0;
  for (const core::Diagnostic& d : diagnostics) n += d.severity == core::DiagnosticSeverity::kError;
  return n;
}

// The inline policy names of a principal's normalized document.
inline std::vector<std::string> InlinePolicyNames(const model::Resource& r) {
  std::vector<std::string> out;
  for (const nlohmann::json& p : model::NormalizedDocument(r).value("inline_policies", nlohmann::json::array())) {
    out.push_back(p.is_object() ? p.value("name", "") : "<not an object>");
  }
  return out;
}

// An evaluator with every built-in rule (rules/*.yaml).
inline const engine::Evaluator& BuiltinEvaluator() {
  static const engine::Evaluator* const kEvaluator = [] {
    rules::LoadResult loaded = rules::LoadBuiltinRules();
    EXPECT_THAT(loaded.diagnostics, ::testing::IsEmpty());
    return new engine::Evaluator(std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  }();
  return *kEvaluator;
}

inline std::vector<model::Finding> EvaluateAll(const AdapterResult& result) {
  std::vector<model::Finding> out;
  for (const model::Resource& r : result.resources) {
    for (model::Finding& f : BuiltinEvaluator().Evaluate(r)) out.push_back(std::move(f));
  }
  return out;
}

// "Kind/name" of the findings of `rule_id` with `status`.
inline std::vector<std::string> WithStatus(const std::vector<model::Finding>& findings,
                                           std::string_view rule_id, model::Status status) {
  std::vector<std::string> out;
  for (const model::Finding& f : findings) {
    if (f.rule_id == rule_id && f.status == status) {
      out.push_back(f.resource_type.substr(f.resource_type.rfind(':') + 1) + "/" + f.resource_name);
    }
  }
  return out;
}

inline bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

#define KMSGUARD_LOAD_SHARED_SAMPLE(text, file)                                   \
  const std::filesystem::path sample_path =                                       \
      std::filesystem::path(KMSGUARD_SHARED_DIR) / "samples" / (file);            \
  if (!::kmsguard::adapters::test::ReadFile(sample_path, &(text))) {              \
    GTEST_SKIP() << "reference sample not found: " << sample_path                 \
                 << " (the shared reference folder is not beside this checkout)"; \
  }

}  // namespace kmsguard::adapters::test
