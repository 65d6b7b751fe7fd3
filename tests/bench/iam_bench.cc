// Hot paths of the IAM decision. Run: build/tests/bench/iam_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/iam/action_glob.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/key_space.h"

namespace kmsguard::iam {
namespace {

using nlohmann::json;

const std::vector<std::string> kActions = {"kms:Decrypt", "kms:ReEncrypt*", "kms:*", "*", "s3:GetObject",
                                           "s3:*", "ec2:Describe*", "kms:Encrypt", "kms:GenerateDataKey*",
                                           "iam:PassRole", "logs:*", "kms:Describe*"};
const std::vector<std::string> kResources = {
    "*", "arn:aws:kms:*:*:key/*", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:s3:::bucket/*", "arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:*:*:alias/*",
    "arn:aws:logs:*:*:*"};

// A deterministic corpus of realistic identity policies (2-6 statements each).
std::vector<std::string> Corpus(std::size_t n, bool unique_accounts) {
  std::mt19937 rng(42);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    json statements = json::array();
    const int count = 2 + static_cast<int>(rng() % 5);
    for (int s = 0; s < count; ++s) {
      json st = {{"Effect", rng() % 8 == 0 ? "Deny" : "Allow"}};
      json actions = json::array(), resources = json::array();
      for (int a = 0; a < 1 + static_cast<int>(rng() % 4); ++a) actions.push_back(kActions[rng() % kActions.size()]);
      for (int r = 0; r < 1 + static_cast<int>(rng() % 2); ++r) {
        std::string res = kResources[rng() % kResources.size()];
        if (unique_accounts) {
          res = "arn:aws:kms:*:" + std::to_string(100000000000 + i) + ":key/*";
        }
        resources.push_back(res);
      }
      st[rng() % 10 == 0 ? "NotAction" : "Action"] = actions;
      st["Resource"] = resources;
      if (rng() % 6 == 0) st["Condition"] = {{"StringEquals", {{"kms:ViaService", "s3.us-east-1.amazonaws.com"}}}};
      statements.push_back(st);
    }
    out.push_back(json{{"Version", "2012-10-17"}, {"Statement", statements}}.dump());
  }
  return out;
}

void BM_ActionGlob(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ActionGlobMatches("kms:ReEncrypt*", "kms:ReEncryptFrom"));
    benchmark::DoNotOptimize(ActionGlobMatches("ec2:Describe*", "kms:Decrypt"));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_ActionGlob);

// Coverage search without the memo: the cost of deciding one new pattern set.
void BM_CoverageSearch(benchmark::State& state) {
  const KeyLanguage language = KeyLanguage::Build("aws");
  const ArnPattern p = CompileArnPattern("arn:aws:kms:*:111122223333:key/*", true);
  for (auto _ : state) benchmark::DoNotOptimize(Covers(language, {&p}).covered);
}
BENCHMARK(BM_CoverageSearch);

// Parse + decide, the per-policy cost of a scan. Patterns repeat across policies, as in real
// accounts, so coverage results come from the memo.
void BM_ParseAndDecide(benchmark::State& state) {
  const auto corpus = Corpus(4096, /*unique_accounts=*/state.range(0) != 0);
  std::size_t i = 0, granted = 0;
  for (auto _ : state) {
    auto doc = ParsePolicyText(corpus[i++ % corpus.size()]);
    granted += AnalyzeGrant(*doc, GrantQuery{}).granted;
  }
  benchmark::DoNotOptimize(granted);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["policies_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseAndDecide)->Arg(0)->Arg(1)->ArgNames({"unique_patterns"});

// Parse only: the floor for the per-policy cost.
void BM_ParseOnly(benchmark::State& state) {
  const auto corpus = Corpus(4096, false);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ParsePolicyText(corpus[i++ % corpus.size()]).ok());
  state.counters["policies_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseOnly);

}  // namespace
}  // namespace kmsguard::iam

BENCHMARK_MAIN();
