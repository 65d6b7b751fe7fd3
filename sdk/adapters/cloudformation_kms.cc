// AWS::KMS::Key -> a normalized KMS key (docs/resource-model.md, "KMS keys").
//
// Properties take CloudFormation's defaults when absent (AWS::KMS::Key: Enabled true,
// EnableKeyRotation false, KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT, Origin AWS_KMS,
// MultiRegion false), so a rule reads what the deployed key will have. A value that is not known
// before deployment is written "<unknown: TEXT>", never guessed. The key policy is kept as given
// (an object, or JSON text): the engine parses it, so a broken one is an ERROR for this key only.
#include "sdk/adapters/cloudformation_kms.h"

#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/core/json_text.h"

namespace kmsguard::adapters::internal {

namespace {

using Json = nlohmann::json;

std::string Unknown(const std::string& text) { return absl::StrCat("<unknown: ", text, ">"); }

// A resolved value as it goes into the document: absent (discarded or null) gives `fallback`; a
// string holding a `${...}` variable is unknown.
Json StringProperty(const Json& resolved, std::string_view fallback) {
  if (resolved.is_discarded() || resolved.is_null()) return std::string(fallback);
  if (!resolved.is_string()) return Unknown(core::DumpJson(resolved));
  const std::string& text = resolved.get_ref<const std::string&>();
  if (text.find("${") != std::string::npos) return Unknown(text);
  return text;
}

// A Boolean property: CloudFormation takes true/false or their text (a parameter's value is
// text). `*invalid` is set for anything else, which is kept as written.
Json BoolProperty(const Json& resolved, bool fallback, bool* invalid) {
  if (resolved.is_discarded() || resolved.is_null()) return fallback;
  if (resolved.is_boolean()) return resolved;
  if (resolved.is_string()) {
    const std::string& text = resolved.get_ref<const std::string&>();
    if (absl::EqualsIgnoreCase(text, "true")) return true;
    if (absl::EqualsIgnoreCase(text, "false")) return false;
    if (text.find("${") != std::string::npos) return Unknown(text);
  }
  *invalid = true;
  return resolved;
}

// The strings a Principal or NotPrincipal value names: "*", or each value of its map.
void PrincipalStrings(const Json& value, std::vector<std::string>* out) {
  if (value.is_string()) {
    out->push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const Json& v : value) PrincipalStrings(v, out);
  } else if (value.is_object()) {
    for (const auto& [type, v] : value.items()) PrincipalStrings(v, out);
  }
}

// Reading an unknown principal as one specific value narrows who it names. That is the safe side
// for an Allow's NotPrincipal and a Deny's Principal, but not for an Allow's Principal (it may be
// "*") or a Deny's NotPrincipal (it may exempt everyone): there a variable that can hold
// wildcards makes the policy unjudgeable.
std::optional<std::string> UnknownPrincipal(const Json& document,
                                            const CloudFormationContext& context) {
  const Json list = PolicyStatements(document);
  const auto wildcard_able = [&context](std::string_view name) {
    return context.MayHoldWildcards(name);
  };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string effect = StringField(list[i], "Effect");
    const char* element = effect == "Allow" ? "Principal" : effect == "Deny" ? "NotPrincipal" : "";
    if (*element == '\0' || !list[i].is_object()) continue;
    const auto value = list[i].find(element);
    if (value == list[i].end()) continue;
    std::vector<std::string> names;
    PrincipalStrings(*value, &names);
    for (const std::string& name : names) {
      if (HoldsVariable(name, wildcard_able)) {
        return absl::StrCat("statement ", i, " (", effect, ") has the ", element, " \"", name,
                            "\", which is not known before deployment and may be \"*\"");
      }
    }
  }
  return std::nullopt;
}

std::string WithCondition(const std::string& name, const std::string& label) {
  return label.empty() ? name : absl::StrCat(name, " (if ", label, ")");
}

const Json& Property(const Json& properties, std::string_view key) {
  static const Json* const kAbsent = new Json(Json::value_t::discarded);
  if (!properties.is_object()) return *kAbsent;
  const auto it = properties.find(key);
  return it == properties.end() ? *kAbsent : *it;
}

}  // namespace

