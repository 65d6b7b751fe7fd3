// `aws iam get-account-authorization-details` -> normalized principals.
//
// Real exports vary: boto3 and the CLI omit UserPolicyList when a user has no inline policy, lists
// may be null, policy documents are objects (CLI, boto3) or URL-encoded strings (the raw API). The
// adapter keeps documents as given (the engine parses them, so one broken document is an error for
// its principal only) and reports entries it cannot use by JSON pointer while loading the rest.
#include "sdk/adapters/authorization_details.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kmsguard::adapters {

namespace {

constexpr char kSnapshotError[] = "snapshot_error";

// Per principal type: the export's list and field names.
struct PrincipalKind {
  std::string_view type;         // model type
  std::string_view list;         // UserDetailList ...
  std::string_view name_key;     // UserName ...
  std::string_view policy_list;  // UserPolicyList ...
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "UserDetailList", "UserName", "UserPolicyList"},
    {model::kIamGroup, "GroupDetailList", "GroupName", "GroupPolicyList"},
    {model::kIamRole, "RoleDetailList", "RoleName", "RolePolicyList"},
};

const PrincipalKind* KindFor(std::string_view type) {
  for (const PrincipalKind& kind : kKinds) {
    if (kind.type == type) return &kind;
  }
  return nullptr;
}

std::string StringField(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Arn {
  std::string partition;
  std::string account;
  std::string resource;  // "role/path/name"
};

// arn:partition:service:region:account:resource; false when `text` is not shaped like one.
bool ParseArn(std::string_view text, Arn* arn) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; parts.size() < 5;) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
    if (parts.size() == 5) parts.push_back(text.substr(start));  // the resource keeps its colons
  }
  if (parts[0] != "arn" || parts[1].empty()) return false;
  arn->partition = std::string(parts[1]);
  arn->account = std::string(parts[4]);
  arn->resource = std::string(parts[5]);
  return true;
}

void Report(core::Diagnostics* out, core::DiagnosticSeverity severity, std::string_view file,
            std::string pointer, std::string message) {
  core::Diagnostic d;
  d.severity = severity;
  d.code = kSnapshotError;
  d.message = std::move(message);
  d.location.file = std::string(file);
  d.location.json_pointer = std::move(pointer);
  out->push_back(std::move(d));
}

