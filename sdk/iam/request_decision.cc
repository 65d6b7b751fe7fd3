#include "sdk/iam/request_decision.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/arn.h"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/arn_pattern.h"

namespace kmsguard::iam {
namespace {

// Debian's abseil has its own string_view, distinct from std::string_view.
absl::string_view AV(std::string_view text) { return absl::string_view(text.data(), text.size()); }

// The account an AWS Principal entry names as a whole (its id, or its root ARN), or "", and the
// root ARN's partition ("" for a bare id, which names the account in whatever partition).
struct EntryAccount {
  std::string_view account, partition;
};
EntryAccount AccountOfEntry(std::string_view value) {
  if (core::IsAccountId(value)) return {value, ""};
  const std::optional<core::ArnFields> arn = core::SplitArn(value);
  if (arn && !arn->partition.empty() && arn->service == "iam" && arn->region.empty() &&
      core::IsAccountId(arn->account) && arn->resource == "root") {
    return {arn->account, arn->partition};
  }
  return {};
}

// True when `entry` names the account of `principal` as a whole: same id, same partition when
// both say one.
bool NamesAccountOf(std::string_view entry, const RequestPrincipal& principal) {
  const EntryAccount named = AccountOfEntry(entry);
  return !named.account.empty() && named.account == principal.account &&
         (named.partition.empty() || principal.partition.empty() ||
          named.partition == principal.partition);
}

// For an assumed-role session arn:P:sts::A:assumed-role/ROLE/SESSION, true when `entry` is the
// ARN of its role, arn:P:iam::A:role/[PATH/]ROLE: a role named in a resource-based policy stands
// for its sessions, which are what makes requests ("IAM role principals").
bool NamesRoleOfSession(std::string_view entry, const RequestPrincipal& principal) {
  const std::optional<core::ArnFields> session = core::SplitArn(principal.value);
  if (!session || session->service != "sts" || !session->resource.starts_with("assumed-role/")) {
    return false;
  }
  const std::string_view rest = session->resource.substr(13);
  const std::string_view role = rest.substr(0, rest.find('/'));
  const std::optional<core::ArnFields> named = core::SplitArn(entry);
  if (!named || named->service != "iam" || named->partition != session->partition ||
      named->account != session->account || !named->resource.starts_with("role/")) {
    return false;
  }
  return named->resource.substr(named->resource.rfind('/') + 1) == role;
}

bool IsAwsType(std::string_view type) { return type == "AWS" || type == "*"; }

// Policy variables in a Resource pattern stand for one value the request supplies (the caller's
// name, say). The resource a rule asks about is one no such value names, as its principal "*" is
// one no Principal entry names: a pattern matches it only through its literal text and wildcards
// (ArnPatternMatches: a variable matches nothing concrete). So "role/${aws:username}" does not
// reach it, and a NotResource or Deny written with a variable does not keep it out.
bool ResourceMatches(const Statement& st, const std::string& resource, bool variables) {
  if (!st.has_resource_element) return true;
  const bool any = std::any_of(st.resources.begin(), st.resources.end(), [&](const std::string& p) {
    return ArnPatternMatches(CompileArnPattern(p, variables), resource);
  });
  return st.not_resource ? !any : any;
}

// True when the Principal element entry `entry` includes `principal`: "*" (of type "*" or AWS)
// includes every principal; an AWS account (id, or root ARN in the same partition) every
// principal of that account (kAccount, kArn); an ARN exactly itself, and a role's ARN its
// assumed-role sessions ("IAM role principals"); Service (case-insensitively), Federated and
// CanonicalUser values exactly themselves. Entries with other wildcards include nothing but their
// own text (IAM rejects them).
bool EntryIncludes(const PrincipalEntry& entry, const RequestPrincipal& principal) {
  using Kind = RequestPrincipal::Kind;
  if (IsAwsType(entry.type) && entry.value == "*") return true;  // everyone
  switch (principal.kind) {
    case Kind::kAnyone:
      return false;  // a principal no entry names
    case Kind::kAccount:
      return entry.type == "AWS" && NamesAccountOf(entry.value, principal);
    case Kind::kArn:
      return entry.type == "AWS" &&
             (entry.value == principal.value || NamesAccountOf(entry.value, principal) ||
              NamesRoleOfSession(entry.value, principal));
    case Kind::kService:
      return entry.type == "Service" &&
             absl::EqualsIgnoreCase(AV(entry.value), AV(principal.value));
    case Kind::kFederated:
      return entry.type == "Federated" && entry.value == principal.value;
    case Kind::kCanonicalUser:
      return entry.type == "CanonicalUser" && entry.value == principal.value;
  }
  return false;
}

// True when a NotPrincipal entry exempts `principal`: the entry is "*", or names it exactly (its
// own ARN; a Service, Federated or CanonicalUser value). kAnyone and kAccount (a principal the
// policy does not name by its ARN) are never exempted by name: an account entry does not exempt
// the account's users and roles, which AWS evaluates by their own ARN as well ("NotPrincipal" with
// Deny names both the principal and its account), nor a role's ARN its sessions.
bool EntryExempts(const PrincipalEntry& entry, const RequestPrincipal& principal) {
  using Kind = RequestPrincipal::Kind;
  if (IsAwsType(entry.type) && entry.value == "*") return true;
  switch (principal.kind) {
    case Kind::kAnyone:
    case Kind::kAccount:
      // Neither is named by an ARN of its own: an account entry does not exempt the account's
      // principals, which AWS evaluates by their own ARN too ("NotPrincipal").
      return false;
    case Kind::kArn:
      return entry.type == "AWS" && entry.value == principal.value;
    case Kind::kService:
    case Kind::kFederated:
    case Kind::kCanonicalUser:
      return EntryIncludes(entry, principal);
  }
  return false;
}

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kNotAllowed:
      return "not allowed";
    case Decision::kDenied:
      return "denied";
    case Decision::kAllowedUnderConditions:
      return "allowed under conditions";
    case Decision::kAllowed:
      return "allowed";
  }
  return "?";
}

