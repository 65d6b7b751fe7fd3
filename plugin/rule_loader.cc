#include "plugin/rule_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"
#include "sdk/core/digest.h"
#include "sdk/core/yaml_text.h"
#include "yaml-cpp/yaml.h"

namespace kmsguard::plugin {

namespace {

namespace fs = std::filesystem;

// Debian's abseil has its own string_view, distinct from std::string_view.
absl::string_view AV(std::string_view text) { return absl::string_view(text.data(), text.size()); }

absl::StatusOr<std::vector<fs::path>> ListFiles(const std::string& dir, bool recursive,
                                                bool (*wanted)(std::string_view)) {
  std::error_code error;
  // One file named on the command line is loaded whatever its name: the user chose it. A rule
  // test file is not a rule file, and loading it as one would only report its keys as unknown.
  if (fs::is_regular_file(dir, error)) {
    if (IsRuleTestFileName(fs::path(dir).filename().string())) {
      return absl::InvalidArgumentError(absl::StrCat(
          dir, " is a rule test file (kmsguard test runs it), not a rule file"));
    }
    return std::vector<fs::path>{fs::path(dir)};
  }
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(
        absl::StrCat("rule directory ", dir, " does not exist (nor is it a rule file)"));
  }
  std::vector<fs::path> files;
  const auto consider = [&](const fs::directory_entry& entry) {
    std::error_code ignored;
    if (wanted(entry.path().filename().string()) && entry.is_regular_file(ignored)) {
      files.push_back(entry.path());
    }
  };
  if (recursive) {
    for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
      // Hidden directories are not descended into: a Kubernetes ConfigMap volume keeps each
      // version of its files in "..<timestamp>/" beside the symlinks that name the current one,
      // and reading both would load every rule twice.
      std::error_code ignored;
      if (it->path().filename().string().starts_with(".") && it->is_directory(ignored)) {
        it.disable_recursion_pending();
        continue;
      }
      consider(*it);
    }
  } else {
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
      consider(*it);
    }
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list rule directory ", dir, ": ", error.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool ReadFile(const fs::path& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  *text = std::move(buffer).str();
  return true;
}

core::Diagnostic Unreadable(const fs::path& path) {
  core::Diagnostic unreadable;
  unreadable.code = "rule_read_error";
  unreadable.message = "cannot read the file";
  unreadable.location.file = path.string();
  return unreadable;
}

// The settings file's overrides, checked and applied exactly as a rule directory's `kind:
// Override` documents are; reported under their own code, which documents the settings file.
int ApplyConfigOverrides(const ConfigOverrides& config, std::ostream& log,
                         std::vector<rules::Rule>* rules) {
  int errors = 0;
  for (core::Diagnostic diagnostic : rules::ApplyOverrides(config.overrides, rules)) {
    diagnostic.code = "rule_param_error";
    PrintDiagnostic(log, diagnostic);
    if (diagnostic.severity == core::DiagnosticSeverity::kError) ++errors;
  }
  return errors;
}

}  // namespace

absl::Status CheckOverridesOnly(const std::string& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    // A directory, FIFO or device is there but is no file to read (a FIFO would block the read).
    if (fs::exists(path, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a regular file (rules.exceptions_file)"));
    }
    return absl::NotFoundError(absl::StrCat(path, ": no such file (rules.exceptions_file)"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in)
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read (rules.exceptions_file)"));
  const std::string text = buffer.str();
  // The same checks the rule loader makes before yaml-cpp sees the text: a forbidden character or
  // a byte that is not UTF-8 is refused where it is, and text on which yaml-cpp 0.7's LoadAll
  // never ends (sdk/core/yaml_text.h) is refused before it is called.
  for (const std::optional<core::YamlTextError>& bad :
       {core::CheckYamlText(text), core::CheckYamlDocuments(text)}) {
    if (bad) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", bad->line, ":", bad->column, ": ", bad->message));
    }
  }
  try {
    for (const YAML::Node& document : YAML::LoadAll(text)) {
      if (document.IsNull()) continue;
      const YAML::Node kind = document.IsMap() ? document["kind"] : YAML::Node();
      if (!kind.IsDefined() || !kind.IsScalar() || kind.Scalar() != "Override") {
        const YAML::Mark mark = document.Mark();
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", mark.line + 1, ":", mark.column + 1,
            ": rules.exceptions_file holds only kind: Override documents (exceptions, severity, "
            "params); rules and libraries go in a rules directory"));
      }
    }
  } catch (const YAML::Exception& e) {
    // The rule loader reports the same text with its source line; say where it is here too.
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not YAML: ", e.msg));
  }
  return absl::OkStatus();
}

