// Scans one authorization-details file in process, streaming, with the built-in rules: the figure
// to watch with /usr/bin/time -v (peak RSS) on files of any size.
//   scan_file FILE [THREADS]    THREADS 0 (default): evaluate on the reading thread
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "sdk/rules/rule.h"
#include "tests/bench/in_process_scan.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: scan_file FILE [THREADS]\n";
    return 2;
  }
  const int threads = argc == 3 ? std::atoi(argv[2]) : 0;
  std::FILE* file = std::fopen(argv[1], "rb");
  if (file == nullptr) {
    std::perror(argv[1]);
    return 2;
  }
  const kmsguard::engine::Evaluator evaluator(
      std::make_shared<const kmsguard::rules::RuleSet>(kmsguard::rules::LoadBuiltinRules().rules));
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
