// Whole-snapshot paths, on one generated export (KMSGUARD_BENCH_BYTES, default 8 MiB), all in one
// run so they can be read as ratios:
//   BM_Floor                 simdjson reads the export once and walks every policy's statements:
//                            the floor every other figure is a ratio of (docs/performance.md)
//   BM_SaxFloor              nlohmann's SAX reader over every token, building nothing
//   BM_ParseDom              nlohmann DOM parse of the file
//   BM_AdapterDom            the DOM reader: authorization details -> normalized resources
//   BM_AdapterStream         the streaming reader (what scans use), resources dropped
//   BM_InProcessScan         streaming reader + evaluation with the built-in rules, one thread
//   BM_InProcessScanParallel the same, evaluation on a pool of hardware_concurrency threads
//   BM_GrpcScan              streaming reader + Evaluate stream to a server over a Unix socket
// Run: build/tests/bench/scan_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "plugin/plugin_server.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/client/plugin_client.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/rule.h"
#include "tests/bench/floor.h"
#include "tests/bench/in_process_scan.h"
#include "tests/bench/snapshot_generator.h"

namespace kmsguard::bench {
namespace {

struct Fixture {
  std::string text;
  GeneratorStats stats;
  std::shared_ptr<const rules::RuleSet> rule_set;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    GeneratorOptions options;
    if (const char* bytes = std::getenv("KMSGUARD_BENCH_BYTES")) options.target_bytes = std::stoull(bytes);
    std::ostringstream out;
    f->stats = GenerateAuthorizationDetails(options, out);
    f->text = out.str();
    f->rule_set = std::make_shared<const rules::RuleSet>(rules::LoadBuiltinRules().rules);
    return f;
  }();
  return *fixture;
}

void SetCounters(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const auto iterations = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(f.text.size()) * state.iterations());
  state.counters["policies_per_s"] =
      benchmark::Counter(iterations * static_cast<double>(f.stats.inline_policies), benchmark::Counter::kIsRate);
}

void BM_Floor(benchmark::State& state) {
  const Fixture& f = GetFixture();
  // Padded once: simdjson reads a little past the end of what it parses.
  static const simdjson::padded_string* const text = new simdjson::padded_string(f.text);
  simdjson::dom::parser parser;
  std::uint64_t statements = 0;
  for (auto _ : state) {
    statements += WalkExport(parser, std::string_view(text->data(), text->size())).statements;
  }
  benchmark::DoNotOptimize(statements);
  SetCounters(state);
}
BENCHMARK(BM_Floor)->Unit(benchmark::kMillisecond);

void BM_SaxFloor(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    struct Null : nlohmann::json_sax<nlohmann::json> {
      bool null() override { return true; }
      bool boolean(bool) override { return true; }
      bool number_integer(number_integer_t) override { return true; }
      bool number_unsigned(number_unsigned_t) override { return true; }
      bool number_float(number_float_t, const string_t&) override { return true; }
      bool string(string_t&) override { return true; }
      bool binary(binary_t&) override { return true; }
      bool start_object(std::size_t) override { return true; }
      bool key(string_t&) override { return true; }
      bool end_object() override { return true; }
      bool start_array(std::size_t) override { return true; }
      bool end_array() override { return true; }
      bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
      }
    } sax;
    benchmark::DoNotOptimize(nlohmann::json::sax_parse(f.text, &sax));
  }
  SetCounters(state);
}
BENCHMARK(BM_SaxFloor)->Unit(benchmark::kMillisecond);

void BM_ParseDom(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(f.text).size());
  SetCounters(state);
}
BENCHMARK(BM_ParseDom)->Unit(benchmark::kMillisecond);

// The snapshot text as a ByteSource, as a file would be read.
adapters::ByteSource TextSource(const std::string& text, std::size_t* at) {
  *at = 0;
  return [&text, at](char* buffer, std::size_t size) {
    const std::size_t n = std::min(size, text.size() - *at);
    std::memcpy(buffer, text.data() + *at, n);
    *at += n;
    return n;
  };
}

void BM_AdapterDom(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    benchmark::DoNotOptimize(adapters::ReadAuthorizationDetails(f.text, "bench.json").resources.size());
  }
  SetCounters(state);
}
BENCHMARK(BM_AdapterDom)->Unit(benchmark::kMillisecond);

