#include "plugin/test_command.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"
#include "plugin/rule_loader.h"
#include "plugin/rule_tools.h"
#include "sdk/core/yaml_text.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::plugin {

namespace {

namespace fs = std::filesystem;

constexpr char kTestError[] = "rule_test_error";

struct Expectation {
  std::string status;  // "PASS", "FAIL", ...
  std::string sub_key;
  bool has_sub_key = false;
  std::string message_contains;
  // Text the remediation must hold, in any of its parts (summary, console, CLI, Terraform).
  std::string remediation_contains;
};

struct TestCase {
  std::string name;
  model::Resource resource;
  std::map<std::string, nlohmann::json> params;
  std::vector<Expectation> expect;
  core::SourceLocation location;
};

struct TestFile {
  std::string path;
  std::string text;
  std::string rule_id;
  std::string today;
  std::vector<TestCase> cases;
};

core::SourceLocation At(const std::string& file, const YAML::Node& node) {
  core::SourceLocation loc;
  loc.file = file;
  if (node.IsDefined() && !node.Mark().is_null()) {
    loc.line = node.Mark().line + 1;
    loc.column = node.Mark().column + 1;
  }
  return loc;
}

class TestFileReader {
 public:
  TestFileReader(std::string path, core::Diagnostics* problems)
      : path_(std::move(path)), problems_(problems) {}

  bool Read(const std::string& text, TestFile* out) {
    out->path = path_;
    out->text = text;
    if (const std::optional<core::YamlTextError> bad = core::CheckYamlText(text)) {
      core::SourceLocation loc;
      loc.file = path_;
      loc.line = bad->line;
      loc.column = bad->column;
      Error(loc, bad->message);
      return false;
    }
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      core::SourceLocation loc;
      loc.file = path_;
      if (!e.mark.is_null()) {
        loc.line = e.mark.line + 1;
        loc.column = e.mark.column + 1;
      }
      Error(loc, absl::StrCat("not valid YAML: ", e.msg));
      return false;
    }
    if (!Keys(root, "a rule test file", {"api_version", "kind", "rule", "today", "cases"},
              {"api_version", "kind", "rule", "cases"})) {
      return false;
    }
    if (root["kind"].as<std::string>("") != "RuleTest") {
      Error(At(path_, root["kind"]), "kind must be RuleTest");
    }
    if (root["api_version"].as<std::string>("") != rules::kApiVersion) {
      Error(At(path_, root["api_version"]), "api_version must be kmsguard/v1");
    }
    out->rule_id = root["rule"].as<std::string>("");
    if (root["today"].IsDefined()) {
      out->today = root["today"].as<std::string>("");
      if (!rules::IsDate(out->today)) {
        Error(At(path_, root["today"]),
              absl::StrCat("\"today\" must be a date YYYY-MM-DD, got \"", out->today, "\""));
      }
    }
    const YAML::Node cases = root["cases"];
    if (!cases.IsSequence() || cases.size() == 0) {
      Error(At(path_, cases), "\"cases\" must be a non-empty list");
      return false;
    }
    std::set<std::string> names;
    for (const YAML::Node& node : cases) {
      TestCase test;
      if (ReadCase(node, &test)) {
        if (!names.insert(test.name).second) {
          Error(At(path_, node), absl::StrCat("duplicate case name \"", test.name, "\""));
          continue;
        }
        out->cases.push_back(std::move(test));
      }
    }
    return errors_ == 0;
  }

 private:
  void Error(const core::SourceLocation& loc, std::string message) {
    ++errors_;
    problems_->push_back(
        core::Diagnostic{core::DiagnosticSeverity::kError, kTestError, std::move(message), loc});
  }

