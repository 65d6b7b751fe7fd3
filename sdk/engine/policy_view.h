// IAM policy documents as generic conditions read them (docs/rule-authoring.md, "Policy
// documents"): decoded once and given one shape, so that one path fits every way IAM lets a policy
// be written (a single statement or a list, one action or a list, "*" or {"AWS": "*"}).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kmsguard::engine {

// What a string is when a document may be held in it: JSON text or URL-encoded JSON text of an
// object (as IAM exports policies), text that starts like one ("{" or "%7B") but does not parse,
// or plain text.
enum class DocumentText { kPlain, kDocument, kBroken };

// Reads `text` as a document held as text; `*out` receives the object for kDocument.
DocumentText ParseDocumentText(std::string_view text, nlohmann::json* out);

// Values of a policy document that IAM's shape does not allow, by address, with why: a path that
// steps into one is an ERROR, never "nothing there" (a policy nobody could read must not PASS).
using ShapeProblems = std::map<const nlohmann::json*, std::string>;

// Rewrites in place the policy documents of `document`, the normalized document
// (docs/resource-model.md) of a resource of type `type`: `inline_policies[*].document` of users,
// groups and roles, `trust_policy` of roles, `document` of managed policies, `key_policy` of KMS
// keys. A document held as
// text becomes the object; `Statement` becomes a list; in each statement `Action`, `NotAction`,
// `Resource` and `NotResource` become lists, `Principal` and `NotPrincipal` "*" becomes
// {"AWS": ["*"]} and each of their values a list. IAM reads each form the same way, so nothing is
// lost; values of another shape are left as they are, and returned: a document that is not an
// object (or does not decode), a `Statement` that is neither an object nor a list, a statement
// that is not an object, a `Principal` or `NotPrincipal` that is not "*" or an object. The
// addresses point into `document`, which must not change afterwards. Other resource types are left
// unchanged.
ShapeProblems NormalizePolicyDocuments(std::string_view type, nlohmann::json& document);

}  // namespace kmsguard::engine
