// google_* IAM resources of a Terraform plan -> normalized Google Cloud assets, one per scope.
//
// A plan describes grants that do not exist yet, often on a key ring or project the same plan
// creates: the scope is then read from the configuration's reference to that resource when its
// own values say exactly where it will be, and is otherwise not placed (a wrong scope in a finding
// is worse than an honest warning). Members and roles known only after the apply keep the text
// "(known after apply)", never a guess.
#include "sdk/adapters/gcp_terraform.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/gcp/hierarchy.h"

namespace kmsguard::adapters {
namespace {

using internal::AddDiagnostic;
using internal::PointerLocation;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

constexpr char kKnownAfterApply[] = "(known after apply)";

enum class Kind : std::uint8_t { kMember, kBinding, kPolicy, kCustomRole };

struct TypeInfo {
  std::string_view type;
  gcp::ScopeKind scope;
  std::string_view attribute;  // the argument naming the scope
  Kind kind;
};

constexpr TypeInfo kTypes[] = {
    {"google_organization_iam_member", gcp::ScopeKind::kOrganization, "org_id", Kind::kMember},
    {"google_organization_iam_binding", gcp::ScopeKind::kOrganization, "org_id", Kind::kBinding},
    {"google_organization_iam_policy", gcp::ScopeKind::kOrganization, "org_id", Kind::kPolicy},
    {"google_folder_iam_member", gcp::ScopeKind::kFolder, "folder", Kind::kMember},
    {"google_folder_iam_binding", gcp::ScopeKind::kFolder, "folder", Kind::kBinding},
    {"google_folder_iam_policy", gcp::ScopeKind::kFolder, "folder", Kind::kPolicy},
    {"google_project_iam_member", gcp::ScopeKind::kProject, "project", Kind::kMember},
    {"google_project_iam_binding", gcp::ScopeKind::kProject, "project", Kind::kBinding},
    {"google_project_iam_policy", gcp::ScopeKind::kProject, "project", Kind::kPolicy},
    {"google_kms_key_ring_iam_member", gcp::ScopeKind::kKeyRing, "key_ring_id", Kind::kMember},
    {"google_kms_key_ring_iam_binding", gcp::ScopeKind::kKeyRing, "key_ring_id", Kind::kBinding},
    {"google_kms_key_ring_iam_policy", gcp::ScopeKind::kKeyRing, "key_ring_id", Kind::kPolicy},
    {"google_kms_crypto_key_iam_member", gcp::ScopeKind::kCryptoKey, "crypto_key_id",
     Kind::kMember},
    {"google_kms_crypto_key_iam_binding", gcp::ScopeKind::kCryptoKey, "crypto_key_id",
     Kind::kBinding},
    {"google_kms_crypto_key_iam_policy", gcp::ScopeKind::kCryptoKey, "crypto_key_id",
     Kind::kPolicy},
    {"google_project_iam_custom_role", gcp::ScopeKind::kProject, "project", Kind::kCustomRole},
    {"google_organization_iam_custom_role", gcp::ScopeKind::kOrganization, "org_id",
     Kind::kCustomRole},
};

const TypeInfo* InfoOf(std::string_view type) {
  for (const TypeInfo& info : kTypes) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

const Json& Value(const GoogleInstance& in, std::string_view attribute) {
  static const Json* const kNull = new Json();
  if (in.values == nullptr || !in.values->is_object()) return *kNull;
  const auto it = in.values->find(attribute);
  return it == in.values->end() ? *kNull : *it;
}

// The after_unknown part of `attribute` (null when the plan says nothing of it).
const Json* UnknownPart(const Json* unknown, std::string_view attribute) {
  if (unknown == nullptr || !unknown->is_object()) return nullptr;
  const auto it = unknown->find(attribute);
  return it == unknown->end() ? nullptr : &*it;
}

bool IsTrue(const Json* part) { return part != nullptr && part->is_boolean() && part->get<bool>(); }

std::string KnownString(const Json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

// The relative name of a scope from the provider's id forms; "" (and `why`) when it names none.
// `provider_project` is set when the id leaves the project to the provider's configuration.
std::string ScopeName(gcp::ScopeKind kind, const std::string& text, std::string* why,
                      bool* provider_project) {
  std::string name;
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  switch (kind) {
    case gcp::ScopeKind::kOrganization:
      name = text.starts_with("organizations/") ? text : "organizations/" + text;
      break;
    case gcp::ScopeKind::kFolder:
      name = text.starts_with("folders/") ? text : "folders/" + text;
      break;
    case gcp::ScopeKind::kProject:
      name = text.starts_with("projects/") ? text : "projects/" + text;
      break;
    case gcp::ScopeKind::kKeyRing:
      if (parts.size() == 3) {
        name = absl::StrCat("projects/", parts[0], "/locations/", parts[1], "/keyRings/", parts[2]);
      } else if (parts.size() == 2) {
        *provider_project = true;
        *why = absl::StrCat("key ring id '", text,
                            "' names the provider's project, which the plan does not hold");
        return "";
      } else {
        name = text;
      }
      break;
    case gcp::ScopeKind::kCryptoKey:
      if (parts.size() == 4) {
        name = absl::StrCat("projects/", parts[0], "/locations/", parts[1], "/keyRings/", parts[2],
                            "/cryptoKeys/", parts[3]);
      } else if (parts.size() == 3) {
        *provider_project = true;
        *why = absl::StrCat("crypto key id '", text,
                            "' names the provider's project, which the plan does not hold");
        return "";
      } else {
        name = text;
      }
      break;
    case gcp::ScopeKind::kOther:
      break;
  }
  const gcp::Scope scope = gcp::ParseScope(name);
  if (scope.kind != kind) {
    *why = absl::StrCat("'", text, "' is not a ", std::string(gcp::ScopeKindName(kind)), " id");
    return "";
  }
  return scope.name;
}

// The text `attribute` of `in` stands for: as planned; else the known value the configuration
// refers to; else, for a reference to a key ring's or crypto key's `id`, that id made from the
// referenced resource's own values (the provider's id formats:
// "projects/{{project}}/locations/{{location}}/keyRings/{{name}}" and
// "{{key_ring}}/cryptoKeys/{{name}}"). nullopt when none of these is known.
std::optional<std::string> Text(const GoogleInstance& in, std::string_view attribute,
                                int depth = 0) {
  if (std::string v = KnownString(Value(in, attribute));
      !v.empty() && !IsTrue(UnknownPart(in.after_unknown, attribute))) {
    return v;
  }
  if (in.referenced_value) {
    if (const Json* v = in.referenced_value(attribute); v != nullptr && v->is_string()) {
      return v->get<std::string>();
    }
  }
  if (!in.referenced || depth > 2) return std::nullopt;
  std::string target_attribute;
  const GoogleInstance* target = in.referenced(attribute, &target_attribute);
  if (target == nullptr || target_attribute != "id") return std::nullopt;
  const std::optional<std::string> name = Text(*target, "name", depth + 1);
  if (!name) return std::nullopt;
  if (target->type == "google_kms_key_ring") {
    const std::optional<std::string> project = Text(*target, "project", depth + 1);
    const std::optional<std::string> location = Text(*target, "location", depth + 1);
    if (!project || !location) return std::nullopt;
    return absl::StrCat("projects/", *project, "/locations/", *location, "/keyRings/", *name);
  }
  if (target->type == "google_kms_crypto_key") {
    const std::optional<std::string> ring = Text(*target, "key_ring", depth + 1);
    if (!ring) return std::nullopt;
    return absl::StrCat(*ring, "/cryptoKeys/", *name);
  }
  return std::nullopt;
}

// What the configuration says `attribute` refers to ("google_service_account.sa.email"), for
// messages; "" when nothing of the plan.
std::string ReferenceText(const GoogleInstance& in, std::string_view attribute) {
  if (!in.referenced) return "";
  std::string target_attribute;
  const GoogleInstance* target = in.referenced(attribute, &target_attribute);
  if (target == nullptr) return "";
  return absl::StrCat(" (it refers to ", target->address,
                      target_attribute.empty() ? "" : "." + target_attribute, ")");
}

// The bindings of every instance on one scope.
struct Group {
  gcp::ScopeKind kind = gcp::ScopeKind::kOther;
  std::string name;  // relative
  const GoogleInstance* first = nullptr;
  Json bindings = Json::array();
  Json problems = Json::array();
  Json unknown = Json::array();
};

class Reader {
 public:
  Reader(std::string_view file, AdapterResult* result, const internal::JsonPositions* positions)
      : file_(file), positions_(positions), result_(result) {}

  void Read(const GoogleInstance& in, const TypeInfo& info) {
    const std::optional<std::string> text = Text(in, info.attribute);
    std::string why;
    bool provider_project = false;
    const std::string scope =
        text ? ScopeName(info.scope, *text, &why, &provider_project) : std::string();
    if (!text) {
      why = absl::StrCat(std::string(info.attribute), " is known only after apply",
                         ReferenceText(in, info.attribute));
    }
    if (scope.empty()) {
      AddDiagnostic(&result_->diagnostics, text && !provider_project ? kError : kWarning,
                    Where(in, ""),
                    absl::StrCat(in.address, ": ", why,
                                 info.kind == Kind::kCustomRole
                                     ? "; the role is not read, and bindings to it are "
                                       "undetermined"
                                     : "; its bindings cannot be placed and are not judged"));
      return;
    }
    if (info.kind == Kind::kCustomRole) {
      CustomRole(in, scope);
      return;
    }
    Group& group = GroupOf(info.scope, scope, in);
    if (info.kind == Kind::kPolicy) {
      PolicyData(in, &group);
    } else {
      Binding(in, info.kind, &group);
    }
  }

  void Finish() {
    for (Group& group : groups_) {
      const bool kms =
          group.kind == gcp::ScopeKind::kKeyRing || group.kind == gcp::ScopeKind::kCryptoKey;
      const char* kinds[] = {"Organization", "Folder", "Project"};
      const std::string asset_type =
          kms ? (group.kind == gcp::ScopeKind::kKeyRing ? "cloudkms.googleapis.com/KeyRing"
                                                        : "cloudkms.googleapis.com/CryptoKey")
              : absl::StrCat("cloudresourcemanager.googleapis.com/",
                             kinds[static_cast<int>(group.kind)]);
      const std::string full = absl::StrCat(
          kms ? "//cloudkms.googleapis.com/" : "//cloudresourcemanager.googleapis.com/",
          group.name);
      Json policy = {{"bindings", std::move(group.bindings)}};
      if (!group.problems.empty()) policy["problems"] = std::move(group.problems);
      Json document = {{"name", full}, {"asset_type", asset_type}, {"iam_policy", policy}};
      if (!group.unknown.empty()) document["unknown"] = std::move(group.unknown);
      Emit(full, asset_type, std::move(document), *group.first);
    }
  }

 private:
  core::SourceLocation Where(const GoogleInstance& in, const std::string& pointer) const {
    return internal::PointerLocation(file_, in.pointer + pointer, in.address, positions_);
  }

  // A binding's own place, as docs/resource-model.md has it: the Terraform address, the JSON
  // pointer and, when the plan was read from text, the line and column.
  Json BindingSource(const GoogleInstance& in, const std::string& pointer) const {
    const core::SourceLocation at = Where(in, pointer);
    Json source = {{"address", in.address}, {"json_pointer", at.json_pointer}};
    if (at.line > 0) {
      source["line"] = at.line;
      source["column"] = at.column;
    }
    return source;
  }

  void Emit(const std::string& full, const std::string& asset_type, Json document,
            const GoogleInstance& source) {
    model::Resource r;
    r.provider = "gcp";
    r.id = full;
    r.type = asset_type;
    // The relative name: "projects/p/…" after "//SERVICE/".
    const std::string relative = full.substr(full.find('/', 2) + 1);
    const std::vector<std::string> parts = absl::StrSplit(relative, '/');
    if (parts.size() >= 2 && parts[0] == "projects") r.account = std::string(parts[1]);
    r.region = parts.size() >= 4 && parts[2] == "locations" ? std::string(parts[3]) : "global";
    r.name = full.substr(full.rfind('/') + 1);
    r.document = std::move(document);
    r.source = Where(source, "");
    result_->resources.push_back(std::move(r));
  }

  Group& GroupOf(gcp::ScopeKind kind, const std::string& name, const GoogleInstance& in) {
    const auto [it, inserted] = group_index_.try_emplace(name, groups_.size());
    if (inserted) {
      groups_.emplace_back();
      groups_.back().kind = kind;
      groups_.back().name = name;
      groups_.back().first = &in;
    }
    return groups_[it->second];
  }

  // A string of the instance (role, member): "(known after apply)" with a warning when so.
  Json Str(const GoogleInstance& in, const Json& value, const Json* unknown,
           const std::string& what, const std::string& at, std::string_view attribute, Group* group,
           const std::string& doc_pointer) {
    if (IsTrue(unknown) || value.is_null()) {
      if (!IsTrue(unknown)) return nullptr;
      AddDiagnostic(
          &result_->diagnostics, kWarning, Where(in, at),
          absl::StrCat("the ", what, " of ", in.address, " is known only after apply",
                       ReferenceText(in, attribute), "; kept as \"", kKnownAfterApply, "\""));
      group->unknown.push_back(doc_pointer);
      return kKnownAfterApply;
    }
    return value.is_string() ? value : Json();
  }

  void Problem(const GoogleInstance& in, const std::string& at, const std::string& message,
               Group* group) {
    AddDiagnostic(&result_->diagnostics, kError, Where(in, at),
                  absl::StrCat(in.address, ": ", message));
    group->problems.push_back(absl::StrCat(in.address, at, ": ", message));
  }

  // google_*_iam_member and google_*_iam_binding.
  void Binding(const GoogleInstance& in, Kind kind, Group* group) {
    const std::size_t index = group->bindings.size();
    const std::string doc = absl::StrCat("/iam_policy/bindings/", index);
    Json binding = {{"role", Str(in, Value(in, "role"), UnknownPart(in.after_unknown, "role"),
                                 "role", "/role", "role", group, doc + "/role")}};
    if (!binding["role"].is_string() || binding["role"].get<std::string>().empty()) {
      Problem(in, "/role", "a binding needs a role (a non-empty string)", group);
      return;
    }
    Json members = Json::array();
    if (kind == Kind::kMember) {
      Json member = Str(in, Value(in, "member"), UnknownPart(in.after_unknown, "member"), "member",
                        "/member", "member", group, doc + "/members/0");
      if (!member.is_string()) {
        Problem(in, "/member", "a member binding needs a member (a string)", group);
        return;
      }
      members.push_back(std::move(member));
    } else {
      const Json& list = Value(in, "members");
      const Json* unknown = UnknownPart(in.after_unknown, "members");
      if (IsTrue(unknown)) {
        members.push_back(
            Str(in, Json(), unknown, "members", "/members", "members", group, doc + "/members/0"));
      } else if (!list.is_array()) {
        Problem(in, "/members", "a binding needs a list of members", group);
        return;
      } else {
        for (std::size_t i = 0; i < list.size(); ++i) {
          const Json* part = unknown != nullptr && unknown->is_array() && i < unknown->size()
                                 ? &(*unknown)[i]
                                 : nullptr;
          Json member = Str(in, list[i], part, "member", absl::StrCat("/members/", i), "members",
                            group, absl::StrCat(doc, "/members/", members.size()));
          if (!member.is_string()) {
            Problem(in, absl::StrCat("/members/", i), "a member is not a string", group);
            return;
          }
          members.push_back(std::move(member));
        }
      }
    }
    binding["members"] = std::move(members);
    // `condition`: a block, a list of at most one object in the plan's JSON.
    const Json& condition = Value(in, "condition");
    const Json* condition_unknown = UnknownPart(in.after_unknown, "condition");
    if (IsTrue(condition_unknown)) {
      binding["condition"] =
          Json{{"expression", Str(in, Json(), condition_unknown, "condition", "/condition",
                                  "condition", group, doc + "/condition/expression")}};
    } else if (condition.is_array() && !condition.empty() && condition[0].is_object()) {
      const Json* unknown0 = condition_unknown != nullptr && condition_unknown->is_array() &&
                                     !condition_unknown->empty()
                                 ? &(*condition_unknown)[0]
                                 : nullptr;
      Json out = Json::object();
      for (const char* key : {"title", "description", "expression"}) {
        Json v = Str(in, condition[0].contains(key) ? condition[0][key] : Json(),
                     UnknownPart(unknown0, key), absl::StrCat("condition ", key),
                     absl::StrCat("/condition/0/", key), "condition", group,
                     absl::StrCat(doc, "/condition/", key));
        if (v.is_string()) out[key] = std::move(v);
      }
      binding["condition"] = std::move(out);
    } else if (!condition.is_null() && !condition.is_array()) {
      Problem(in, "/condition", "condition is not a block (a list of one object)", group);
      return;
    }
    binding["source"] = BindingSource(in, "");
    group->bindings.push_back(std::move(binding));
  }

  // google_*_iam_policy: the bindings of `policy_data`, the JSON text of an IAM Policy.
  void PolicyData(const GoogleInstance& in, Group* group) {
    const std::string at = in.pointer + "/policy_data";
    std::optional<std::string> text;
    if (!IsTrue(UnknownPart(in.after_unknown, "policy_data"))) {
      if (const Json& v = Value(in, "policy_data"); v.is_string()) text = v.get<std::string>();
    }
    if (!text && in.referenced_value) {
      if (const Json* v = in.referenced_value("policy_data"); v != nullptr && v->is_string()) {
        text = v->get<std::string>();
      }
    }
    if (!text) {
      const std::string message =
          absl::StrCat("the policy_data of ", in.address, " is known only after apply",
                       ReferenceText(in, "policy_data"), "; the policy it sets on ", group->name,
                       " is not seen, and members it binds may hold grants not listed");
      AddDiagnostic(&result_->diagnostics, kWarning, Where(in, "/policy_data"), message);
      group->problems.push_back(message);
      return;
    }
    Json policy;
    core::Diagnostics diagnostics;
    bool lossy = false;
    const bool parsed = internal::ParseJsonText(*text, internal::JsonOrigin{file_, at}, &policy,
                                                &diagnostics, &lossy);
    for (core::Diagnostic& d : diagnostics) {
      d.location.resource_id = in.address;
      d.message = absl::StrCat(in.address, ": policy_data: ", d.message);
      result_->diagnostics.push_back(std::move(d));
    }
    if (!parsed) {
      group->problems.push_back(
          absl::StrCat(in.address, "/policy_data: not JSON; its bindings are not seen"));
      return;
    }
    if (lossy) {
      group->problems.push_back(absl::StrCat(
          in.address, "/policy_data: read with replacements (invalid UTF-8 or a repeated key)"));
    }
    if (!policy.is_object()) {
      Problem(in, "/policy_data", "policy_data is not an IAM policy (a JSON object)", group);
      return;
    }
    const auto bindings = policy.find("bindings");
    if (bindings == policy.end() || bindings->is_null()) return;  // an empty policy
    if (!bindings->is_array()) {
      Problem(in, "/policy_data/bindings", "bindings is not a list", group);
      return;
    }
    for (std::size_t i = 0; i < bindings->size(); ++i) {
      const Json& b = (*bindings)[i];
      const std::string here = absl::StrCat("/policy_data/bindings/", i);
      const Json role = b.is_object() && b.contains("role") ? b["role"] : Json();
      if (!role.is_string() || role.get<std::string>().empty()) {
        Problem(in, here + "/role", "a binding needs a role (a non-empty string)", group);
        continue;
      }
      const Json members = b.contains("members") ? b["members"] : Json();
      bool readable = members.is_array();
      for (std::size_t m = 0; readable && m < members.size(); ++m) {
        readable = members[m].is_string();
      }
      if (!readable) {
        Problem(in, here + "/members", "a binding needs a list of member strings", group);
        continue;
      }
      Json binding = {{"role", role}, {"members", members}};
      if (const auto c = b.find("condition"); c != b.end() && !c->is_null()) {
        if (!c->is_object()) {
          Problem(in, here + "/condition", "a condition is not an object", group);
          continue;
        }
        Json condition = Json::object();
        for (const char* key : {"title", "description", "expression"}) {
          if (const auto f = c->find(key); f != c->end() && f->is_string()) condition[key] = *f;
        }
        binding["condition"] = std::move(condition);
      }
      binding["source"] = BindingSource(in, here);
      group->bindings.push_back(std::move(binding));
    }
  }

  // google_project_iam_custom_role and google_organization_iam_custom_role: an
  // iam.googleapis.com/Role asset, as a CAI `resource` export has it.
  void CustomRole(const GoogleInstance& in, const std::string& parent) {
    const std::optional<std::string> role_id = Text(in, "role_id");
    const Json& permissions = Value(in, "permissions");
    std::string why;
    if (!role_id || role_id->empty()) {
      why = "its role_id is known only after apply";
    } else if (IsTrue(UnknownPart(in.after_unknown, "permissions"))) {
      why = "its permissions are known only after apply";
    } else if (!permissions.is_array() ||
               !std::all_of(permissions.begin(), permissions.end(),
                            [](const Json& p) { return p.is_string(); })) {
      AddDiagnostic(&result_->diagnostics, kError, Where(in, "/permissions"),
                    absl::StrCat(in.address, ": permissions is not a list of strings; ",
                                 "bindings to this role are undetermined"));
      return;
    }
    if (!why.empty()) {
      AddDiagnostic(
          &result_->diagnostics, kWarning, Where(in, ""),
          absl::StrCat(in.address, ": ", why, "; bindings to this role are undetermined"));
      return;
    }
    const std::string name = absl::StrCat(parent, "/roles/", *role_id);
    Json data = {{"name", name}, {"includedPermissions", permissions}};
    if (const std::optional<std::string> stage = Text(in, "stage"); stage && !stage->empty()) {
      data["stage"] = *stage;
    }
    // `deleted` is computed: unknown (a role this plan creates) is taken as not deleted.
    if (const Json& deleted = Value(in, "deleted"); deleted.is_boolean()) data["deleted"] = deleted;
    const std::string full = "//iam.googleapis.com/" + name;
    Json document = {{"name", full},
                     {"asset_type", "iam.googleapis.com/Role"},
                     {"resource", {{"data", std::move(data)}}}};
    Emit(full, "iam.googleapis.com/Role", std::move(document), in);
  }

  std::string_view file_;
  const internal::JsonPositions* positions_;  // null when the plan was handed over parsed
  AdapterResult* result_;
  std::vector<Group> groups_;
  std::map<std::string, std::size_t> group_index_;
};

}  // namespace

bool IsGoogleIamType(std::string_view type) { return InfoOf(type) != nullptr; }

void ReadGoogleIamResources(const std::vector<GoogleInstance>& instances, std::string_view file,
                            AdapterResult* result, const internal::JsonPositions* positions) {
  Reader reader(file, result, positions);
  for (const GoogleInstance& in : instances) {
    if (const TypeInfo* info = InfoOf(in.type)) reader.Read(in, *info);
  }
  reader.Finish();
}

}  // namespace kmsguard::adapters
