// Fuzz target: a rule file as `kmsguard check` and `scan --rules` read it (rules::LoadRuleText):
// YAML with raw-character checks, macros and their expansion bound, the path and template
// languages, regexes (RE2), overrides. A file that loads is evaluated on a fixed role, so the
// loaded expressions run too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "sdk/rules/rule.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kmsguard::rules::LoadResult loaded = kmsguard::rules::LoadRuleText(text, "fuzz.yaml");
  if (loaded.rules.empty()) return 0;
  kmsguard::fuzz::EvaluateSampleRole(std::move(loaded.rules));
  return 0;
}
