#include "sdk/model/iam_document.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/arn.h"

namespace kmsguard::model {

namespace {

using simdjson::dom::element;

std::string StringField(element object, std::string_view key) {
  element value;
  return core::Member(object, key, &value) ? std::string(core::StringOf(value)) : std::string();
}

// Present and not null.
std::optional<element> Present(element object, std::string_view key) {
  element value;
  if (!core::Member(object, key, &value) || value.is_null()) return std::nullopt;
  return value;
}

std::int64_t IntegerField(element object, std::string_view key) {
  element value;
  if (!core::Member(object, key, &value)) return 0;
  std::int64_t n = 0;
  if (value.is_int64()) return value.get_int64().get(n) == simdjson::SUCCESS ? n : 0;
  std::uint64_t u = 0;
  if (value.is_uint64() && value.get_uint64().get(u) == simdjson::SUCCESS) {
    return static_cast<std::int64_t>(u);  // as nlohmann's get<std::int64_t> does
  }
  return 0;
}

std::vector<std::string> Strings(element list) {
  std::vector<std::string> out;
  simdjson::dom::array items;
  if (list.get_array().get(items) != simdjson::SUCCESS) return out;
  for (element item : items) {
    if (item.is_string()) out.emplace_back(core::StringOf(item));
  }
  return out;
}

// The export's list and name keys per principal type.
struct ExportKind {
  std::string_view type;
  std::string_view name_key;
  std::string_view policy_list;
};
constexpr ExportKind kExportKinds[] = {
    {kIamUser, "UserName", "UserPolicyList"},
    {kIamGroup, "GroupName", "GroupPolicyList"},
    {kIamRole, "RoleName", "RolePolicyList"},
};

// "arn:partition:service:region:account:resource" -> partition; false when not shaped so.
bool ArnPartition(std::string_view arn, std::string_view* partition) {
  const std::optional<core::ArnFields> fields = core::SplitArn(arn);
  if (!fields || fields->partition.empty()) return false;
  *partition = fields->partition;
  return true;
}

void ReadNormalizedPrincipal(element root, IamDocument* out) {
  out->name = StringField(root, "name");
  out->arn = StringField(root, "arn");
  out->path = StringField(root, "path");
  element list;
  if (!core::Member(root, "inline_policies", &list)) {
    out->inline_policies_problem = "missing";
  } else if (!list.is_array()) {
    out->inline_policies_problem = absl::StrCat("expected a list, got ", core::Sv(core::TypeName(list)));
    out->inline_policies_value = list;
  } else {
    int index = 0;
    for (element entry : core::AsArray(list)) {
      InlinePolicy policy;
      policy.name = absl::StrCat("#", index);  // until the entry names itself
      policy.named = false;
      if (!entry.is_object()) {
        policy.is_object = false;
        policy.entry = entry;
      } else {
        element value;
        if (core::Member(entry, "name", &value) && value.is_string()) {
          policy.name = std::string(core::StringOf(value));
          policy.named = true;
        }
        if (core::Member(entry, "source_pointer", &value) && value.is_string()) {
          policy.source_pointer = std::string(core::StringOf(value));
        }
        policy.document = Present(entry, "document");
        policy.document_is_null = core::Member(entry, "document", &value) && value.is_null();
      }
      out->inline_policies.push_back(std::move(policy));
      ++index;
    }
  }
  element value;
  if (core::Member(root, "attached_managed_policies", &value) && value.is_array()) {
    for (element policy : core::AsArray(value)) {
      if (!policy.is_object()) continue;
      out->attached_managed_policies.push_back(
          {StringField(policy, "name"), StringField(policy, "arn")});
    }
  }
  if (core::Member(root, "group_memberships", &value)) out->group_memberships = Strings(value);
  if (core::Member(root, "members", &value) && value.is_array()) {
    out->members_known = true;
    out->members = Strings(value);
  }
  out->trust_policy = Present(root, "trust_policy");
  out->trust_policy_is_null = core::Member(root, "trust_policy", &value) && value.is_null();
  if (core::Member(root, "notes", &value)) out->notes = Strings(value);
}

// An entry of UserDetailList, GroupDetailList or RoleDetailList.
void ReadExportPrincipal(std::string_view type, element entry, IamDocument* out) {
  const ExportKind* kind = nullptr;
  for (const ExportKind& k : kExportKinds) {
    if (k.type == type) kind = &k;
  }
  out->arn = StringField(entry, "Arn");
  out->name = kind != nullptr ? StringField(entry, kind->name_key) : std::string();
  if (out->name.empty() && !out->arn.empty()) out->name = out->arn.substr(out->arn.rfind('/') + 1);
  out->path = StringField(entry, "Path");
  for (const ExportKind& k : kExportKinds) {
    if (kind != nullptr && &k != kind) continue;
    element list;
    if (!core::Member(entry, k.policy_list, &list) || list.is_null()) continue;
    if (!list.is_array()) {
      // Passed on as the normalized shape does, so that the rule reports it for this principal.
      out->inline_policies_problem = absl::StrCat("expected a list, got ", core::Sv(core::TypeName(list)));
      out->inline_policies_value = list;
      out->inline_policies.clear();
      break;
    }
    int index = 0;
    for (element policy_entry : core::AsArray(list)) {
      InlinePolicy policy;
      if (!policy_entry.is_object()) {
        policy.name = absl::StrCat("#", index);
        policy.named = false;
        policy.is_object = false;
        policy.entry = policy_entry;
      } else {
        policy.name = StringField(policy_entry, "PolicyName");
        element document;
        if (core::Member(policy_entry, "PolicyDocument", &document)) {
          if (!document.is_null()) policy.document = document;
          policy.document_is_null = document.is_null();
          // Errors name the place in the user's file, not in the normalized shape.
          policy.source_pointer = absl::StrCat("/", core::Sv(k.policy_list), "/", index, "/PolicyDocument");
        }
      }
      out->inline_policies.push_back(std::move(policy));
      ++index;
    }
  }
  element value;
  if (core::Member(entry, "AttachedManagedPolicies", &value) && value.is_array()) {
    for (element policy : core::AsArray(value)) {
      if (!policy.is_object()) continue;
      out->attached_managed_policies.push_back(
          {StringField(policy, "PolicyName"), StringField(policy, "PolicyArn")});
    }
  }
  if (type == kIamUser && core::Member(entry, "GroupList", &value)) {
    out->group_memberships = Strings(value);
  }
  if (type == kIamRole) {
    out->trust_policy = Present(entry, "AssumeRolePolicyDocument");
    out->trust_policy_is_null =
        core::Member(entry, "AssumeRolePolicyDocument", &value) && value.is_null();
  }
}

void ReadNormalizedManagedPolicy(element root, IamDocument* out) {
  out->name = StringField(root, "name");
  out->arn = StringField(root, "arn");
  out->path = StringField(root, "path");
  element value;
  out->aws_managed = core::Member(root, "aws_managed", &value) && value.is_bool() &&
                     value.get_bool().value();
  out->attachment_count = IntegerField(root, "attachment_count");
  out->permissions_boundary_usage_count = IntegerField(root, "permissions_boundary_usage_count");
  out->default_version_id = StringField(root, "default_version_id");
  out->document = Present(root, "document");
  out->document_problem = StringField(root, "document_problem");
}

// A `Policies` entry: the document is the version flagged IsDefaultVersion, else the one whose
// VersionId is DefaultVersionId; when there is none, `document_problem` says why.
void ReadExportManagedPolicy(element entry, IamDocument* out) {
  out->arn = StringField(entry, "Arn");
  out->name = StringField(entry, "PolicyName");
  if (out->name.empty() && !out->arn.empty()) out->name = out->arn.substr(out->arn.rfind('/') + 1);
  out->path = StringField(entry, "Path");
  std::string_view partition;
  out->aws_managed = ArnPartition(out->arn, &partition) &&
                     out->arn.starts_with(absl::StrCat("arn:", core::Sv(partition), ":iam::aws:policy/"));
  out->attachment_count = IntegerField(entry, "AttachmentCount");
  out->permissions_boundary_usage_count = IntegerField(entry, "PermissionsBoundaryUsageCount");

  const std::string default_id = StringField(entry, "DefaultVersionId");
  element versions;
  const bool has_versions = core::Member(entry, "PolicyVersionList", &versions);
  std::optional<element> chosen;
  std::vector<std::string> flagged;  // VersionIds marked IsDefaultVersion
  if (has_versions && versions.is_array()) {
    for (element version : core::AsArray(versions)) {
      if (!version.is_object()) continue;
      element flag;
      if (core::Member(version, "IsDefaultVersion", &flag) && flag.is_bool() &&
          flag.get_bool().value()) {
        flagged.push_back(StringField(version, "VersionId"));
        if (!chosen) chosen = version;
      }
    }
    // An export that names two default versions cannot say which one is in force: judging either
    // could PASS a policy whose real default grants every key.
    const bool contradicts = flagged.size() > 1 || (flagged.size() == 1 && !default_id.empty() &&
                                                    flagged[0] != default_id);
    if (contradicts) {
      out->document_problem = absl::StrCat(
          "the export contradicts itself about the default version: ",
          "IsDefaultVersion is true on ", absl::StrJoin(flagged, ", "),
          default_id.empty() ? "" : absl::StrCat("; DefaultVersionId is ", default_id));
      out->default_version_id = default_id;
      return;
    }
    for (element version : core::AsArray(versions)) {
      if (chosen || default_id.empty()) break;
      if (version.is_object() && StringField(version, "VersionId") == default_id) chosen = version;
    }
  }
  out->default_version_id = chosen ? StringField(*chosen, "VersionId") : default_id;
  if (chosen) out->document = Present(*chosen, "Document");
  if (out->document) return;
  if (!has_versions || versions.is_null()) {
    out->document_problem =
        "has no \"PolicyVersionList\": the default version's document is not in the snapshot";
  } else if (!versions.is_array()) {
    out->document_problem =
        absl::StrCat("\"PolicyVersionList\" is ", core::Sv(core::TypeName(versions)), ", not a list");
  } else if (!chosen) {
    out->document_problem = absl::StrCat(
        "no entry of \"PolicyVersionList\" is the default version (IsDefaultVersion true",
        default_id.empty() ? "" : absl::StrCat(" or VersionId \"", default_id, "\""), ")");
  } else {
    out->document_problem = absl::StrCat("the default version \"",
                                         StringField(*chosen, "VersionId"), "\" has no \"Document\"");
  }
}

// Export entries name their fields as the API does (Arn, RoleName, RolePolicyList, ...); the
// normalized shape in lower case. A document with neither is read as the normalized shape, so a
// garbled one is an error ("/inline_policies: missing"), never a principal without policies.
bool IsExportShape(std::string_view type, element root) {
  static constexpr std::string_view kPrincipalKeys[] = {
      "Arn",          "UserName",       "GroupName",       "RoleName",
      "UserId",       "GroupId",        "RoleId",          "UserPolicyList",
      "GroupPolicyList", "RolePolicyList", "AttachedManagedPolicies",
      "AssumeRolePolicyDocument", "GroupList", "Path"};
  static constexpr std::string_view kPolicyKeys[] = {
      "PolicyVersionList", "PolicyName", "PolicyId", "DefaultVersionId", "AttachmentCount",
      "Arn"};
  element ignored;
  if (type == kIamManagedPolicy) {
    for (std::string_view key : kPolicyKeys) {
      if (core::Member(root, key, &ignored)) return true;
    }
    return false;
  }
  if (core::Member(root, "inline_policies", &ignored)) return false;
  for (std::string_view key : kPrincipalKeys) {
    if (core::Member(root, key, &ignored)) return true;
  }
  return false;
}

}  // namespace

nlohmann::json ElementJson(simdjson::dom::element value) {
  return nlohmann::json::parse(core::ElementText(value), nullptr, /*allow_exceptions=*/false);
}

IamDocument ReadIamDocument(std::string_view type, std::shared_ptr<const core::JsonTree> tree) {
  IamDocument out;
  out.tree = std::move(tree);
  if (out.tree == nullptr) {
    out.parse_problem = "no document";
    return out;
  }
  const element root = out.tree->root();
  if (!root.is_object()) {
    out.root_type_problem = std::string(core::TypeName(root));
    return out;
  }
  out.export_shape = IsExportShape(type, root);
  if (type == kIamManagedPolicy) {
    if (out.export_shape) {
      ReadExportManagedPolicy(root, &out);
    } else {
      ReadNormalizedManagedPolicy(root, &out);
    }
  } else if (out.export_shape) {
    ReadExportPrincipal(type, root, &out);
  } else {
    ReadNormalizedPrincipal(root, &out);
  }
  return out;
}

nlohmann::json ToNormalizedJson(std::string_view type, const IamDocument& document) {
  using nlohmann::json;
  if (document.tree == nullptr) return json();
  if (!document.export_shape) return ElementJson(document.tree->root());
  // The export entry mapped as docs/resource-model.md says.
  json out = json::object();
  out["name"] = document.name;
  out["arn"] = document.arn;
  out["path"] = document.path;
  if (type == kIamManagedPolicy) {
    out["aws_managed"] = document.aws_managed;
    out["attachment_count"] = document.attachment_count;
    out["permissions_boundary_usage_count"] = document.permissions_boundary_usage_count;
    out["default_version_id"] = document.default_version_id;
    if (document.document) out["document"] = ElementJson(*document.document);
    if (!document.document_problem.empty()) out["document_problem"] = document.document_problem;
    return out;
  }
  if (document.inline_policies_value) {
    out["inline_policies"] = ElementJson(*document.inline_policies_value);
  } else {
    json policies = json::array();
    for (const InlinePolicy& policy : document.inline_policies) {
      if (!policy.is_object) {
        policies.push_back(policy.entry ? ElementJson(*policy.entry) : json());
        continue;
      }
      json entry = {{"name", policy.name}};
      if (policy.document || policy.document_is_null) {
        entry["document"] = policy.document ? ElementJson(*policy.document) : json();
        entry["source_pointer"] = policy.source_pointer;
      }
      policies.push_back(std::move(entry));
    }
    out["inline_policies"] = std::move(policies);
  }
  json attached = json::array();
  for (const auto& policy : document.attached_managed_policies) {
    attached.push_back({{"name", policy.name}, {"arn", policy.arn}});
  }
  out["attached_managed_policies"] = std::move(attached);
  if (type == kIamUser) out["group_memberships"] = document.group_memberships;
  if (type == kIamRole && (document.trust_policy || document.trust_policy_is_null)) {
    out["trust_policy"] = document.trust_policy ? ElementJson(*document.trust_policy) : json();
  }
  return out;
}

nlohmann::json NormalizedDocument(const Resource& resource) {
  if (resource.document_text.empty()) return resource.document;
  std::shared_ptr<const core::JsonTree> tree = resource.document_tree;
  if (tree == nullptr) tree = core::ParseJsonTree(resource.document_text).tree;
  if (tree == nullptr) return DocumentJson(resource);
  return ToNormalizedJson(resource.type, ReadIamDocument(resource.type, tree));
}

void MaterializeDocument(Resource* resource) {
  if (resource->document_text.empty()) return;
  resource->document = NormalizedDocument(*resource);
  resource->document_text.clear();
  resource->document_tree.reset();
}

}  // namespace kmsguard::model
