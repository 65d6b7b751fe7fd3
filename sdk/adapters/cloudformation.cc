// CloudFormation templates -> normalized principals, managed policies and KMS keys (the keys in
// cloudformation_kms.cc, through internal::CloudFormationContext).
//
// A template is evaluated before deployment, so pseudo parameters and attributes of other
// resources are unknown, and parameters have only their defaults (or the values the caller gives,
// as `--parameter`). Intrinsic functions are resolved where their result is literal; a policy
// holding Fn::If is judged once per combination of its conditions, since every branch is literal
// and some deployment takes it; anything else becomes a `${...}` policy variable. Under Version
// 2012-10-17 the engine treats a variable as one specific value and never as a wildcard
// (docs/iam-semantics.md, rule 6), and under other versions the text is literal, which matches no
// key either: an unknown part of an ARN can narrow a grant, never widen it.
// `Fn::Sub "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/*"` thus stays account-scoped,
// exactly as deployed. Where one specific value is not the safe reading (an unknown Action may be
// kms:Decrypt; a parameter may hold wildcards), the policy is not judged (FindUnknownPart). The
// one exception is AWS::Partition, which is "aws": a principal reaches only keys of its own
// partition, so the verdict does not depend on which partition the stack is deployed in.
//
// This file holds the last stage, the template: its Parameters and Resources, read into
// principals, inline and managed policies, and (through cloudformation_kms.cc) KMS keys. The
// stages before it have files of their own, so that each can be read whole: YAML text to the JSON
// document read here (cloudformation_yaml.cc), and the intrinsic functions, with the unknowns they
// leave that a policy cannot be judged with (cloudformation_intrinsics.cc).
#include "sdk/adapters/cloudformation.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/cloudformation_intrinsics.h"
#include "sdk/adapters/cloudformation_kms.h"
#include "sdk/adapters/cloudformation_yaml.h"
#include "sdk/core/json_text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::FindUnknownPart;
using internal::PointerLocation;
using internal::PointerToken;
using internal::StringField;
using Json = nlohmann::json;
using ParameterValue = internal::CloudFormationParameterValue;
using ParameterValues = internal::CloudFormationParameterValues;
using Resolver = internal::CloudFormationResolver;
using UnknownPart = internal::CloudFormationUnknownPart;
using Variant = internal::CloudFormationVariant;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// --- The template -------------------------------------------------------------------------------

struct PrincipalKind {
  const char* model_type;
  const char* resource;     // AWS::IAM::User
  const char* name_key;     // UserName
  const char* list_key;     // Users (AWS::IAM::Policy, ManagedPolicy)
  const char* policy_type;  // AWS::IAM::UserPolicy
  const char* kind;         // user
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "AWS::IAM::User", "UserName", "Users", "AWS::IAM::UserPolicy", "user"},
    {model::kIamGroup, "AWS::IAM::Group", "GroupName", "Groups", "AWS::IAM::GroupPolicy", "group"},
    {model::kIamRole, "AWS::IAM::Role", "RoleName", "Roles", "AWS::IAM::RolePolicy", "role"},
};

// "NAME (if COND, not OTHER)": the inline or managed policy as one deployment has it.
std::string WithCondition(const std::string& name, const std::string& label) {
  return label.empty() ? name : absl::StrCat(name, " (if ", label, ")");
}

class TemplateReader : public internal::CloudFormationContext {
 public:
  TemplateReader(const Json& root, std::string_view file, const TemplatePositions* positions,
                 const CloudFormationParameters& parameters)
      : root_(root),
        file_(file),
        positions_(positions),
        parameters_(parameters),
        resolver_(root, parameter_values_) {}