void BM_AdapterStream(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    std::size_t at = 0, n = 0;
    adapters::StreamAuthorizationDetails(TextSource(f.text, &at), "bench.json",
                                         [&n](model::Resource) { ++n; });
    benchmark::DoNotOptimize(n);
  }
  SetCounters(state);
}
BENCHMARK(BM_AdapterStream)->Unit(benchmark::kMillisecond);

// Arg: 0 every built-in rule with findings as JSON/OCSF carry them (explanation and the specific
// remediation), 1 without the remediation rewrite, 2 as the table needs them (neither).
void BM_InProcessScan(benchmark::State& state) {
  const Fixture& f = GetFixture();
  engine::EvaluationOptions options;
  options.specific_remediation = state.range(0) == 0;
  options.explanation = state.range(0) < 2;
  const engine::Evaluator evaluator(f.rule_set, "", options);
  std::uint64_t fails = 0;
  for (auto _ : state) {
    std::size_t at = 0;
    fails += ScanStream(TextSource(f.text, &at), evaluator, nullptr, 0).fails;
  }
  benchmark::DoNotOptimize(fails);
  SetCounters(state);
}
BENCHMARK(BM_InProcessScan)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Wall-clock time: the point is how much the second core shortens the scan.
void BM_InProcessScanParallel(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const engine::Evaluator evaluator(f.rule_set);
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  boost::asio::thread_pool pool(static_cast<std::size_t>(threads));
  std::uint64_t fails = 0;
  for (auto _ : state) {
    std::size_t at = 0;
    fails += ScanStream(TextSource(f.text, &at), evaluator, &pool, threads).fails;
  }
  pool.join();
  benchmark::DoNotOptimize(fails);
  state.counters["threads"] = threads;
  SetCounters(state);
}
BENCHMARK(BM_InProcessScanParallel)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GrpcScan(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const std::string dir = std::filesystem::temp_directory_path() / ("kmsguard-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  plugin::ServerOptions options;
  options.listen_address = "unix:" + dir + "/plugin.sock";
  auto server = plugin::PluginServer::Start(options);
  if (!server.ok()) {
    state.SkipWithError(std::string(server.status().message()).c_str());
    return;
  }
  (*server)->InstallRuleSet(f.rule_set);
  client::PluginClient plugin_client((*server)->address());
  if (!plugin_client.WaitForServing(std::chrono::seconds(10)).ok()) {
    state.SkipWithError("plugin did not report SERVING");
    return;
  }
  std::size_t findings = 0;
  for (auto _ : state) {
    auto result = plugin_client.ScanStreaming([&f](const client::PluginClient::Send& send) {
      std::size_t at = 0;
      adapters::StreamAuthorizationDetails(TextSource(f.text, &at), "bench.json",
                                           [&send](model::Resource r) { send(r); });
    });
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      break;
    }
    findings += result->findings.size();
  }
  benchmark::DoNotOptimize(findings);
  SetCounters(state);
  (*server)->Shutdown(std::chrono::seconds(1));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GrpcScan)->Unit(benchmark::kMillisecond)->UseRealTime();

// Start-up to SERVING inside one process: bind the Unix socket, load the built-in rules, install
// them, and see grpc.health.v1 answer SERVING. `kmsguard scan` adds the fork/exec of the child.
void BM_StartToServing(benchmark::State& state) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("kmsguard-start-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (auto _ : state) {
    plugin::ServerOptions options;
    options.listen_address = "unix:" + dir + "/plugin.sock";
    auto server = plugin::PluginServer::Start(options);
    if (!server.ok()) {
      state.SkipWithError(std::string(server.status().message()).c_str());
      break;
    }
    (*server)->InstallRuleSet(std::make_shared<const rules::RuleSet>(rules::LoadBuiltinRules().rules));
    client::PluginClient plugin_client((*server)->address());
    if (!plugin_client.WaitForServing(std::chrono::seconds(10)).ok()) {
      state.SkipWithError("plugin did not report SERVING");
      break;
    }
    state.PauseTiming();
    (*server)->Shutdown(std::chrono::milliseconds(100));
    server->reset();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StartToServing)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace kmsguard::bench

BENCHMARK_MAIN();