  bool Keys(const YAML::Node& node, const std::string& what, std::vector<std::string> allowed,
            std::vector<std::string> required) {
    if (!node.IsMap()) {
      Error(At(path_, node), absl::StrCat(what, " must be a map"));
      return false;
    }
    bool ok = true;
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>("");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) absl::StrAppend(&list, list.empty() ? "" : ", ", a);
        Error(At(path_, kv.first),
              absl::StrCat("unknown key \"", key, "\" in ", what, "; allowed keys: ", list));
        ok = false;
      }
    }
    for (const auto& key : required) {
      if (!node[key].IsDefined()) {
        Error(At(path_, node), absl::StrCat(what, " is missing required key \"", key, "\""));
        ok = false;
      }
    }
    return ok;
  }

  bool ReadCase(const YAML::Node& node, TestCase* test) {
    const int before = errors_;
    test->location = At(path_, node);
    if (!Keys(node, "a test case", {"name", "resource", "fixture", "params", "expect"},
              {"name", "expect"})) {
      return false;
    }
    test->name = node["name"].as<std::string>("");
    nlohmann::json resource;
    if (node["resource"].IsDefined() == node["fixture"].IsDefined()) {
      Error(test->location, absl::StrCat("case \"", test->name,
                                         "\" needs exactly one of \"resource\" and \"fixture\""));
      return false;
    }
    // A fresh node: assigning to node["resource"] when it is absent would throw (yaml-cpp).
    YAML::Node resource_node;
    if (node["resource"].IsDefined()) resource_node = node["resource"];
    if (node["fixture"].IsDefined()) {
      const fs::path fixture = fs::path(path_).parent_path() / node["fixture"].as<std::string>("");
      std::ifstream in(fixture, std::ios::binary);
      if (!in) {
        Error(At(path_, node["fixture"]), absl::StrCat("cannot read fixture ", fixture.string()));
        return false;
      }
      std::ostringstream fixture_text;
      fixture_text << in.rdbuf();
      if (const std::optional<core::YamlTextError> bad = core::CheckYamlText(fixture_text.str())) {
        Error(At(path_, node["fixture"]), absl::StrCat("fixture ", fixture.string(), ":", bad->line,
                                                       ":", bad->column, ": ", bad->message));
        return false;
      }
      try {
        resource_node = YAML::Load(fixture_text.str());  // JSON is YAML
      } catch (const YAML::Exception& e) {
        Error(At(path_, node["fixture"]),
              absl::StrCat("cannot read fixture ", fixture.string(), ": ", e.msg));
        return false;
      }
    }
    std::string error;
    std::optional<model::Resource> parsed =
        ResourceFromJson(rules::YamlToJson(resource_node), &error);
    if (!parsed) {
      Error(At(path_, node["resource"].IsDefined() ? node["resource"] : node["fixture"]), error);
      return false;
    }
    test->resource = *std::move(parsed);
    if (node["params"].IsDefined()) {
      if (!node["params"].IsMap()) {
        Error(At(path_, node["params"]), "\"params\" must be a map of name to value");
      } else {
        for (const auto& kv : node["params"]) {
          test->params[kv.first.as<std::string>("")] = rules::YamlToJson(kv.second);
        }
      }
    }
    YAML::Node expect = node["expect"];
    std::vector<YAML::Node> items;
    if (expect.IsMap()) {
      items.push_back(expect);
    } else if (expect.IsSequence()) {
      for (const YAML::Node& item : expect) items.push_back(item);
    } else {
      Error(At(path_, expect),
            "\"expect\" must be a map {status, sub_key?, message_contains?, "
            "remediation_contains?}, or a list of them "
            "([] for no finding)");
    }
    for (const YAML::Node& item : items) {
      if (!Keys(item, "an expectation",
                {"status", "sub_key", "message_contains", "remediation_contains"}, {"status"})) {
        continue;
      }
      Expectation e;
      e.status = item["status"].as<std::string>("");
      static const std::set<std::string> kStatuses = {"PASS", "WARNING", "FAIL", "ERROR",
                                                      "SUPPRESSED"};
      if (kStatuses.count(e.status) == 0) {
        Error(At(path_, item["status"]), "status must be PASS, WARNING, FAIL, ERROR or SUPPRESSED");
      }
      if (item["sub_key"].IsDefined()) {
        e.has_sub_key = true;
        e.sub_key = item["sub_key"].as<std::string>("");
      }
      e.message_contains = item["message_contains"].as<std::string>("");
      e.remediation_contains = item["remediation_contains"].as<std::string>("");
      test->expect.push_back(std::move(e));
    }
    return errors_ == before;
  }

  std::string path_;
  core::Diagnostics* problems_;
  int errors_ = 0;
};

