#include "plugin/rule_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"

namespace kmsguard::plugin {

namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::vector<fs::path>> RuleFiles(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("rule directory ", dir, " does not exist"));
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(error)) {
      files.push_back(it->path());
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

// Adds `loaded` to `rules`, leaving out ids already present; returns how many errors it printed.
int Merge(rules::LoadResult loaded, std::string_view text, std::ostream& log,
          std::map<std::string, core::SourceLocation>* seen, std::vector<rules::Rule>* rules) {
  int errors = 0;
  for (const auto& diagnostic : loaded.diagnostics) {
    PrintDiagnostic(log, diagnostic, text);
    if (diagnostic.severity == core::DiagnosticSeverity::kError) ++errors;
  }
  for (auto& rule : loaded.rules) {
    const auto [it, inserted] = seen->emplace(rule.id, rule.location);
    if (!inserted) {
      core::Diagnostic duplicate;
      duplicate.code = "rule_link_error";
      duplicate.message = absl::StrCat("rule id \"", rule.id, "\" is already defined at ",
                                       it->second.ToString(), "; this definition is ignored");
      duplicate.location = rule.location;
      PrintDiagnostic(log, duplicate, text);
      ++errors;
      continue;
    }
    rules->push_back(std::move(rule));
  }
  return errors;
}

bool TypeMatches(const std::string& type, const nlohmann::json& value) {
  if (type == "string") return value.is_string();
  if (type == "list") return value.is_array();
  if (type == "bool") return value.is_boolean();
  if (type == "number") return value.is_number();
  return true;  // a type this loader does not know: the rule loader has checked the rule itself
}

int ApplyOverrides(const ParamOverrides& overrides, std::ostream& log,
                   std::vector<rules::Rule>* rules) {
  int errors = 0;
  auto report = [&](const std::string& where, std::string message) {
    core::Diagnostic diagnostic;
    diagnostic.code = "rule_param_error";
    diagnostic.message = std::move(message);
    diagnostic.location.file = where;
    PrintDiagnostic(log, diagnostic);
    ++errors;
  };
  for (const auto& [rule_id, params] : overrides) {
    auto rule = std::find_if(rules->begin(), rules->end(),
                             [&](const rules::Rule& r) { return r.id == rule_id; });
    for (const auto& [name, override_value] : params) {
      if (rule == rules->end()) {
        report(override_value.where, absl::StrCat("parameter override for unknown rule \"",
                                                  rule_id, "\""));
        continue;
      }
      auto param = std::find_if(rule->params.begin(), rule->params.end(),
                                [&](const rules::Param& p) { return p.name == name; });
      if (param == rule->params.end()) {
        report(override_value.where,
               absl::StrCat("rule \"", rule_id, "\" has no parameter \"", name, "\""));
        continue;
      }
      if (!TypeMatches(param->type, override_value.value)) {
        report(override_value.where,
               absl::StrCat("parameter ", rule_id, ".", name, " is a ", param->type,
                            "; the override is ", override_value.value.dump()));
        continue;
      }
      rule->param_values[name] = override_value.value;
    }
  }
  return errors;
}

}  // namespace

absl::StatusOr<LoadedRules> LoadRules(const std::vector<std::string>& rule_dirs, std::ostream& log,
                                      const ParamOverrides& overrides) {
  // List every directory first, so a typo fails before any output about rule contents.
  std::vector<fs::path> files;
  for (const auto& dir : rule_dirs) {
    absl::StatusOr<std::vector<fs::path>> listed = RuleFiles(dir);
    if (!listed.ok()) return listed.status();
    files.insert(files.end(), listed->begin(), listed->end());
  }

  LoadedRules result;
  std::vector<rules::Rule> rules;
  std::map<std::string, core::SourceLocation> seen;
  rules::LoadResult builtin = rules::LoadBuiltinRules();
  result.builtin_rules = static_cast<int>(builtin.rules.size());
  result.errors += Merge(std::move(builtin), {}, log, &seen, &rules);

  for (const auto& path : files) {
    std::string text;
    if (!ReadFile(path, &text)) {
      core::Diagnostic unreadable;
      unreadable.code = "rule_read_error";
      unreadable.message = "cannot read the file";
      unreadable.location.file = path.string();
      PrintDiagnostic(log, unreadable);
      ++result.errors;
      ++result.files_with_errors;
      continue;
    }
    ++result.files_read;
    const int errors = Merge(rules::LoadRuleText(text, path.string()), text, log, &seen, &rules);
    result.errors += errors;
    if (errors > 0) ++result.files_with_errors;
  }
  result.errors += ApplyOverrides(overrides, log, &rules);
  result.rule_set = std::make_shared<const rules::RuleSet>(std::move(rules));
  return result;
}

}  // namespace kmsguard::plugin
