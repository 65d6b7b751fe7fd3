#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace kmsguard::model {

// Coverage and counts for one scan, so a host resolves old findings only inside what was scanned.
struct ScanSummary {
  std::int64_t resources_received = 0;
  std::int64_t resources_evaluated = 0;
  std::int64_t resource_errors = 0;  // resources that could not be evaluated at all
  std::int64_t pass = 0;
  std::int64_t warning = 0;
  std::int64_t fail = 0;
  std::int64_t error = 0;
  std::int64_t suppressed = 0;  // FAIL/WARNING findings accepted by a rule exception
  std::set<std::string> rule_ids;
  std::set<std::string> resource_types;
  std::set<std::string> accounts;
  std::set<std::string> regions;
};

}  // namespace kmsguard::model
