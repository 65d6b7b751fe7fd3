// The scan's multi-cloud resources joined once: a Google Cloud or Azure grant depends on several
// resources (policies or assignments, the hierarchy, custom roles, the vault's permission model),
// so the host side of a scan joins them after reading (gcp::BuildInventory,
// azure::BuildInventory) and the operators read the joined picture.
#pragma once

namespace kmsguard::gcp {
struct Inventory;  // gcp/inventory.h
class GrantIndex;  // gcp/effective_grant.h
}  // namespace kmsguard::gcp
namespace kmsguard::azure {
struct Inventory;  // azure/inventory.h
}  // namespace kmsguard::azure

namespace kmsguard::engine {

// Null members: that cloud's resource is evaluated on its own (`kmsguard test`, `eval`), and its
// operator joins the resource alone.
struct ScanJoins {
  const gcp::Inventory* gcp = nullptr;
  const azure::Inventory* azure = nullptr;
  // Over `gcp`, when given: each question's grants computed once for the scan, not once per
  // scope judged. Without it, an operator computes what it needs on each call.
  const gcp::GrantIndex* gcp_grants = nullptr;
};

}  // namespace kmsguard::engine
