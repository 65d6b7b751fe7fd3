// The Terraform plan reader (ReadTerraformPlan, terraform.h), one class whose stages are files of
// their own: the plan's resources and the references between them, and the hand-over of Azure and
// Google Cloud resources (terraform.cc); IAM principals and managed policies (terraform_iam.cc);
// KMS keys (terraform_kms.cc). Internal to sdk/adapters.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters::internal {

// One resource instance of the plan.
struct TfResource {
  std::string address;
  std::string type;
  bool data = false;
  const nlohmann::json* values = nullptr;         // planned values (`after`), or state values
  const nlohmann::json* after_unknown = nullptr;  // null when the input has no change for it
  std::string pointer;
};

class TerraformReader {
 public:
  struct PrincipalKind {
    const char* model_type;
    const char* resource;        // aws_iam_user
    const char* policy;          // aws_iam_user_policy
    const char* attachment;      // aws_iam_user_policy_attachment
    const char* attribute;       // user
    const char* list_attribute;  // users (aws_iam_policy_attachment)
    const char* kind;            // "user"
  };

  // `positions` (null when the plan was handed over parsed) must outlive the reader.
  TerraformReader(std::string_view file, const internal::JsonPositions* positions)
      : file_(file), positions_(positions) {}

  // In: the document of `terraform show -json` (a plan or a state), which must outlive the
  // reader. Out: its resources and the diagnostics; the result is moved out, so Read runs once.
  AdapterResult Read(const nlohmann::json& root);

 private:
  // Functions that one stage alone calls are documented at their definitions; those the stages
  // share, here.

  // --- The plan's resources (terraform.cc) -----------------------------------------------------

  void WalkModule(const nlohmann::json& module, const std::string& pointer, bool data_only);
  void ReadChanges(const nlohmann::json& changes);
  void Add(const std::string& address, const std::string& type, bool data,
           const nlohmann::json* values, const nlohmann::json* after_unknown,
           const std::string& pointer);
  void WalkConfiguration(const nlohmann::json& module, const std::string& prefix);

  // --- Values and references, for every stage (terraform.cc) ----------------------------------

  // The module-instance prefix of an address ("module.a[0].module.b." for
  // "module.a[0].module.b.aws_iam_role.r"), and the address with every instance key removed, which
  // is how `configuration` names resources ("module.a.module.b.aws_iam_role.r").
  struct AddressParts {
    std::string module_prefix;
    std::string config_address;
  };
  static AddressParts PartsOf(std::string_view address);

  // The planned value of `attribute` of `r`; null when the plan has none.
  static const nlohmann::json& Value(const TfResource& r, std::string_view attribute);

  // The planned value of `attribute` of `r` when it is a string; "" otherwise.
  static std::string StringValue(const TfResource& r, std::string_view attribute);

  // True when the plan says the attribute is known only after the apply.
  static bool Unknown(const TfResource& r, std::string_view attribute);

  // The `references` of the configuration expression of `attribute` ("" when none).
  std::vector<std::string> References(const TfResource& r, std::string_view attribute,
                                      const nlohmann::json* expression = nullptr) const;

  // A reference such as "aws_iam_group.g.name" or "data.x.y.json", relative to the module of
  // `from`: the resource instance it names and the attribute. False for var./local./module
  // outputs, and for a counted resource referred to without its instance key.
  bool ResolveReference(const TfResource& from, const std::string& reference,
                        const TfResource** target, const nlohmann::json** data_values,
                        std::string* attribute) const;

  // The policy text of `attribute` (a JSON string): as planned, or from a data source
  // (aws_iam_policy_document.json) the configuration refers to. `found` false when unknown.
  nlohmann::json PolicyText(const TfResource& r, std::string_view attribute,
                            const nlohmann::json* expression, bool* found) const;

  // Where `pointer` is: with the line and column of it or of its resource when the plan was read
  // from text (SARIF regions, file:line diagnostics), naming `address`.
  core::SourceLocation At(std::string pointer, std::string address = "") const;

  // --- Principals and managed policies (terraform_iam.cc) --------------------------------------

  model::Resource& NewPrincipal(const PrincipalKind& kind, const std::string& key, std::string name,
                                std::string arn, std::string path, const TfResource& source);
  void Note(model::Resource& resource, const std::string& note);
  void PrincipalForResource(const TfResource& r, const PrincipalKind& kind);
  model::Resource& PrincipalNamedBy(const TfResource& r, const PrincipalKind& kind,
                                    std::string_view attribute, const nlohmann::json& value);
  void InlinePolicyResource(const TfResource& r, const PrincipalKind& kind);
  void AddPolicy(model::Resource& principal, const TfResource& r, const std::string& name,
                 std::string_view attribute, const nlohmann::json* expression);
  void ResourceBlocks(const TfResource& r, const PrincipalKind& kind);
  void ManagedPolicy(const TfResource& r);
  std::string ManagedPolicyKey(const TfResource& r, std::string_view attribute) const;
  void Attach(model::Resource& principal, const std::string& arn, std::string managed_key);
  void Attachment(const TfResource& r, const PrincipalKind& kind, std::string_view attribute);

  // --- Azure and Google Cloud (terraform.cc) ---------------------------------------------------

  void AzurermResource(const TfResource& r);

  // The configuration references of `r`'s `attribute` that resolve to an attribute of a resource
  // (`target`) or of a data source read at plan time (`data_values`), in order.
  struct Resolved {
    const TfResource* target = nullptr;
    const nlohmann::json* data_values = nullptr;
    std::string attr;
  };
  std::vector<Resolved> ResolvedReferences(const TfResource& r, std::string_view attribute);
  void GoogleResources();

  // --- KMS keys (terraform_kms.cc) -------------------------------------------------------------

  bool Configured(const TfResource& r, std::string_view attribute) const;
  static nlohmann::json KeyString(const TfResource& r, std::string_view attribute,
                                  std::string_view fallback);
  static nlohmann::json KeyBool(const TfResource& r, std::string_view attribute, bool fallback);
  void KmsKey(const TfResource& r);
  model::Resource& KeyNamedBy(const TfResource& r);
  void KmsKeyPolicy(const TfResource& r);

  std::string_view file_;
  const internal::JsonPositions* positions_;  // null when the plan was handed over parsed
  AdapterResult result_;
  std::map<std::string, TfResource> resources_;          // managed resources by address
  std::vector<std::string> order_;                       // addresses in input order
  std::map<std::string, std::string> changed_;           // resource_changes: address -> pointer
  std::map<std::string, const nlohmann::json*> data_;    // data sources by address (values)
  std::map<std::string, const nlohmann::json*> config_;  // configuration expressions by address
  std::deque<model::Resource> resources_out_;            // a deque: references stay valid
  std::map<std::string, std::size_t> principal_index_;   // key -> resources_out_ index
  std::map<std::string, std::string> name_index_;        // "kind:name" -> principal key
  std::map<std::string, std::size_t> managed_index_;     // key -> resources_out_ index
  std::map<std::string, std::string> managed_by_arn_;
  std::map<std::string, int> attachment_counts_;
  std::map<std::string, int> boundary_counts_;
  std::map<std::string, std::size_t> kms_index_;  // key -> resources_out_ index
  std::map<std::string, std::string> kms_by_id_;  // key id or ARN -> kms_index_ key
};

}  // namespace kmsguard::adapters::internal