bool IsRuleTestFileName(std::string_view name) {
  return absl::EndsWith(AV(name), ".test.yaml") || absl::EndsWith(AV(name), ".test.yml");
}

bool IsRuleFileName(std::string_view name) {
  return (absl::EndsWith(AV(name), ".yaml") || absl::EndsWith(AV(name), ".yml")) &&
         !IsRuleTestFileName(name);
}

std::string_view SourceText(const std::vector<rules::SourceFile>& files, std::string_view name) {
  for (const rules::SourceFile& file : files) {
    if (file.name == name) return file.text;
  }
  return {};
}

absl::StatusOr<LoadedRules> LoadRules(const std::vector<std::string>& rule_dirs, std::ostream& log,
                                      const ConfigOverrides& config) {
  // The same listing as check, test and eval (CollectRuleSources): a user file named like a
  // built-in one replaces it everywhere, so `scan --rules` on a copy of the shipped rules (the
  // installed share/kmsguard/rules) loads them once instead of reporting every id twice.
  absl::StatusOr<RuleSources> sources = CollectRuleSources(rule_dirs);
  if (!sources.ok()) return sources.status();

  LoadedRules result;
  std::set<std::string, std::less<>> bad_files;
  for (const core::Diagnostic& problem : sources->problems) {
    PrintDiagnostic(log, problem);
    ++result.errors;
    bad_files.insert(problem.location.file);
  }
  result.files_read = static_cast<int>(sources->user_files.size());
  result.replaced_builtins = sources->replaced_builtins;
  const std::set<std::string, std::less<>> user_files(sources->user_files.begin(),
                                                      sources->user_files.end());
  std::vector<rules::SourceFile> files = std::move(sources->files);
  {
    std::string identity;
    for (const rules::SourceFile& file : files) {
      absl::StrAppend(&identity, fs::path(file.name).filename().string(), "\x1f",
                      file.text.size(), ":", file.text, "\x1e");
    }
    if (!config.text.empty()) absl::StrAppend(&identity, "\x1f", config.text, "\x1e");
    const core::Sha256Digest digest = core::Sha256(identity);
    result.version = absl::BytesToHexString(absl::string_view(
                                                reinterpret_cast<const char*>(digest.data()), 6));
  }
  // One set: built-in rules come first, so a user rule with a built-in's id is the one left out.
  rules::LoadResult loaded = rules::LoadRuleFiles(files);
  for (const core::Diagnostic& diagnostic : loaded.diagnostics) {
    if (diagnostic.severity != core::DiagnosticSeverity::kError) continue;
    PrintDiagnostic(log, diagnostic, SourceText(files, diagnostic.location.file));
    ++result.errors;
    bad_files.insert(diagnostic.location.file);
  }
  for (const rules::Rule& rule : loaded.rules) {
    if (user_files.count(rule.location.file) == 0) ++result.builtin_rules;
  }
  for (const rules::Override& override : loaded.overrides) {
    const std::string& file = override.location.file;
    if (std::find(result.override_files.begin(), result.override_files.end(), file) ==
        result.override_files.end()) {
      result.override_files.push_back(file);
    }
  }
  result.files_with_errors = static_cast<int>(bad_files.size());
  result.errors += ApplyConfigOverrides(config, log, &loaded.rules);
  result.rule_set = std::make_shared<const rules::RuleSet>(std::move(loaded.rules));
  return result;
}

absl::StatusOr<RuleSources> CollectRuleSources(const std::vector<std::string>& dirs) {
  RuleSources sources;
  std::vector<rules::SourceFile> user;
  std::set<std::string, std::less<>> user_names;
  for (const auto& dir : dirs) {
    absl::StatusOr<std::vector<fs::path>> listed = ListFiles(dir, true, &IsRuleFileName);
    if (!listed.ok()) return listed.status();
    for (const fs::path& path : *listed) {
      std::string text;
      if (!ReadFile(path, &text)) {
        sources.problems.push_back(Unreadable(path));
        continue;
      }
      user_names.insert(path.filename().string());
      sources.user_files.push_back(path.string());
      user.push_back(rules::SourceFile{path.string(), std::move(text)});
    }
  }
  for (rules::SourceFile& file : rules::BuiltinRuleSources()) {
    if (user_names.count(fs::path(file.name).filename().string()) == 0) {
      sources.files.push_back(std::move(file));
    } else {
      sources.replaced_builtins.push_back(file.name);
    }
  }
  for (rules::SourceFile& file : user) sources.files.push_back(std::move(file));
  return sources;
}

}  // namespace kmsguard::plugin
