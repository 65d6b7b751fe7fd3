#include "sdk/engine/policy_view.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "sdk/core/json_tree.h"
#include "sdk/iam/policy_document.h"
#include "sdk/model/resource.h"

namespace kmsguard::engine {

namespace {

using nlohmann::json;

// One value or a list of them, as IAM allows for these elements: always the list.
void AsList(json& value) {
  if (!value.is_string()) return;
  json list = json::array();
  list.push_back(std::move(value));
  value = std::move(list);
}

// "*" means every principal, as {"AWS": "*"} does (IAM User Guide, "AWS JSON policy elements:
// Principal"): one spelling, so that one path finds it.
void NormalizePrincipal(json& principal) {
  if (principal.is_string() && principal.get_ref<const std::string&>() == "*") {
    principal = json{{"AWS", json::array({"*"})}};
    return;
  }
  if (!principal.is_object()) return;
  for (auto& [type, value] : principal.items()) AsList(value);
}

void NormalizeStatement(json& statement) {
  if (!statement.is_object()) return;
  for (const char* key : {"Action", "NotAction", "Resource", "NotResource"}) {
    if (auto it = statement.find(key); it != statement.end()) AsList(*it);
  }
  for (const char* key : {"Principal", "NotPrincipal"}) {
    if (auto it = statement.find(key); it != statement.end()) NormalizePrincipal(*it);
  }
}

void NormalizePolicy(json& policy) {
  if (policy.is_string()) {
    json parsed;
    if (ParseDocumentText(policy.get_ref<const std::string&>(), &parsed) !=
        DocumentText::kDocument) {
      return;  // left as text; CheckPolicy records it
    }
    policy = std::move(parsed);
  }
  if (!policy.is_object()) return;
  const auto statements = policy.find("Statement");
  if (statements == policy.end()) return;
  if (statements->is_object()) {
    json list = json::array();
    list.push_back(std::move(*statements));
    *statements = std::move(list);
  }
  if (!statements->is_array()) return;
  for (json& statement : *statements) NormalizeStatement(statement);
}

// After NormalizePolicy: what is left of a shape IAM does not allow.
void CheckPolicy(const json& policy, ShapeProblems& problems) {
  if (policy.is_null()) return;
  if (!policy.is_object()) {
    problems[&policy] = policy.is_string()
                            ? "the policy document is not a JSON or URL-encoded JSON document"
                            : "the policy document is not a JSON object";
    return;
  }
  const auto statements = policy.find("Statement");
  if (statements == policy.end()) return;
  if (!statements->is_array()) {
    problems[&*statements] = "Statement is neither a statement nor a list of statements";
    return;
  }
  for (const json& statement : *statements) {
    if (!statement.is_object()) {
      problems[&statement] = "the statement is not a JSON object";
      continue;
    }
    for (const char* key : {"Principal", "NotPrincipal"}) {
      const auto it = statement.find(key);
      if (it != statement.end() && !it->is_object()) {
        problems[&*it] = std::string(key) + " is neither \"*\" nor a map of principals";
      }
    }
  }
}

// Calls `visit` on each policy document of `document` (see NormalizePolicyDocuments).
template <typename Json, typename Visit>
void ForEachPolicy(std::string_view type, Json& document, Visit visit) {
  if (!document.is_object()) return;
  if (type == model::kIamManagedPolicy) {
    if (auto it = document.find("document"); it != document.end()) visit(*it);
    return;
  }
  if (type == model::kKmsKey) {
    if (auto it = document.find("key_policy"); it != document.end()) visit(*it);
    return;
  }
  if (type != model::kIamUser && type != model::kIamGroup && type != model::kIamRole) return;
  if (auto policies = document.find("inline_policies");
      policies != document.end() && policies->is_array()) {
    for (auto& policy : *policies) {
      if (!policy.is_object()) continue;
      if (auto it = policy.find("document"); it != policy.end()) visit(*it);
    }
  }
  if (type == model::kIamRole) {
    if (auto it = document.find("trust_policy"); it != document.end()) visit(*it);
  }
}

}  // namespace

DocumentText ParseDocumentText(std::string_view text, nlohmann::json* out) {
  // Only text that starts like a document is read as one; iam::PolicyJsonText then decides, as
  // for the policies the IAM engine reads, between JSON text and URL-encoded JSON text.
  const absl::string_view start = absl::StripLeadingAsciiWhitespace(core::Sv(text));
  if (!absl::StartsWith(start, "{") && !absl::StartsWithIgnoreCase(start, "%7B")) {
    return DocumentText::kPlain;
  }
  std::string decoded;
  const absl::StatusOr<std::string_view> plain = iam::PolicyJsonText(text, &decoded);
  if (!plain.ok()) return DocumentText::kBroken;
  // Read by the one reader of untrusted JSON first: it refuses a repeated key (JSON does not say
  // which value wins, and IAM refuses it) and nesting past its limit, so nothing deeper reaches
  // the recursive steps after it (a trust policy 70,000 levels deep crashed the evaluation).
  if (core::ParseJsonTree(*plain).tree == nullptr) return DocumentText::kBroken;
  json parsed = json::parse(*plain, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return DocumentText::kBroken;
  *out = std::move(parsed);
  return DocumentText::kDocument;
}

ShapeProblems NormalizePolicyDocuments(std::string_view type, nlohmann::json& document) {
  ForEachPolicy(type, document, [](json& policy) { NormalizePolicy(policy); });
  // Only once every value is in place: the addresses must stay valid.
  ShapeProblems problems;
  const json& normalized = document;
  ForEachPolicy(type, normalized, [&](const json& policy) { CheckPolicy(policy, problems); });
  return problems;
}

}  // namespace kmsguard::engine