// How --explain names the principal a request is from: its value as the rule wrote it, with the
// map key for the kinds that are not AWS principals.
std::string_view PrincipalKindName(RequestPrincipal::Kind kind) {
  switch (kind) {
    case RequestPrincipal::Kind::kAccount:
      return "account ";
    case RequestPrincipal::Kind::kService:
      return "Service ";
    case RequestPrincipal::Kind::kFederated:
      return "Federated ";
    case RequestPrincipal::Kind::kCanonicalUser:
      return "CanonicalUser ";
    case RequestPrincipal::Kind::kAnyone:
    case RequestPrincipal::Kind::kArn:
      break;
  }
  return "";
}

}  // namespace

absl::StatusOr<RequestPrincipal> ParseRequestPrincipal(const nlohmann::json& value) {
  std::string type = "AWS";
  const nlohmann::json* text = &value;
  if (value.is_object()) {
    if (value.size() != 1) {
      return absl::InvalidArgumentError(
          "a principal map has exactly one key: AWS, Service, Federated or CanonicalUser");
    }
    type = value.begin().key();
    text = &value.begin().value();
  }
  if (!text->is_string() || text->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError(
        "a principal is \"*\", an account id, an IAM ARN, or {Service|Federated|CanonicalUser: "
        "value}");
  }
  const std::string& v = text->get_ref<const std::string&>();
  RequestPrincipal out;
  out.value = v;
  if (v == "*" && type == "AWS") return out;  // kAnyone
  if (v.find_first_of("*?") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a principal names one principal; \"", v,
        "\" has a wildcard (\"*\" alone means anyone; a policy's wildcards are the data's)"));
  }
  if (type == "Service") {
    out.kind = RequestPrincipal::Kind::kService;
  } else if (type == "Federated") {
    out.kind = RequestPrincipal::Kind::kFederated;
  } else if (type == "CanonicalUser") {
    out.kind = RequestPrincipal::Kind::kCanonicalUser;
  } else if (type != "AWS") {
    return absl::InvalidArgumentError(absl::StrCat("unknown principal type \"", type,
                                                   "\": AWS, Service, Federated or CanonicalUser"));
  } else if (const EntryAccount named = AccountOfEntry(v); !named.account.empty()) {
    out.kind = RequestPrincipal::Kind::kAccount;
    out.account = std::string(named.account);
    out.partition = std::string(named.partition);
  } else if (const std::optional<core::ArnFields> arn = core::SplitArn(v);
             arn && !arn->partition.empty() && (arn->service == "iam" || arn->service == "sts") &&
             arn->region.empty() && core::IsAccountId(arn->account) &&
             (arn->resource.starts_with("user/") || arn->resource.starts_with("role/") ||
              (arn->service == "sts" && arn->resource.starts_with("assumed-role/")))) {
    out.kind = RequestPrincipal::Kind::kArn;
    out.account = std::string(arn->account);
    out.partition = std::string(arn->partition);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", v,
        "\" is not an AWS principal: \"*\", a 12-digit account id, "
        "arn:PARTITION:iam::ACCOUNT:root, "
        "an IAM user or role ARN, or an sts assumed-role ARN (services: {Service: NAME})"));
  }
  return out;
}

