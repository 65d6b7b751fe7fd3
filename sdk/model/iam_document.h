// The document of an IAM resource (user, group, role, managed policy) read once into the form every
// stage of an evaluation uses: the decision, the evidence, the exposure and the remediation. It
// is read with simdjson (core/json_tree.h) from either shape a resource may carry
// (docs/resource-model.md): the normalized shape, or an entry exactly as
// `aws iam get-account-authorization-details` returns it (UserDetailList/GroupDetailList/
// RoleDetailList, or Policies for AWS::IAM::Policy). Both shapes give the same IamDocument, so
// the export reader can hand its entries on as text without rebuilding them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/core/json_tree.h"
#include "sdk/model/resource.h"

namespace kmsguard::model {

// One inline policy. `document` points into the IamDocument's tree.
struct InlinePolicy {
  // The name rules and messages use: the normalized entry's "name" when it is a string, else
  // "#<index>"; for an export entry its PolicyName ("" when it has none).
  std::string name;
  // The entry names itself (a "name" string, or any export entry): rules refer to it by `name`.
  bool named = true;
  // The entry is not an object: `entry` is what it is instead and nothing else is set; the engine
  // reports it for this policy only.
  bool is_object = true;
  std::optional<simdjson::dom::element> entry;
  // Where the document is in the source, relative to the resource's source pointer (the export's
  // "/RolePolicyList/0/PolicyDocument"); empty when unknown.
  std::string source_pointer;
  // The document as given (an object, JSON text or URL-encoded JSON text); absent or null: none.
  std::optional<simdjson::dom::element> document;
  bool document_is_null = false;  // the key is there, with null
};

struct IamDocument {
  // Owns every element below.
  std::shared_ptr<const core::JsonTree> tree;
  // The text is not JSON (simdjson's reason); nothing else is set.
  std::string parse_problem;
  // The root is not an object: its JSON type ("array", ...); nothing else is set.
  std::string root_type_problem;
  // Read from an export entry rather than from the normalized shape.
  bool export_shape = false;

  std::string name;
  std::string arn;
  std::string path;

  // Principals. `inline_policies_problem`: the list is missing ("missing") or not a list
  // ("expected a list, got object"); the engine reports it as "/inline_policies: ...".
  std::vector<InlinePolicy> inline_policies;
  std::string inline_policies_problem;
  std::optional<simdjson::dom::element> inline_policies_value;  // when it is not a list
  struct AttachedPolicy {
    std::string name;
    std::string arn;
  };
  std::vector<AttachedPolicy> attached_managed_policies;
  std::vector<std::string> group_memberships;  // users
  // Groups: their member users, when the snapshot shows them.
  bool members_known = false;
  std::vector<std::string> members;
  std::optional<simdjson::dom::element> trust_policy;  // roles; absent or null: none
  bool trust_policy_is_null = false;                   // the key is there, with null
  std::vector<std::string> notes;

  // Managed policies (AWS::IAM::Policy).
  bool aws_managed = false;  // the document's flag (the ARN is checked by the rule as well)
  std::int64_t attachment_count = 0;
  std::int64_t permissions_boundary_usage_count = 0;
  std::string default_version_id;
  std::optional<simdjson::dom::element> document;  // the default version's; absent: see below
  std::string document_problem;  // why `document` is absent, when the snapshot says or shows it
};

// Reads the document of a resource of `type` (e.g. "AWS::IAM::Role") from `tree`, in either shape.
// Never fails: what cannot be read is left empty or named in the *_problem fields, for the engine
// to report as an ERROR of the resource.
IamDocument ReadIamDocument(std::string_view type, std::shared_ptr<const core::JsonTree> tree);

// The document as the normalized nlohmann value of docs/resource-model.md, exactly as the
// normalized shape would give it (for generic rules, which read that shape, and other cold
// readers). A document read from the normalized shape is returned as it is; policy documents are
// copied as given.
nlohmann::json ToNormalizedJson(std::string_view type, const IamDocument& document);

// The resource's document in the normalized shape, from either form (`document`, or the text in
// either shape). For cold readers: generic rules, tests.
nlohmann::json NormalizedDocument(const Resource& resource);

// Turns a resource whose document is text into one whose `document` holds it in the normalized
// shape (and no text), for code that edits documents: an adapter adding what it learns later
// (a group's members), tests.
void MaterializeDocument(Resource* resource);

// An element as a nlohmann value (objects sorted by key, as nlohmann keeps them), for cold readers.
nlohmann::json ElementJson(simdjson::dom::element element);

}  // namespace kmsguard::model
