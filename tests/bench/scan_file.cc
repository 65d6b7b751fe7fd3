// Scans one authorization-details file in process, streaming, with the built-in rules: the figure
// to watch with /usr/bin/time -v (peak RSS) on files of any size.
//   scan_file FILE [THREADS] [--no-remediation | --table]
//     THREADS 0 (default): evaluate on the reading thread
//     --no-remediation: no least-privilege rewrite of failing policies
//       (ScanStart.skip_specific_remediation)
//     --table: findings as the table needs them: neither that rewrite nor explanation lines
//       (ScanStart.skip_explanation too)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sdk/rules/rule.h"
#include "tests/bench/in_process_scan.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kmsguard::engine::EvaluationOptions options;
  if (!args.empty() && (args.back() == "--no-remediation" || args.back() == "--table")) {
    options.specific_remediation = false;
    options.explanation = args.back() != "--table";
    args.pop_back();
  }
  if (args.empty() || args.size() > 2) {
    std::cerr << "usage: scan_file FILE [THREADS] [--no-remediation | --table]\n";
    return 2;
  }
  const int threads = args.size() == 2 ? std::atoi(args[1].c_str()) : 0;
  std::FILE* file = std::fopen(args[0].c_str(), "rb");
  if (file == nullptr) {
    std::perror(args[0].c_str());
    return 2;
  }
  const kmsguard::engine::Evaluator evaluator(
      std::make_shared<const kmsguard::rules::RuleSet>(kmsguard::rules::LoadBuiltinRules().rules),
      "", options);
  const auto start = std::chrono::steady_clock::now();
  boost::asio::thread_pool pool(static_cast<std::size_t>(threads > 0 ? threads : 1));
  const kmsguard::bench::ScanCounts counts = kmsguard::bench::ScanStream(
      [file](char* buffer, std::size_t size) { return std::fread(buffer, 1, size, file); },
      evaluator, threads > 0 ? &pool : nullptr, threads);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fclose(file);
  std::cout << "resources " << counts.resources << " findings " << counts.findings << " fail "
            << counts.fails << " diagnostics " << counts.diagnostics << " seconds " << seconds
            << " resources_per_s " << static_cast<double>(counts.resources) / seconds << "\n";
  return 0;
}
