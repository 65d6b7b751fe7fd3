// cxx_host ADDRESS SNAPSHOT: asks a running `kmsguard serve` at ADDRESS what it is, scans the
// authorization-details export SNAPSHOT through it, and prints one line per FAIL finding and a
// "fail=N" summary line (tests/install/cxx_host.sh checks them). Exit 0 when the scan completed.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "sdk/adapters/snapshot.h"
#include "sdk/client/plugin_client.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cxx_host ADDRESS SNAPSHOT\n";
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "cxx_host: cannot read " << argv[2] << "\n";
    return 2;
  }
  kmsguard::adapters::AdapterResult snapshot = kmsguard::adapters::ReadSnapshot(text.str(), argv[2]);
  if (snapshot.resources.empty()) {
    std::cerr << "cxx_host: no resources in " << argv[2] << "\n";
    return 2;
  }

  kmsguard::client::PluginClient client(argv[1]);
  if (absl::Status serving = client.WaitForServing(std::chrono::seconds(20)); !serving.ok()) {
    std::cerr << "cxx_host: " << serving << "\n";
    return 2;
  }
  absl::StatusOr<kmsguard::client::PluginInfo> info = client.GetPluginInfo();
  if (!info.ok()) {
    std::cerr << "cxx_host: GetPluginInfo: " << info.status() << "\n";
    return 2;
  }
  std::cout << "plugin " << info->name << " " << info->version << " rules=" << info->rules.size()
            << "\n";
  absl::StatusOr<kmsguard::client::ScanResult> result = client.Scan(snapshot.resources);
  if (!result.ok()) {
    std::cerr << "cxx_host: Scan: " << result.status() << "\n";
    return 2;
  }
  int failures = 0;
  for (const kmsguard::model::Finding& finding : result->findings) {
    if (finding.status != kmsguard::model::Status::kFail) continue;
    ++failures;
    std::cout << "FAIL " << finding.rule_id << " " << finding.resource_id << "\n";
  }
  std::cout << "resources=" << snapshot.resources.size() << " fail=" << failures << "\n";
  return 0;
}
