// The regions of each AWS partition, as data: sdk/iam/data/aws-partitions.json, curated from the
// AWS SDKs' partition metadata (botocore/data/partitions.json; the file records its source revision
// and the date it was taken) and embedded in the library at build time. Regenerate it with
// scripts/update-aws-partitions.py.
//
// Why the key grammar needs it: keys live in regions, and a partition has a known, dated set of
// them (each following the partition's published pattern, e.g.
// ^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$ for `aws`; every one has a one-digit suffix today).
// Judging an Allow's reach over those regions, rather than over any `[a-z]+(-[a-z]+)*-[0-9]+`, is
// what makes `arn:aws:kms:??-*-?:*:key/*` a grant on every key (AWS General Reference, "AWS
// Regions"; the SDKs' partitions metadata). See key_space.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace kmsguard::iam {

struct PartitionRegions {
  std::string id;                    // "aws", "aws-cn", "aws-us-gov", ...
  std::string region_regex;          // the published pattern, verbatim (RE2 syntax)
  std::vector<std::string> regions;  // the regions the partition has, sorted
  // The most digits in a listed region's numeric suffix (1 today).
  int suffix_digits = 1;
};

// The partition `id`, or nullptr when the data has none of that name (the key grammar then falls
// back to its open region grammar). The data is read and checked once, on first use.
const PartitionRegions* FindPartitionRegions(std::string_view id);

// Where the data came from ("source") and when it was taken ("retrieved"), for docs and --version
// style reports.
std::string PartitionDataSource();

// Whether the embedded data read and checked cleanly: each partition's regions match its
// regionRegex (RE2) and end in "-DIGITS". An error names the JSON pointer of the entry at fault. Tests assert it is OK; when it is not, every lookup
// returns nullptr (the open grammar).
absl::Status PartitionDataStatus();

}  // namespace kmsguard::iam