bool StatementAdmits(const Statement& st, const RequestPrincipal& principal) {
  if (!st.has_principal) return true;
  if (st.not_principal) {
    return std::none_of(st.principals.begin(), st.principals.end(),
                        [&](const PrincipalEntry& e) { return EntryExempts(e, principal); });
  }
  return std::any_of(st.principals.begin(), st.principals.end(),
                     [&](const PrincipalEntry& e) { return EntryIncludes(e, principal); });
}

bool StatementUnconditional(const Statement& st) { return st.conditions.empty(); }

bool StatementCoversAction(const Statement& st, std::string_view action) {
  // An empty Action/NotAction grants nothing (IAM rejects such a statement anyway).
  if (st.actions.empty()) return false;
  const bool any = std::any_of(st.actions.begin(), st.actions.end(),
                               [&](const std::string& p) { return ActionGlobMatches(p, action); });
  return st.not_action ? !any : any;
}

DecisionResult Decide(const PolicyDocument& document, const Request& request) {
  DecisionResult best;
  bool have = false;
  for (const std::string& action : request.actions) {
    DecisionResult result;
    result.action = action;
    bool allow = false, conditional_allow = false, deny = false, conditional_deny = false;
    for (const Statement& st : document.statements) {
      if (!StatementCoversAction(st, action)) continue;
      if (request.principal && !StatementAdmits(st, *request.principal)) continue;
      if (request.resource &&
          !ResourceMatches(st, *request.resource, document.SupportsPolicyVariables())) {
        continue;
      }
      StatementPart part;
      part.statement_index = st.index;
      part.effect = st.effect;
      part.action = action;
      part.conditional = !StatementUnconditional(st);
      if (st.effect == Effect::kDeny) {
        (part.conditional ? conditional_deny : deny) = true;
      } else {
        (part.conditional ? conditional_allow : allow) = true;
      }
      result.parts.push_back(std::move(part));
    }
    result.decision = deny                         ? Decision::kDenied
                      : allow && !conditional_deny ? Decision::kAllowed
                      : allow || conditional_allow ? Decision::kAllowedUnderConditions
                                                   : Decision::kNotAllowed;
    // Most permissive first; among equals (kNotAllowed and kDenied rank as one) the first action.
    const auto rank = [](Decision d) {
      return d == Decision::kAllowed ? 2 : d == Decision::kAllowedUnderConditions ? 1 : 0;
    };
    if (!have || rank(result.decision) > rank(best.decision)) {
      best = std::move(result);
      have = true;
    }
  }
  return best;
}

std::vector<std::string> DescribeDecision(const PolicyDocument& document, const Request& request,
                                          const DecisionResult& result) {
  std::vector<std::string> lines;
  // Without this line an exemption (NotPrincipal, NotResource) that left nothing applying would
  // read as if the document had not been looked at.
  if (result.parts.empty()) {
    lines.push_back(absl::StrCat("no statement of the ", document.statements.size(),
                                 " applies to this request"));
  }
  for (const StatementPart& part : result.parts) {
    const Statement* st = nullptr;
    for (const Statement& s : document.statements) {
      if (s.index == part.statement_index) st = &s;
    }
    std::string name = absl::StrCat("statement ", part.statement_index);
    if (st != nullptr && !st->sid.empty()) absl::StrAppend(&name, " (Sid ", st->sid, ")");
    std::string condition = "without a condition";
    if (part.conditional) {
      std::vector<std::string> keys;
      if (st != nullptr) {
        for (const ConditionKey& key : st->conditions)
          keys.push_back(absl::StrCat(key.op, ":", key.key));
      }
      condition = absl::StrCat("if its Condition holds (", absl::StrJoin(keys, ", "), ")");
    }
    lines.push_back(absl::StrCat(name, " ", part.effect == Effect::kAllow ? "allows " : "denies ",
                                 part.action, ", ", condition));
  }
  std::string asked = result.action.empty() ? "(no action)" : result.action;
  if (request.resource.has_value()) absl::StrAppend(&asked, " on ", *request.resource);
  if (request.principal.has_value()) {
    const RequestPrincipal& principal = *request.principal;
    absl::StrAppend(&asked, " by ", AV(PrincipalKindName(principal.kind)), principal.value);
  }
  lines.push_back(absl::StrCat("decision for ", asked, ": ", AV(DecisionName(result.decision))));
  return lines;
}

}  // namespace kmsguard::iam
