#include "plugin/rule_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "sdk/engine/evaluator.h"
#include "sdk/rules/yaml_json.h"
#include "tests/plugin/test_support.h"
#include "yaml-cpp/yaml.h"

namespace kmsguard::plugin {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr char kBuiltinRuleId[] = "aws-iam-inline-kms-decrypt-all-keys";

std::string BuiltinRuleText() {
  return testing::ReadFile(std::string(KMSGUARD_SOURCE_DIR) + "/rules/" + kBuiltinRuleId + ".yaml");
}

// The built-in rule's text under another id: a valid rule without knowing the schema here.
std::string RuleWithId(const std::string& id) {
  std::string text = BuiltinRuleText();
  const std::string from = std::string("id: ") + kBuiltinRuleId;
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), "id: " + id);
  return text;
}

std::vector<std::string> Ids(const rules::RuleSet& set) {
  std::vector<std::string> ids;
  for (const auto& rule : set.rules()) ids.push_back(rule.id);
  return ids;
}

TEST(RuleLoaderTest, LoadsBuiltinRulesWithoutDirectories) {
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(Ids(*loaded->rule_set), ::testing::Contains(kBuiltinRuleId));
  EXPECT_EQ(loaded->errors, 0) << log.str();
}

TEST(RuleLoaderTest, ABrokenFileIsReportedWithItsPositionAndTheOthersLoad) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_NE(BuiltinRuleText(), "");
  dir.Write("a-good.yaml", RuleWithId("custom-copy"));
  const std::string broken = dir.Write("b-broken.yaml", "api_version: kmsguard/v1\nid: [oops\n");
  dir.Write("c-duplicate.yaml", BuiltinRuleText());
  dir.Write("ignored.txt", "not a rule file");

  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(
      Ids(*loaded->rule_set),
      ::testing::UnorderedElementsAre(
          kBuiltinRuleId, "aws-iam-managed-kms-decrypt-all-keys", "aws-iam-kms-decrypt-broad-scope",
          "gcp-kms-decrypt-broad-scope", "gcp-kms-decrypt-key-ring", "gcp-kms-access-escalation",
          "azure-keyvault-decrypt-every-key", "azure-keyvault-access-escalation", "custom-copy"));
  EXPECT_EQ(loaded->files_read, 3);
  EXPECT_EQ(loaded->files_with_errors, 2);
  EXPECT_THAT(log.str(), ContainsRegex(broken + ":[0-9]+:[0-9]+: error: "));
  EXPECT_THAT(log.str(), HasSubstr("[rule_link_error]"));
  EXPECT_THAT(log.str(), HasSubstr("already defined"));
}

// One listing for scan, serve, check, test and eval (issue 17): a file named like a built-in rule
// file replaces it in the set scan and serve load, as it does in check and test, so the shipped
// rules given as a directory (a copy, the installed share/kmsguard/rules) load once, not as
// duplicates; a different file name holding a built-in id is still a duplicate (above).
TEST(RuleLoaderTest, AFileNamedLikeABuiltinReplacesItAsInCheckAndTest) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  // The user's copy of the built-in file, with a parameter default changed.
  std::string edited = BuiltinRuleText();
  const std::size_t at = edited.find("severity: medium");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, 16, "severity: critical");
  dir.Write(std::string(kBuiltinRuleId) + ".yaml", edited);

  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->errors, 0) << log.str();
  EXPECT_EQ(loaded->files_read, 1);
  EXPECT_EQ(loaded->builtin_rules, 7);
  ASSERT_EQ(loaded->replaced_builtins.size(), 1u);
  EXPECT_THAT(loaded->replaced_builtins[0], HasSubstr(kBuiltinRuleId));
  const auto& set = loaded->rule_set->rules();
  const auto rule = std::find_if(set.begin(), set.end(),
                                 [](const rules::Rule& r) { return r.id == kBuiltinRuleId; });
  ASSERT_NE(rule, set.end());
  EXPECT_EQ(rule->severity, model::Severity::kCritical);

  // The authoring tools see the same list.
  absl::StatusOr<RuleSources> sources = CollectRuleSources({dir.path()});
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->replaced_builtins, loaded->replaced_builtins);

  // The repository's rules directory (a copy of the built-ins and the examples): no duplicates.
  std::ostringstream shipped_log;
  absl::StatusOr<LoadedRules> shipped =
      LoadRules({std::string(KMSGUARD_SOURCE_DIR) + "/rules"}, shipped_log);
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->errors, 0) << shipped_log.str();
  EXPECT_EQ(shipped->builtin_rules, 0);
  EXPECT_EQ(shipped->replaced_builtins.size(), 8u);
}

