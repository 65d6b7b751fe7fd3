// Terraform JSON (`terraform show -json`) -> normalized principals, managed policies and KMS keys.
//
// A plan describes resources that do not exist yet: ARNs are unknown, and so is any attribute
// computed at apply time (`after_unknown`). The principal a policy attaches to is therefore
// resolved through the plan's own graph (`configuration` references) when that is exact, and is
// otherwise reported as unknown: a wrong principal in a finding is worse than an honest
// "<unknown: ...>", and the policy is still judged.
#include "sdk/adapters/terraform.h"

#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/azure_terraform.h"
#include "sdk/adapters/gcp_terraform.h"
#include "sdk/core/terraform_address.h"
#include "sdk/core/text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::PointerLocation;
using internal::StringField;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// "name[0]" -> "name"; "name" stays.
std::string WithoutIndex(std::string_view part) {
  const std::size_t bracket = part.find('[');
  return std::string(part.substr(0, bracket));
}

// The module-instance prefix of an address ("module.a[0].module.b." for
// "module.a[0].module.b.aws_iam_role.r"), and the address with every instance key removed, which
// is how `configuration` names resources ("module.a.module.b.aws_iam_role.r").
struct AddressParts {
  std::string module_prefix;
  std::string config_address;
};

AddressParts PartsOf(std::string_view address) {
  const std::vector<std::string_view> parts = core::SplitTerraformAddress(address);
  AddressParts out;
  std::size_t i = 0;
  while (i + 1 < parts.size() && parts[i] == "module") {
    absl::StrAppend(&out.module_prefix, "module.", core::Sv(parts[i + 1]), ".");
    absl::StrAppend(&out.config_address, "module.", WithoutIndex(parts[i + 1]), ".");
    i += 2;
  }
  for (std::size_t k = i; k < parts.size(); ++k) {
    out.config_address += (k == i ? "" : ".") + WithoutIndex(parts[k]);
  }
  return out;
}

struct PrincipalKind {
  const char* model_type;
  const char* resource;        // aws_iam_user
  const char* policy;          // aws_iam_user_policy
  const char* attachment;      // aws_iam_user_policy_attachment
  const char* attribute;       // user
  const char* list_attribute;  // users (aws_iam_policy_attachment)
  const char* kind;            // "user"
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "aws_iam_user", "aws_iam_user_policy", "aws_iam_user_policy_attachment",
     "user", "users", "user"},
    {model::kIamGroup, "aws_iam_group", "aws_iam_group_policy", "aws_iam_group_policy_attachment",
     "group", "groups", "group"},
    {model::kIamRole, "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
     "role", "roles", "role"},
};

// One resource instance of the plan.
struct TfResource {
  std::string address;
  std::string type;
  bool data = false;
  const Json* values = nullptr;         // planned values (`after`), or state values
  const Json* after_unknown = nullptr;  // null when the input has no change for it
  std::string pointer;
};

class TerraformReader {
 public:
  TerraformReader(std::string_view file, const internal::JsonPositions* positions)
      : file_(file), positions_(positions) {}