std::vector<model::Resource> ReadCloudFormationKmsKey(CloudFormationContext& context,
                                                      const std::string& logical_id,
                                                      const std::string& pointer,
                                                      const nlohmann::json& properties) {
  const auto resolved = [&](std::string_view key) {
    const Json& raw = Property(properties, key);
    return raw.is_discarded() ? raw : context.Resolve(raw);
  };
  Json base = {{"name", logical_id},
               {"key_id", Unknown(absl::StrCat("cloudformation:", logical_id))},
               {"arn", ""}};
  const Json description = resolved("Description");
  base["description"] = description.is_string() ? description : Json("");
  base["key_spec"] = StringProperty(resolved("KeySpec"), "SYMMETRIC_DEFAULT");
  base["key_usage"] = StringProperty(resolved("KeyUsage"), "ENCRYPT_DECRYPT");
  base["origin"] = StringProperty(resolved("Origin"), "AWS_KMS");
  base["key_manager"] = "CUSTOMER";  // a key a template creates is a customer managed key
  base["notes"] = Json::array();
  base["notes"].push_back(absl::StrCat(
      "the key id and ARN are not known before deployment; logical id ", logical_id, " used"));
  for (const auto& [key, property, fallback] :
       {std::tuple{"enabled", "Enabled", true},
        std::tuple{"enable_key_rotation", "EnableKeyRotation", false},
        std::tuple{"multi_region", "MultiRegion", false}}) {
    bool invalid = false;
    base[key] = BoolProperty(resolved(property), fallback, &invalid);
    if (invalid) {
      AddDiagnostic(context.diagnostics(), core::DiagnosticSeverity::kWarning,
                    context.Location(absl::StrCat(pointer, "/Properties/", property), logical_id),
                    absl::StrCat(property, " of ", logical_id,
                                 " is neither true nor false; kept as written"));
    }
    if (base[key].is_string()) {
      base["notes"].push_back(absl::StrCat(property, " is not known before deployment"));
    }
  }

  const std::string policy_pointer = pointer + "/Properties/KeyPolicy";
  const Json& policy = Property(properties, "KeyPolicy");
  std::vector<CloudFormationVariant> variants;
  if (policy.is_discarded() || policy.is_null()) {
    base["notes"].push_back(
        "no KeyPolicy: AWS KMS gives the key its default key policy (the account's root, so IAM "
        "policies of the account decide)");
    variants.push_back({"", Json(Json::value_t::discarded)});
  } else {
    variants = context.PolicyVariants(policy, pointer, logical_id);
  }
  std::vector<model::Resource> out;
  for (CloudFormationVariant& v : variants) {
    model::Resource key;
    key.id = WithCondition("cloudformation:" + logical_id, v.label);
    key.type = model::kKmsKey;
    key.name = WithCondition(logical_id, v.label);
    key.region = "";  // the stack's region, not known from the template
    key.document = base;
    key.document["name"] = key.name;
    if (!v.value.is_discarded() && !v.value.is_null()) {
      key.document["key_policy_source"] = context.Location(policy_pointer, logical_id).ToString();
      std::optional<std::string> unknown = context.UnknownStatement(v.value);
      if (!unknown) unknown = UnknownPrincipal(v.value, context);
      if (unknown) {
        key.document["key_policy"] = absl::StrCat("<not evaluated: ", *unknown, ">");
        AddDiagnostic(context.diagnostics(), core::DiagnosticSeverity::kWarning,
                      context.Location(policy_pointer, logical_id),
                      absl::StrCat("key policy of ", key.name, ": ", *unknown,
                                   ", so it cannot be judged (an ERROR for the rules that read "
                                   "it); give the value with --parameter"));
      } else {
        key.document["key_policy"] = std::move(v.value);  // JSON text stays text
      }
    }
    key.source = context.Location(pointer, logical_id);
    out.push_back(std::move(key));
  }
  return out;
}

}  // namespace kmsguard::adapters::internal
