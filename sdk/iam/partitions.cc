#include "sdk/iam/partitions.h"

#include <re2/re2.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::iam {
namespace internal {
// sdk/iam/data/aws-partitions.json, embedded by sdk/CMakeLists.txt.
extern const char kAwsPartitionsJson[];
}  // namespace internal

namespace {

struct PartitionData {
  absl::Status status;
  std::string source;
  std::vector<PartitionRegions> partitions;
};

std::string StringAt(simdjson::dom::element element, std::string_view key) {
  std::string_view text;
  if (element[key].get_string().get(text) != simdjson::SUCCESS) return {};
  return std::string(text);
}

// The number of digits after the region's last '-', or 0 when it does not end in "-DIGITS".
int SuffixDigits(const std::string& region) {
  const std::size_t dash = region.rfind('-');
  if (dash == std::string::npos || dash + 1 == region.size()) return 0;
  for (std::size_t i = dash + 1; i < region.size(); ++i) {
    if (region[i] < '0' || region[i] > '9') return 0;
  }
  return static_cast<int>(region.size() - dash - 1);
}

PartitionData Load() {
  PartitionData data;
  const core::JsonTreeResult parsed = core::ParseJsonTree(internal::kAwsPartitionsJson);
  if (!parsed.tree) {
    data.status = absl::InternalError(
        absl::StrCat("sdk/iam/data/aws-partitions.json: ", parsed.message));
    return data;
  }
  const simdjson::dom::element root = parsed.tree->root();
  data.source = absl::StrCat(StringAt(root, "source"), " (retrieved ", StringAt(root, "retrieved"), ")");
  simdjson::dom::array partitions;
  if (root["partitions"].get_array().get(partitions) != simdjson::SUCCESS) {
    data.status = absl::InternalError("sdk/iam/data/aws-partitions.json: /partitions is not a list");
    return data;
  }
  std::size_t index = 0;
  for (const simdjson::dom::element entry : partitions) {
    const std::string where = absl::StrCat("sdk/iam/data/aws-partitions.json: /partitions/", index++);
    PartitionRegions p;
    p.id = StringAt(entry, "id");
    p.region_regex = StringAt(entry, "regionRegex");
    simdjson::dom::array regions;
    if (p.id.empty() || p.region_regex.empty() ||
        entry["regions"].get_array().get(regions) != simdjson::SUCCESS) {
      data.status = absl::InternalError(absl::StrCat(where, ": needs id, regionRegex and regions"));
      return data;
    }
    const RE2 pattern(p.region_regex, RE2::Quiet);
    if (!pattern.ok()) {
      data.status = absl::InternalError(absl::StrCat(where, "/regionRegex: ", pattern.error()));
      return data;
    }
    p.suffix_digits = 1;
    std::size_t r = 0;
    for (const simdjson::dom::element e : regions) {
      std::string_view view;
      const std::string text = e.get_string().get(view) == simdjson::SUCCESS ? std::string(view) : "";
      const int digits = SuffixDigits(text);
      if (digits == 0 || !RE2::FullMatch(text, pattern)) {
        data.status = absl::InternalError(absl::StrCat(
            where, "/regions/", r, ": \"", text, "\" does not match ", p.region_regex,
            " or does not end in -DIGITS"));
        return data;
      }
      p.suffix_digits = std::max(p.suffix_digits, digits);
      p.regions.push_back(text);
      ++r;
    }
    std::sort(p.regions.begin(), p.regions.end());
    data.partitions.push_back(std::move(p));
  }
  return data;
}

const PartitionData& Data() {
  static const PartitionData* const data = new PartitionData(Load());
  return *data;
}

}  // namespace

const PartitionRegions* FindPartitionRegions(std::string_view id) {
  const PartitionData& data = Data();
  if (!data.status.ok()) return nullptr;
  for (const PartitionRegions& p : data.partitions) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string PartitionDataSource() { return Data().source; }

absl::Status PartitionDataStatus() { return Data().status; }

}  // namespace kmsguard::iam
