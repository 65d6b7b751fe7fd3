// One policy document's answer to one request: may principal P perform action A on resource R?
// The generic rule language's `policy_allows`, `admits_principal` and `unconditional` operators
// (docs/rule-authoring.md, "IAM operators") are this, so a rule about trust policies, key policies
// or identity policies is a few lines and follows IAM's own semantics.
//
// Sources (IAM User Guide): "Policy evaluation logic" (an explicit Deny overrides any Allow; no
// Allow is an implicit deny), "IAM JSON policy elements: Principal" (the account as its id or
// arn:PARTITION:iam::ACCOUNT:root stands for every principal of the account; "*" and {"AWS": "*"}
// for everyone; no wildcards inside a principal ARN), "NotPrincipal" (with Deny: denied to every
// principal not named; with Allow: allowed to every principal not named), "Action / NotAction",
// "Resource / NotResource" (arn_pattern.h), "Condition".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/iam/policy_document.h"

namespace kmsguard::iam {

// The principal a request is made by, as a rule names it.
struct RequestPrincipal {
  enum class Kind {
    kAnyone,         // "*": a principal of an account no policy names, or an anonymous caller
    kAccount,        // "123456789012" or arn:PARTITION:iam::123456789012:root: a principal of
                     // that account that the policy does not name by its own ARN
    kArn,            // an IAM user, role or assumed-role session ARN: that principal
    kService,        // {Service: ec2.amazonaws.com}
    kFederated,      // {Federated: cognito-identity.amazonaws.com or a SAML/OIDC provider ARN}
    kCanonicalUser,  // {CanonicalUser: ID}
  };
  Kind kind = Kind::kAnyone;
  std::string value;    // as written ("*" for kAnyone; the account id for kAccount)
  std::string account;  // kAccount, kArn: the 12-digit account id
  std::string partition;  // kArn, and kAccount given as a root ARN: "aws", "aws-cn", ...
};

// Reads a principal as a rule writes it: "*", an account id, an account root ARN or an IAM ARN
// (arn:PARTITION:iam::ACCOUNT:user/..., role/..., root;
// arn:PARTITION:sts::ACCOUNT:assumed-role/..), or a map of one key,
// {AWS|Service|Federated|CanonicalUser: value}. Errors (InvalidArgument) say what was expected; a
// wildcard inside a value is refused (a rule names one principal).
absl::StatusOr<RequestPrincipal> ParseRequestPrincipal(const nlohmann::json& value);

// True when statement `st` applies to `principal`: some Principal entry includes it; with
// NotPrincipal, no entry exempts it; a statement with neither element (an identity policy's)
// applies to whoever holds the policy, so to any principal asked about.
bool StatementAdmits(const Statement& st, const RequestPrincipal& principal);

// True when `st` covers `action` (IAM's case-insensitive wildcards): some Action pattern matches
// it, or, with NotAction, none does. An empty list covers nothing.
bool StatementCoversAction(const Statement& st, std::string_view action);

// True when `st` has no Condition, or one with no keys ({} or operators with empty maps).
bool StatementUnconditional(const Statement& st);

struct Request {
  std::vector<std::string> actions;     // without wildcards; the policy allows the request when it
                                        // allows any one of them
  // A concrete ARN, taken to be one no policy variable names (a pattern's ${...} matches only the
  // value the request supplies); unset: the policy's own resource (a resource-based policy), so
  // Resource is not consulted.
  std::optional<std::string> resource;
  std::optional<RequestPrincipal> principal;  // unset: Principal is not consulted (an identity
                                              // policy's holder)
};

enum class Decision {
  kNotAllowed,              // no statement allows it (an implicit deny)
  kDenied,                  // a Deny statement that applies, without a Condition, denies it
  kAllowedUnderConditions,  // allowed only when a Condition holds (of the Allow, or of a Deny
                            // that would otherwise cancel it)
  kAllowed,                 // an Allow applies without a Condition, and no Deny can cancel it
};

// How one statement took part in a decision.
struct StatementPart {
  int statement_index = 0;
  Effect effect = Effect::kAllow;
  std::string action;        // the requested action it covers
  bool conditional = false;  // its Condition decides
};

struct DecisionResult {
  Decision decision = Decision::kNotAllowed;
  std::string action;  // the action the decision is for: the first allowed one, else the first
  std::vector<StatementPart> parts;  // the statements that apply to `action`, in document order
};

// Decides `request` against `document` alone (no other policy, no SCP, no boundary): for each
// action, an unconditional Deny that applies wins; else an unconditional Allow that applies allows
// it unless a conditional Deny applies too (then allowed under conditions); else a conditional
// Allow allows it under conditions; else it is not allowed. The result is the most permissive
// decision over the actions.
DecisionResult Decide(const PolicyDocument& document, const Request& request);

// One line per part of `result` (or a line saying no statement applies), then the decision with
// the request's resource and principal when it has them, e.g. "statement 0 (Sid Trust) allows
// sts:AssumeRole, without a condition", "decision for sts:AssumeRole by *: allowed"; for
// --explain.
std::vector<std::string> DescribeDecision(const PolicyDocument& document, const Request& request,
                                          const DecisionResult& result);

}  // namespace kmsguard::iam