// Every *.test.yaml under `dirs`, sorted.
std::vector<std::string> TestFilePaths(const std::vector<std::string>& dirs) {
  std::vector<std::string> paths;
  for (const std::string& dir : dirs) {
    std::error_code error;
    for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
      if (IsRuleTestFileName(it->path().filename().string())) paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Reads and checks one test file; its problems go to `problems`, its text to `text`.
bool ReadTestFile(const std::string& path, TestFile* file, core::Diagnostics* problems,
                  std::string* text) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  if (!in.good() && !in.eof()) {
    core::Diagnostic d;
    d.code = kTestError;
    d.location.file = path;
    d.message = "cannot read the file";
    problems->push_back(std::move(d));
    return false;
  }
  return TestFileReader(path, problems).Read(*text, file);
}

core::Diagnostic UnknownRule(const TestFile& file) {
  core::Diagnostic d;
  d.code = kTestError;
  d.location.file = file.path;
  d.message = absl::StrCat("rule \"", file.rule_id, "\" is not loaded (unknown id, or its file",
                           " has errors)");
  return d;
}

// What `kmsguard test` runs for its arguments. A DIR: every test file under it, and every rule
// file under it needs tests. A rule FILE: its own test file (<stem>.test.yaml or .test.yml beside
// it), and only its rules need tests. A test FILE: that file alone. A FILE's rules load from its
// whole directory, so the shared lists and macros beside it are found.
struct TestPlan {
  std::vector<std::string> rule_dirs;   // what LoadToolRules reads; none inside another
  std::vector<std::string> test_files;  // sorted, each once
  std::vector<fs::path> tested_dirs;    // DIR arguments (normalized)
  std::set<fs::path> tested_files;      // rule FILE arguments (normalized)
};

fs::path Normal(const std::string& path) { return fs::path(path).lexically_normal(); }

bool Inside(const fs::path& file, const fs::path& dir) {
  if (dir == ".") return file.is_relative() && *file.begin() != "..";
  const auto [d, f] = std::mismatch(dir.begin(), dir.end(), file.begin(), file.end());
  return d == dir.end() || (std::next(d) == dir.end() && d->empty());
}

TestPlan PlanTests(const std::vector<std::string>& arguments) {
  TestPlan plan;
  std::vector<fs::path> load;
  std::set<std::string> tests;
  for (const std::string& argument : arguments) {
    std::error_code error;
    if (fs::is_directory(argument, error)) {
      plan.tested_dirs.push_back(Normal(argument));
      load.push_back(Normal(argument));
      for (std::string& path : TestFilePaths({argument})) tests.insert(std::move(path));
      continue;
    }
    const fs::path file(argument);
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    load.push_back(dir.lexically_normal());
    if (IsRuleTestFileName(file.filename().string())) {
      tests.insert(argument);
      continue;
    }
    plan.tested_files.insert(file.lexically_normal());
    std::string stem = file.filename().string();
    stem = stem.substr(0, stem.rfind('.'));
    for (const char* extension : {".test.yaml", ".test.yml"}) {
      const fs::path test = dir / (stem + extension);
      if (fs::is_regular_file(test, error)) tests.insert(test.string());
    }
  }
  // A directory inside another one given would load its rules twice (their ids repeated).
  std::sort(load.begin(), load.end());
  for (const fs::path& dir : load) {
    const bool covered = std::any_of(plan.rule_dirs.begin(), plan.rule_dirs.end(),
                                     [&](const std::string& kept) { return Inside(dir, kept); });
    if (!covered) plan.rule_dirs.push_back(dir.string());
  }
  plan.test_files.assign(tests.begin(), tests.end());
  return plan;
}

// Whether the rules of `rule_file` must have tests under `plan`.
bool NeedsTests(const TestPlan& plan, const std::string& rule_file) {
  const fs::path file = Normal(rule_file);
  if (plan.tested_files.count(file) != 0) return true;
  return std::any_of(plan.tested_dirs.begin(), plan.tested_dirs.end(),
                     [&](const fs::path& dir) { return Inside(file, dir); });
}

bool RemediationHolds(const model::Remediation& r, const std::string& text) {
  if (text.empty()) return true;
  for (const std::string* part : {&r.summary, &r.console, &r.cli, &r.terraform}) {
    if (part->find(text) != std::string::npos) return true;
  }
  return false;
}

bool Matches(const Expectation& e, const model::Finding& f) {
  return std::string(model::StatusName(f.status)) == e.status &&
         (!e.has_sub_key || f.sub_key == e.sub_key) &&
         f.message.find(e.message_contains) != std::string::npos &&
         RemediationHolds(f.remediation, e.remediation_contains);
}

std::string Describe(const model::Finding& f) {
  return absl::StrCat(std::string(model::StatusName(f.status)),
                      f.sub_key.empty() ? "" : " [" + f.sub_key + "]", ": ", f.message);
}

std::string Describe(const Expectation& e) {
  return absl::StrCat(
      e.status, e.has_sub_key ? " [" + e.sub_key + "]" : "",
      e.message_contains.empty() ? "" : " containing \"" + e.message_contains + "\"",
      e.remediation_contains.empty()
          ? ""
          : " with remediation containing \"" + e.remediation_contains + "\"");
}

// Empty when the findings meet the expectations (one finding per expectation, in any order).
std::string Judge(const std::vector<Expectation>& expect, std::vector<model::Finding> findings) {
  std::string problems;
  for (const Expectation& e : expect) {
    auto it = std::find_if(findings.begin(), findings.end(),
                           [&](const model::Finding& f) { return Matches(e, f); });
    if (it == findings.end()) {
      absl::StrAppend(&problems, "\n      expected ", Describe(e), ": not found");
      continue;
    }
    findings.erase(it);
  }
  for (const model::Finding& f : findings) {
    absl::StrAppend(&problems, "\n      unexpected finding ", Describe(f));
  }
  return problems;
}

}  // namespace

