// The floor of docs/performance.md for one file: simdjson reads it whole (DOM) and every policy
// document's statements are walked; nothing is decided. Wall and CPU seconds on stdout: the first
// run (a fresh parser, as a scan reads its input once: the reference) and the best of REPEATS
// (the parser's buffers warm).
//   floor_file FILE [REPEATS]      (default 3)
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>

#include "tests/bench/floor.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: floor_file FILE [REPEATS]\n";
    return 2;
  }
  const int repeats = argc == 3 ? std::stoi(argv[2]) : 3;
  simdjson::padded_string text;
  if (simdjson::padded_string::load(argv[1]).get(text) != simdjson::SUCCESS) {
    std::cerr << argv[1] << ": cannot read\n";
    return 2;
  }
  simdjson::dom::parser parser;
  double best_wall = 1e100, best_cpu = 1e100, first_wall = 0, first_cpu = 0;
  kmsguard::bench::FloorCounts counts;
  for (int i = 0; i < repeats; ++i) {
    const auto wall0 = std::chrono::steady_clock::now();
    const std::clock_t cpu0 = std::clock();
    counts = kmsguard::bench::WalkExport(parser, std::string_view(text.data(), text.size()));
    const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (i == 0) {
      first_wall = wall;
      first_cpu = cpu;
    }
    if (wall < best_wall) best_wall = wall;
    if (cpu < best_cpu) best_cpu = cpu;
  }
  if (!counts.ok) {
    std::cerr << argv[1] << ": not JSON\n";
    return 2;
  }
  std::cout << "floor " << argv[1] << ": " << text.size() << " bytes, " << counts.principals
            << " principals, " << counts.policies << " policies, " << counts.statements
            << " statements; first run " << first_wall << " s wall, " << first_cpu
            << " s CPU; best of " << repeats << ": " << best_wall << " s wall, " << best_cpu
            << " s CPU\n";
  return 0;
}
