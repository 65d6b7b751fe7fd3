// Terraform's IAM resources -> normalized principals (aws_iam_user, aws_iam_group, aws_iam_role,
// with their inline policies, attachments and trust policy) and managed policies (aws_iam_policy).
// A stage of the Terraform plan reader (terraform_reader.h) in a file of its own: it reads the
// resources terraform.cc collected, through the values and references that file resolves, and
// needs nothing of how a plan is walked. The principal a policy attaches to is resolved through
// the plan's graph when that is exact, else reported as unknown (terraform.cc tells why).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/terraform_reader.h"

namespace kmsguard::adapters::internal {

namespace {

using Json = nlohmann::json;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

}  // namespace

// --- Principals ------------------------------------------------------------------------------

model::Resource& TerraformReader::NewPrincipal(const PrincipalKind& kind, const std::string& key,
                                               std::string name, std::string arn, std::string path,
                                               const TfResource& source) {
  model::Resource resource;
  resource.type = std::string(kind.model_type);
  resource.id = arn.empty() ? "terraform:" + source.address : arn;
  if (internal::Arn parsed; internal::ParseArn(arn, &parsed)) {
    resource.partition = parsed.partition;
    resource.account = parsed.account;
  }
  resource.name = name;
  resource.document = internal::EmptyPrincipalDocument(kind.model_type, std::move(name),
                                                       std::move(arn), std::move(path));
  resource.source = At(source.pointer, source.address);
  principal_index_.emplace(key, resources_out_.size());
  resources_out_.push_back(std::move(resource));
  return resources_out_.back();
}

void TerraformReader::Note(model::Resource& resource, const std::string& note) {
  resource.document["notes"].push_back(note);
}

void TerraformReader::PrincipalForResource(const TfResource& r, const PrincipalKind& kind) {
  std::string name = StringValue(r, "name");
  const bool name_known = !name.empty();
  if (!name_known) name = absl::StrCat("<unknown: ", r.address, ">");
  std::string path = StringValue(r, "path");
  model::Resource& p = NewPrincipal(kind, "address:" + r.address, name, StringValue(r, "arn"),
                                    path.empty() ? "/" : path, r);
  if (!name_known) {
    Note(p, absl::StrCat("the ", kind.kind, "'s name is unknown until apply (",
                         Unknown(r, "name") ? "computed, e.g. from name_prefix" : "not set", ")"));
  } else {
    name_index_.emplace(absl::StrCat(kind.kind, ":", name), "address:" + r.address);
  }
}

// The principal `attribute` of `r` names, created when it is not a resource of the plan.
// `value` is the attribute's value (or one element of a list attribute).
model::Resource& TerraformReader::PrincipalNamedBy(const TfResource& r, const PrincipalKind& kind,
                                                   std::string_view attribute, const Json& value) {
  if (value.is_string() && !value.get<std::string>().empty()) {
    const std::string name = value.get<std::string>();
    if (auto it = name_index_.find(absl::StrCat(kind.kind, ":", name)); it != name_index_.end()) {
      return resources_out_[principal_index_.at(it->second)];
    }
    const std::string key = absl::StrCat("name:", kind.kind, ":", name);
    if (auto it = principal_index_.find(key); it != principal_index_.end()) {
      return resources_out_[it->second];
    }
    model::Resource& p = NewPrincipal(kind, key, name, "", "/", r);
    Note(p, absl::StrCat("not created by this plan: named by ", r.address, ".",
                         std::string(attribute)));
    return p;
  }
  // Unknown at plan time: follow the configuration to the resource it comes from, when the
  // reference names an attribute that is the principal's name (`name`, or `id`, which the AWS
  // provider sets to the name for users, groups and roles).
  const std::vector<std::string> references = References(r, attribute);
  for (const std::string& reference : references) {
    const TfResource* target = nullptr;
    const Json* data_values = nullptr;
    std::string attr;
    if (!ResolveReference(r, reference, &target, &data_values, &attr) || target == nullptr ||
        target->type != kind.resource || (attr != "name" && attr != "id")) {
      continue;
    }
    return resources_out_[principal_index_.at("address:" + target->address)];
  }
  const std::string key = "unknown:" + r.address + "." + std::string(attribute);
  if (auto it = principal_index_.find(key); it != principal_index_.end()) {
    return resources_out_[it->second];
  }
  model::Resource& p =
      NewPrincipal(kind, key, absl::StrCat("<unknown: ", r.address, ">"), "", "", r);
  const std::string why =
      references.empty()
          ? absl::StrCat("the ", kind.kind, " of ", r.address,
                         " is unknown until apply and the plan does not say where it comes from")
          : absl::StrCat("the ", kind.kind, " of ", r.address,
                         " is unknown until apply; the configuration refers to ",
                         absl::StrJoin(references, ", "),
                         " but not to an attribute that names the ", kind.kind);
  Note(p, why);
  AddDiagnostic(
      &result_.diagnostics, kWarning, At(r.pointer, r.address),
      absl::StrCat(why, "; its policies are evaluated for the principal \"", p.name, "\""));
  return p;
}

// aws_iam_{user,group,role}_policy: one inline policy of one principal.
void TerraformReader::InlinePolicyResource(const TfResource& r, const PrincipalKind& kind) {
  model::Resource& principal = PrincipalNamedBy(r, kind, kind.attribute, Value(r, kind.attribute));
  std::string name = StringValue(r, "name");
  if (name.empty()) name = absl::StrCat("<unknown: ", r.address, ".name>");
  AddPolicy(principal, r, name, "policy", nullptr);
}

void TerraformReader::AddPolicy(model::Resource& principal, const TfResource& r,
                                const std::string& name, std::string_view attribute,
                                const Json* expression) {
  bool found = false;
  Json text = PolicyText(r, attribute, expression, &found);
  Json entry = {{"name", name}, {"source", At(r.pointer, r.address).ToString()}};
  if (found) {
    entry["document"] = std::move(text);
  } else {
    // No document: the engine reports the policy as an ERROR, never a PASS.
    AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                  absl::StrCat("the policy \"", name, "\" is ",
                               Unknown(r, attribute) ? "unknown until apply"
                                                     : "not in the plan (sensitive or absent)",
                               "; ", principal.name, " cannot be fully evaluated"));
  }
  principal.document["inline_policies"].push_back(std::move(entry));
}

