// One picture of a Google Cloud scan: the allow policies, the hierarchy and the custom roles of
// every GCP resource read (adapters/gcp_asset_inventory.h makes them), joined after reading.
//
// Several files form one picture: an `--content-type=iam-policy` export (who is bound where), a
// `--content-type=resource` export (project number <-> id, folder parents, custom roles, which
// keys exist) and `gcloud … get-iam-policy` output. BuildInventory is the one step that joins them;
// no format reader does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/gcp/hierarchy.h"
#include "sdk/gcp/roles.h"
#include "sdk/model/resource.h"

namespace kmsguard::gcp {

// An IAM condition (https://cloud.google.com/iam/docs/conditions-overview): CEL text, not
// evaluated here.
struct Condition {
  std::string title;
  std::string description;
  std::string expression;
};

struct Binding {
  std::string role;
  std::vector<std::string> members;
  std::optional<Condition> condition;
  std::string pointer;  // the binding's JSON pointer in its source ("/iam_policy/bindings/2")
  // Where the binding was written when that is not its policy's source: a policy gathered from
  // several inputs (the Terraform resources on one scope, adapters/gcp_terraform.h) names each
  // binding's own resource address and JSON pointer. Unset: the policy's source + `pointer`.
  std::optional<core::SourceLocation> source;
};

// One allow policy, on the resource it is attached to.
struct AttachedPolicy {
  std::string resource;  // the CAI full name (or relative name) as the input wrote it
  int version = 0;       // 0 when the input did not say
  std::vector<Binding> bindings;
  // Parts of the policy the adapter could not read (e.g. "/iam_policy/bindings/3: role is not a
  // string"): members of those bindings may hold grants nobody can see, so answers that depend on
  // this policy are incomplete.
  std::vector<std::string> problems;
  core::SourceLocation source;
};

struct Inventory {
  std::vector<AttachedPolicy> policies;
  Hierarchy hierarchy;
  std::vector<CustomRole> custom_roles;
  // Whether deny policies (IAM v2) were part of the input. No reader produces them yet: CAI
  // iam-policy exports and get-iam-policy output carry allow policies only.
  bool deny_policies_seen = false;
};

struct InventoryResult {
  Inventory inventory;
  core::Diagnostics diagnostics;  // shapes the join could not read (file + JSON pointer)
};

// Joins the GCP resources among `resources` (provider "gcp"; others are skipped) in the normalized
// shape of docs/resource-model.md ("Google Cloud assets"). Never fails: what cannot be read is a
// diagnostic and, for a policy, a problem recorded on it.
InventoryResult BuildInventory(const std::vector<model::Resource>& resources);

// The project a finding of a resource in `account` names (OCSF cloud.account, the HTML report's
// accounts): the project id when `account` is a project number the join maps to an id, else
// `account` unchanged. Cloud Asset Inventory names a project by number and its Cloud KMS assets
// by id (https://cloud.google.com/asset-inventory/docs/resource-name-format), so without this
// one project's findings would name two accounts.
std::string ProjectAccount(const Inventory& inventory, std::string_view account);

// Where a resource sits above its project (OCSF cloud.org): the organization and the nearest
// folder on its ancestry, by number ("1234", not "organizations/1234"), the resource itself
// included. Empty when the inputs' hierarchy does not reach one: a project with no organization,
// or a parent that was not seen (nothing is guessed).
// https://cloud.google.com/resource-manager/docs/cloud-platform-resource-hierarchy
struct Organization {
  std::string organization;
  std::string folder;
};
Organization OrganizationOf(const Inventory& inventory, std::string_view resource_name);

// A resolver for the inventory's custom roles and project aliases over `catalog`, which must
// outlive it.
RoleResolver MakeRoleResolver(const Inventory& inventory,
                              const RoleCatalog& catalog = PredefinedRoles());

}  // namespace kmsguard::gcp
