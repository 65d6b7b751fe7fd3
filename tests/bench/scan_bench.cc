// Whole-snapshot paths, on one generated export (KMSGUARD_BENCH_BYTES, default 8 MiB), all in one
// run so they can be read as ratios:
//   BM_SaxFloor      read every token once, build nothing (the physical floor)
//   BM_ParseDom      nlohmann DOM parse of the file
//   BM_Adapter       authorization details -> normalized resources
//   BM_InProcessScan adapter + evaluation with the built-in rules
//   BM_GrpcScan      adapter + Evaluate stream to a real server over a Unix socket
// Run: build/tests/bench/scan_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/plugin_server.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/client/plugin_client.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/rule.h"
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

void BM_Adapter(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    benchmark::DoNotOptimize(adapters::ReadAuthorizationDetails(f.text, "bench.json").resources.size());
  }
  SetCounters(state);
}
BENCHMARK(BM_Adapter)->Unit(benchmark::kMillisecond);

void BM_InProcessScan(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const engine::Evaluator evaluator(f.rule_set);
  std::size_t fails = 0;
  for (auto _ : state) {
    for (const auto& resource : adapters::ReadAuthorizationDetails(f.text, "bench.json").resources) {
      for (const auto& finding : evaluator.Evaluate(resource)) fails += finding.status == model::Status::kFail;
    }
  }
  benchmark::DoNotOptimize(fails);
  SetCounters(state);
}
BENCHMARK(BM_InProcessScan)->Unit(benchmark::kMillisecond);

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
    auto resources = adapters::ReadAuthorizationDetails(f.text, "bench.json").resources;
    auto result = plugin_client.Scan(resources);
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

}  // namespace
}  // namespace kmsguard::bench

BENCHMARK_MAIN();
