#include "sdk/gcp/inventory.h"

#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sdk/model/json_fields.h"

namespace kmsguard::gcp {
namespace {

using nlohmann::json;

using model::ArrayMember;
using model::ObjectMember;
using model::StringList;
using model::StringMember;

class Joiner {
 public:
  explicit Joiner(InventoryResult* out) : out_(out) {}

  void Add(const model::Resource& resource) {
    const json document = model::DocumentJson(resource);
    if (!document.is_object()) {
      Problem(resource.source, "", "the document of a Google Cloud asset is not an object");
      return;
    }
    std::string name = StringMember(document, "name");
    if (name.empty()) name = resource.id;
    const std::string type = StringMember(document, "asset_type").empty()
                                 ? resource.type
                                 : StringMember(document, "asset_type");
    Hierarchy& hierarchy = out_->inventory.hierarchy;
    if (const json* ancestors = ArrayMember(document, "ancestors")) {
      std::vector<std::string> list;
      if (StringList(*ancestors, &list)) {
        hierarchy.AddAncestors(name, list);
      } else {
        Problem(resource.source, "/ancestors", "ancestors is not a list of strings");
      }
    }
    if (type == "cloudkms.googleapis.com/CryptoKey" || type == "cloudkms.googleapis.com/KeyRing") {
      hierarchy.AddKmsResource(name);
    }
    if (const json* asset = ObjectMember(document, "resource"))
      AddResource(resource, name, type, *asset);
    if (const json* policy = ObjectMember(document, "iam_policy"))
      AddPolicy(resource, name, *policy);
  }

 private:
  void Problem(const core::SourceLocation& at, std::string_view pointer, std::string message) {
    out_->diagnostics.push_back(core::ErrorAt(at, pointer, "snapshot_error", std::move(message)));
  }

  void AddResource(const model::Resource& resource, const std::string& name,
                   const std::string& type, const json& asset) {
    Hierarchy& hierarchy = out_->inventory.hierarchy;
    const json empty = json::object();
    const json* data_ptr = ObjectMember(asset, "data");
    const json& data = data_ptr ? *data_ptr : empty;
    const std::string parent = StringMember(asset, "parent");
    if (type == "cloudresourcemanager.googleapis.com/Project") {
      const std::string id = StringMember(data, "projectId");
      const std::string number = StringMember(data, "projectNumber");
      hierarchy.AddProject(id, number);
      const std::string self = number.empty() ? name : absl::StrCat("projects/", number);
      std::string data_parent;
      if (const json* p = ObjectMember(data, "parent")) {
        // Resource Manager v1: {"type": "folder" | "organization", "id": "123"}.
        const std::string kind = StringMember(*p, "type");
        if (!kind.empty() && !StringMember(*p, "id").empty()) {
          data_parent = absl::StrCat(kind, "s/", StringMember(*p, "id"));
        }
      } else if (!StringMember(data, "parent").empty()) {
        data_parent = StringMember(data, "parent");  // Resource Manager v3: "folders/123"
      }
      if (!data_parent.empty()) {
        hierarchy.SetParent(self, data_parent);
      } else if (!parent.empty()) {
        hierarchy.SetParent(self, parent);
      } else if (data_ptr != nullptr) {
        hierarchy.MarkRoot(self);  // a project outside any organization
      }
    } else if (type == "cloudresourcemanager.googleapis.com/Folder") {
      const std::string data_parent = StringMember(data, "parent");
      if (!data_parent.empty() || !parent.empty()) {
        hierarchy.SetParent(name, data_parent.empty() ? parent : data_parent);
      }
    } else if (type == "iam.googleapis.com/Role") {
      CustomRole role;
      role.name = StringMember(data, "name");
      if (role.name.empty() && name.starts_with("//iam.googleapis.com/")) {
        role.name = name.substr(std::string_view("//iam.googleapis.com/").size());
      }
      role.stage = StringMember(data, "stage");
      role.deleted = data.is_object() && data.contains("deleted") && data["deleted"].is_boolean() &&
                     data["deleted"].get<bool>();
      const json* permissions = ArrayMember(data, "includedPermissions");
      if (role.name.empty()) {
        Problem(resource.source, "/resource/data/name", "a custom role without a name");
        return;
      }
      // Present but not a list (a string, an object) is as unreadable as a list holding a number:
      // read as absent, the role would grant nothing and its bindings would pass.
      const bool listed = data.is_object() && data.contains("includedPermissions") &&
                          !data["includedPermissions"].is_null();
      if (listed && (permissions == nullptr || !StringList(*permissions, &role.permissions))) {
        // An unreadable permission list: leave the role out, so its bindings are undetermined.
        Problem(resource.source, "/resource/data/includedPermissions",
                absl::StrCat("custom role ", role.name,
                             ": includedPermissions is not a list of strings"));
        return;
      }
      out_->inventory.custom_roles.push_back(std::move(role));
    }
  }

