// `kmsguard eval --rule ID --input FILE [--explain]`: one rule on one input, in process.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kmsguard::plugin {

struct EvalFlags {
  std::string rule_id;
  std::string input;
  std::vector<std::string> rule_dirs;
  bool explain = false;
  std::string format = "table";
};

CLI::App* AddEvalCommand(CLI::App& app, EvalFlags* flags);

// Evaluates the rule on every resource of the input and prints the findings (PASS included).
// Returns 0 no FAIL, 1 a FAIL, 2 the rule or the input could not be loaded.
int RunEval(const EvalFlags& flags);

}  // namespace kmsguard::plugin
