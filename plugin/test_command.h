// `kmsguard test DIR|FILE...`: runs each rule's test file (<rule>.test.yaml beside the rule).
#pragma once

#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "sdk/core/diagnostic.h"

namespace kmsguard::plugin {

struct TestFlags {
  std::vector<std::string> dirs;
  bool verbose = false;  // print the findings of failed cases
};

CLI::App* AddTestCommand(CLI::App& app, TestFlags* flags);

// Prints one line per case (ok / FAIL) and a summary to stdout. Returns 0 when every case passed
// and every rule under the directories has tests, 1 when a case failed or a rule has no tests,
// 2 when a rule or test file could not be loaded.
int RunTest(const TestFlags& flags);

// Reads every rule test file (*.test.yaml) under `dirs` without running it: its structure (keys,
// cases, expectations, resources, fixtures) and that it names a rule in `rule_ids`. One error
// diagnostic (code rule_test_error, with file:line:col) per problem. `kmsguard check` uses it.
core::Diagnostics CheckRuleTestFiles(const std::vector<std::string>& dirs,
                                     const std::set<std::string>& rule_ids);

}  // namespace kmsguard::plugin
