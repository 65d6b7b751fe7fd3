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
//    caller says where it is attached.
//
// Format detection (adapters/snapshot.h) reads CAI exports through LooksLikeAssetInventoryExport;
// get-iam-policy output is not detected (it does not say what it is attached to).
#pragma once

#include <string_view>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// True when the first non-blank line of `text` is a JSON object with a string "name" and a string
// "asset_type" or "assetType".
bool LooksLikeAssetInventoryExport(std::string_view text);

// True when `text` is one JSON object with a "bindings" list and no member other than "version",
// "etag", "bindings" and "auditConfigs" (an IAM Policy).
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
// (same shape as above, asset type derived from the name). When `attached_to` is empty or names
// none of those, the policy is still read and a warning says it cannot be placed in the
// hierarchy (its bindings then reach no key). Never throws.
AdapterResult ReadGcloudIamPolicy(std::string_view text, std::string_view source_name,
                                  std::string_view attached_to);

}  // namespace kmsguard::adapters