// aws_iam_role: `inline_policy` blocks and `managed_policy_arns`; the trust policy.
void TerraformReader::ResourceBlocks(const TfResource& r, const PrincipalKind& kind) {
  model::Resource& principal = resources_out_[principal_index_.at("address:" + r.address)];
  if (const std::string key = ManagedPolicyKey(r, "permissions_boundary"); !key.empty()) {
    ++boundary_counts_[key];
  }
  if (kind.model_type != model::kIamRole) return;
  if (const Json& trust = Value(r, "assume_role_policy"); !trust.is_null()) {
    principal.document["trust_policy"] = trust;
  } else if (Unknown(r, "assume_role_policy")) {
    Note(principal, "the trust policy is unknown until apply");
  }
  const Json& blocks = Value(r, "inline_policy");
  const auto config = config_.find(PartsOf(r.address).config_address);
  const Json* config_blocks = nullptr;
  if (config != config_.end()) {
    if (auto it = config->second->find("inline_policy");
        it != config->second->end() && it->is_array()) {
      config_blocks = &*it;
    }
  }
  if (blocks.is_array()) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const Json& block = blocks[i];
      if (!block.is_object()) continue;
      const std::string name = StringField(block, "name");
      const Json& policy = block.value("policy", Json());
      // The provider plans one empty block for a role that declares none.
      if (name.empty() && (policy.is_null() || policy == "")) continue;
      Json entry = {
          {"name", name.empty() ? absl::StrCat("inline_policy[", i, "]") : name},
          {"source", At(absl::StrCat(r.pointer, "/inline_policy/", i), r.address).ToString()}};
      if (!policy.is_null()) {
        entry["document"] = policy;
      } else if (config_blocks != nullptr && i < config_blocks->size()) {
        TfResource block_view = r;
        block_view.values = &block;
        bool found = false;
        const Json* expression =
            (*config_blocks)[i].is_object() && (*config_blocks)[i].contains("policy")
                ? &(*config_blocks)[i]["policy"]
                : nullptr;
        Json text = PolicyText(block_view, "policy", expression, &found);
        if (found) entry["document"] = std::move(text);
      }
      if (!entry.contains("document")) {
        AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                      absl::StrCat("inline_policy ", i, " is unknown until apply; ", principal.name,
                                   " cannot be fully evaluated"));
      }
      principal.document["inline_policies"].push_back(std::move(entry));
    }
  } else if (Unknown(r, "inline_policy") && config_blocks != nullptr && !config_blocks->empty()) {
    // Blocks are declared but the plan does not know them: say so, and make it an ERROR.
    principal.document["inline_policies"].push_back(
        {{"name", "<unknown inline_policy>"}, {"source", At(r.pointer, r.address).ToString()}});
    AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                  absl::StrCat("the inline_policy blocks are unknown until apply; ", principal.name,
                               " cannot be fully evaluated"));
  }
  if (const Json& arns = Value(r, "managed_policy_arns"); arns.is_array()) {
    for (const Json& arn : arns) {
      if (arn.is_string()) Attach(principal, arn.get<std::string>(), "");
    }
  }
}

