// The normalized resource model: every input adapter produces these, every rule reads them.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"

namespace kmsguard::core {
class JsonTree;
}  // namespace kmsguard::core

namespace kmsguard::model {

// Resource type names follow AWS CloudFormation / AWS Config spelling.
inline constexpr char kIamUser[] = "AWS::IAM::User";
inline constexpr char kIamGroup[] = "AWS::IAM::Group";
inline constexpr char kIamRole[] = "AWS::IAM::Role";
inline constexpr char kIamManagedPolicy[] = "AWS::IAM::Policy";
inline constexpr char kKmsKey[] = "AWS::KMS::Key";
// Azure resource types keep ARM's spelling (docs/resource-model.md, "Azure resources").
inline constexpr char kAzureVault[] = "Microsoft.KeyVault/vaults";
inline constexpr char kAzureVaultAccessPolicies[] = "Microsoft.KeyVault/vaults/accessPolicies";
inline constexpr char kAzureRoleAssignment[] = "Microsoft.Authorization/roleAssignments";
inline constexpr char kAzureRoleDefinition[] = "Microsoft.Authorization/roleDefinitions";

// One resource of a snapshot.
//
// `document` holds the resource's normalized JSON. For IAM principals (user, group, role) the
// shape is documented in docs/resource-model.md:
//   {"name": str, "arn": str, "path": str,
//    "inline_policies": [{"name": str, "document": <object | JSON text | URL-encoded JSON text>,
//                         "source_pointer": str}],  // optional: the document's place in the source,
//                                                   // relative to source.json_pointer
//    "attached_managed_policies": [{"name": str, "arn": str}],
//    "group_memberships": [str],            // users only
//    "members": [str],                      // groups only, when the snapshot shows them
//    "trust_policy": <document>,           // roles only
//    "notes": [str]}                       // optional: what the adapter could not know
// For managed policies (type AWS::IAM::Policy) the shape is:
//   {"name": str, "arn": str, "path": str, "aws_managed": bool,
//    "default_version_id": str, "document": <the default version's document>,
//    "attachment_count": int, "permissions_boundary_usage_count": int,
//    "document_problem": str}  // only when "document" is absent: why the snapshot lacks it
// For KMS keys (type AWS::KMS::Key) the shape is:
//   {"name": str,                      // key_id when known, else the logical id / address
//    "key_id": str,                    // "<unknown: ADDRESS>" before deployment
//    "arn": str,                       // "" when unknown
//    "description": str,
//    "key_spec": str,                  // default "SYMMETRIC_DEFAULT"
//    "key_usage": str,                 // default "ENCRYPT_DECRYPT"
//    "origin": str,                    // default "AWS_KMS"; EXTERNAL, AWS_CLOUDHSM, ...
//    "key_manager": str,               // "CUSTOMER" (a key a template or plan creates)
//    "enabled": bool,                  // default true
//    "enable_key_rotation": bool,      // absent in the source: false (the CFN/Terraform default)
//    "multi_region": bool,             // default false
//    "key_policy": <document>,         // as given: object or JSON text; absent when none is given
//    "key_policy_source": str,         // optional: where the key policy is (file:line:col)
//    "key_policy_from": str,           // optional: the resource that set it (aws_kms_key_policy)
//    "partial": true,                  // only for a key the snapshot knows by its policy alone
//    "notes": [str]}
// A value unknown before deployment is the text "<unknown: EXPRESSION>" (never guessed).
// Policy documents are kept as given and parsed by the engine, so a broken document becomes an
// error result for its resource rather than a failure of the whole snapshot.
//
// The document comes in one of two forms. Adapters that build it in memory (Config, Terraform,
// CloudFormation) set `document`. The streaming export reader and the plugin protocol carry it as
// JSON text in `document_text` instead, in the shape above or as an export entry of
// `get-account-authorization-details` (UserDetailList/GroupDetailList/RoleDetailList/Policies),
// and leave `document` null: the engine reads that text once, with simdjson, into its compact
// form (engine/principal.h), and nothing on the scan's hot path builds a nlohmann DOM. When
// `document_text` is not empty it is the document; DocumentText and DocumentJson read either form.
struct Resource {
  std::string id;        // ARN when known, else a stable id from the source
  std::string type;      // e.g. "AWS::IAM::Role"
  std::string provider = "aws";
  std::string partition;  // "aws", "aws-cn", ...; empty when unknown
  std::string account;    // 12-digit account id; empty when unknown
  // Above the account, when the scan's joined picture names it (engine::PlaceInScan; no adapter
  // sets these): a Google Cloud organization's number and the nearest folder's, an Azure tenant
  // id. Empty when unknown. OCSF cloud.org.uid and cloud.org.ou_uid.
  std::string organization;
  std::string organizational_unit;
  std::string region = "global";
  std::string name;
  nlohmann::json document;
  std::string document_text;    // when not empty: the document, as JSON text
  // `document_text` already parsed (core/json_tree.h), when the reader that made the resource
  // parsed it: in one process the engine then does not parse it again. Optional.
  std::shared_ptr<const core::JsonTree> document_tree;
  core::SourceLocation source;  // where the adapter found it (file + JSON pointer)
};

// The document as compact JSON text: `document_text`, or `document` serialized (invalid UTF-8 in
// its strings replaced by U+FFFD, so this never throws).
std::string DocumentText(const Resource& resource);

// The document as a nlohmann value: `document`, or `document_text` parsed (a text that is not
// JSON gives a discarded value). For cold paths: generic rules, tests, the IaC adapters.
nlohmann::json DocumentJson(const Resource& resource);

// Whether a resource of `provider` is judged only after the whole scan is read: a Google Cloud
// or Azure grant depends on several resources (engine/scan_joins.h), so the plugin holds them
// until the scan ends, and a scan spread over replicas sends them all in one call.
bool JoinedAtScanEnd(std::string_view provider);

// `text` (an id, or anything holding ids) in the form in which two spellings of one resource's
// id are equal: lower case for Azure, whose resource ids, names and object ids compare
// case-insensitively (https://learn.microsoft.com/azure/azure-resource-manager/management/
// resource-name-rules: "Resource and resource group names are case-insensitive"); as written for
// every other provider. What finding uids and the host's duplicate index are made of.
std::string CanonicalId(std::string_view provider, std::string_view text);

}  // namespace kmsguard::model
