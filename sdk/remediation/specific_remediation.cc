#include "sdk/remediation/specific_remediation.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sdk/core/repeat_memo.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "sdk/core/text.h"
#include "sdk/remediation/policy_text.h"

namespace kmsguard::remediation {

namespace {


// "AWS::IAM::Role" -> "role": the word the AWS CLI (put-role-policy, --role-name) and Terraform
// (aws_iam_role_policy, role = ...) use.
std::string Kind(const model::Resource& resource) {
  const std::size_t colons = resource.type.rfind("::");
  return absl::AsciiStrToLower(colons == std::string::npos ? resource.type
                                                           : resource.type.substr(colons + 2));
}

// A resource name Terraform accepts: letters, digits, '_' and '-', not starting with a digit.
std::string TerraformName(std::string_view principal, std::string_view policy) {
  std::string out;
  for (char c : std::string(principal) + "_" + std::string(policy)) {
    out += absl::ascii_isalnum(static_cast<unsigned char>(c)) ? absl::ascii_tolower(c) : '_';
  }
  if (out.empty() || absl::ascii_isdigit(out[0])) out = "p_" + out;
  return out;
}

// "KMS.2" when the finding names controls; what a Condition would not clear.
std::string Controls(const std::vector<model::ComplianceRef>& compliance) {
  std::vector<std::string> controls;
  for (const model::ComplianceRef& ref : compliance) {
    if (!ref.control.empty()) controls.push_back(ref.control);
  }
  return controls.empty() ? "this finding" : absl::StrJoin(controls, ", ");
}

// Blocked actions across the fixes, first-seen order.
std::vector<std::string> ScopedActions(const std::vector<PolicyFix>& fixes) {
  std::vector<std::string> out;
  for (const PolicyFix& fix : fixes) {
    if (!fix.replacement.ok()) continue;
    for (const std::string& action : (*fix.replacement)->actions) {
      if (std::find(out.begin(), out.end(), action) == out.end()) out.push_back(action);
    }
  }
  return out;
}

bool IsManaged(const model::Resource& resource) {
  return resource.type == model::kIamManagedPolicy;
}

bool IsAwsManaged(const model::Resource& resource) {
  if (!IsManaged(resource)) return false;
  if (!resource.document_text.empty()) {
    // A document carried as text (the export entry): its flag comes from its ARN, which is the
    // resource id ("arn:PARTITION:iam::aws:policy/...").
    const std::size_t iam = resource.id.find(":iam::aws:policy/");
    return resource.id.rfind("arn:", 0) == 0 && iam != std::string::npos &&
           resource.id.find(':', 4) == iam;
  }
  const nlohmann::json& doc = resource.document;
  if (!doc.is_object()) return false;
  const auto flag = doc.find("aws_managed");
  return flag != doc.end() && flag->is_boolean() && flag->get<bool>();
}

// Input text (names, ARNs, patterns from the policy) written into prose or a `#` comment line:
// control characters become visible escapes, so a crafted name cannot end the comment and put a
// command on a line of its own in a snippet that users paste into a shell or a .tf file.
std::string Line(std::string_view text) { return core::TerminalSafe(text); }

std::vector<std::string> Lines(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (const std::string& text : texts) out.push_back(Line(text));
  return out;
}

// `inline policy "x" of role r` or `managed policy m`, safe for a comment line.
std::string PolicyLabel(const model::Resource& resource, const std::string& policy_name) {
  if (IsManaged(resource)) return absl::StrCat("Managed policy \"", Line(policy_name), "\"");
  return absl::StrCat("Inline policy \"", Line(policy_name), "\" of ", Kind(resource), " ",
                      Line(resource.name));
}

std::string Console(const model::Resource& resource, const std::vector<PolicyFix>& fixes,
                    const std::vector<model::ComplianceRef>& compliance) {
  std::string out = absl::StrCat("Generated least-privilege replacement for ",
                                 IsManaged(resource) ? "managed policy" : Kind(resource), " ",
                                 Line(resource.name), ":");
  bool placeholder = false;
  for (const PolicyFix& fix : fixes) {
    const std::string label = PolicyLabel(resource, fix.policy_name);
    if (!fix.replacement.ok()) {
      absl::StrAppend(&out, "\n- ", label, ": no replacement could be generated (",
                      Line(std::string(fix.replacement.status().message())), "); edit it as described above.");
      continue;
    }
    const PolicyReplacement& r = **fix.replacement;
    placeholder |= r.uses_placeholder;
    absl::StrAppend(&out, "\n- ", label, ": ", absl::StrJoin(Lines(r.changes), " "));
    if (IsAwsManaged(resource)) {
      absl::StrAppend(&out,
                      " AWS managed policies cannot be edited: create a customer managed policy "
                      "with the corrected document (the AWS CLI command) and attach it instead.");
    } else {
      absl::StrAppend(&out,
                      " In the JSON editor, replace the whole document with the corrected one "
                      "(the --policy-document of the AWS CLI command).");
    }
    for (const std::string& note : r.notes) absl::StrAppend(&out, "\n  Note: ", Line(note));
  }
  if (placeholder) {
    absl::StrAppend(&out, "\n- Replace REGION, ACCOUNT and KEY_ID in ",
                    Line(KeyPlaceholder(resource.partition)),
                    " with the key the principal decrypts with (list one ARN per key). If it "
                    "needs no decryption at all, delete the new statement instead.");
  }
  absl::StrAppend(&out, "\n- Adding a Condition (e.g. kms:ViaService) instead does not clear ",
                  Controls(compliance),
                  ": the control does not take conditions into account. Scope the Resource.");
  return out;
}

std::string Cli(const model::Resource& resource, const std::vector<PolicyFix>& fixes) {
  const std::string kind = Kind(resource);
  std::string out;
  for (const PolicyFix& fix : fixes) {
    if (!out.empty()) out += "\n";
    const std::string label = PolicyLabel(resource, fix.policy_name);
    const std::string target =
        IsManaged(resource)
            ? absl::StrCat("--policy-arn ", core::ShellQuote(resource.id))
            : absl::StrCat("--", kind, "-name ", core::ShellQuote(resource.name), " --policy-name ",
                           core::ShellQuote(fix.policy_name));
    if (!fix.replacement.ok()) {
      absl::StrAppend(&out, "# ", label, ": no replacement generated (",
                      Line(std::string(fix.replacement.status().message())), "); edit it by hand (below).\n");
    } else {
      const PolicyReplacement& r = **fix.replacement;
      absl::StrAppend(&out, "# ", label, ", corrected: ", absl::StrJoin(Lines(r.actions), ", "),
                      " only on ", absl::StrJoin(Lines(r.key_arns), ", "),
                      r.uses_placeholder ? " (replace the placeholder first)" : "", ".\n");
      const std::string& document = (*fix.replacement)->document_shell;
      if (IsAwsManaged(resource)) {
        absl::StrAppend(&out, "aws iam create-policy --policy-name ",
                        core::ShellQuote(fix.policy_name + "-kms-scoped"),
                        " \\\n  --policy-document ", document,
                        "\n# Then attach it in place of ", Line(resource.id), ".\n");
        continue;
      }
      if (IsManaged(resource)) {
        absl::StrAppend(&out, "# A policy keeps at most 5 versions: delete an old non-default one "
                              "first if it has 5.\n");
        absl::StrAppend(&out, "aws iam create-policy-version ", target,
                        " --set-as-default \\\n  --policy-document ", document, "\n");
      } else {
        absl::StrAppend(&out, "aws iam put-", kind, "-policy ", target,
                        " \\\n  --policy-document ", document, "\n");
      }
    }
    if (IsManaged(resource)) {
      if (IsAwsManaged(resource)) continue;
      absl::StrAppend(&out,
                      "# Or, if nothing needs it: detach it from every user, group and role "
                      "(aws iam list-entities-for-policy ",
                      target, "), delete its other versions, then:\naws iam delete-policy ",
                      target, "\n");
    } else {
      absl::StrAppend(&out, "# Or, if the ", kind, " needs nothing this policy allows:\n",
                      "aws iam delete-", kind, "-policy ", target, "\n");
    }
  }
  return out;
}

std::string Terraform(const model::Resource& resource, const std::vector<PolicyFix>& fixes) {
  const std::string kind = Kind(resource);
  std::string out;
  for (const PolicyFix& fix : fixes) {
    if (!fix.replacement.ok()) continue;
    const PolicyReplacement& r = **fix.replacement;
    const std::string& hcl = (*fix.replacement)->document_hcl;
    absl::StrAppend(&out, out.empty() ? "" : "\n", "# ", PolicyLabel(resource, fix.policy_name),
                    ", corrected", r.uses_placeholder ? " (replace the placeholder key ARN)" : "",
                    ":\n");
    if (IsManaged(resource)) {
      const std::string name = IsAwsManaged(resource) ? fix.policy_name + "-kms-scoped"
                                                      : fix.policy_name;
      absl::StrAppend(&out, "resource \"aws_iam_policy\" \"", TerraformName("policy", name),
                      "\" {\n  name   = ", core::HclQuote(name), "\n  policy = jsonencode(",
                      hcl, ")\n}\n");
      continue;
    }
    absl::StrAppend(&out, "resource \"aws_iam_", kind, "_policy\" \"",
                    TerraformName(resource.name, fix.policy_name), "\" {\n",
                    "  name   = ", core::HclQuote(fix.policy_name), "\n", "  ", kind,
                    std::string(kind.size() < 6 ? 6 - kind.size() : 0, ' '), " = ",
                    core::HclQuote(resource.name), "\n", "  policy = jsonencode(", hcl,
                    ")\n}\n");
  }
  const std::vector<std::string> actions = ScopedActions(fixes);
  if (actions.empty()) return out;
  if (IsManaged(resource)) {
    absl::StrAppend(&out,
                    "# To grant through key policies instead, name the users and roles this "
                    "policy is attached to as Principals there.\n");
    return out;
  }
  if (kind == "group") {
    absl::StrAppend(&out,
                    "# To grant through key policies instead: an IAM group cannot be the "
                    "Principal of a key policy; name its member users or a role there.\n");
    return out;
  }
  // "ec2-app-server" -> "AllowEc2AppServerDecrypt": a Sid takes letters and digits only.
  std::string sid = "Allow";
  bool upper = true;
  for (char c : resource.name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    sid += upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    upper = false;
  }
  using internal::PolicyMember;
  using internal::PolicyValue;
  const PolicyValue statement = PolicyValue::Object(
      {{"Sid", PolicyValue::String(sid + "Decrypt")},
       {"Effect", PolicyValue::String("Allow")},
       {"Principal", PolicyValue::Object({{"AWS", PolicyValue::String(resource.id)}})},
       {"Action", PolicyValue::Strings(actions)},
       {"Resource", PolicyValue::String("*")}});
  std::string hcl;
  internal::AppendHcl(statement, 0, &hcl);
  absl::StrReplaceAll({{"\n", "\n#   "}}, &hcl);
  absl::StrAppend(&out,
                  "# Or grant it in the key policy of each key the principal uses (the policy of "
                  "its aws_kms_key;\n# there, Resource \"*\" means that key) and drop it from "
                  "the identity policy:\n#   ",
                  hcl, "\n");
  return out;
}

// Prepends `generated` to `rule_text` (which stays as the by-hand route under `heading`).
std::string Before(std::string generated, const std::string& rule_text, const char* heading) {
  if (rule_text.empty()) return generated;
  return absl::StrCat(generated, "\n", heading, "\n", rule_text);
}

}  // namespace


namespace {

// The replacement of one analyzed document, rendered; memoized per thread by the document, the
// query and the keys it may name (a document stamped onto many principals fails the same way on
// each, and its rewrite is most of a FAIL's cost).
absl::StatusOr<std::shared_ptr<const PolicyReplacement>> Replacement(
    const iam::AnalyzedPolicy& policy, simdjson::dom::element document,
    const iam::GrantQuery& query, const std::vector<std::string>& known_keys) {
  using Result = absl::StatusOr<std::shared_ptr<const PolicyReplacement>>;
  thread_local core::RepeatMemo<Result> memo(1024, 65536);
  std::string key = policy.key();
  key += '\0';
  key += iam::QueryKey(query);
  for (const std::string& k : known_keys) {
    key += '\0';
    key += k;
  }
  return memo.Get(key, [&]() -> Result {
    absl::StatusOr<PolicyReplacement> replacement =
        ReplaceBroadGrant(policy, document, query, known_keys);
    if (!replacement.ok()) return replacement.status();
    return std::make_shared<const PolicyReplacement>(*std::move(replacement));
  });
}

}  // namespace

std::vector<PolicyFix> FixPolicies(const model::Resource& resource,
                                   const model::IamDocument& document,
                                   const std::vector<std::string>& policy_names,
                                   const iam::GrantQuery& query,
                                   iam::PolicyAnalyses* analyses) {
  const auto analyze = [analyses](const simdjson::dom::element& text) {
    return analyses != nullptr ? analyses->Get(text) : iam::AnalyzePolicy(text);
  };
  std::vector<PolicyFix> fixes;
  if (!document.parse_problem.empty() || !document.root_type_problem.empty()) return fixes;
  if (IsManaged(resource)) {
    if (!document.document) return fixes;
    const std::shared_ptr<const iam::AnalyzedPolicy> policy = analyze(*document.document);
    for (const std::string& name : policy_names) {
      fixes.push_back({name, Replacement(*policy, *document.document, query, {})});
    }
    return fixes;
  }
  if (!document.inline_policies_problem.empty()) return fixes;
  // Keys any inline policy names: the keys the snapshot shows the principal uses.
  std::vector<std::shared_ptr<const iam::AnalyzedPolicy>> policies(document.inline_policies.size());
  std::vector<std::string> keys;
  absl::flat_hash_set<std::string> seen;
  for (std::size_t i = 0; i < document.inline_policies.size(); ++i) {
    const model::InlinePolicy& entry = document.inline_policies[i];
    if (!entry.document) continue;
    policies[i] = analyze(*entry.document);
    if (!policies[i]->document().ok()) continue;
    const iam::AnalyzedPolicy& policy = *policies[i];
    const auto& named = policy.Derived<std::vector<std::string>>(
        absl::StrCat("remediation.named_keys|", query.partition),
        [&] { return NamedKeyArns(*policy.document(), query.partition); });
    for (const std::string& key : named) {
      if (seen.insert(key).second) keys.push_back(key);
    }
  }
  for (const std::string& name : policy_names) {
    PolicyFix fix{name, absl::NotFoundError("no inline policy of that name")};
    for (std::size_t i = 0; i < document.inline_policies.size(); ++i) {
      const model::InlinePolicy& entry = document.inline_policies[i];
      if (entry.named && entry.name == name && entry.document) {
        fix.replacement = Replacement(*policies[i], *entry.document, query, keys);
        break;
      }
    }
    fixes.push_back(std::move(fix));
  }
  return fixes;
}

void AddSpecificRemediation(const model::Resource& resource, const std::vector<PolicyFix>& fixes,
                            const std::vector<model::ComplianceRef>& compliance,
                            model::Remediation* remediation) {
  if (fixes.empty()) return;
  const std::string console = Console(resource, fixes, compliance);
  remediation->console =
      remediation->console.empty() ? console : absl::StrCat(remediation->console, "\n\n", console);
  remediation->cli = Before(Cli(resource, fixes), remediation->cli,
                            "# By hand, from the current document (if it changed since the "
                            "snapshot):");
  remediation->terraform =
      Before(Terraform(resource, fixes), remediation->terraform, "# The rule's general form:");
}

}  // namespace kmsguard::remediation