  AdapterResult Read(const Json& root) {
    if (!root.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, At(""),
                    absl::StrCat("expected the JSON object of `terraform show -json`, got ",
                                 root.type_name()));
      return std::move(result_);
    }
    bool any_values = false;
    for (const char* key : {"planned_values", "values"}) {
      if (auto it = root.find(key); it != root.end() && it->is_object()) {
        any_values = true;
        if (auto module = it->find("root_module"); module != it->end()) {
          WalkModule(*module, absl::StrCat("/", key, "/root_module"), /*data_only=*/false);
        }
      }
    }
    if (auto changes = root.find("resource_changes"); changes != root.end()) {
      any_values = true;
      ReadChanges(*changes);
    }
    if (auto prior = root.find("prior_state"); prior != root.end() && prior->is_object()) {
      if (auto values = prior->find("values"); values != prior->end() && values->is_object()) {
        if (auto module = values->find("root_module"); module != values->end()) {
          WalkModule(*module, "/prior_state/values/root_module", /*data_only=*/true);
        }
      }
    }
    if (!any_values) {
      AddDiagnostic(&result_.diagnostics, kError, At(""),
                    "not a Terraform plan or state: no planned_values, resource_changes or values");
      return std::move(result_);
    }
    if (auto config = root.find("configuration"); config != root.end() && config->is_object()) {
      if (auto module = config->find("root_module"); module != config->end()) {
        WalkConfiguration(*module, "");
      }
    }

    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      for (const PrincipalKind& kind : kKinds) {
        if (r.type == kind.resource) PrincipalForResource(r, kind);
      }
    }
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      if (r.type == "aws_iam_policy") ManagedPolicy(r);
    }
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      for (const PrincipalKind& kind : kKinds) {
        if (r.type == kind.policy) InlinePolicyResource(r, kind);
        if (r.type == kind.attachment) Attachment(r, kind, kind.attribute);
        if (r.type == kind.resource) ResourceBlocks(r, kind);
      }
      if (r.type == "aws_iam_policy_attachment") {
        for (const PrincipalKind& kind : kKinds) Attachment(r, kind, kind.list_attribute);
      }
    }
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      if (r.type == "aws_kms_key") KmsKey(r);
    }
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      if (r.type == "aws_kms_key_policy") KmsKeyPolicy(r);
    }
    for (auto& [key, index] : managed_index_) {
      model::Resource& policy = resources_out_[index];
      policy.document["attachment_count"] = attachment_counts_[key];
      policy.document["permissions_boundary_usage_count"] = boundary_counts_[key];
    }
    for (model::Resource& resource : resources_out_) {
      result_.resources.push_back(std::move(resource));
    }
    // azurerm resources: Azure's own model (azure_terraform.h), after the AWS ones.
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      if (IsAzurermType(r.type)) AzurermResource(r);
    }
    // google resources: Google Cloud assets (gcp_terraform.h), one per scope, after the others.
    GoogleResources();
    return std::move(result_);
  }

 private:
  // --- Collecting resources -------------------------------------------------------------------

  void WalkModule(const Json& module, const std::string& pointer, bool data_only) {
    if (!module.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, At(pointer),
                    absl::StrCat("expected a module object, got ", module.type_name()));
      return;
    }
    if (auto list = module.find("resources"); list != module.end()) {
      if (!list->is_array()) {
        AddDiagnostic(&result_.diagnostics, kError, At(pointer + "/resources"),
                      absl::StrCat("expected a list, got ", list->type_name()));
      } else {
        for (std::size_t i = 0; i < list->size(); ++i) {
          const Json& r = (*list)[i];
          const std::string at = absl::StrCat(pointer, "/resources/", i);
          if (!r.is_object() || StringField(r, "address").empty()) {
            AddDiagnostic(&result_.diagnostics, kError, At(at),
                          "expected a resource object with an \"address\"; skipped");
            continue;
          }
          const bool data = StringField(r, "mode") == "data";
          if (data_only && !data) continue;
          const auto values = r.find("values");
          Add(StringField(r, "address"), StringField(r, "type"), data,
              values != r.end() && values->is_object() ? &*values : nullptr, nullptr, at);
        }
      }
    }
    if (auto children = module.find("child_modules"); children != module.end()) {
      if (!children->is_array()) {
        AddDiagnostic(&result_.diagnostics, kError, At(pointer + "/child_modules"),
                      absl::StrCat("expected a list, got ", children->type_name()));
        return;
      }
      for (std::size_t i = 0; i < children->size(); ++i) {
        WalkModule((*children)[i], absl::StrCat(pointer, "/child_modules/", i), data_only);
      }
    }
  }

  void ReadChanges(const Json& changes) {
    if (!changes.is_array()) {
      AddDiagnostic(&result_.diagnostics, kError, At("/resource_changes"),
                    absl::StrCat("expected a list, got ", changes.type_name()));
      return;
    }
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const Json& rc = changes[i];
      const std::string at = absl::StrCat("/resource_changes/", i);
      const auto change_it = rc.is_object() ? rc.find("change") : rc.end();
      const Json* change = rc.is_object() && change_it != rc.end() ? &*change_it : nullptr;
      if (change == nullptr || StringField(rc, "address").empty() || !change->is_object()) {
        AddDiagnostic(&result_.diagnostics, kError, At(at),
                      "expected a resource change with an \"address\" and a \"change\"; skipped");
        continue;
      }
      const std::string address = StringField(rc, "address");
      if (const auto [first, inserted] = changed_.emplace(address, at); !inserted) {
        AddDiagnostic(&result_.diagnostics, kError, At(at),
                      absl::StrCat("resource address ", address,
                                   " has two entries in resource_changes (first at #",
                                   first->second, "); only the first is evaluated"));
        continue;
      }
      const auto after = change->find("after");
      const bool deleted = after == change->end() || after->is_null();
      if (deleted) {
        // Destroyed: it will not exist after the apply.
        if (resources_.erase(address) > 0) std::erase(order_, address);
        continue;
      }
      const auto unknown = change->find("after_unknown");
      const Json* after_unknown = unknown != change->end() ? &*unknown : nullptr;
      if (auto it = resources_.find(address); it != resources_.end()) {
        // Prefer `after` (the brief is the same data) and keep the planned_values pointer.
        it->second.values = after->is_object() ? &*after : it->second.values;
        it->second.after_unknown = after_unknown;
        continue;
      }
      Add(address, StringField(rc, "type"), StringField(rc, "mode") == "data",
          after->is_object() ? &*after : nullptr, after_unknown, at + "/change/after");
    }
  }

  void Add(const std::string& address, const std::string& type, bool data, const Json* values,
           const Json* after_unknown, const std::string& pointer) {
    if (data) {
      data_.emplace(address, values);
      return;
    }
    auto [it, inserted] = resources_.try_emplace(address);
    if (!inserted) {
      // A plan lists each resource once. A second copy must not be dropped silently: it may be
      // the one that grants (and readers differ on which copy counts).
      AddDiagnostic(
          &result_.diagnostics, kError, At(pointer),
          absl::StrCat("resource address ", address, " is listed twice in the plan (", "first at #",
                       it->second.pointer, "); only the first copy is evaluated"));
      return;
    }
    it->second = {address, type, data, values, after_unknown, pointer};
    order_.push_back(address);
  }

  void WalkConfiguration(const Json& module, const std::string& prefix) {
    if (!module.is_object()) return;
    if (auto list = module.find("resources"); list != module.end() && list->is_array()) {
      for (const Json& r : *list) {
        const std::string address = StringField(r, "address");
        if (address.empty()) continue;
        if (auto expressions = r.find("expressions");
            expressions != r.end() && expressions->is_object()) {
          config_.emplace(prefix + address, &*expressions);
        }
      }
    }
    if (auto calls = module.find("module_calls"); calls != module.end() && calls->is_object()) {
      for (const auto& [name, call] : calls->items()) {
        if (!call.is_object()) continue;
        if (auto child = call.find("module"); child != call.end()) {
          WalkConfiguration(*child, absl::StrCat(prefix, "module.", name, "."));
        }
      }
    }
  }

  // --- Values ---------------------------------------------------------------------------------

  static const Json& Value(const TfResource& r, std::string_view attribute) {
    static const Json* const kNull = new Json();
    if (r.values == nullptr) return *kNull;
    const auto it = r.values->find(attribute);
    return it == r.values->end() ? *kNull : *it;
  }

  static std::string StringValue(const TfResource& r, std::string_view attribute) {
    const Json& v = Value(r, attribute);
    return v.is_string() ? v.get<std::string>() : std::string();
  }

  // True when the plan says the attribute is known only after the apply.
  static bool Unknown(const TfResource& r, std::string_view attribute) {
    if (r.after_unknown == nullptr || !r.after_unknown->is_object()) return false;
    const auto it = r.after_unknown->find(attribute);
    return it != r.after_unknown->end() && !(it->is_boolean() && !it->get<bool>());
  }

  // The `references` of the configuration expression of `attribute` ("" when none).
  std::vector<std::string> References(const TfResource& r, std::string_view attribute,
                                      const Json* expression = nullptr) const {
    if (expression == nullptr) {
      const auto config = config_.find(PartsOf(r.address).config_address);
      if (config == config_.end()) return {};
      const auto it = config->second->find(attribute);
      if (it == config->second->end()) return {};
      expression = &*it;
    }
    std::vector<std::string> out;
    if (!expression->is_object()) return out;
    if (auto refs = expression->find("references"); refs != expression->end() && refs->is_array()) {
      for (const Json& ref : *refs) {
        if (ref.is_string()) out.push_back(ref.get<std::string>());
      }
    }
    return out;
  }

  // A reference such as "aws_iam_group.g.name" or "data.x.y.json", relative to the module of
  // `from`: the resource instance it names and the attribute. False for var./local./module
  // outputs, and for a counted resource referred to without its instance key.
  bool ResolveReference(const TfResource& from, const std::string& reference,
                        const TfResource** target, const Json** data_values,
                        std::string* attribute) const {
    const std::vector<std::string_view> parts = core::SplitTerraformAddress(reference);
    std::size_t i = 0;
    const bool data = parts[0] == "data";
    if (data) i = 1;
    if (parts.size() < i + 2) return false;
    static constexpr std::string_view kNotResources[] = {"var",   "local", "module", "each",
                                                         "count", "path",  "self",   "terraform"};
    for (std::string_view word : kNotResources) {
      if (parts[0] == word) return false;
    }
    const std::string prefix = PartsOf(from.address).module_prefix;
    const std::string address =
        absl::StrCat(prefix, data ? "data." : "", core::Sv(parts[i]), ".", core::Sv(parts[i + 1]));
    *attribute = parts.size() > i + 2 ? parts[i + 2] : "";
    if (data) {
      const auto it = data_.find(address);
      if (it == data_.end() || it->second == nullptr) return false;
      *data_values = it->second;
      return true;
    }
    const auto it = resources_.find(address);
    if (it == resources_.end()) return false;
    *target = &it->second;
    return true;
  }

  // The policy text of `attribute` (a JSON string): as planned, or from a data source
  // (aws_iam_policy_document.json) the configuration refers to. `found` false when unknown.
  Json PolicyText(const TfResource& r, std::string_view attribute, const Json* expression,
                  bool* found) const {
    const Json& value = Value(r, attribute);
    *found = !value.is_null();
    if (*found) return value;
    for (const std::string& reference : References(r, attribute, expression)) {
      const TfResource* target = nullptr;
      const Json* data_values = nullptr;
      std::string attr;
      if (!ResolveReference(r, reference, &target, &data_values, &attr)) continue;
      const Json* values = data_values != nullptr ? data_values : target->values;
      if (values == nullptr || attr.empty()) continue;
      if (auto it = values->find(attr); it != values->end() && it->is_string()) {
        *found = true;
        return *it;
      }
    }
    return Json();
  }

  // --- Principals ----------------------------------------------------------------------------

  model::Resource& NewPrincipal(const PrincipalKind& kind, const std::string& key, std::string name,
                                std::string arn, std::string path, const TfResource& source) {
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

  void Note(model::Resource& resource, const std::string& note) {
    resource.document["notes"].push_back(note);
  }

  void PrincipalForResource(const TfResource& r, const PrincipalKind& kind) {
    std::string name = StringValue(r, "name");
    const bool name_known = !name.empty();
    if (!name_known) name = absl::StrCat("<unknown: ", r.address, ">");
    std::string path = StringValue(r, "path");
    model::Resource& p = NewPrincipal(kind, "address:" + r.address, name, StringValue(r, "arn"),
                                      path.empty() ? "/" : path, r);
    if (!name_known) {
      Note(p,
           absl::StrCat("the ", kind.kind, "'s name is unknown until apply (",
                        Unknown(r, "name") ? "computed, e.g. from name_prefix" : "not set", ")"));
    } else {
      name_index_.emplace(absl::StrCat(kind.kind, ":", name), "address:" + r.address);
    }
  }

  // The principal `attribute` of `r` names, created when it is not a resource of the plan.
  // `value` is the attribute's value (or one element of a list attribute).
  model::Resource& PrincipalNamedBy(const TfResource& r, const PrincipalKind& kind,
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
  void InlinePolicyResource(const TfResource& r, const PrincipalKind& kind) {
    model::Resource& principal =
        PrincipalNamedBy(r, kind, kind.attribute, Value(r, kind.attribute));
    std::string name = StringValue(r, "name");
    if (name.empty()) name = absl::StrCat("<unknown: ", r.address, ".name>");
    AddPolicy(principal, r, name, "policy", nullptr);
  }

  void AddPolicy(model::Resource& principal, const TfResource& r, const std::string& name,
                 std::string_view attribute, const Json* expression) {
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
  void ResourceBlocks(const TfResource& r, const PrincipalKind& kind) {
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
                        absl::StrCat("inline_policy ", i, " is unknown until apply; ",
                                     principal.name, " cannot be fully evaluated"));
        }
        principal.document["inline_policies"].push_back(std::move(entry));
      }
    } else if (Unknown(r, "inline_policy") && config_blocks != nullptr && !config_blocks->empty()) {
      // Blocks are declared but the plan does not know them: say so, and make it an ERROR.
      principal.document["inline_policies"].push_back(
          {{"name", "<unknown inline_policy>"}, {"source", At(r.pointer, r.address).ToString()}});
      AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                    absl::StrCat("the inline_policy blocks are unknown until apply; ",
                                 principal.name, " cannot be fully evaluated"));
    }
    if (const Json& arns = Value(r, "managed_policy_arns"); arns.is_array()) {
      for (const Json& arn : arns) {
        if (arn.is_string()) Attach(principal, arn.get<std::string>(), "");
      }
    }
  }

  // --- Managed policies -----------------------------------------------------------------------

  void ManagedPolicy(const TfResource& r) {
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
  std::string ManagedPolicyKey(const TfResource& r, std::string_view attribute) const {
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
  void Attach(model::Resource& principal, const std::string& arn, std::string managed_key) {
    if (managed_key.empty()) {
      if (auto it = managed_by_arn_.find(arn); it != managed_by_arn_.end())
        managed_key = it->second;
    }
    std::string name = arn.empty() ? std::string() : arn.substr(arn.rfind('/') + 1);
    if (!managed_key.empty()) {
      ++attachment_counts_[managed_key];
      name = resources_out_[managed_index_.at(managed_key)].name;
    }
    principal.document["attached_managed_policies"].push_back({{"name", name}, {"arn", arn}});
  }

  // aws_iam_*_policy_attachment (one principal) and aws_iam_policy_attachment (lists).
  void Attachment(const TfResource& r, const PrincipalKind& kind, std::string_view attribute) {
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

  // --- Azure ---------------------------------------------------------------------------------

  void AzurermResource(const TfResource& r) {
    AzurermInstance instance;
    instance.address = r.address;
    instance.type = r.type;
    instance.values = r.values;
    instance.after_unknown = r.after_unknown;
    instance.pointer = r.pointer;
    instance.referenced_id = [this, &r](std::string_view attribute) -> std::string {
      for (const std::string& reference : References(r, attribute)) {
        const TfResource* target = nullptr;
        const Json* data_values = nullptr;
        std::string attr;
        if (!ResolveReference(r, reference, &target, &data_values, &attr)) continue;
        if (data_values != nullptr) {
          if (std::string id = StringField(*data_values, "id"); !id.empty()) return id;
          continue;
        }
        if (target == nullptr || !IsAzurermType(target->type)) continue;
        const std::string id = target->values != nullptr && !Unknown(*target, "id")
                                   ? StringField(*target->values, "id")
                                   : std::string();
        return id.empty() ? target->address : id;
      }
      return "";
    };
    ReadAzurermResource(instance, file_, &result_, positions_);
  }

  // --- Google Cloud ------------------------------------------------------------------------

  // The configuration references of `r`'s `attribute` that resolve to an attribute of a resource
  // (`target`) or of a data source read at plan time (`data_values`), in order.
  struct Resolved {
    const TfResource* target = nullptr;
    const Json* data_values = nullptr;
    std::string attr;
  };
  std::vector<Resolved> ResolvedReferences(const TfResource& r, std::string_view attribute) {
    std::vector<Resolved> resolved;
    for (const std::string& reference : References(r, attribute)) {
      Resolved ref;
      // True sets exactly one of target and data_values.
      if (!ResolveReference(r, reference, &ref.target, &ref.data_values, &ref.attr) ||
          ref.attr.empty()) {
        continue;
      }
      resolved.push_back(std::move(ref));
    }
    return resolved;
  }

  // Every google_* instance (the IAM ones, and those they may refer to) goes to the Google reader
  // at once: it groups the bindings of one scope into one asset.
  void GoogleResources() {
    std::map<std::string, std::size_t> index;
    std::vector<GoogleInstance> instances;
    for (const std::string& address : order_) {
      const TfResource& r = resources_.at(address);
      if (!r.type.starts_with("google_")) continue;
      index.emplace(address, instances.size());
      GoogleInstance& in = instances.emplace_back();
      in.address = r.address;
      in.type = r.type;
      in.values = r.values;
      in.after_unknown = r.after_unknown;
      in.pointer = r.pointer;
      in.referenced = [this, &r, &index, &instances](
                          std::string_view attribute,
                          std::string* target_attribute) -> const GoogleInstance* {
        for (const Resolved& ref : ResolvedReferences(r, attribute)) {
          if (ref.target == nullptr) continue;
          if (const auto it = index.find(ref.target->address); it != index.end()) {
            *target_attribute = ref.attr;
            return &instances[it->second];
          }
        }
        return nullptr;
      };
      in.referenced_value = [this, &r](std::string_view attribute) -> const Json* {
        for (const Resolved& ref : ResolvedReferences(r, attribute)) {
          const Json* values = ref.data_values != nullptr ? ref.data_values : ref.target->values;
          if (values == nullptr || !values->is_object()) continue;
          if (ref.target != nullptr && Unknown(*ref.target, ref.attr)) continue;
          if (const auto it = values->find(ref.attr); it != values->end() && !it->is_null()) {
            return &*it;
          }
        }
        return nullptr;
      };
    }
    ReadGoogleIamResources(instances, file_, &result_, positions_);
  }

  // --- KMS keys -------------------------------------------------------------------------------

  // Whether the configuration sets `attribute` of `r` (a plan without `configuration`: unknown,
  // taken as not set).
  bool Configured(const TfResource& r, std::string_view attribute) const {
    const auto config = config_.find(PartsOf(r.address).config_address);
    return config != config_.end() && config->second->contains(attribute);
  }

  // A string argument: as planned, "<unknown: ADDRESS.ATTRIBUTE>" when computed at apply, else
  // the provider's default.
  static Json KeyString(const TfResource& r, std::string_view attribute,
                        std::string_view fallback) {
    if (const Json& v = Value(r, attribute);
        v.is_string() && !v.get_ref<const std::string&>().empty()) {
      return v;
    }
    if (Unknown(r, attribute))
      return absl::StrCat("<unknown: ", r.address, ".", std::string(attribute), ">");
    return std::string(fallback);
  }

  static Json KeyBool(const TfResource& r, std::string_view attribute, bool fallback) {
    if (const Json& v = Value(r, attribute); v.is_boolean()) return v;
    if (Unknown(r, attribute))
      return absl::StrCat("<unknown: ", r.address, ".", std::string(attribute), ">");
    return fallback;
  }

  // aws_kms_key: one customer managed key, with its arguments or the provider's defaults
  // (is_enabled true, enable_key_rotation false, customer_master_key_spec SYMMETRIC_DEFAULT,
  // key_usage ENCRYPT_DECRYPT, multi_region false).
  void KmsKey(const TfResource& r) {
    model::Resource key;
    key.type = model::kKmsKey;
    const std::string arn = StringValue(r, "arn");
    std::string key_id = StringValue(r, "key_id");
    if (key_id.empty()) key_id = StringValue(r, "id");
    key.id = arn.empty() ? "terraform:" + r.address : arn;
    key.region = "";
    if (internal::Arn parsed; internal::ParseArn(arn, &parsed)) {
      key.partition = parsed.partition;
      key.account = parsed.account;
      key.region = parsed.region;
    }
    key.name = key_id.empty() ? r.address : key_id;
    Json doc = {
        {"name", key.name},
        {"key_id", key_id.empty() ? absl::StrCat("<unknown: ", r.address, ".key_id>") : key_id},
        {"arn", arn},
        {"description", StringValue(r, "description")},
        {"key_spec", KeyString(r, "customer_master_key_spec", "SYMMETRIC_DEFAULT")},
        {"key_usage", KeyString(r, "key_usage", "ENCRYPT_DECRYPT")},
        {"key_manager", "CUSTOMER"},
        {"enabled", KeyBool(r, "is_enabled", true)},
        {"enable_key_rotation", KeyBool(r, "enable_key_rotation", false)},
        {"multi_region", KeyBool(r, "multi_region", false)},
        {"notes", Json::array()}};
    // Key material: AWS KMS's own, unless the key lives in a custom key store (CloudHSM, or an
    // external key store when xks_key_id is set). Imported material is aws_kms_external_key.
    if (!StringValue(r, "custom_key_store_id").empty()) {
      doc["origin"] = StringValue(r, "xks_key_id").empty() ? "AWS_CLOUDHSM" : "EXTERNAL_KEY_STORE";
    } else if (Unknown(r, "custom_key_store_id")) {
      doc["origin"] = absl::StrCat("<unknown: ", r.address, ".custom_key_store_id>");
    } else {
      doc["origin"] = "AWS_KMS";
    }
    if (key_id.empty()) {
      doc["notes"].push_back(
          absl::StrCat("the key id is unknown until apply; ", r.address, " used as the name"));
    }
    for (const char* attribute : {"is_enabled", "enable_key_rotation", "multi_region"}) {
      if (Value(r, attribute).is_null() && Unknown(r, attribute)) {
        doc["notes"].push_back(absl::StrCat(attribute, " is unknown until apply"));
      }
    }
    bool found = false;
    Json policy = PolicyText(r, "policy", nullptr, &found);
    if (found) {
      doc["key_policy"] = std::move(policy);
      doc["key_policy_source"] = At(r.pointer + "/policy", r.address).ToString();
    } else if (Configured(r, "policy")) {
      // Set, but computed at apply: not judged, and an ERROR for the rules that read it.
      doc["key_policy"] =
          absl::StrCat("<not evaluated: the policy of ", r.address, " is unknown until apply>");
      doc["key_policy_source"] = At(r.pointer, r.address).ToString();
      AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                    absl::StrCat("the key policy of ", r.address,
                                 " is unknown until apply; it cannot be evaluated"));
    } else {
      doc["notes"].push_back(
          "no policy in the plan: AWS KMS gives the key its default key policy (the account's "
          "root, so IAM policies of the account decide) unless an aws_kms_key_policy sets one");
    }
    key.document = std::move(doc);
    key.source = At(r.pointer, r.address);
    const std::string index_key = "address:" + r.address;
    kms_index_.emplace(index_key, resources_out_.size());
    for (const std::string& name : {key_id, arn}) {
      if (!name.empty()) kms_by_id_.emplace(name, index_key);
    }
    resources_out_.push_back(std::move(key));
  }

  // The key an aws_kms_key_policy's key_id names: a key of the plan (by its key id or ARN, or
  // through the configuration's reference to aws_kms_key.x.key_id, .id or .arn); otherwise a key
  // known only by this policy ("partial": its other properties are not in the plan).
  model::Resource& KeyNamedBy(const TfResource& r) {
    const std::string value = StringValue(r, "key_id");
    if (!value.empty()) {
      if (auto it = kms_by_id_.find(value); it != kms_by_id_.end()) {
        return resources_out_[kms_index_.at(it->second)];
      }
    } else {
      for (const std::string& reference : References(r, "key_id")) {
        const TfResource* target = nullptr;
        const Json* data_values = nullptr;
        std::string attr;
        if (ResolveReference(r, reference, &target, &data_values, &attr) && target != nullptr &&
            target->type == "aws_kms_key" && (attr == "key_id" || attr == "id" || attr == "arn")) {
          return resources_out_[kms_index_.at("address:" + target->address)];
        }
      }
    }
    const std::string index_key =
        value.empty() ? "unknown:" + r.address : absl::StrCat("name:", value);
    if (auto it = kms_index_.find(index_key); it != kms_index_.end()) {
      return resources_out_[it->second];
    }
    model::Resource key;
    key.type = model::kKmsKey;
    key.region = "";
    const bool is_arn = value.rfind("arn:", 0) == 0;
    if (internal::Arn parsed; is_arn && internal::ParseArn(value, &parsed)) {
      key.partition = parsed.partition;
      key.account = parsed.account;
      key.region = parsed.region;
    }
    key.name = value.empty() ? absl::StrCat("<unknown: ", r.address, ".key_id>") : value;
    key.id = is_arn ? value : "terraform:" + r.address;
    const std::string why =
        value.empty()
            ? absl::StrCat("the key ", r.address,
                           " applies to is unknown until apply and is no aws_kms_key of this plan")
            : absl::StrCat("not created by this plan: named by ", r.address, ".key_id");
    key.document = {{"name", key.name},
                    {"key_id", is_arn || value.empty() ? key.name : value},
                    {"arn", is_arn ? value : ""},
                    {"partial", true},
                    {"notes", Json::array({why})}};
    if (value.empty()) {
      AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                    absl::StrCat(why,
                                 "; its policy is evaluated for the key "
                                 ", key.name, "
                                 ""));
    }
    key.source = At(r.pointer, r.address);
    kms_index_.emplace(index_key, resources_out_.size());
    resources_out_.push_back(std::move(key));
    return resources_out_.back();
  }

  // aws_kms_key_policy: the key policy of the key it names, in place of the key's own `policy`.
  void KmsKeyPolicy(const TfResource& r) {
    model::Resource& key = KeyNamedBy(r);
    Json& doc = key.document;
    if (const std::string previous = StringField(doc, "key_policy_from"); !previous.empty()) {
      AddDiagnostic(&result_.diagnostics, kWarning, At(r.pointer, r.address),
                    absl::StrCat(r.address, " and ", previous, " both set the key policy of ",
                                 key.name, "; the last one read (", r.address, ") is evaluated"));
    }
    bool found = false;
    Json policy = PolicyText(r, "policy", nullptr, &found);
    if (found) {
      doc["key_policy"] = std::move(policy);
      doc["key_policy_source"] = At(r.pointer + "/policy", r.address).ToString();
    } else {
      doc["key_policy"] =
          absl::StrCat("<not evaluated: the policy of ", r.address, " is unknown until apply>");
      doc["key_policy_source"] = At(r.pointer, r.address).ToString();
      AddDiagnostic(
          &result_.diagnostics, kWarning, At(r.pointer, r.address),
          absl::StrCat("the policy of ", r.address, " is unknown until apply; the key policy of ",
                       key.name, " cannot be evaluated"));
    }
    doc["key_policy_from"] = r.address;
    doc["notes"].push_back(absl::StrCat("key policy set by ", r.address));
  }

  // Where `pointer` is: with the line and column of it or of its resource when the plan was read
  // from text (SARIF regions, file:line diagnostics), naming `address`.
  core::SourceLocation At(std::string pointer, std::string address = "") const {
    return internal::PointerLocation(file_, std::move(pointer), std::move(address), positions_);
  }

  std::string_view file_;
  const internal::JsonPositions* positions_;  // null when the plan was handed over parsed
  AdapterResult result_;
  std::map<std::string, TfResource> resources_;         // managed resources by address
  std::vector<std::string> order_;                      // addresses in input order
  std::map<std::string, std::string> changed_;          // resource_changes: address -> pointer
  std::map<std::string, const Json*> data_;             // data sources by address (values)
  std::map<std::string, const Json*> config_;           // configuration expressions by address
  std::deque<model::Resource> resources_out_;           // a deque: references stay valid
  std::map<std::string, std::size_t> principal_index_;  // key -> resources_out_ index
  std::map<std::string, std::string> name_index_;       // "kind:name" -> principal key
  std::map<std::string, std::size_t> managed_index_;    // key -> resources_out_ index
  std::map<std::string, std::string> managed_by_arn_;
  std::map<std::string, int> attachment_counts_;
  std::map<std::string, int> boundary_counts_;
  std::map<std::string, std::size_t> kms_index_;  // key -> resources_out_ index
  std::map<std::string, std::string> kms_by_id_;  // key id or ARN -> kms_index_ key
};

}  // namespace

AdapterResult ReadTerraformPlanJson(const nlohmann::json& root, std::string_view source_name) {
  return TerraformReader(source_name, nullptr).Read(root);
}

AdapterResult ReadTerraformPlan(std::string_view json_text, std::string_view source_name) {
  // Only where resources start is recorded (a module's resource, /…/resources/M, and a
  // change's /resource_changes/N/change/after, the pointers resources are read at), deep enough
  // for modules nested five deep; an attribute is located at its resource. Recording every value
  // cost a plan of 44,000 resources 190 MB and 1.2 s.
  constexpr int kPositionDepth = 14;
  internal::JsonPositions positions;
  const auto wanted = [](std::string_view parent_key, std::string_view key) {
    return (parent_key == "change" && key == "after") || (parent_key == "resources" && key.empty());
  };
  return internal::ReadJsonText<AdapterResult>(
      json_text, source_name,
      [&positions](const nlohmann::json& root, std::string_view file) {
        return TerraformReader(file, &positions).Read(root);
      },
      {&positions, kPositionDepth, wanted});
}

}  // namespace kmsguard::adapters
