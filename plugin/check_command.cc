#include "plugin/check_command.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "plugin/rule_loader.h"
#include "plugin/test_command.h"
#include "sdk/core/json_text.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {

CLI::App* AddCheckCommand(CLI::App& app, CheckFlags* flags) {
  CLI::App* check = app.add_subcommand(
      "check", "Load and lint rule files: every problem as file:line:col, not just the first");
  check->add_option("DIR", flags->dirs,
                    "Rule directory (searched recursively for *.yaml, *.yml), or one rule file "
                    "(repeatable)")
      ->type_name("DIR|FILE")
      ->required()
      ->check(CLI::Validator(CLI::ExistingPath).description(""));
  check->add_option("--format", flags->format, "text: one line per problem; json: for editors/CI")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  check->footer(
      "Errors keep a rule from loading (unknown keys or operators, bad paths, a test on a list\n"
      "without a quantifier, a regex over the cost limit, cyclic macros, unknown template\n"
      "variables, exceptions without reason/owner/expiry, duplicate ids). Warnings do not\n"
      "(missing remediation, unused lists or macros, expired exceptions). Rule test files\n"
      "(*.test.yaml) are read and checked too, not run (kmsguard test runs them).\n"
      "Output: with --format text, one line per problem then a summary line, all on stdout;\n"
      "with --format json, one JSON document on stdout (its counts are the summary). stderr\n"
      "only says why a check could not run.\n"
      "Exit status: 0 no error (warnings allowed), 2 errors. Codes: docs/errors/<code>.md.");
  return check;
}

int RunCheck(const CheckFlags& flags) {
  absl::StatusOr<RuleSources> sources = CollectRuleSources(flags.dirs);
  if (!sources.ok()) {
    std::cerr << "kmsguard check: " << sources.status().message() << "\n";
    return 2;
  }
  rules::LoadResult loaded = rules::LoadRuleFiles(sources->files, {.lint = true});
  core::Diagnostics all = sources->problems;
  all.insert(all.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
  // Test files beside the rules are checked too (not run: that is `kmsguard test`), so a broken
  // one shows up in the editor/CI check rather than only when tests are run.
  std::set<std::string> rule_ids;
  for (const rules::Rule& rule : loaded.rules) rule_ids.insert(rule.id);
  const core::Diagnostics tests = CheckRuleTestFiles(flags.dirs, rule_ids);
  all.insert(all.end(), tests.begin(), tests.end());
  // By position, so the report reads top to bottom whatever pass found each problem.
  std::stable_sort(all.begin(), all.end(),
                   [](const core::Diagnostic& a, const core::Diagnostic& b) {
                     return std::tie(a.location.file, a.location.line, a.location.column) <
                            std::tie(b.location.file, b.location.line, b.location.column);
                   });
  int errors = 0;
  int warnings = 0;
  for (const core::Diagnostic& d : all) {
    (d.severity == core::DiagnosticSeverity::kError ? errors : warnings) += 1;
  }
  if (flags.format == "json") {
    nlohmann::json out = {{"files", sources->user_files.size()},
                          {"rules", loaded.rules.size()},
                          {"errors", errors},
                          {"warnings", warnings},
                          {"diagnostics", nlohmann::json::array()}};
    for (const core::Diagnostic& d : all) {
      out["diagnostics"].push_back(
          {{"file", d.location.file},
           {"line", d.location.line},
           {"column", d.location.column},
           {"severity", d.severity == core::DiagnosticSeverity::kError ? "error" : "warning"},
           {"code", d.code},
           {"message", d.message}});
    }
    std::cout << core::DumpJson(out, 2) << "\n" << std::flush;
    return errors > 0 ? 2 : 0;
  }
  // As linters do (ESLint, flake8, yamllint): the report, diagnostics then the summary, is one
  // text on stdout, so that `2>&1`, a pipe or a file keeps them in order; stderr is for a check
  // that could not run (a directory that cannot be listed).
  for (const core::Diagnostic& d : all) std::cout << d.ToString() << "\n";
  std::cout << "kmsguard check: " << sources->user_files.size() << " file(s), "
            << loaded.rules.size() << " rule(s) loaded, " << errors << " error(s), " << warnings
            << " warning(s)\n"
            << std::flush;
  return errors > 0 ? 2 : 0;
}

}  // namespace kmsguard::plugin
