#include "sdk/rules/builtins.h"

#include "sdk/model/resource.h"

namespace kmsguard::rules {

const std::vector<BuiltinSpec>& Builtins() {
  static const auto* const kBuiltins = new std::vector<BuiltinSpec>{
      {.name = "iam.allows",
       .doc = "True when an identity policy allows any of `actions` on the KMS keys selected by "
              "`resources`: each inline policy of a principal on its own, or the default "
              "version of a managed policy.",
       .resource_types = {model::kIamUser, model::kIamGroup, model::kIamRole,
                          model::kIamManagedPolicy},
       .args =
           {
               {.name = "policies",
                .kind = ArgKind::kEnum,
                .required = true,
                .allowed = {"inline_policies", "default_version"},
                .doc = "inline_policies: each inline policy of a user, group or role; "
                       "default_version: the default version of a managed policy",
                .resource_types_by_value = {{"inline_policies",
                                             {model::kIamUser, model::kIamGroup, model::kIamRole}},
                                            {"default_version", {model::kIamManagedPolicy}}}},
               {.name = "actions",
                .kind = ArgKind::kStringList,
                .required = true,
                .doc = "IAM actions to look for, e.g. [kms:Decrypt, kms:ReEncryptFrom]"},
               {.name = "resources",
                .kind = ArgKind::kEnum,
                .required = true,
                .allowed = {"every_kms_key", "account_or_region_wide_kms_keys"},
                .doc = "which key scope counts as reached"},
               {.name = "on_condition",
                .kind = ArgKind::kEnum,
                .required = false,
                .allowed = {"fail", "warn"},
                .default_value = "fail",
                .doc = "status when every grant depends on a Condition"},
               {.name = "conditional_deny",
                .kind = ArgKind::kEnum,
                .required = false,
                .allowed = {"ignore", "honor"},
                .default_value = "ignore",
                .doc = "whether a Deny with a Condition cancels a grant"},
               {.name = "skip_aws_managed",
                .kind = ArgKind::kBool,
                .required = false,
                .default_value = "false",
                .doc = "default_version only: no finding for AWS managed policies "
                       "(arn:PARTITION:iam::aws:policy/...)"},
               {.name = "skip_boundary_only",
                .kind = ArgKind::kBool,
                .required = false,
                .default_value = "false",
                .doc = "default_version only: no finding for a policy attached to nobody and "
                       "used as a permissions boundary"},
           }},
      {.name = "gcp.grants",
       .doc = "One finding per member that holds any of `permissions` through the allow policy of "
              "a Google Cloud organization, folder or project (so on every Cloud KMS key below "
              "it) or key ring (every key of the ring): roles are expanded to permissions "
              "(predefined-role catalog and the scan's custom roles), over the scan's Google "
              "Cloud resources joined once. Key bindings are not this operator's findings.",
       .resource_types = {"cloudresourcemanager.googleapis.com/Organization",
                          "cloudresourcemanager.googleapis.com/Folder",
                          "cloudresourcemanager.googleapis.com/Project",
                          "cloudkms.googleapis.com/KeyRing"},
       .args =
           {
               {.name = "permissions",
                .kind = ArgKind::kStringList,
                .required = true,
                .doc = "Cloud KMS permissions to look for, e.g. "
                       "[cloudkms.cryptoKeyVersions.useToDecrypt]; a member counts when it holds "
                       "any of them"},
           },
       .per_item = true},
      {.name = "azure.grants",
       .doc = "One finding per principal that may use any of `data_actions` (RBAC) or "
              "`key_permissions` (access policies), or holds any of `actions` (control plane: "
              "power to give itself access), on every key of an Azure Key Vault or more: "
              "for a vault in the access-policy model, each access-policy entry that grants them "
              "(every key of the vault); for a role assignment, its role expanded to data actions "
              "(built-in catalog and the scan's custom roles) at a management group, "
              "subscription, resource group or vault scope, unless the vault uses access "
              "policies. Over the scan's Azure resources joined once. Key-scoped assignments "
              "are narrow and pass.",
       .resource_types = {model::kAzureVault, model::kAzureVaultAccessPolicies,
                          model::kAzureRoleAssignment},
       .args =
           {
               {.name = "data_actions",
                .kind = ArgKind::kStringList,
                .required = false,
                .doc = "Key Vault data actions to look for in role definitions, e.g. "
                       "[Microsoft.KeyVault/vaults/keys/decrypt/action]; exact operations, "
                       "compared case-insensitively"},
               {.name = "key_permissions",
                .kind = ArgKind::kStringList,
                .required = false,
                .doc = "access-policy key permissions to look for, e.g. [decrypt, unwrapKey]; "
                       "`all` always counts"},
               {.name = "actions",
                .kind = ArgKind::kStringList,
                .required = false,
                .doc = "control-plane actions that give power over access, looked for in role "
                       "definitions' actions (after notActions), e.g. "
                       "[Microsoft.Authorization/roleAssignments/write]; a Microsoft.KeyVault/ "
                       "action (vaults/write) counts only on vaults that use access policies, "
                       "others on every vault"},
           },
       .per_item = true},
  };
  return *kBuiltins;
}

const BuiltinSpec* FindBuiltin(std::string_view name) {
  for (const BuiltinSpec& spec : Builtins()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool ParseParamRef(const nlohmann::json& value, std::string* param_name) {
  constexpr std::string_view kPrefix = "${params.";
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() <= kPrefix.size() + 1 || text.compare(0, kPrefix.size(), kPrefix) != 0 ||
      text.back() != '}') {
    return false;
  }
  *param_name = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  return true;
}

nlohmann::json ResolveArg(const Rule& rule, const ArgSpec& arg) {
  return ResolveArg(rule, rule.violation.args, arg);
}

nlohmann::json ResolveArg(const Rule& rule, const nlohmann::json& args, const ArgSpec& arg) {
  if (!args.is_object() || !args.contains(arg.name)) {
    if (arg.default_value.empty()) return nullptr;
    if (arg.kind == ArgKind::kBool) return arg.default_value == "true";
    return std::string(arg.default_value);
  }
  const nlohmann::json& value = args.at(arg.name);
  if (std::string param; ParseParamRef(value, &param)) return rule.ParamValue(param);
  return value;
}

}  // namespace kmsguard::rules