  AdapterResult Read() {
    if (!root_.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, ""),
                    absl::StrCat("expected a template object, got ", root_.type_name()));
      return std::move(result_);
    }
    ReadParameters();
    const auto resources = root_.find("Resources");
    if (resources == root_.end() || !resources->is_object()) {
      AddDiagnostic(
          &result_.diagnostics, kError, Location("/Resources"),
          resources == root_.end()
              ? std::string("not a CloudFormation template: no \"Resources\"")
              : absl::StrCat("\"Resources\" should be an object, got ", resources->type_name()));
      return std::move(result_);
    }
    if (root_.contains("Transform")) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location("/Transform"),
                    "the template declares a Transform: resources a macro would add (e.g. "
                    "AWS::Serverless::*) are not read");
    }
    // Valid entries, by logical id (nlohmann keeps keys sorted; template order means nothing).
    for (const auto& [id, resource] : resources->items()) {
      const std::string pointer = "/Resources/" + PointerToken(id);
      if (!resource.is_object()) {
        AddDiagnostic(
            &result_.diagnostics, kError, Location(pointer, id),
            absl::StrCat("expected a resource object, got ", resource.type_name(), "; skipped"));
        continue;
      }
      const std::string type = StringField(resource, "Type");
      if (type.empty()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(pointer, id),
                      "resource without a \"Type\" string; skipped");
        continue;
      }
      const auto properties = resource.find("Properties");
      if (properties != resource.end() && !properties->is_object() && !properties->is_null()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(pointer + "/Properties", id),
                      absl::StrCat("\"Properties\" should be an object, got ",
                                   properties->type_name(), "; skipped"));
        continue;
      }
      entries_.push_back({id, type, pointer,
                          properties != resource.end() && properties->is_object()
                              ? &*properties
                              : &kEmptyObject()});
    }
    for (const Entry& e : entries_) {
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.resource) Principal(e, kind);
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == "AWS::IAM::ManagedPolicy") ManagedPolicy(e);
    }
    for (const Entry& e : entries_) {
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.resource) PrincipalLinks(e, kind);
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == model::kKmsKey) {
        for (model::Resource& key :
             internal::ReadCloudFormationKmsKey(*this, e.id, e.pointer, *e.properties)) {
          out_.push_back(std::move(key));
        }
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == "AWS::IAM::Policy") PolicyResource(e);
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.policy_type) SinglePolicy(e, kind);
      }
    }
    for (auto& [key, copies] : managed_copies_) {
      for (const std::size_t index : copies) {
        out_[index].document["attachment_count"] = attachment_counts_[key];
        out_[index].document["permissions_boundary_usage_count"] = boundary_counts_[key];
      }
    }
    ReportUnresolvedParameters();
    for (model::Resource& r : out_) result_.resources.push_back(std::move(r));
    return std::move(result_);
  }

  // --- internal::CloudFormationContext, for the readers of other resource types ---------------

  Json Resolve(const Json& value) const override { return resolver_.Resolve(value); }

  std::vector<internal::CloudFormationVariant> PolicyVariants(
      const Json& value, const std::string& pointer, const std::string& logical_id) override {
    return Variants(value, pointer, logical_id);
  }

  std::optional<std::string> UnknownStatement(const Json& document) const override {
    std::optional<UnknownPart> unknown = FindUnknownPart(document, resolver_.unresolved());
    if (!unknown) return std::nullopt;
    return std::move(unknown->description);
  }

  bool MayHoldWildcards(std::string_view name) const override {
    return name.rfind("Fn::", 0) == 0 || resolver_.unresolved().contains(std::string(name));
  }

  core::Diagnostics* diagnostics() override { return &result_.diagnostics; }

 private:
  struct Entry {
    std::string id;
    std::string type;
    std::string pointer;
    const Json* properties;
  };

  static const Json& kEmptyObject() {
    static const Json* const kEmpty = new Json(Json::object());
    return *kEmpty;
  }

  core::SourceLocation Location(const std::string& pointer,
                                const std::string& logical_id = "") override {
    core::SourceLocation loc = PointerLocation(file_, pointer, positions_);
    loc.resource_id = logical_id;
    return loc;
  }

  static const Json& Property(const Entry& e, std::string_view key) {
    static const Json* const kNull = new Json();
    const auto it = e.properties->find(key);
    return it == e.properties->end() ? *kNull : *it;
  }

  std::string ResolvedString(const Json& value) const {
    const Json resolved = resolver_.Resolve(value);
    return resolved.is_string() ? resolved.get<std::string>() : std::string();
  }

  // The template's Parameters, each with its value where policies use it: the --parameter value,
  // else its Default. A list type (CommaDelimitedList, List<...>) is a list of the comma-separated
  // items, as Ref gives it.
  void ReadParameters() {
    std::set<std::string, std::less<>> declared;
    const auto parameters = root_.find("Parameters");
    if (parameters != root_.end() && !parameters->is_object() && !parameters->is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location("/Parameters"),
                    absl::StrCat("\"Parameters\" should be an object, got ",
                                 parameters->type_name(), "; parameters have no values"));
    } else if (parameters != root_.end() && parameters->is_object()) {
      for (const auto& [name, spec] : parameters->items()) {
        declared.insert(name);
        const std::string type = StringField(spec, "Type");
        const bool list = type == "CommaDelimitedList" || type.rfind("List<", 0) == 0;
        ParameterValue value;
        const auto given = parameters_.find(name);
        const Json* fallback =
            spec.is_object() && spec.contains("Default") ? &spec["Default"] : nullptr;
        if (given != parameters_.end()) {
          value.known = true;
          value.value = ParameterValueOf(given->second, list);
        } else if (type.rfind("AWS::SSM::Parameter::", 0) == 0) {
          value.unknown =
              "has an SSM parameter type (its Default names a Systems Manager parameter whose "
              "value is read at deployment)";
        } else if (fallback != nullptr && fallback->is_array() && list) {
          value.known = true;
          value.value = Json::array();
          for (const Json& item : *fallback) value.value.push_back(ScalarText(item));
        } else if (fallback != nullptr && fallback->is_primitive() && !fallback->is_null()) {
          value.known = true;
          value.value = ParameterValueOf(ScalarText(*fallback), list);
        } else {
          value.unknown = "has no Default and no --parameter value";
        }
        parameter_values_.emplace(name, std::move(value));
      }
    }
    for (const auto& [name, text] : parameters_) {
      if (declared.contains(name)) continue;
      AddDiagnostic(&result_.diagnostics, kWarning, Location("/Parameters"),
                    absl::StrCat("--parameter ", name, ": this template declares no parameter ",
                                 name, "; ignored for it"));
    }
  }

  static std::string ScalarText(const Json& value) {
    return value.is_string() ? value.get<std::string>() : core::DumpJson(value);
  }

  static Json ParameterValueOf(const std::string& text, bool list) {
    if (!list) return text;
    Json items = Json::array();
    for (absl::string_view item : absl::StrSplit(text, ',')) items.push_back(std::string(item));
    return items;
  }

  // Parameters that a policy or name used without a value are variables there, never guessed;
  // each is reported once, where it is declared.
  void ReportUnresolvedParameters() {
    for (const std::string& name : resolver_.unresolved()) {
      const auto it = parameter_values_.find(name);
      AddDiagnostic(
          &result_.diagnostics, kWarning, Location("/Parameters/" + PointerToken(name)),
          absl::StrCat("parameter ", name, " ",
                       it == parameter_values_.end() ? "has no value" : it->second.unknown,
                       ": where the template uses it, it stays ${", name,
                       "}, one specific value not known before deployment (like an IAM policy "
                       "variable, never a wildcard); give --parameter ",
                       name, "=VALUE to judge a deployment's value"));
    }
  }

  // The variants of a policy (or of a Policies element) over its Fn::If conditions; past
  // kMaxPolicyConditions, one unreadable variant (an ERROR), reported.
  std::vector<Variant> Variants(const Json& value, const std::string& pointer,
                                const std::string& logical_id) {
    bool too_many = false;
    std::vector<Variant> variants = resolver_.Variants(value, &too_many);
    if (too_many) {
      const std::string why =
          absl::StrCat("its Fn::If functions name more than ", Resolver::kMaxPolicyConditions,
                       " conditions, too many deployments to judge each");
      AddDiagnostic(&result_.diagnostics, kError, Location(pointer, logical_id),
                    absl::StrCat("this policy is not evaluated: ", why));
      variants.push_back({"", Json(absl::StrCat("<not evaluated: ", why, ">"))});
    }
    return variants;
  }

  // One inline policy {name, document, source} with its resolved document (null: none), into
  // `out`. When a statement cannot be judged before deployment (FindUnknownPart), an entry
  // follows that does not parse, so the principal is an ERROR unless something else FAILs (never
  // a PASS).
  void AddInlinePolicy(std::vector<Json>* out, const std::string& name, const Json* document,
                       const std::string& pointer, const std::string& logical_id) {
    const std::string source = Location(pointer, logical_id).ToString();
    Json entry = {{"name", name}, {"source", source}};
    // A document given as JSON text is kept as text: the engine parses it.
    if (document != nullptr && !document->is_null()) entry["document"] = *document;
    out->push_back(std::move(entry));
    if (document == nullptr) return;
    if (const std::optional<UnknownPart> unknown =
            FindUnknownPart(*document, resolver_.unresolved())) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location(pointer, logical_id),
                    absl::StrCat("policy \"", name, "\": ", unknown->description,
                                 ", so it cannot be judged (an ERROR unless another grant FAILs); "
                                 "give the value with --parameter"));
      out->push_back({{"name", absl::StrCat(name, " (unknown ", unknown->element, ")")},
                      {"document", absl::StrCat("<not evaluated: ", unknown->description, ">")},
                      {"source", source}});
    }
  }

  // The inline policies one policy resource gives: one per variant of its raw document.
  std::vector<Json> PolicyEntries(const std::string& name, const Json* document,
                                  const std::string& pointer, const std::string& logical_id) {
    std::vector<Json> out;
    if (document == nullptr || document->is_null()) {
      AddInlinePolicy(&out, name, nullptr, pointer, logical_id);
      return out;
    }
    for (const Variant& v : Variants(*document, pointer, logical_id)) {
      AddInlinePolicy(&out, WithCondition(name, v.label),
                      v.value.is_discarded() ? nullptr : &v.value, pointer, logical_id);
    }
    return out;
  }

  void Principal(const Entry& e, const PrincipalKind& kind) {
    std::string name = ResolvedString(Property(e, kind.name_key));
    const bool named = !name.empty();
    if (!named) name = e.id;  // CloudFormation generates the name from the stack and logical id
    std::string path = ResolvedString(Property(e, "Path"));
    model::Resource resource;
    resource.id = "cloudformation:" + e.id;
    resource.type = std::string(kind.model_type);
    resource.name = name;
    resource.document =
        internal::EmptyPrincipalDocument(kind.model_type, name, "", path.empty() ? "/" : path);
    if (!named) {
      resource.document["notes"].push_back(absl::StrCat(
          "no ", kind.name_key, ": CloudFormation generates the name; logical id ", e.id, " used"));
    }
    resource.source = Location(e.pointer, e.id);
    const std::string key = "id:" + e.id;
    index_.emplace(key, out_.size());
    if (named) by_name_.emplace(absl::StrCat(kind.kind, ":", name), key);
    out_.push_back(std::move(resource));
  }

  // Policies, ManagedPolicyArns, Groups, the trust policy: after every resource is known.
  void PrincipalLinks(const Entry& e, const PrincipalKind& kind) {
    model::Resource& principal = out_[index_.at("id:" + e.id)];
    const Json& policies = Property(e, "Policies");
    const std::string policies_pointer = e.pointer + "/Properties/Policies";
    if (policies.is_array()) {
      std::vector<Json> entries;
      for (std::size_t i = 0; i < policies.size(); ++i) {
        const std::string pointer = absl::StrCat(policies_pointer, "/", i);
        // The whole element is resolved, so that an Fn::If in place of a policy (!If [Cond,
        // {...}, !Ref AWS::NoValue]) gives the policy in the deployments that have it; an
        // intrinsic that stays unknown leaves its `${...}` text as the document, an ERROR.
        for (const Variant& v : Variants(policies[i], pointer, e.id)) {
          const Json& p = v.value;
          if (p.is_discarded()) continue;
          if (p.is_string()) {
            AddInlinePolicy(&entries, WithCondition(absl::StrCat("Policies[", i, "]"), v.label), &p,
                            pointer, e.id);
          } else if (!p.is_object()) {
            entries.push_back(p);  // ERROR in the engine
          } else {
            const auto doc = p.find("PolicyDocument");
            const auto name = p.find("PolicyName");
            AddInlinePolicy(
                &entries,
                WithCondition(
                    name != p.end() && name->is_string() ? name->get<std::string>() : std::string(),
                    v.label),
                doc == p.end() ? nullptr : &*doc, pointer, e.id);
          }
        }
      }
      for (Json& entry : entries) principal.document["inline_policies"].push_back(std::move(entry));
    } else if (!policies.is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location(policies_pointer, e.id),
                    absl::StrCat("\"Policies\" should be a list, got ", policies.type_name()));
      principal.document["inline_policies"] = resolver_.Resolve(policies);
    }
    const Json arns = resolver_.Resolve(Property(e, "ManagedPolicyArns"));
    const Json& raw_arns = Property(e, "ManagedPolicyArns");
    if (arns.is_array()) {
      for (std::size_t i = 0; i < arns.size(); ++i) {
        const Json* raw = raw_arns.is_array() && i < raw_arns.size() ? &raw_arns[i] : nullptr;
        AttachManaged(principal, raw, arns[i]);
      }
    }
    if (kind.model_type == model::kIamUser) {
      const Json& groups = Property(e, "Groups");
      if (groups.is_array()) {
        for (const Json& g : groups) {
          std::string name = NameOfRef(g, model::kIamGroup);
          if (name.empty()) name = ResolvedString(g);
          if (!name.empty()) principal.document["group_memberships"].push_back(name);
        }
      }
    }
    if (const Json& boundary = Property(e, "PermissionsBoundary");
        boundary.is_object() && boundary.contains("Ref") && boundary["Ref"].is_string()) {
      if (auto it = managed_index_.find("id:" + boundary["Ref"].get<std::string>());
          it != managed_index_.end()) {
        ++boundary_counts_[it->first];
      }
    }
    if (kind.model_type == model::kIamRole) {
      if (const Json& trust = Property(e, "AssumeRolePolicyDocument"); !trust.is_null()) {
        principal.document["trust_policy"] = resolver_.Resolve(trust);
      }
    }
  }

  // {"Ref": "LogicalId"} of a template principal of `type`: its name; "" otherwise.
  std::string NameOfRef(const Json& value, std::string_view type) const {
    if (!value.is_object() || value.size() != 1 || !value.contains("Ref") ||
        !value["Ref"].is_string()) {
      return "";
    }
    const auto it = index_.find("id:" + value["Ref"].get<std::string>());
    if (it == index_.end() || out_[it->second].type != type) return "";
    return out_[it->second].name;
  }

  void AttachManaged(model::Resource& principal, const Json* raw, const Json& resolved) {
    // Ref of an AWS::IAM::ManagedPolicy is its ARN.
    if (raw != nullptr && raw->is_object() && raw->contains("Ref") && (*raw)["Ref"].is_string()) {
      if (auto it = managed_index_.find("id:" + (*raw)["Ref"].get<std::string>());
          it != managed_index_.end()) {
        ++attachment_counts_[it->first];
        principal.document["attached_managed_policies"].push_back(
            {{"name", managed_names_[it->first]}, {"arn", ""}});
        return;
      }
    }
    if (!resolved.is_string()) return;
    const std::string arn = resolved.get<std::string>();
    principal.document["attached_managed_policies"].push_back(
        {{"name", arn.substr(arn.rfind('/') + 1)}, {"arn", arn}});
  }

  void ManagedPolicy(const Entry& e) {
    std::string name = ResolvedString(Property(e, "ManagedPolicyName"));
    if (name.empty()) name = e.id;
    const std::string path = ResolvedString(Property(e, "Path"));
    const std::string key = "id:" + e.id;
    managed_index_.emplace(key, out_.size());
    managed_names_.emplace(key, name);
    const Json& doc = Property(e, "PolicyDocument");
    // A managed policy has one document, so each variant of it (Fn::If) is a managed policy of
    // its own, judged on its own: "NAME (if COND)", id "cloudformation:ID (if COND)".
    const std::vector<Variant> variants =
        doc.is_null() ? std::vector<Variant>{Variant{"", Json()}} : Variants(doc, e.pointer, e.id);
    for (const Variant& v : variants) {
      model::Resource resource;
      resource.id = WithCondition("cloudformation:" + e.id, v.label);
      resource.type = model::kIamManagedPolicy;
      resource.name = WithCondition(name, v.label);
      resource.document = {{"name", resource.name},
                           {"arn", ""},
                           {"path", path.empty() ? "/" : path},
                           {"aws_managed", false},
                           {"default_version_id", ""}};
      if (!v.value.is_null() && !v.value.is_discarded()) {
        resource.document["document"] = v.value;
        if (const std::optional<UnknownPart> unknown =
                FindUnknownPart(v.value, resolver_.unresolved())) {
          resource.document["document"] =
              absl::StrCat("<not evaluated: ", unknown->description, ">");
          AddDiagnostic(
              &result_.diagnostics, kWarning, Location(e.pointer, e.id),
              absl::StrCat("managed policy \"", resource.name, "\": ", unknown->description,
                           ", so it cannot be judged (an ERROR); give the value with "
                           "--parameter"));
        }
      } else {
        resource.document["document_problem"] = "the template gives no PolicyDocument";
        AddDiagnostic(&result_.diagnostics, kError, Location(e.pointer, e.id),
                      "AWS::IAM::ManagedPolicy without a PolicyDocument: it cannot be evaluated");
      }
      resource.source = Location(e.pointer, e.id);
      managed_copies_[key].push_back(out_.size());
      out_.push_back(std::move(resource));
    }
    for (const PrincipalKind& kind : kKinds) {
      const Json& targets = Property(e, kind.list_key);
      if (!targets.is_array()) continue;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        model::Resource& principal = Target(
            e, kind, targets[i], absl::StrCat(e.pointer, "/Properties/", kind.list_key, "/", i));
        ++attachment_counts_[key];
        principal.document["attached_managed_policies"].push_back({{"name", name}, {"arn", ""}});
      }
    }
  }

  // The principal a Users/Groups/Roles element or a RoleName/UserName/GroupName names.
  model::Resource& Target(const Entry& e, const PrincipalKind& kind, const Json& value,
                          const std::string& pointer) {
    if (value.is_object() && value.size() == 1 && value.contains("Ref") &&
        value["Ref"].is_string()) {
      if (auto it = index_.find("id:" + value["Ref"].get<std::string>());
          it != index_.end() && out_[it->second].type == kind.model_type) {
        return out_[it->second];
      }
    }
    const Json resolved = resolver_.Resolve(value);
    std::string name;
    if (Resolver::Literal(resolved, &name) && !name.empty()) {
      if (auto it = by_name_.find(absl::StrCat(kind.kind, ":", name)); it != by_name_.end()) {
        return out_[index_.at(it->second)];
      }
      const std::string key = absl::StrCat("name:", kind.kind, ":", name);
      if (auto it = index_.find(key); it != index_.end()) return out_[it->second];
      model::Resource resource;
      resource.id = absl::StrCat("cloudformation:", kind.kind, "/", name);
      resource.type = std::string(kind.model_type);
      resource.name = name;
      resource.document = internal::EmptyPrincipalDocument(kind.model_type, name, "", "/");
      resource.document["notes"].push_back(
          absl::StrCat("not defined in this template: named by ", e.id));
      resource.source = Location(pointer, e.id);
      index_.emplace(key, out_.size());
      out_.push_back(std::move(resource));
      return out_.back();
    }
    // A parameter, an import, an attribute: the same expression is the same principal.
    const std::string text =
        resolved.is_string() ? resolved.get<std::string>() : core::DumpJson(resolved);
    const std::string key = absl::StrCat("unknown:", kind.kind, ":", text);
    if (auto it = index_.find(key); it != index_.end()) return out_[it->second];
    model::Resource resource;
    resource.id = absl::StrCat("cloudformation:", e.id, "#", pointer);
    resource.type = std::string(kind.model_type);
    resource.name = absl::StrCat("<unknown: ", text, ">");
    resource.document = internal::EmptyPrincipalDocument(kind.model_type, resource.name, "", "");
    const std::string why = absl::StrCat(
        "the ", kind.kind, " ", e.id, " attaches to is not known before deployment (", text, ")");
    resource.document["notes"].push_back(why);
    resource.source = Location(pointer, e.id);
    AddDiagnostic(&result_.diagnostics, kWarning, Location(pointer, e.id),
                  absl::StrCat(why, "; its policies are evaluated for the principal \"",
                               resource.name, "\""));
    index_.emplace(key, out_.size());
    out_.push_back(std::move(resource));
    return out_.back();
  }

  // AWS::IAM::Policy: one inline policy on every principal it lists.
  void PolicyResource(const Entry& e) {
    const std::string name = ResolvedString(Property(e, "PolicyName"));
    const Json& doc = Property(e, "PolicyDocument");
    std::optional<std::vector<Json>> entries;  // computed once, for the first target
    bool any = false;
    for (const PrincipalKind& kind : kKinds) {
      const Json& targets = Property(e, kind.list_key);
      if (targets.is_null()) continue;
      const std::string list_pointer = absl::StrCat(e.pointer, "/Properties/", kind.list_key);
      if (!targets.is_array()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(list_pointer, e.id),
                      absl::StrCat("\"", kind.list_key, "\" should be a list, got ",
                                   targets.type_name(), "; ignored"));
        continue;
      }
      for (std::size_t i = 0; i < targets.size(); ++i) {
        model::Resource& principal =
            Target(e, kind, targets[i], absl::StrCat(list_pointer, "/", i));
        if (!entries) entries = PolicyEntries(name, &doc, e.pointer, e.id);
        for (const Json& entry : *entries) principal.document["inline_policies"].push_back(entry);
        any = true;
      }
    }
    if (!any) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location(e.pointer, e.id),
                    "AWS::IAM::Policy with no Users, Groups or Roles: attached to nothing, not "
                    "evaluated");
    }
  }

  // AWS::IAM::RolePolicy, UserPolicy, GroupPolicy.
  void SinglePolicy(const Entry& e, const PrincipalKind& kind) {
    const Json& target = Property(e, kind.name_key);
    if (target.is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location(e.pointer, e.id),
                    absl::StrCat(e.type, " without ", kind.name_key, "; skipped"));
      return;
    }
    model::Resource& principal =
        Target(e, kind, target, absl::StrCat(e.pointer, "/Properties/", kind.name_key));
    const Json& doc = Property(e, "PolicyDocument");
    for (Json& entry :
         PolicyEntries(ResolvedString(Property(e, "PolicyName")), &doc, e.pointer, e.id)) {
      principal.document["inline_policies"].push_back(std::move(entry));
    }
  }

  const Json& root_;
  std::string_view file_;
  const TemplatePositions* positions_;
  const CloudFormationParameters& parameters_;  // --parameter values
  ParameterValues parameter_values_;            // filled by ReadParameters
  Resolver resolver_;
  AdapterResult result_;
  std::vector<Entry> entries_;
  std::deque<model::Resource> out_;                   // a deque: references stay valid
  std::map<std::string, std::size_t> index_;          // principal key -> out_ index
  std::map<std::string, std::string> by_name_;        // "kind:name" -> principal key
  std::map<std::string, std::size_t> managed_index_;  // "id:LogicalId" -> out_ index (first)
  std::map<std::string, std::vector<std::size_t>> managed_copies_;  // every variant's index
  std::map<std::string, std::string> managed_names_;                // the policy's own name
  std::map<std::string, int> attachment_counts_;
  std::map<std::string, int> boundary_counts_;
};

}  // namespace