TEST(RuleLoaderTest, OverridesAndLibrariesInADirectoryApplyToTheWholeSet) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  // An override of a built-in rule, and a rule in a .yml file that uses a list of another file.
  const std::string override_file =
      dir.Write("a-override.yaml", std::string("api_version: kmsguard/v1\nkind: Override\nrule: ") +
                                       kBuiltinRuleId +
                                       "\nseverity: critical\nparams:\n  on_condition: warn\n");
  dir.Write("b-lists.yaml",
            "api_version: kmsguard/v1\nkind: Library\nlists:\n  admins: [admin, root]\n");
  dir.Write("c-rule.yml",
            "api_version: kmsguard/v1\nkind: Rule\nid: admin-named\nversion: 1.0.0\ntitle: t\n"
            "description: d\nseverity: low\nresource_types: [AWS::IAM::Role]\nviolation:\n"
            "  in: {path: $.name, value: \"${lists.admins}\"}\nmessage: \"{{resource.name}}\"\n");
  dir.Write("d-rule.test.yaml", "not a rule file: it is a rule test");
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->errors, 0) << log.str();
  EXPECT_EQ(loaded->files_read, 3);
  EXPECT_THAT(Ids(*loaded->rule_set), ::testing::Contains("admin-named"));
  for (const rules::Rule& rule : loaded->rule_set->rules()) {
    if (rule.id != kBuiltinRuleId) continue;
    EXPECT_EQ(rule.severity, model::Severity::kCritical);
    EXPECT_EQ(rule.FileSeverity(), model::Severity::kMedium);
    ASSERT_EQ(rule.severity_changes.size(), 1u);
    EXPECT_EQ(rule.severity_changes[0].reason, "override at " + override_file + ":4:11");
    EXPECT_EQ(rule.ParamValue("on_condition"), "warn");
  }
}

TEST(RuleLoaderTest, AnOverrideOfAnUnknownRuleIsAnErrorWithItsPosition) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write(
      "o.yaml", "api_version: kmsguard/v1\nkind: Override\nrule: nope\nseverity: high\n");
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->errors, 1);
  EXPECT_EQ(loaded->files_with_errors, 1);
  EXPECT_THAT(log.str(), HasSubstr(file + ":1:1: error: override of unknown rule \"nope\""));
}

// `check`, `test` and `eval` read rule directories recursively; `scan` and `serve` must load
// the same files, or a rule that passed its tests would silently never run.
TEST(RuleLoaderTest, RulesInSubdirectoriesLoadLikeCheckAndTestSeeThem) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::filesystem::create_directories(dir.File("team/kms"));
  dir.Write("team/kms/nested.yml", RuleWithId("nested-rule"));
  dir.Write("team/kms/nested.test.yaml", "not a rule: test files are never loaded as rules\n");
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(Ids(*loaded->rule_set), ::testing::Contains("nested-rule")) << log.str();
  EXPECT_EQ(loaded->files_read, 1) << log.str();
  EXPECT_EQ(loaded->errors, 0) << log.str();
}

TEST(RuleLoaderTest, AMissingDirectoryIsAnError) {
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({"/nonexistent/kmsguard-rules"}, log);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("/nonexistent/kmsguard-rules"));
}

// The settings file's overrides, read as `serve --config` reads them (rules.params, the older
// form, and rules.overrides).
ConfigOverrides ConfigFrom(const std::string& yaml) {
  const YAML::Node root = YAML::Load(yaml);
  core::Diagnostics problems;
  ConfigOverrides config;
  if (root["params"])
    config.overrides = rules::ReadParamOverrides(root["params"], "c.yaml", &problems);
  if (root["overrides"]) {
    for (rules::Override& o : rules::ReadOverrides(root["overrides"], "c.yaml", &problems)) {
      config.overrides.push_back(std::move(o));
    }
  }
  config.text = yaml;
  EXPECT_TRUE(problems.empty()) << problems.front().ToString();
  return config;
}

