// Builds the plugin's rule set from the built-in rules and rule directories. File I/O lives here,
// not in the engine, which only ever sees text.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {

// The settings file's changes to rules (serve --config: `rules.params`, then `rules.overrides`),
// read by rules::ReadParamOverrides and rules::ReadOverrides as `kind: Override` documents are.
struct ConfigOverrides {
  std::vector<rules::Override> overrides;
  // Their YAML as written, canonical (YAML::Dump): part of the rule set's version.
  std::string text;
};

struct LoadedRules {
  std::shared_ptr<const rules::RuleSet> rule_set;
  int builtin_rules = 0;
  int files_read = 0;
  int files_with_errors = 0;  // files that could not be read or had error diagnostics
  int errors = 0;             // error diagnostics in all, built-in rules included
  // Built-in rule files left out because a file of the same name was given (RuleSources).
  std::vector<std::string> replaced_builtins;
  // The rule set's version: the first 12 hex digits of SHA-256 over every rule file's name (not
  // its directory) and text, in load order, and the settings file's overrides. Equal on replicas
  // that load the same files; sent with each Evaluate call (client::kRulesVersionHeader).
  std::string version;
  // The files whose `kind: Override` documents were read, in load order (the HTML report's scan
  // context names them).
  std::vector<std::string> override_files;
};

// Loads the built-in rules, then every rule file (*.yaml, *.yml; not *.test.yaml) under each of
// `rule_dirs` (recursively, in name order; an entry that is a file is that one rule file, whatever
// its name, but not a rule test file), listed by CollectRuleSources (so a file named like a
// built-in rule file replaces it, as in check, test and eval), as one set: shared lists and macros
// of any file are visible to every rule, and `kind: Override` documents apply to built-in rules
// too. Each error is printed to `log` as file:line:col with the source line and a caret (lint
// warnings are left to `kmsguard check`); a broken file costs only its own rules. A rule whose id
// is already loaded is reported (rule_link_error) and left out. Fails (NotFound /
// FailedPrecondition) only when a directory cannot be listed (or an entry is a rule test file),
// since running without rules the user asked for would pass silently. `config` (the settings
// file's overrides) applies after the files' `kind: Override` documents, by the same
// rules::ApplyOverrides; an override naming an unknown rule or parameter, or a value that does not
// fit the parameter, is an error diagnostic (rule_param_error) at its place in the settings file.
absl::StatusOr<LoadedRules> LoadRules(const std::vector<std::string>& rule_dirs, std::ostream& log,
                                      const ConfigOverrides& config = {});

// The one listing of rule sources, for scan and serve (LoadRules) and the authoring tools (check,
// test, eval): the built-in rule files, except one with the same file name as a file under `dirs`
// (the user's copy replaces it), then every rule file under each of `dirs` (recursively, in name
// order; an entry that is a file is itself read). `problems` gets unreadable files. Fails when a
// directory cannot be listed.
struct RuleSources {
  std::vector<rules::SourceFile> files;        // built-in ones first
  std::vector<std::string> user_files;         // the names of `files` that came from `dirs`
  std::vector<std::string> replaced_builtins;  // built-in files a user file replaced
  core::Diagnostics problems;
};
absl::StatusOr<RuleSources> CollectRuleSources(const std::vector<std::string>& dirs);

// The text of `name` among `files` (for printing a diagnostic's source line); empty if absent.
std::string_view SourceText(const std::vector<rules::SourceFile>& files, std::string_view name);

// Checks that the file at `path` holds only `kind: Override` documents (serve's
// rules.exceptions_file: accepted findings, severities and parameters, never rules). The error
// names the file and the line:col of the first other document, or why the file cannot be read.
absl::Status CheckOverridesOnly(const std::string& path);

// True for a rule file name: *.yaml or *.yml, but not a rule test (*.test.yaml, *.test.yml).
bool IsRuleFileName(std::string_view name);
// True for a rule test file name (*.test.yaml, *.test.yml).
bool IsRuleTestFileName(std::string_view name);

}  // namespace kmsguard::plugin