// --- Managed policies -------------------------------------------------------------------------

void TerraformReader::ManagedPolicy(const TfResource& r) {
  model::Resource resource;
  resource.type = model::kIamManagedPolicy;
  const std::string arn = StringValue(r, "arn");
  resource.id = arn.empty() ? "terraform:" + r.address : arn;
  if (internal::Arn parsed; internal::ParseArn(arn, &parsed)) {
    resource.partition = parsed.partition;
    resource.account = parsed.account;
  }
  std::string name = StringValue(r, "name");
  if (name.empty()) name = absl::StrCat("<unknown: ", r.address, ">");
  resource.name = name;
  const std::string path = StringValue(r, "path");
  resource.document = {{"name", name},
                       {"arn", arn},
                       {"path", path.empty() ? "/" : path},
                       {"aws_managed", false},
                       {"default_version_id", ""},
                       {"permissions_boundary_usage_count", 0}};
  bool found = false;
  Json text = PolicyText(r, "policy", nullptr, &found);
  if (found) {
    resource.document["document"] = std::move(text);
  } else {
    resource.document["document_problem"] = "the policy is unknown until apply";
    AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                  absl::StrCat("the policy document of ", r.address,
                               " is unknown until apply; it cannot be evaluated"));
  }
  resource.source = At(r.pointer, r.address);
  managed_index_.emplace("address:" + r.address, resources_out_.size());
  if (!arn.empty()) managed_by_arn_.emplace(arn, "address:" + r.address);
  resources_out_.push_back(std::move(resource));
}

// The key of the plan's aws_iam_policy that `attribute` (an ARN) names: by its value, or through
// a reference to `aws_iam_policy.x.arn`; "" when it names none.
std::string TerraformReader::ManagedPolicyKey(const TfResource& r,
                                              std::string_view attribute) const {
  if (const std::string arn = StringValue(r, attribute); !arn.empty()) {
    const auto it = managed_by_arn_.find(arn);
    return it == managed_by_arn_.end() ? std::string() : it->second;
  }
  for (const std::string& reference : References(r, attribute)) {
    const TfResource* target = nullptr;
    const Json* data_values = nullptr;
    std::string attr;
    if (ResolveReference(r, reference, &target, &data_values, &attr) && target != nullptr &&
        target->type == "aws_iam_policy" && attr == "arn") {
      return "address:" + target->address;
    }
  }
  return "";
}

// Records that `principal` has the managed policy `arn` (or, unknown until apply, the policy of
// the plan whose key is `managed_key`) attached.
void TerraformReader::Attach(model::Resource& principal, const std::string& arn,
                             std::string managed_key) {
  if (managed_key.empty()) {
    if (auto it = managed_by_arn_.find(arn); it != managed_by_arn_.end()) managed_key = it->second;
  }
  std::string name = arn.empty() ? std::string() : arn.substr(arn.rfind('/') + 1);
  if (!managed_key.empty()) {
    ++attachment_counts_[managed_key];
    name = resources_out_[managed_index_.at(managed_key)].name;
  }
  principal.document["attached_managed_policies"].push_back({{"name", name}, {"arn", arn}});
}

// aws_iam_*_policy_attachment (one principal) and aws_iam_policy_attachment (lists).
void TerraformReader::Attachment(const TfResource& r, const PrincipalKind& kind,
                                 std::string_view attribute) {
  std::string arn = StringValue(r, "policy_arn");
  std::string managed_key;
  if (arn.empty()) {
    managed_key = ManagedPolicyKey(r, "policy_arn");
    if (managed_key.empty()) return;  // an AWS managed or external policy, unknown here
  }
  const Json& value = Value(r, attribute);
  if (value.is_array()) {
    for (const Json& element : value) {
      Attach(PrincipalNamedBy(r, kind, attribute, element), arn, managed_key);
    }
  } else if (attribute == kind.attribute) {
    Attach(PrincipalNamedBy(r, kind, attribute, value), arn, managed_key);
  }
}

}  // namespace kmsguard::adapters::internal
