// The finding model: what the engine emits and every renderer consumes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"

namespace kmsguard::model {

// Ascending, as OCSF severity_id: informational=1 ... critical=5.
enum class Severity : std::uint8_t { kInformational, kLow, kMedium, kHigh, kCritical };

// PASS: the rule applied and the bad state is absent. WARNING: the bad state exists only under
// conditions the rule was told to warn about. FAIL: the bad state exists. ERROR: the rule could not
// be evaluated (never reported as PASS). SUPPRESSED: a FAIL or WARNING that a rule exception
// accepts (Finding::suppression says which verdict, why, who and until when); kept, not dropped.
enum class Status : std::uint8_t { kPass, kWarning, kFail, kError, kSuppressed };

std::string_view SeverityName(Severity severity);  // "informational" ... "critical"
bool ParseSeverity(std::string_view text, Severity* out);
std::string_view StatusName(Status status);  // "PASS", "WARNING", "FAIL", "ERROR", "SUPPRESSED"

struct ComplianceRef {
  std::string standard;  // e.g. "AWS Foundational Security Best Practices"
  std::string control;   // e.g. "KMS.2"
};

struct Remediation {
  std::string summary;
  std::string console;    // AWS console steps
  std::string cli;        // AWS CLI commands
  std::string terraform;  // Terraform change
};

// Why a verdict was reached: one statement of one policy document.
struct Evidence {
  std::string policy_name;     // inline policy name (or managed policy ARN)
  int statement_index = -1;    // 0-based position in the Statement array
  std::string sid;             // the statement's Sid, if any
  std::string effect;          // "Allow" or "Deny"
  std::vector<std::string> actions;            // blocked actions this statement grants (or denies)
  std::vector<std::string> action_patterns;    // the Action/NotAction patterns that decided it
  bool not_action = false;
  std::vector<std::string> resource_patterns;  // the Resource/NotResource patterns
  bool not_resource = false;
  std::vector<std::string> condition_keys;     // "Operator:key" pairs set aside
  std::string note;                            // one line of explanation
};

// One step from the severity a rule file states to a finding's (effective) severity: an override
// of the rule (`kind: Override`, or the configuration file) or a raise by the engine.
struct SeverityChange {
  Severity from = Severity::kMedium;
  Severity to = Severity::kMedium;
  // Why: "override at org-overrides.yaml:4:13" (where the override's `severity` is), or
  // "raised: the role can be assumed from outside account 111122223333 by ...".
  std::string reason;
};

// The rule exception that suppressed a finding.
struct Suppression {
  Status status = Status::kFail;  // the verdict the exception accepts: FAIL or WARNING
  std::string reason;
  std::string owner;
  std::string expires;  // YYYY-MM-DD
};

struct Finding {
  std::string rule_id;
  std::string rule_version;
  std::string title;
  // The effective severity: what the finding is sorted, filtered (--fail-on) and rated by.
  Severity severity = Severity::kMedium;
  Status status = Status::kPass;
  std::string resource_id;  // ARN
  std::string resource_type;
  std::string resource_name;
  std::string provider = "aws";
  std::string partition;
  std::string account;
  // The resource's organization and organizational unit (model::Resource): a Google Cloud
  // organization and folder by number, an Azure tenant id. Empty when the input does not say.
  std::string organization;
  std::string organizational_unit;
  std::string region = "global";
  std::string sub_key;  // e.g. the inline policy name when a rule iterates policies
  std::string message;
  Remediation remediation;
  std::vector<ComplianceRef> compliance;
  std::vector<Evidence> evidence;
  bool conditional = false;  // every grant found depends on a Condition
  core::SourceLocation source;
  // Effective exposure of a FAIL or WARNING: who holds the grant. Group: its member users
  // ("user/alice"); role: who can assume it ("other-account 444455556666 (arn:...:root)");
  // user: the user itself. `exposure` is a one-line summary.
  std::vector<std::string> exposed_to;
  std::string exposure;
  // Why the verdict was reached, one line each: statements that granted or denied, conditions set
  // aside, why a pattern counts as every key or which key it leaves out (`scan --explain`).
  std::vector<std::string> explanation;
  Suppression suppression;  // status SUPPRESSED only
  // How `severity` came from the severity the rule file states, in order: the overrides of the
  // rule, then a raise (e.g. a role assumable from outside its account). Empty when `severity` is
  // the rule's own.
  std::vector<SeverityChange> severity_changes;

  // The severity the rule file states, before overrides and raises.
  Severity RuleSeverity() const {
    return severity_changes.empty() ? severity : severity_changes.front().from;
  }
};

}  // namespace kmsguard::model
