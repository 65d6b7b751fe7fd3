// `kmsguard scan --baseline FILE`: the earlier scan's output read (gzip too, as every scan input)
// and checked before anything is scanned; the comparison itself is sdk/render/baseline.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "sdk/render/baseline.h"

namespace kmsguard::plugin {

// Reads `path` ("-" is not allowed: standard input may be the snapshot) as a baseline. On a
// problem, prints each diagnostic (file:line:col or file#/pointer, code baseline_error) to `err`
// and returns InvalidArgument: the scan is refused with exit status 2.
absl::StatusOr<std::shared_ptr<render::BaselineComparison>> LoadBaseline(const std::string& path,
                                                                        std::size_t max_bytes,
                                                                        std::ostream& err);

// For --fail-on new, as each finding arrives: true when `finding` is a FAIL or WARNING that is NEW
// against the baseline; an ERROR finding's resource is marked unevaluated (its earlier findings
// are not resolved by being missing).
bool IsNewOpenFinding(const model::Finding& finding, render::BaselineComparison& baseline);

}  // namespace kmsguard::plugin
