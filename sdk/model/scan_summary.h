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

  // Adds `part` (a batch's or a call's summary) to this one: counts summed, sets united.
  void Add(const ScanSummary& part) {
    resources_received += part.resources_received;
    resources_evaluated += part.resources_evaluated;
    resource_errors += part.resource_errors;
    pass += part.pass;
    warning += part.warning;
    fail += part.fail;
    error += part.error;
    suppressed += part.suppressed;
    rule_ids.insert(part.rule_ids.begin(), part.rule_ids.end());
    resource_types.insert(part.resource_types.begin(), part.resource_types.end());
    accounts.insert(part.accounts.begin(), part.accounts.end());
    regions.insert(part.regions.begin(), part.regions.end());
  }
};

}  // namespace kmsguard::model