// nlohmann reports a 1-based byte index of the last character read; editors want line:column.
core::SourceLocation LocationOfByte(std::string_view text, std::size_t byte,
                                    std::string_view file) {
  core::SourceLocation loc;
  loc.file = std::string(file);
  loc.line = 1;
  const std::size_t offset = byte == 0 ? 0 : std::min(byte - 1, text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      line_start = i + 1;
    }
  }
  loc.column = static_cast<int>(offset - line_start) + 1;
  return loc;
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> the
// part after the position, which the location already carries.
std::string ParseErrorText(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  if (const std::size_t at = what.find("] "); at != std::string_view::npos)
    what.remove_prefix(at + 2);
  if (what.rfind("parse error at line", 0) == 0) {
    if (const std::size_t colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

nlohmann::json NormalizeExportEntry(const PrincipalKind* kind, const nlohmann::json& entry) {
  nlohmann::json out = nlohmann::json::object();
  const std::string arn = StringField(entry, "Arn");
  std::string name = kind ? StringField(entry, kind->name_key) : std::string();
  if (name.empty() && !arn.empty()) name = arn.substr(arn.rfind('/') + 1);
  out["name"] = name;
  out["arn"] = arn;
  out["path"] = StringField(entry, "Path");

  // Inline policies. An entry that is not shaped as expected is passed on as is, so that the
  // engine reports it (by pointer) for this principal instead of it silently disappearing.
  nlohmann::json inline_policies = nlohmann::json::array();
  for (const PrincipalKind& k : kKinds) {
    if (kind != nullptr && &k != kind) continue;
    const auto list = entry.find(k.policy_list);
    if (list == entry.end() || list->is_null()) continue;
    if (!list->is_array()) {
      inline_policies = *list;
      break;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const nlohmann::json& policy = (*list)[i];
      if (!policy.is_object()) {
        inline_policies.push_back(policy);
        continue;
      }
      nlohmann::json normalized = {{"name", StringField(policy, "PolicyName")}};
      if (const auto doc = policy.find("PolicyDocument"); doc != policy.end()) {
        normalized["document"] = *doc;
        // Errors name the place in the user's file, not in the normalized shape.
        normalized["source_pointer"] = absl::StrCat("/", std::string(k.policy_list), "/", i, "/PolicyDocument");
      }
      inline_policies.push_back(std::move(normalized));
    }
  }
  out["inline_policies"] = std::move(inline_policies);

  nlohmann::json attached = nlohmann::json::array();
  if (const auto list = entry.find("AttachedManagedPolicies");
      list != entry.end() && list->is_array()) {
    for (const nlohmann::json& policy : *list) {
      if (!policy.is_object()) continue;
      attached.push_back(
          {{"name", StringField(policy, "PolicyName")}, {"arn", StringField(policy, "PolicyArn")}});
    }
  }
  out["attached_managed_policies"] = std::move(attached);

  const std::string_view type = kind ? kind->type : std::string_view();
  if (type == model::kIamUser) {
    nlohmann::json groups = nlohmann::json::array();
    if (const auto list = entry.find("GroupList"); list != entry.end() && list->is_array()) {
      for (const nlohmann::json& group : *list) {
        if (group.is_string()) groups.push_back(group);
      }
    }
    out["group_memberships"] = std::move(groups);
  } else if (type == model::kIamRole) {
    if (const auto trust = entry.find("AssumeRolePolicyDocument"); trust != entry.end()) {
      out["trust_policy"] = *trust;
    }
  }
  return out;
}

// A `Policies` entry -> the managed-policy shape of sdk/model/resource.h. The document is the
// version flagged IsDefaultVersion, else the one whose VersionId is DefaultVersionId; when there is
// none, "document" is left out and `*problem` says why (the engine then reports an ERROR).
nlohmann::json NormalizeManagedPolicy(const nlohmann::json& entry, std::string* problem) {
  nlohmann::json out = nlohmann::json::object();
  const std::string arn = StringField(entry, "Arn");
  std::string name = StringField(entry, "PolicyName");
  if (name.empty() && !arn.empty()) name = arn.substr(arn.rfind('/') + 1);
  out["name"] = name;
  out["arn"] = arn;
  out["path"] = StringField(entry, "Path");
  Arn parsed;
  out["aws_managed"] =
      ParseArn(arn, &parsed) &&
      arn.rfind(absl::StrCat("arn:", parsed.partition, ":iam::aws:policy/"), 0) == 0;
  const auto count = [&entry](std::string_view key) -> std::int64_t {
    const auto it = entry.find(key);
    return it != entry.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  out["attachment_count"] = count("AttachmentCount");
  out["permissions_boundary_usage_count"] = count("PermissionsBoundaryUsageCount");

  const std::string default_id = StringField(entry, "DefaultVersionId");
  const auto versions = entry.find("PolicyVersionList");
  const nlohmann::json* chosen = nullptr;
  if (versions != entry.end() && versions->is_array()) {
    for (const nlohmann::json& version : *versions) {
      if (!version.is_object()) continue;
      if (const auto flag = version.find("IsDefaultVersion");
          flag != version.end() && flag->is_boolean() && flag->get<bool>()) {
        chosen = &version;
        break;
      }
    }
    for (const nlohmann::json& version : *versions) {
      if (chosen != nullptr || default_id.empty()) break;
      if (version.is_object() && StringField(version, "VersionId") == default_id) chosen = &version;
    }
  }
  out["default_version_id"] = chosen ? StringField(*chosen, "VersionId") : default_id;
  if (chosen != nullptr && chosen->contains("Document") && !(*chosen)["Document"].is_null()) {
    out["document"] = (*chosen)["Document"];
  } else if (versions == entry.end() || versions->is_null()) {
    *problem =
        "has no \"PolicyVersionList\": the default version's document is not in the "
        "snapshot";
  } else if (!versions->is_array()) {
    *problem = absl::StrCat("\"PolicyVersionList\" is ", versions->type_name(), ", not a list");
  } else if (chosen == nullptr) {
    *problem = absl::StrCat(
        "no entry of \"PolicyVersionList\" is the default version (IsDefaultVersion true",
        default_id.empty() ? "" : absl::StrCat(" or VersionId \"", default_id, "\""), ")");
  } else {
    *problem = absl::StrCat("the default version \"", StringField(*chosen, "VersionId"),
                            "\" has no \"Document\"");
  }
  if (!problem->empty()) out["document_problem"] = *problem;
  return out;
}

}  // namespace

nlohmann::json NormalizePrincipalDocument(std::string_view type, const nlohmann::json& document) {
  // Not an object: returned unchanged, so the engine reports "/: not an object" for it.
  if (!document.is_object()) return document;
  if (type == model::kIamManagedPolicy) {
    // A `Policies` entry has PolicyVersionList; the normalized shape has none.
    if (!document.contains("PolicyVersionList")) return document;
    std::string problem;
    return NormalizeManagedPolicy(document, &problem);
  }
  if (document.contains("inline_policies")) return document;
  return NormalizeExportEntry(KindFor(type), document);
}

AdapterResult ReadAuthorizationDetails(std::string_view json_text, std::string_view source_name) {
  AdapterResult result;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& e) {
    core::Diagnostic d;
    d.code = kSnapshotError;
    d.message = absl::StrCat("not valid JSON: ", ParseErrorText(e));
    d.location = LocationOfByte(json_text, e.byte, source_name);
    result.diagnostics.push_back(std::move(d));
    return result;
  }
  if (!root.is_object()) {
    Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, "",
           absl::StrCat("expected the JSON object of get-account-authorization-details, got ",
                        root.type_name()));
    return result;
  }
  const auto policies = root.find("Policies");
  if (policies != root.end() && !policies->is_null() && !policies->is_array()) {
    Report(&result.diagnostics, core::DiagnosticSeverity::kWarning, source_name, "/Policies",
           absl::StrCat("expected a list, got ", policies->type_name(), "; ignored"));
  }

  // Group members come from the users' GroupList; only known when the user list is present.
  const auto users = root.find("UserDetailList");
  const bool members_known = users != root.end() && users->is_array();
  std::map<std::string, std::vector<std::string>, std::less<>> members;

  for (const PrincipalKind& kind : kKinds) {
    const auto list = root.find(kind.list);
    if (list == root.end() || list->is_null()) continue;
    const std::string list_pointer = "/" + std::string(kind.list);
    if (!list->is_array()) {
      Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, list_pointer,
             absl::StrCat("expected a list, got ", list->type_name()));
      continue;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const nlohmann::json& entry = (*list)[i];
      const std::string pointer = absl::StrCat(list_pointer, "/", i);
      if (!entry.is_object()) {
        Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, pointer,
               absl::StrCat("expected an object, got ", entry.type_name(), "; entry skipped"));
        continue;
      }
      const std::string arn_text = StringField(entry, "Arn");
      if (arn_text.empty()) {
        Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, pointer,
               "entry has no \"Arn\" string; entry skipped");
        continue;
      }
      model::Resource resource;
      resource.id = arn_text;
      resource.type = std::string(kind.type);
      if (Arn arn; ParseArn(arn_text, &arn)) {
        resource.partition = arn.partition;
        resource.account = arn.account;
      } else {
        Report(&result.diagnostics, core::DiagnosticSeverity::kWarning, source_name,
               pointer + "/Arn",
               absl::StrCat("\"", arn_text, "\" is not an ARN; partition and account unknown"));
      }
      resource.document = NormalizeExportEntry(&kind, entry);
      resource.name = resource.document["name"].get<std::string>();
      resource.source.file = std::string(source_name);
      resource.source.json_pointer = pointer;
      resource.source.resource_id = arn_text;
      if (kind.type == model::kIamUser) {
        for (const nlohmann::json& group : resource.document["group_memberships"]) {
          members[group.get<std::string>()].push_back(resource.name);
        }
      }
      result.resources.push_back(std::move(resource));
    }
  }

  // Managed policies: one resource each, for the managed-policy rules (KMS.1).
  for (std::size_t i = 0; policies != root.end() && policies->is_array() && i < policies->size();
       ++i) {
    const nlohmann::json& entry = (*policies)[i];
    const std::string pointer = absl::StrCat("/Policies/", i);
    if (!entry.is_object()) {
      Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, pointer,
             absl::StrCat("expected an object, got ", entry.type_name(), "; entry skipped"));
      continue;
    }
    const std::string arn_text = StringField(entry, "Arn");
    if (arn_text.empty()) {
      Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, pointer,
             "entry has no \"Arn\" string; entry skipped");
      continue;
    }
    model::Resource resource;
    resource.id = arn_text;
    resource.type = model::kIamManagedPolicy;
    std::string problem;
    resource.document = NormalizeManagedPolicy(entry, &problem);
    resource.name = resource.document["name"].get<std::string>();
    if (Arn arn; ParseArn(arn_text, &arn)) {
      resource.partition = arn.partition;
      // AWS managed policies ("arn:aws:iam::aws:policy/...") belong to no account.
      if (!resource.document["aws_managed"].get<bool>()) resource.account = arn.account;
    } else {
      Report(&result.diagnostics, core::DiagnosticSeverity::kWarning, source_name, pointer + "/Arn",
             absl::StrCat("\"", arn_text, "\" is not an ARN; partition and account unknown"));
    }
    if (!problem.empty()) {
      // Still emitted: the rule reports an ERROR for it rather than nothing.
      Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name,
             pointer + "/PolicyVersionList",
             absl::StrCat("managed policy ", resource.name, " ", problem));
    }
    resource.source.file = std::string(source_name);
    resource.source.json_pointer = pointer;
    resource.source.resource_id = arn_text;
    result.resources.push_back(std::move(resource));
  }

  if (members_known) {
    for (model::Resource& resource : result.resources) {
      if (resource.type != model::kIamGroup) continue;
      const auto it = members.find(resource.name);
      resource.document["members"] =
          it == members.end() ? nlohmann::json::array() : nlohmann::json(it->second);
    }
  }
  return result;
}

}  // namespace kmsguard::adapters
