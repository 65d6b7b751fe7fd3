// The Google Cloud resource hierarchy as far as Cloud KMS is concerned: organization -> folders ->
// project -> key ring -> key, read from Cloud Asset Inventory names, `ancestors`, and the parent
// fields of resource assets.
//
// Rules implemented (docs/gcp-kms-semantics.md):
//  - Cloud KMS resources form the hierarchy organization > folder > project > key ring > key, and
//    a role granted on a resource applies to every resource below it
//    (https://cloud.google.com/kms/docs/reference/permissions-and-roles). Key versions carry no
//    policy of their own.
//  - Cloud Asset Inventory names projects by number in exports
//  (//cloudresourcemanager.googleapis.com/projects/NUMBER)
//    while KMS assets name their project by id (//cloudkms.googleapis.com/projects/PROJECT_ID/…)
//    (https://cloud.google.com/asset-inventory/docs/naming-table). The two are joined
//    through Project assets (`projectId`, `projectNumber`) or a KMS asset's `ancestors`. A project
//    number is all digits; a project id starts with a letter
//    (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
//  - `ancestors` lists the asset's ancestry nearest first, ending at the organization, and starts
//    with the asset itself for projects, folders and organizations
//    (https://cloud.google.com/asset-inventory/docs/reference/rest/v1/Asset).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace kmsguard::gcp {

enum class ScopeKind : std::uint8_t {
  kOrganization,  // organizations/NUMBER
  kFolder,        // folders/NUMBER
  kProject,       // projects/NUMBER_OR_ID
  kKeyRing,       // projects/P/locations/L/keyRings/R
  kCryptoKey,     // projects/P/locations/L/keyRings/R/cryptoKeys/K
  kOther,         // anything else (buckets, datasets, key versions, …): grants nothing on keys
};

// "organization", "folder", "project", "keyRing", "cryptoKey", "other".
std::string_view ScopeKindName(ScopeKind kind);

struct Scope {
  ScopeKind kind = ScopeKind::kOther;
  // The relative name ("projects/p/locations/us/keyRings/r"), without "//SERVICE/". For kOther,
  // the text as given.
  std::string name;
};

// Reads a full resource name ("//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r",
// "//cloudresourcemanager.googleapis.com/folders/12") or a relative one ("projects/p",
// "organizations/1"). Only the cloudresourcemanager and cloudkms services name scopes; any other
// service, or a shape that does not fit, is kOther. Never fails.
Scope ParseScope(std::string_view name);

// Why `scope` (as ParseScope read it) cannot name a real resource, or "" when it can: an
// organization or folder is named by its number; a project by its number or its id (at most 30
// lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen;
// new ids have at least 6, shorter ones are accepted; optionally after a "domain:" of a legacy
// domain-scoped project); a key ring or key name is 1 to
// 63 letters, digits, underscores and hyphens
// (https://cloud.google.com/resource-manager/docs/creating-managing-projects,
// https://cloud.google.com/kms/docs/create-key-ring). Resources of kind kOther: "".
std::string MalformedScope(const Scope& scope);

// The hierarchy seen in an input. Built by Add… calls, then read (const, thread-safe).
class Hierarchy {
 public:
  // `child` has parent `parent` (names as ParseScope reads them; "folders/1", "organizations/2",
  // "projects/3", or {"type": "folder", "id": "1"} already turned into "folders/1"). What an asset
  // says of itself (its resource data or parent field) is `authoritative` and replaces what another
  // asset's `ancestors` implied; otherwise the first statement stays. Two statements that differ
  // are recorded in conflicts().
  void SetParent(std::string_view child, std::string_view parent, bool authoritative = true);
  // A project's id and number (the join of the two spellings).
  void AddProject(std::string_view id, std::string_view number);
  // A project whose parent is known to be none (no organization).
  void MarkRoot(std::string_view project);
  // An asset's `ancestors` (nearest first), as non-authoritative parent links. For a KMS asset
  // named by project id, the first "projects/NUMBER" entry also joins that id to the number; so
  // does a project asset named by id whose first entry (itself) is "projects/NUMBER".
  void AddAncestors(std::string_view asset_name, const std::vector<std::string>& ancestors);
  // A key or key ring known to exist (from its asset), for KeysBelow.
  void AddKmsResource(std::string_view name);

  // The name used for `name` everywhere in answers: relative; a project by number when its number
  // is known ("projects/1042"); a KMS resource with its project by id when known
  // ("projects/acme/locations/…"), as Cloud KMS names it.
  std::string Canonical(std::string_view name) const;

  struct Ancestry {
    std::vector<Scope> scopes;  // canonical, the resource itself first, then its ancestors
    // True when the chain reaches an organization, or a project known to have none. False when a
    // parent was not seen: bindings above the last scope may exist and were not considered.
    bool complete = false;
    std::string gap;  // when not complete: which scope's parent was not seen
  };
  Ancestry AncestryOf(std::string_view name) const;

  // The known keys (AddKmsResource) whose ancestry contains `scope`, canonical, sorted.
  std::vector<std::string> KeysBelow(std::string_view scope) const;

  // Statements about a parent that disagree ("folders/1: parent organizations/2 (kept), not
  // organizations/3"), in the order met.
  const std::vector<std::string>& conflicts() const { return conflicts_; }

  // id -> number and number -> id, for every project joined.
  const absl::flat_hash_map<std::string, std::string>& project_aliases() const { return aliases_; }

 private:
  struct Parent {
    std::string name;
    bool authoritative = false;
  };
  // The child as first written (either spelling of a project) -> its parent.
  absl::flat_hash_map<std::string, Parent> parents_;
  std::vector<std::string> conflicts_;
  absl::flat_hash_map<std::string, std::string> aliases_;  // project id <-> number
  absl::flat_hash_set<std::string> roots_;
  absl::flat_hash_set<std::string> kms_resources_;
};

}  // namespace kmsguard::gcp