  void AddPolicy(const model::Resource& resource, const std::string& name, const json& policy) {
    AttachedPolicy attached;
    attached.resource = name;
    attached.source = resource.source;
    if (const auto it = policy.find("version"); it != policy.end() && it->is_number_integer()) {
      attached.version = it->get<int>();
    }
    if (const json* problems = ArrayMember(policy, "problems")) {
      for (const json& p : *problems) {
        if (p.is_string()) attached.problems.push_back(p.get<std::string>());
      }
    }
    if (const auto it = policy.find("bindings"); it != policy.end() && !it->is_null()) {
      if (!it->is_array()) {
        attached.problems.push_back("/iam_policy/bindings is not a list");
        Problem(resource.source, "/iam_policy/bindings", "bindings is not a list");
      } else {
        for (std::size_t i = 0; i < it->size(); ++i) ReadBinding(resource, (*it)[i], i, &attached);
      }
    }
    out_->inventory.policies.push_back(std::move(attached));
  }

  void ReadBinding(const model::Resource& resource, const json& b, std::size_t index,
                   AttachedPolicy* policy) {
    const std::string pointer = absl::StrCat("/iam_policy/bindings/", index);
    Binding binding;
    binding.pointer = pointer;
    binding.role = StringMember(b, "role");
    const json* members = ArrayMember(b, "members");
    if (binding.role.empty() || members == nullptr || !StringList(*members, &binding.members)) {
      const std::string message = "a binding needs a role and a list of member strings";
      policy->problems.push_back(absl::StrCat(pointer, ": ", message));
      Problem(resource.source, pointer, message);
      return;
    }
    if (const json* source = ObjectMember(b, "source")) {
      // {"json_pointer": str, "address": str, "line": int, "column": int}: the binding's own
      // place (gcp_terraform.h); line and column when the plan was read from text.
      core::SourceLocation at;
      at.file = resource.source.file;
      at.json_pointer = StringMember(*source, "json_pointer");
      at.resource_id = StringMember(*source, "address");
      for (auto [key, field] : {std::pair{"line", &at.line}, std::pair{"column", &at.column}}) {
        if (const auto it = source->find(key); it != source->end() && it->is_number_integer()) {
          *field = it->get<int>();
        }
      }
      binding.source = std::move(at);
    }
    if (const json* condition = ObjectMember(b, "condition")) {
      binding.condition =
          Condition{StringMember(*condition, "title"), StringMember(*condition, "description"),
                    StringMember(*condition, "expression")};
    }
    policy->bindings.push_back(std::move(binding));
  }

  InventoryResult* out_;
};

}  // namespace

InventoryResult BuildInventory(const std::vector<model::Resource>& resources) {
  InventoryResult result;
  Joiner joiner(&result);
  const std::vector<std::string>& conflicts = result.inventory.hierarchy.conflicts();
  for (const model::Resource& resource : resources) {
    if (resource.provider != "gcp") continue;
    const std::size_t known = conflicts.size();
    joiner.Add(resource);
    // A disagreement is found while reading the asset that states the second parent: it is
    // reported where that asset was read, so the user can find both statements.
    for (std::size_t i = known; i < conflicts.size(); ++i) {
      core::Diagnostic d;
      d.severity = core::DiagnosticSeverity::kWarning;
      d.code = "snapshot_error";
      d.message =
          absl::StrCat("the inputs disagree on a parent in the resource hierarchy: ", conflicts[i],
                       "; an asset's own record is kept over another asset's ancestors");
      d.location = resource.source;
      result.diagnostics.push_back(std::move(d));
    }
  }
  return result;
}

std::string ProjectAccount(const Inventory& inventory, std::string_view account) {
  if (account.empty() || !absl::c_all_of(account, absl::ascii_isdigit)) {
    return std::string(account);
  }
  const auto& aliases = inventory.hierarchy.project_aliases();
  const auto it = aliases.find(std::string(account));
  return it == aliases.end() ? std::string(account) : it->second;
}

Organization OrganizationOf(const Inventory& inventory, std::string_view resource_name) {
  Organization out;
  for (const Scope& scope : inventory.hierarchy.AncestryOf(resource_name).scopes) {
    const std::string_view name = scope.name;
    if (scope.kind == ScopeKind::kFolder && out.folder.empty()) {
      out.folder = std::string(name.substr(name.find('/') + 1));  // folders/
    } else if (scope.kind == ScopeKind::kOrganization) {
      out.organization = std::string(name.substr(name.find('/') + 1));  // organizations/
    }
  }
  return out;
}

RoleResolver MakeRoleResolver(const Inventory& inventory, const RoleCatalog& catalog) {
  return RoleResolver(&catalog, inventory.custom_roles, inventory.hierarchy.project_aliases());
}

}  // namespace kmsguard::gcp
