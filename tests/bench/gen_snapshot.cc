// Writes a deterministic authorization-details export of a given size to stdout.
//   gen_snapshot --seed 7 --bytes 104857600 --policies-per-principal 3 > snapshot.json
//   gen_snapshot --shared-documents 40 --principals 50000 > repeated.json   (IaC-like repeats)
//   gen_snapshot --roles-only --principals 20000 --policies-per-principal 1 > roles.json
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "tests/bench/snapshot_generator.h"

int main(int argc, char** argv) {
  kmsguard::bench::GeneratorOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--seed") {
      options.seed = std::stoull(value);
    } else if (flag == "--bytes") {
      options.target_bytes = std::stoull(value);
    } else if (flag == "--policies-per-principal") {
      options.policies_per_principal = std::stoi(value);
    } else if (flag == "--account") {
      options.account = value;
    } else if (flag == "--shared-documents") {
      options.shared_documents = std::stoi(value);
    } else if (flag == "--principals") {
      options.principals = std::stoull(value);
      options.target_bytes = 0;
    } else if (flag == "--roles-only") {
      options.roles_only = value == "1" || value == "true";
    } else {
      std::cerr << "usage: gen_snapshot [--seed N] [--bytes N] [--policies-per-principal N] "
                   "[--account ID] [--shared-documents N] [--principals N] [--roles-only 1] "
                   "> file.json\n";
      return 2;
    }
  }
  std::ios::sync_with_stdio(false);
  const auto stats = kmsguard::bench::GenerateAuthorizationDetails(options, std::cout);
  std::cerr << "gen_snapshot: " << stats.bytes << " bytes, " << stats.users << " users, "
            << stats.groups << " groups, " << stats.roles << " roles, " << stats.inline_policies
            << " inline policies\n";
  return 0;
}