// Deployment overrides (serve --config) change what a rule decides, not only what the manifest
// shows; mistakes in them are rule errors with the settings file's position.
TEST(RuleLoaderTest, ConfigOverridesChangeTheVerdictAndBadOnesAreReported) {
  model::Resource role;
  role.id = "arn:aws:iam::111122223333:role/d";
  role.type = "AWS::IAM::Role";
  role.name = "d";
  role.document = nlohmann::json::parse(R"({"name": "d", "path": "/", "inline_policies": [
      {"name": "p", "document": {"Version": "2012-10-17", "Statement":
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}}],
      "attached_managed_policies": []})");
  auto finding = [&](const ConfigOverrides& config) {
    std::ostringstream log;
    absl::StatusOr<LoadedRules> loaded = LoadRules({}, log, config);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->errors, 0) << log.str();
    for (auto& f : engine::Evaluator(loaded->rule_set).Evaluate(role)) {
      if (f.rule_id == kBuiltinRuleId) return f;
    }
    return model::Finding();
  };
  EXPECT_EQ(finding({}).status, model::Status::kFail);
  // The older form: parameters only.
  EXPECT_EQ(finding(ConfigFrom(std::string("params:\n  ") + kBuiltinRuleId +
                               ":\n    blocked_actions: [kms:Encrypt]\n"))
                .status,
            model::Status::kPass);
  // The override list: severity, parameters and an exception, per rule.
  const model::Finding changed = finding(
      ConfigFrom(std::string("overrides:\n  - rule: ") + kBuiltinRuleId +
                 "\n    severity: critical\n    params: {on_condition: warn}\n    exceptions:\n"
                 "      - match: {equals: {path: $.name, value: d}}\n        reason: r\n"
                 "        owner: o\n        expires: 2099-01-01\n"));
  EXPECT_EQ(changed.status, model::Status::kSuppressed);        // the exception
  EXPECT_EQ(changed.suppression.status, model::Status::kFail);  // no Condition: not a warning
  EXPECT_EQ(changed.severity, model::Severity::kCritical);
  ASSERT_EQ(changed.severity_changes.size(), 1u);
  EXPECT_EQ(changed.severity_changes[0].reason, "override at c.yaml:3:15");

  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded =
      LoadRules({}, log,
                ConfigFrom(std::string("params:\n  no-such-rule: {x: 1}\n  ") + kBuiltinRuleId +
                           ":\n    blocked_actions: kms:Encrypt\n    nope: 1\n"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->errors, 3) << log.str();
  EXPECT_THAT(log.str(), HasSubstr("c.yaml:2:3: error: override of unknown rule \"no-such-rule\""));
  // Each parameter's problem at its value; the rule's override is left out, as for a
  // `kind: Override` document.
  EXPECT_THAT(log.str(), HasSubstr("c.yaml:4:22: error: parameter \"blocked_actions\""));
  EXPECT_THAT(log.str(), HasSubstr("(list) must be a list"));
  EXPECT_THAT(log.str(), HasSubstr("c.yaml:5:11: error: rule \"" + std::string(kBuiltinRuleId) +
                                   "\" has no parameter \"nope\""));
  EXPECT_THAT(log.str(), HasSubstr("[rule_param_error]"));
  // The settings' overrides are part of the rule set's version.
  std::ostringstream ignored;
  EXPECT_NE(LoadRules({}, ignored)->version, loaded->version);
}

}  // namespace
}  // namespace kmsguard::plugin

namespace kmsguard::plugin {
namespace {

// A Kubernetes ConfigMap volume: the files are symlinks into "..data", itself a symlink to a
// hidden "..<timestamp>" directory that holds the real files. Each rule loads once, and the rule
// set's version follows the content, not the directory it was read from.
TEST(RuleLoaderTest, AConfigMapVolumeLoadsEachRuleOnceAndVersionsFollowTheContent) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  namespace fs = std::filesystem;
  fs::create_directories(dir.File("..2026_12_04_10_00_00.1"));
  dir.Write("..2026_12_04_10_00_00.1/custom.yaml", RuleWithId("custom-copy"));
  fs::create_directory_symlink("..2026_12_04_10_00_00.1", dir.File("..data"));
  fs::create_symlink("..data/custom.yaml", dir.File("custom.yaml"));
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({dir.path()}, log);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->errors, 0) << log.str();
  EXPECT_EQ(loaded->files_read, 1);
  EXPECT_THAT(Ids(*loaded->rule_set), ::testing::Contains("custom-copy"));
  EXPECT_THAT(loaded->version, ::testing::MatchesRegex("[0-9a-f]{12}"));

  testing::TempDir elsewhere;
  elsewhere.Write("custom.yaml", RuleWithId("custom-copy"));
  std::ostringstream ignored;
  EXPECT_EQ(LoadRules({elsewhere.path()}, ignored)->version, loaded->version);
  elsewhere.Write("custom.yaml", RuleWithId("custom-changed"));
  EXPECT_NE(LoadRules({elsewhere.path()}, ignored)->version, loaded->version);
}

}  // namespace
}  // namespace kmsguard::plugin
