// Terraform's aws_kms_key and aws_kms_key_policy -> normalized KMS keys (docs/resource-model.md),
// with the provider's defaults for arguments the plan does not set, and "<unknown: ...>" for what
// is computed at apply. A stage of the Terraform plan reader (terraform_reader.h) in a file of its
// own: keys are read after the IAM resources, from the resources terraform.cc collected and the
// values and references it resolves, and share nothing else with the other stages.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/terraform_reader.h"

namespace kmsguard::adapters::internal {

namespace {

using Json = nlohmann::json;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

}  // namespace

// --- KMS keys ---------------------------------------------------------------------------------

// Whether the configuration sets `attribute` of `r` (a plan without `configuration`: unknown,
// taken as not set).
bool TerraformReader::Configured(const TfResource& r, std::string_view attribute) const {
  const auto config = config_.find(PartsOf(r.address).config_address);
  return config != config_.end() && config->second->contains(attribute);
}

// A string argument: as planned, "<unknown: ADDRESS.ATTRIBUTE>" when computed at apply, else
// the provider's default.
Json TerraformReader::KeyString(const TfResource& r, std::string_view attribute,
                                std::string_view fallback) {
  if (const Json& v = Value(r, attribute);
      v.is_string() && !v.get_ref<const std::string&>().empty()) {
    return v;
  }
  if (Unknown(r, attribute))
    return absl::StrCat("<unknown: ", r.address, ".", std::string(attribute), ">");
  return std::string(fallback);
}

Json TerraformReader::KeyBool(const TfResource& r, std::string_view attribute, bool fallback) {
  if (const Json& v = Value(r, attribute); v.is_boolean()) return v;
  if (Unknown(r, attribute))
    return absl::StrCat("<unknown: ", r.address, ".", std::string(attribute), ">");
  return fallback;
}

// aws_kms_key: one customer managed key, with its arguments or the provider's defaults
// (is_enabled true, enable_key_rotation false, customer_master_key_spec SYMMETRIC_DEFAULT,
// key_usage ENCRYPT_DECRYPT, multi_region false).
void TerraformReader::KmsKey(const TfResource& r) {
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
model::Resource& TerraformReader::KeyNamedBy(const TfResource& r) {
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
                  absl::StrCat(why, "; its policy is evaluated for the key \"", key.name, "\""));
  }
  key.source = At(r.pointer, r.address);
  kms_index_.emplace(index_key, resources_out_.size());
  resources_out_.push_back(std::move(key));
  return resources_out_.back();
}

// aws_kms_key_policy: the key policy of the key it names, in place of the key's own `policy`.
void TerraformReader::KmsKeyPolicy(const TfResource& r) {
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

}  // namespace kmsguard::adapters::internal