CLI::App* AddTestCommand(CLI::App& app, TestFlags* flags) {
  CLI::App* test = app.add_subcommand(
      "test",
      "Run the rule tests (<rule>.test.yaml beside each rule) under each DIR, or of a FILE");
  test->add_option("DIR", flags->dirs,
                   "Rule directory (searched recursively), a rule file (runs its own test "
                   "file) or a rule test file")
      ->type_name("DIR|FILE")
      ->required()
      ->check(CLI::Validator(CLI::ExistingPath).description(""));
  test->add_flag("-v,--verbose", flags->verbose, "Also list passing cases");
  test->footer(
      "A test file (kind: RuleTest) names its rule and lists cases: an input resource (inline\n"
      "`resource:` or a `fixture:` file) and the findings expected (status, sub_key,\n"
      "message_contains, remediation_contains). Schema: docs/rule-authoring.md#tests.\n"
      "Exit status: 0 all passed; 1 a case failed or a rule has no tests; 2 a rule or test file\n"
      "could not be loaded.");
  return test;
}

int RunTest(const TestFlags& flags) {
  for (const std::string& argument : flags.dirs) {
    std::error_code error;
    const std::string name = fs::path(argument).filename().string();
    if (!fs::is_directory(argument, error) && !IsRuleFileName(name) &&
        !IsRuleTestFileName(name)) {
      std::cerr << "kmsguard test: " << argument
                << " is neither a directory, a rule file (*.yaml, *.yml) nor a rule test file "
                   "(*.test.yaml, *.test.yml)\n";
      return 2;
    }
  }
  const TestPlan plan = PlanTests(flags.dirs);
  absl::StatusOr<ToolRules> tool = LoadToolRules(plan.rule_dirs, std::cerr);
  if (!tool.ok()) {
    std::cerr << "kmsguard test: " << tool.status().message() << "\n";
    return 2;
  }
  int load_errors = tool->errors;

  std::vector<TestFile> tests;
  for (const std::string& path : plan.test_files) {
    core::Diagnostics problems;
    TestFile file;
    std::string text;
    const bool ok = ReadTestFile(path, &file, &problems, &text);
    for (const core::Diagnostic& d : problems) PrintDiagnostic(std::cerr, d, text);
    load_errors += static_cast<int>(problems.size());
    if (ok) tests.push_back(std::move(file));
  }

  std::map<std::string, const rules::Rule*> rules_by_id;
  for (const rules::Rule& rule : tool->loaded.rules) rules_by_id[rule.id] = &rule;
  std::set<std::string> tested;
  int passed = 0;
  int failed = 0;
  for (const TestFile& file : tests) {
    const auto rule = rules_by_id.find(file.rule_id);
    if (rule == rules_by_id.end()) {
      PrintDiagnostic(std::cerr, UnknownRule(file));
      ++load_errors;
      continue;
    }
    tested.insert(file.rule_id);
    for (const TestCase& test : file.cases) {
      rules::Rule copy = *rule->second;
      rules::Override override;
      override.rule_id = copy.id;
      override.params = test.params;
      override.location = test.location;
      std::vector<rules::Rule> one;
      one.push_back(std::move(copy));
      const core::Diagnostics bad = rules::ApplyOverrides({override}, &one);
      std::string problems;
      for (const core::Diagnostic& d : bad) absl::StrAppend(&problems, "\n      ", d.message);
      if (problems.empty()) {
        const engine::Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(one)),
                                          file.today);
        problems = Judge(test.expect, evaluator.Evaluate(test.resource));
      }
      if (problems.empty()) {
        ++passed;
        if (flags.verbose) std::cout << "ok    " << file.rule_id << ": " << test.name << "\n";
      } else {
        ++failed;
        std::cout << "FAIL  " << file.rule_id << ": " << test.name << " ("
                  << test.location.ToString() << ")" << problems << "\n";
      }
    }
  }
  // Every rule of the directories and rule files given needs tests.
  const std::set<std::string> user_files(tool->sources.user_files.begin(),
                                         tool->sources.user_files.end());
  int untested = 0;
  for (const rules::Rule& rule : tool->loaded.rules) {
    if (user_files.count(rule.location.file) == 0 || tested.count(rule.id) != 0 ||
        !NeedsTests(plan, rule.location.file)) {
      continue;
    }
    ++untested;
    std::cout << "FAIL  " << rule.id << ": no tests (" << rule.location.ToString() << "; write "
              << fs::path(rule.location.file).stem().string() << ".test.yaml)\n";
  }
  std::cout << (failed == 0 && untested == 0 && load_errors == 0 ? "PASS" : "FAIL") << ": "
            << passed << " case(s) passed, " << failed << " failed";
  if (untested > 0) std::cout << ", " << untested << " rule(s) without tests";
  if (load_errors > 0) std::cout << ", " << load_errors << " load error(s)";
  std::cout << "\n";
  if (load_errors > 0) return 2;
  return failed > 0 || untested > 0 ? 1 : 0;
}

core::Diagnostics CheckRuleTestFiles(const std::vector<std::string>& dirs,
                                     const std::set<std::string>& rule_ids) {
  core::Diagnostics problems;
  for (const std::string& path : TestFilePaths(dirs)) {
    TestFile file;
    std::string text;
    if (ReadTestFile(path, &file, &problems, &text) && rule_ids.count(file.rule_id) == 0) {
      problems.push_back(UnknownRule(file));
    }
  }
  return problems;
}

}  // namespace kmsguard::plugin