AdapterResult ReadCloudFormationJson(const nlohmann::json& root, std::string_view source_name,
                                     const TemplatePositions* positions,
                                     const CloudFormationParameters& parameters) {
  return TemplateReader(root, source_name, positions, parameters).Read();
}

AdapterResult ReadCloudFormationTemplate(std::string_view text, std::string_view source_name,
                                         const CloudFormationParameters& parameters) {
  AdapterResult result;
  nlohmann::json root;
  TemplatePositions positions;
  bool lossy = false;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    // JSON stays with the JSON reader every JSON input has (invalid UTF-8 is replaced and
    // reported, where the YAML reader refuses the template); its parser callback records the
    // positions the YAML reader takes from yaml-cpp's marks.
    if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root,
                                 &result.diagnostics, &lossy,
                                 {&positions, internal::kCloudFormationPositionDepth, {}})) {
      return result;
    }
  } else if (!CloudFormationYamlToJson(text, source_name, &root, &positions, &result.diagnostics,
                                       &lossy)) {
    return result;
  }
  AdapterResult read = ReadCloudFormationJson(root, source_name, &positions, parameters);
  result.resources = std::move(read.resources);
  for (core::Diagnostic& d : read.diagnostics) result.diagnostics.push_back(std::move(d));
  if (lossy) internal::MarkUnreadablePolicies(&result.resources, &result.diagnostics);
  return result;
}

}  // namespace kmsguard::adapters
