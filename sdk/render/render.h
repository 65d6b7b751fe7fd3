// Renderers: findings -> text. Pure functions; callers write the text where they want.
#pragma once

#include <string>
#include <vector>

#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"

namespace kmsguard::render {

struct ProductInfo {
  std::string name = "kmsguard";
  std::string version;
};

// A terminal table: severity, status, rule, principal, policy, what is granted; then counts.
// PASS findings are left out of the table unless `show_pass`, but always counted.
std::string RenderTable(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, bool show_pass = false);

// A JSON array of OCSF 1.5 Compliance Finding objects (class_uid 2003), one per finding.
std::string RenderOcsf(const std::vector<model::Finding>& findings, const ProductInfo& product);

// A finding's stable identity: 32 hex digits (128 bits) of SHA-256 over rule id, provider,
// partition, account, region, resource id and sub-key, each length-prefixed. The same finding gets
// the same id in every scan, whatever its status, severity or message; OCSF finding_info.uid.
std::string FindingUid(const model::Finding& finding);

}  // namespace kmsguard::render
