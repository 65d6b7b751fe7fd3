// Fuzz target: every snapshot a stranger can hand `kmsguard scan`, through the one entry point the
// scan uses (adapters::ReadSnapshot, format detected from the content): gzip, the
// authorization-details export reader (framer, simdjson, the damaged-entry path), AWS Config
// items, Terraform plans and state, CloudFormation JSON and YAML with intrinsics, Google Cloud
// Asset Inventory exports and search-all-iam-policies output, az / ARM REST output, ARM templates
// with their expressions, azurerm plans; and, as `scan --gcp-policy projects/p=FILE` reads any
// file, the get-iam-policy reader (adapters::ReadGcloudIamPolicy). Then every resource read is
// evaluated by the built-in rules as a scan evaluates it (the Google Cloud and Azure ones over the
// joined picture), which parses each policy document (plain and URL-encoded) and runs the
// remediation rewrite on every FAIL.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sdk/adapters/gcp_asset_inventory.h"
#include "sdk/adapters/snapshot.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kmsguard::adapters::AdapterResult read =
      kmsguard::adapters::ReadSnapshot(text, "fuzz.json", kmsguard::adapters::InputFormat::kAuto);
  kmsguard::fuzz::EvaluateAll(read.resources);
  kmsguard::adapters::AdapterResult policy =
      kmsguard::adapters::ReadGcloudIamPolicy(text, "fuzz.json", "projects/p");
  kmsguard::fuzz::EvaluateAll(policy.resources);
  return 0;
}
