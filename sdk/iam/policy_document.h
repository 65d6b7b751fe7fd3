// IAM policy documents: parsing and normalization.
//
// Source: AWS IAM User Guide, "IAM JSON policy element reference" (Version, Statement, Sid,
// Effect, Action / NotAction, Resource / NotResource, Principal, Condition).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::iam {

enum class Effect { kAllow, kDeny };

// One condition test, e.g. {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
// gives operator "StringEquals" and key "kms:ViaService".
struct ConditionKey {
  std::string op;
  std::string key;
};

// One entry of a Principal element, e.g. {"AWS": "arn:aws:iam::111122223333:root"} gives
// type "AWS" and value "arn:aws:iam::111122223333:root"; "Principal": "*" gives type "*", value "*".
struct PrincipalEntry {
  std::string type;  // "AWS", "Service", "Federated", "CanonicalUser" or "*"
  std::string value;
};

// One statement with every element normalized to lists. Patterns are kept as written (after JSON
// unescaping); variable substitution happens at match time, as it depends on `Version`.
struct Statement {
  int index = 0;  // 0-based position in the document's Statement list
  std::string sid;
  Effect effect = Effect::kAllow;
  bool not_action = false;  // true when the statement used NotAction
  std::vector<std::string> actions;
  bool not_resource = false;  // true when the statement used NotResource
  bool has_resource_element = false;  // Resource or NotResource present
  std::vector<std::string> resources;
  bool has_principal = false;  // Principal or NotPrincipal present
  bool not_principal = false;  // true when the statement used NotPrincipal
  std::vector<PrincipalEntry> principals;
  std::vector<ConditionKey> conditions;
};

struct PolicyDocument {
  std::string version;  // "2012-10-17", "2008-10-17" or "" when absent
  std::vector<Statement> statements;
  // True when any statement names a Principal: a resource-based policy (a key policy, a trust
  // policy), which must never be evaluated as an identity policy.
  bool is_resource_policy = false;

  // Policy variables (${...}) are substituted only under this version ("Policy variables").
  bool SupportsPolicyVariables() const { return version == "2012-10-17"; }
};

// Parses a policy document given as a JSON value: an object, or a string holding the document as
// JSON text or as once-URL-encoded JSON text (RFC 3986 percent-decoding, where `+` stays a plus).
// A string that already parses as JSON is never percent-decoded, and decoding happens at most once.
// Errors (InvalidArgument) name the offending element as a JSON pointer relative to the document,
// e.g. "/Statement/2/Effect: expected \"Allow\" or \"Deny\", got \"allow\"".
// Read with simdjson (core/json_tree.h); members are taken in key order, so when a document has
// several problems the one reported does not depend on how its keys were written.
absl::StatusOr<PolicyDocument> ParsePolicyDocument(simdjson::dom::element value);

// Same, for a nlohmann value (tests, the IaC adapters' documents): serialized and read as above.
absl::StatusOr<PolicyDocument> ParsePolicyDocument(const nlohmann::json& value);

// Same, for a document held as text (JSON or URL-encoded JSON).
absl::StatusOr<PolicyDocument> ParsePolicyText(std::string_view text);

// The JSON text of a document held as text, as ParsePolicyText reads it: `text` itself when it
// is JSON (its first non-blank character is '{'), else `text` percent-decoded once into
// `*decoded`, which the result then points into. Errors: empty text, a malformed escape, or
// decoded text that is not a JSON object (InvalidArgument).
absl::StatusOr<std::string_view> PolicyJsonText(std::string_view text, std::string* decoded);

// Percent-decodes once (RFC 3986). `+` is kept. Malformed escapes (a `%` not followed by two hex
// digits) are an error.
absl::StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace kmsguard::iam
