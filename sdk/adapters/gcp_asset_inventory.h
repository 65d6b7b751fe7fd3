// Input adapter: Google Cloud IAM data -> normalized resources (provider "gcp") that
// gcp::BuildInventory (sdk/gcp/inventory.h) joins into one picture.
//
// Formats (docs/input-formats.md is the AWS list; these are described in
// docs/gcp-kms-semantics.md):
//  - Cloud Asset Inventory exports, `gcloud asset export --content-type=iam-policy` and
//    `--content-type=resource`
//    (https://cloud.google.com/asset-inventory/docs/export-asset-metadata): newline-delimited JSON,
//    one asset per line, keys in snake_case (`asset_type`, `iam_policy`, `update_time`) or
//    camelCase (`assetType`, `iamPolicy`, `updateTime`), both accepted;
//  - `gcloud {organizations|resource-manager folders|projects|kms keyrings|kms keys}
//    get-iam-policy … --format=json`: one Policy object, which does not name its resource, so the
//    caller says where it is attached;
//  - `gcloud asset search-all-iam-policies --format=json`
//    (https://cloud.google.com/asset-inventory/docs/searching-iam-policies, the
//    IamPolicySearchResult of
//    https://cloud.google.com/asset-inventory/docs/reference/rest/v1/TopLevel/searchAllIamPolicies):
//    a JSON list of results in camelCase, each one policy and the resource it is set on.
//
// Format detection (adapters/snapshot.h) reads CAI exports through LooksLikeAssetInventoryExport;
// get-iam-policy output is not a format of its own (it does not say what it is attached to):
// ReadSnapshot names it (LooksLikeIamPolicy) in an error that says how to give its resource
// (`kmsguard scan --gcp-policy RESOURCE=FILE`).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// True when the first non-blank line of `text` is a JSON object with a string "name" and a string
// "asset_type" or "assetType".
bool LooksLikeAssetInventoryExport(std::string_view text);

// True when `text` is one JSON object with no member other than "version", "etag", "bindings" and
// "auditConfigs", and with a "bindings" list, or, when it has no "bindings", a string "etag" (a
// policy without bindings prints as {"etag": "ACAB"}): an IAM Policy
// (https://cloud.google.com/iam/docs/reference/rest/v1/Policy).
bool LooksLikeIamPolicy(std::string_view text);

// Reads a Cloud Asset Inventory NDJSON export. Each line becomes one resource:
//   id: the asset's full name ("//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r");
//   type: its asset type ("cloudkms.googleapis.com/KeyRing"); provider "gcp"; account: the
//   project the name holds, if any; region: a KMS asset's location, else "global";
//   document (docs/resource-model.md, "Google Cloud assets"):
//     {"name": str, "asset_type": str, "ancestors": [str],        // when given
//      "update_time": str,                                        // when given
//      "iam_policy": {"version": int, "bindings": [{"role": str, "members": [str],
//                     "condition": {"title", "description", "expression"}}],
//                     "problems": [str]},                         // when given
//      "resource": {"parent": str, "data": {...}}}                // when given; `data` kept for
//        // resource-manager, IAM role and Cloud KMS assets only (what the join reads)
//   source: the file and the line (1-based).
// Blank lines are skipped. A line that is not JSON, or not an asset, is one error diagnostic
// naming file and line (and column, or the JSON pointer at fault); the other lines still load.
// A binding that cannot be read is a diagnostic with its JSON pointer and a "problems" entry on
// its policy (answers that depend on it are then marked incomplete); the rest of the policy loads.
// Never throws.
AdapterResult ReadAssetInventoryExport(std::string_view text, std::string_view source_name);

// Reads `gcloud … get-iam-policy --format=json` output attached to `attached_to`: the resource it
// was read from, as a CAI full name or a relative name ("projects/acme", "folders/12",
// "organizations/3", "projects/acme/locations/eu/keyRings/r[/cryptoKeys/k]"). One resource results
// (same shape as above, asset type derived from the name; each binding with its "source"
// {"json_pointer": "/bindings/N"} in the file). When `attached_to` is empty or names
// none of those, the policy is still read and a warning says it cannot be placed in the
// hierarchy (its bindings then reach no key). Text that is not JSON is an error at line:column;
// a JSON value that is not an object, or an object with a member a Policy does not have (the
// text is then some other JSON, which would read as a policy granting nothing), is an error and
// nothing is read. `kmsguard scan --gcp-policy RESOURCE=FILE` calls it. Never throws.
AdapterResult ReadGcloudIamPolicy(std::string_view text, std::string_view source_name,
                                  std::string_view attached_to);

// True when `root` is `gcloud asset search-all-iam-policies --format=json` output: a list (or the
// REST response's {"results": [...]}) whose first element is an object with a string "resource"
// and an object "policy". An empty list is not (it holds nothing to tell it by).
bool LooksLikeIamPolicySearch(const nlohmann::json& root);

// Reads `gcloud asset search-all-iam-policies --format=json` output (or the REST response with
// "results"). Each IamPolicySearchResult becomes the resource a CAI `iam-policy` export line makes
// for the same asset (shape above; provider "gcp"):
//   id/name: `resource` as given (search names a project by id, an export by number: the scan's
//   join reconciles them); type: `assetType`; iam_policy: `policy` normalized, each binding with
//   its own "source" {"json_pointer": "/3/policy/bindings/0"} in the file;
//   ancestors, nearest first, when the result allows knowing them: the resource itself when it is
//   an organization, folder or project, else its `project` ("projects/NUMBER"); its folder; its
//   `organization`. Only when `organization` is given: without it the output cannot tell a
//   project with no organization from output made before the field existed, and ancestors that
//   end at a project would say "no organization". `folders` names every folder above the
//   resource in an undocumented order: with more than one (besides the resource itself) no
//   ancestors are derived (one warning per file, at the first such result), since a wrong order
//   would put other projects under the wrong folders. Either way the scan's other inputs (a CAI
//   `resource` export) may still give the ancestry, and answers say which parent was not seen.
//   source: the file, the result's line and its JSON pointer ("/3").
// `explanation` is not kept; a result that has explanation.matchedPermissions (a search filtered
// by permissions, whose policies hold only the matching bindings) gives one warning per file.
// Text that is not JSON is an error at line:column; a result that is not an object, or lacks a
// string `resource` or `assetType`, is an error naming file, line and pointer and is skipped; a
// `policy` that is missing or not an object, or a binding that cannot be read, is an error and a
// "problems" entry (answers that depend on it are then incomplete); a `project`, `folders` or
// `organization` of the wrong type is an error and the result loads without ancestors. The other
// results always load. Never throws.
AdapterResult ReadIamPolicySearch(std::string_view text, std::string_view source_name);

}  // namespace kmsguard::adapters
