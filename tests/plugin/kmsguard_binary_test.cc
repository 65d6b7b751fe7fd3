// The kmsguard binary as users run it: `scan` (which launches `serve` as its plugin) and `serve`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sdk/client/plugin_client.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using testing::BundledExample;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::ProcessResult;
using testing::Run;

constexpr char kRuleId[] = "aws-iam-inline-kms-decrypt-all-keys";
constexpr char kManagedRuleId[] = "aws-iam-managed-kms-decrypt-all-keys";
constexpr char kBroadRuleId[] = "aws-iam-kms-decrypt-broad-scope";

std::string Sample(const std::string& name) {
  return std::string(KMSGUARD_SHARED_DIR) + "/samples/" + name;
}

using testing::Kmsguard;

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stderr:\n" + r.err.substr(0, 4000);
}

// The OCSF findings of a scan: FAIL ones for `rule_id`, as resource names.
std::vector<std::string> FailingNames(const nlohmann::json& findings, const std::string& rule_id) {
  using Pointer = nlohmann::json::json_pointer;
  std::vector<std::string> names;
  if (!findings.is_array()) return names;
  for (const auto& item : findings) {
    if (!item.is_object() || item.value("status_code", "") != "FAIL") continue;
    if (item.value(Pointer("/finding_info/analytic/uid"), "") != rule_id) continue;
    names.push_back(item.value(Pointer("/resources/0/name"), ""));
  }
  return names;
}

nlohmann::json ParseOcsf(const ProcessResult& r) {
  nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "stdout is not JSON:\n" << r.out.substr(0, 2000);
  return parsed;
}

// A snapshot with one role per inline policy document. A policy that is not JSON is kept as the
// string it is, as the export would carry a broken document.
std::string Snapshot(const std::vector<std::pair<std::string, std::string>>& roles) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, policy] : roles) {
    nlohmann::json document = nlohmann::json::parse(policy, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) document = policy;
    list.push_back({{"RoleName", name},
                    {"Path", "/"},
                    {"Arn", "arn:aws:iam::111122223333:role/" + name},
                    {"RolePolicyList", {{{"PolicyName", "p"}, {"PolicyDocument", document}}}},
                    {"AttachedManagedPolicies", nlohmann::json::array()}});
  }
  return nlohmann::json{{"RoleDetailList", list}}.dump(2);
}

constexpr char kKmsStar[] =
    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}})";
constexpr char kS3Only[] =
    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})";

TEST(KmsguardScanTest, BundledExampleExitsOneAndTheTableNamesTheFailingPrincipals) {
  ASSERT_TRUE(std::filesystem::exists(BundledExample())) << BundledExample();
  const ProcessResult ocsf = Kmsguard({"scan", BundledExample(), "--format", "ocsf"});
  ASSERT_EQ(ocsf.exit_code, 1) << Describe(ocsf);
  const std::vector<std::string> failing = FailingNames(ParseOcsf(ocsf), kRuleId);
  ASSERT_THAT(failing, Not(IsEmpty()));

  const ProcessResult table = Kmsguard({"scan", BundledExample()});
  ASSERT_EQ(table.exit_code, 1) << Describe(table);
  for (const auto& name : failing) EXPECT_THAT(table.out, HasSubstr(name));
  EXPECT_THAT(table.out, HasSubstr("FAIL"));
}

// docs/examples/README.md: every rule's FAILs on the bundled example, the raised severity and the
// exposure.
TEST(KmsguardScanTest, BundledExampleFailsPerRuleAsDocumented) {
  const ProcessResult r = Kmsguard({"scan", BundledExample(), "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  const nlohmann::json findings = ParseOcsf(r);
  ASSERT_TRUE(findings.is_array());
  EXPECT_EQ(findings.size(), 17u + 17u + 2u);
  std::vector<std::string> kms2 = FailingNames(findings, kRuleId);
  std::sort(kms2.begin(), kms2.end());
  EXPECT_EQ(kms2, (std::vector<std::string>{"Developers", "bob", "ec2-app-server", "erin",
                                            "partner-audit-access"}));
  EXPECT_EQ(FailingNames(findings, kManagedRuleId),
            std::vector<std::string>{"KmsDecryptAllKeys-Managed"});
  EXPECT_EQ(FailingNames(findings, kBroadRuleId), std::vector<std::string>{"glue-data-pipeline"});
  for (const auto& item : findings) {
    const std::string name = item.value(nlohmann::json::json_pointer("/resources/0/name"), "");
    const nlohmann::json& data = item["resources"][0]["data"];
    if (name == "partner-audit-access" && item["status_code"] == "FAIL") {
      EXPECT_EQ(item["severity"], "High");
      EXPECT_EQ(data["exposed_to"][0],
                "other-account 444455556666 (arn:aws:iam::444455556666:root) "
                "[conditional: StringEquals:sts:ExternalId]");
    }
    if (name == "Developers" && item["status_code"] == "FAIL") {
      EXPECT_EQ(data["exposed_to"], nlohmann::json({"user/alice", "user/bob"}));
    }
  }

  const ProcessResult table = Kmsguard({"scan", BundledExample()});
  ASSERT_EQ(table.exit_code, 1) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr("  exposed: inherited by 2 member users: alice, bob\n"));
  EXPECT_THAT(table.out, HasSubstr("36 findings: 7 FAIL, 0 ERROR, 0 WARNING, 29 PASS"));
  EXPECT_THAT(table.out, Not(HasSubstr("  why: "))) << "explanations only with --explain";
}

// The table row that contains every one of `needles`, and the indented lines printed under it.
std::string RowAndLinesUnder(const std::string& table, const std::vector<std::string>& needles) {
  std::size_t start = 0;
  while (start < table.size()) {
    const std::size_t end = table.find('\n', start);
    const std::string line = table.substr(start, end == std::string::npos ? end : end - start);
    const bool match = std::all_of(needles.begin(), needles.end(), [&](const std::string& n) {
      return line.find(n) != std::string::npos;
    });
    start = end == std::string::npos ? table.size() : end + 1;
    if (!match) continue;
    std::string out = line + "\n";
    while (start < table.size() && table.compare(start, 2, "  ") == 0) {
      const std::size_t next = table.find('\n', start);
      out += table.substr(start, next - start + 1);
      start = next == std::string::npos ? table.size() : next + 1;
    }
    return out;
  }
  return "";
}

// An Override in a rules directory re-rates the managed-policy rule: the finding crosses the
// plugin protocol with the rule's own severity and the override's place, and the table says both.
TEST(KmsguardScanTest, AnOverriddenSeverityShowsTheRulesOwnAndWhere) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string overrides =
      dir.Write("org-overrides.yaml", std::string("api_version: kmsguard/v1\nkind: Override\n"
                                                  "rule: ") +
                                          kManagedRuleId + "\nseverity: critical\n");
  const ProcessResult r =
      Kmsguard({"scan", "--rules", overrides, "--format", "jsonl", BundledExample()});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  int seen = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json f = nlohmann::json::parse(line);
    if (f.value("rule_id", "") != kManagedRuleId) continue;
    ++seen;
    EXPECT_EQ(f["severity"], "SEVERITY_CRITICAL");
    EXPECT_EQ(f["rule_severity"], "SEVERITY_MEDIUM");
    EXPECT_EQ(f["severity_changes"], nlohmann::json::parse(R"([{"from_severity": "SEVERITY_MEDIUM",
                  "to_severity": "SEVERITY_CRITICAL", "reason": "override at )" +
                                                           overrides + R"(:4:11"}])"));
  }
  EXPECT_EQ(seen, 2) << "the managed policy's FAIL and its PASS";

  const ProcessResult table = Kmsguard({"scan", "--rules", overrides, "--wide", BundledExample()});
  ASSERT_EQ(table.exit_code, 1) << Describe(table);
  EXPECT_THAT(
      RowAndLinesUnder(table.out, {"FAIL", kManagedRuleId}),
      HasSubstr("\n  severity: critical (rule: medium): override at " + overrides + ":4:11\n"));
  EXPECT_THAT(RowAndLinesUnder(table.out, {"FAIL", kRuleId, "role/partner-audit-access"}),
              HasSubstr("\n  severity: high (rule: medium): raised: the role can be assumed"));
}

// --no-severity-trace: the overridden and the raised findings keep their effective severity, and
// no output carries the rule's own or the changes (the flag reaches the writers from the CLI).
TEST(KmsguardScanTest, NoSeverityTraceLeavesOutTheRulesSeverityAndTheChanges) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string overrides =
      dir.Write("org-overrides.yaml", std::string("api_version: kmsguard/v1\nkind: Override\n"
                                                  "rule: ") +
                                          kManagedRuleId + "\nseverity: critical\n");
  const ProcessResult r = Kmsguard(
      {"scan", "--rules", overrides, "--no-severity-trace", "--format", "jsonl", BundledExample()});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  int managed = 0, raised = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json f = nlohmann::json::parse(line);
    if (!f.contains("rule_id")) continue;  // the summary line
    EXPECT_FALSE(f.contains("rule_severity")) << line;
    EXPECT_FALSE(f.contains("severity_changes")) << line;
    if (f["rule_id"] == kManagedRuleId) {
      ++managed;
      EXPECT_EQ(f["severity"], "SEVERITY_CRITICAL");
    }
    if (f["resource_name"] == "partner-audit-access" && f["status"] == "STATUS_FAIL") {
      ++raised;
      EXPECT_EQ(f["severity"], "SEVERITY_HIGH");
    }
  }
  EXPECT_EQ(managed, 2);
  EXPECT_EQ(raised, 1);

  const ProcessResult table =
      Kmsguard({"scan", "--rules", overrides, "--no-severity-trace", "--wide", BundledExample()});
  ASSERT_EQ(table.exit_code, 1) << Describe(table);
  EXPECT_THAT(table.out, Not(HasSubstr("severity: ")));
  EXPECT_THAT(RowAndLinesUnder(table.out, {"FAIL", kManagedRuleId}), HasSubstr("critical"));
}

// --explain names the statement, its Sid and the key a pattern leaves out, also for a PASS.
TEST(KmsguardScanTest, ExplainShowsWhyEvenForAPass) {
  // --wide: rows and explanation lines whole, whatever the width (the table's layout is tested in
  // scan_table_width_test.cc).
  const ProcessResult r =
      Kmsguard({"scan", BundledExample(), "--explain", "--show-pass", "--wide"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  // glue-data-pipeline: PASS for KMS.2 (its keys are one account's), FAIL for the strict tier.
  const std::string pass = RowAndLinesUnder(r.out, {"PASS", kRuleId, "role/glue-data-pipeline"});
  ASSERT_FALSE(pass.empty()) << r.out;
  EXPECT_THAT(pass, HasSubstr("  why: inline policy \"pipeline-kms-account-keys\": kms:Decrypt "
                              "not granted: kms:Decrypt: not every KMS key (partition aws): e.g. "
                              "the made-up key arn:aws:kms:"));
  EXPECT_THAT(pass, HasSubstr("is not reached"));
  // The strict tier's PASS of a principal whose grant reaches every key says that grant is the
  // every-key rule's, not that nothing is allowed.
  const std::string strict_pass =
      RowAndLinesUnder(r.out, {"PASS", "aws-iam-kms-decrypt-broad-scope", "role/ec2-app-server"});
  EXPECT_THAT(strict_pass, HasSubstr("has an inline policy (app-kms-full) that allows kms:Decrypt, "
                                     "kms:ReEncryptFrom on every KMS key, which the every-key rule "
                                     "reports"));
  EXPECT_THAT(strict_pass, Not(HasSubstr("does not allow")));
  EXPECT_THAT(pass, HasSubstr("  why: inline policy \"pipeline-kms-account-keys\": statement 0 "
                              "\"DecryptWithAccountKeys\" (Allow kms:Decrypt, kms:ReEncryptFrom "
                              "on Resource [\"arn:aws:kms:*:111122223333:key/*\"])"));
  EXPECT_THAT(pass, HasSubstr("  why: inline policy \"pipeline-glue\": no statement allows or "
                              "denies kms:Decrypt, kms:ReEncryptFrom"));
  EXPECT_THAT(pass, Not(HasSubstr("exposed:"))) << "a PASS holds no grant";

  const std::string strict =
      RowAndLinesUnder(r.out, {"FAIL", kBroadRuleId, "role/glue-data-pipeline"});
  EXPECT_THAT(strict, HasSubstr("  exposed: assumable by service glue.amazonaws.com\n"));
  EXPECT_THAT(strict, HasSubstr("cover every KMS key of account 111122223333"));

  // A FAIL says why its pattern counts as every key; a PASS which Deny cancelled what; and the
  // conditions set aside.
  EXPECT_THAT(RowAndLinesUnder(r.out, {"FAIL", kRuleId, "role/ec2-app-server"}),
              HasSubstr("  why: inline policy \"app-kms-full\": statement 0 (no Sid) (Allow "
                        "kms:Decrypt, kms:ReEncryptFrom on Resource [\"*\"]): Resource [\"*\"] "
                        "matches keys of every KMS key"));
  const std::string guarded =
      RowAndLinesUnder(r.out, {"PASS", kRuleId, "role/github-actions-deploy"});
  EXPECT_THAT(guarded, HasSubstr("kms:Decrypt not granted: kms:Decrypt is allowed but an explicit "
                                 "Deny cancels it"));
  EXPECT_THAT(guarded, HasSubstr("statement 1 \"NeverDecrypt\" (Deny kms:Decrypt, "
                                 "kms:ReEncryptFrom on Resource [\"*\"]): cancels the grant"));
  const std::string partner =
      RowAndLinesUnder(r.out, {"FAIL", kRuleId, "role/partner-audit-access"});
  EXPECT_THAT(partner, HasSubstr("Condition StringEquals:kms:ViaService set aside"));
  EXPECT_THAT(partner, HasSubstr("  why: Severity raised from medium to high"));

  // Without --show-pass, PASS findings and their explanations stay out.
  const ProcessResult fails_only = Kmsguard({"scan", BundledExample(), "--explain", "--wide"});
  EXPECT_EQ(RowAndLinesUnder(fails_only.out, {"PASS", kRuleId, "role/glue-data-pipeline"}), "");
  EXPECT_THAT(fails_only.out, HasSubstr("  why: "));
}

TEST(KmsguardScanTest, OcsfOutputIsAJsonArrayOfComplianceFindings) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file =
      dir.Write("snapshot.json", Snapshot({{"star", kKmsStar}, {"s3-only", kS3Only}}));
  const ProcessResult r = Kmsguard({"scan", file, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  const nlohmann::json findings = ParseOcsf(r);
  ASSERT_TRUE(findings.is_array());
  ASSERT_EQ(findings.size(), 4u) << "one finding per role and rule (KMS.2, strict tier), PASS "
                                    "included";
  for (const auto& item : findings) EXPECT_EQ(item.value("class_uid", 0), 2003);
  EXPECT_THAT(FailingNames(findings, kRuleId), ::testing::ElementsAre("star"));
}

// The forseti Cloud Asset Inventory exports (SOURCES.md): both files are detected by content and
// joined once. roles/owner on four projects gives its two members a FAIL each, one per project;
// roles/cloudkms.admin on a key ring and Encrypter/Decrypter on one key fail nothing.
TEST(KmsguardScanTest, GcpAssetInventoryExportsFailOwnersAtProjectScope) {
  KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES();
  const std::string policies = Sample("multicloud/gcp-cai-iam-policies.forseti.ndjson");
  const std::string resources = Sample("multicloud/gcp-cai-resources.forseti.ndjson");
  const ProcessResult r = Kmsguard({"scan", policies, resources, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, Not(HasSubstr("duplicate_resource"))) << Describe(r);
  const nlohmann::json findings = ParseOcsf(r);
  ASSERT_TRUE(findings.is_array());
  using Pointer = nlohmann::json::json_pointer;
  std::vector<std::string> failing;
  std::set<std::string> uids;
  // One project, one account: CAI names the project by number (projects/1042) and its key ring by
  // id (projects/project2/...); the resource export joins the two (projectNumber 1042 is
  // projectId project2), and every finding names the id. Folders and the organization hold no
  // project.
  std::map<std::string, std::set<std::string>> accounts_by_scope;
  // cloud.org, "organization/folder": the resource export's parents put projects 1041 and 1042
  // under organization 111222333, project 1044 in folder 1033 in folder 1032 (the nearest folder
  // is the unit), folder 1031 under the organization.
  std::map<std::string, std::set<std::string>> org_by_scope;
  for (const auto& item : findings) {
    const std::string scope = item.value(Pointer("/resources/0/uid"), "");
    accounts_by_scope[scope].insert(item.value(Pointer("/cloud/account/uid"), ""));
    org_by_scope[scope].insert(item.value(Pointer("/cloud/org/uid"), "") + "/" +
                               item.value(Pointer("/cloud/org/ou_uid"), ""));
    if (!item.value(Pointer("/cloud/account/uid"), "").empty()) {
      EXPECT_EQ(item.value(Pointer("/cloud/project_uid"), ""),
                item.value(Pointer("/cloud/account/uid"), ""));
    }
  }
  EXPECT_EQ(org_by_scope["//cloudresourcemanager.googleapis.com/projects/1041"],
            std::set<std::string>{"111222333/"});
  EXPECT_EQ(org_by_scope["//cloudresourcemanager.googleapis.com/projects/1044"],
            std::set<std::string>{"111222333/1033"});
  EXPECT_EQ(org_by_scope["//cloudresourcemanager.googleapis.com/folders/1031"],
            std::set<std::string>{"111222333/1031"});
  EXPECT_EQ(org_by_scope["//cloudresourcemanager.googleapis.com/organizations/111222333"],
            std::set<std::string>{"111222333/"});
  EXPECT_EQ(
      org_by_scope["//cloudkms.googleapis.com/projects/project2/locations/us/keyRings/test-kr"],
      std::set<std::string>{"111222333/"});
  EXPECT_EQ(accounts_by_scope["//cloudresourcemanager.googleapis.com/projects/1041"],
            std::set<std::string>{"project1"});
  EXPECT_EQ(accounts_by_scope["//cloudresourcemanager.googleapis.com/projects/1042"],
            std::set<std::string>{"project2"});
  EXPECT_EQ(accounts_by_scope["//cloudresourcemanager.googleapis.com/projects/1044"],
            std::set<std::string>{"project4"});
  EXPECT_EQ(accounts_by_scope
                ["//cloudkms.googleapis.com/projects/project2/locations/us/keyRings/test-kr"],
            std::set<std::string>{"project2"});
  EXPECT_EQ(accounts_by_scope["//cloudresourcemanager.googleapis.com/folders/1031"],
            std::set<std::string>{""});
  for (const auto& item : findings) {
    if (item.value(Pointer("/finding_info/analytic/uid"), "") != "gcp-kms-decrypt-broad-scope" ||
        item.value("status_code", "") != "FAIL") {
      continue;
    }
    const std::string message = item.value("message", "");
    EXPECT_THAT(message, Not(HasSubstr("keyRings"))) << message;
    failing.push_back(message.substr(0, message.find(" holds")) + " @ " +
                      message.substr(message.find(" at ") + 4, 13));
    uids.insert(item.value(Pointer("/finding_info/uid"), ""));
    // OCSF's cloud object says Google Cloud, and the account is a project (type_id 11).
    EXPECT_EQ(item.value(Pointer("/cloud/provider"), ""), "GCP");
    EXPECT_EQ(item.value(Pointer("/cloud/account/type_id"), 0), 11);
    EXPECT_EQ(item.value(Pointer("/cloud/account/type"), ""), "GCP Project");
    // The command-line part is gcloud's and says so: never under an "AWS CLI" heading.
    const std::string remediation = item.value(Pointer("/remediation/desc"), "");
    EXPECT_THAT(remediation, HasSubstr("gcloud CLI:\ngcloud projects remove-iam-policy-binding"));
    EXPECT_THAT(remediation, Not(HasSubstr("AWS CLI")));
  }
  std::sort(failing.begin(), failing.end());
  EXPECT_THAT(failing,
              ::testing::ElementsAre("group:c_grp@forseti.test via roles/owner @ projects/1041",
                                     "group:c_grp@forseti.test via roles/owner @ projects/1042",
                                     "group:c_grp@forseti.test via roles/owner @ projects/1043",
                                     "group:c_grp@forseti.test via roles/owner @ projects/1044",
                                     "user:a_user@forseti.test via roles/owner @ projects/1041",
                                     "user:a_user@forseti.test via roles/owner @ projects/1042",
                                     "user:a_user@forseti.test via roles/owner @ projects/1043",
                                     "user:a_user@forseti.test via roles/owner @ projects/1044"));
  EXPECT_EQ(uids.size(), 8u) << "one finding uid per scope, role and member";
}

// The same exports through the two other Google Cloud rules. Escalation (who may set an allow
// policy above the keys), from the roles' contents in the predefined-role catalog:
// organizationAdmin on the organization and folderAdmin on each folder (resourcemanager
// setIamPolicy), owner on each project (projects.setIamPolicy), cloudkms.admin on the key ring
// (cryptoKeys/keyRings.setIamPolicy); editor holds none. Key-ring tier: the ring's only binding is
// cloudkms.admin, which holds no useToDecrypt: it passes.
TEST(KmsguardScanTest, GcpAssetInventoryExportsEscalationAndKeyRingTiers) {
  KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES();
  const std::string policies = Sample("multicloud/gcp-cai-iam-policies.forseti.ndjson");
  const std::string resources = Sample("multicloud/gcp-cai-resources.forseti.ndjson");
  const ProcessResult r = Kmsguard({"scan", policies, resources, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  using Pointer = nlohmann::json::json_pointer;
  std::vector<std::string> escalation;
  std::vector<std::string> key_ring;
  for (const auto& item : ParseOcsf(r)) {
    const std::string rule = item.value(Pointer("/finding_info/analytic/uid"), "");
    const std::string status = item.value("status_code", "");
    const std::string message = item.value("message", "");
    if (rule == "gcp-kms-decrypt-key-ring") key_ring.push_back(status + " " + message);
    if (rule != "gcp-kms-access-escalation" || status != "FAIL") continue;
    const std::size_t at = message.find(" at ");
    ASSERT_NE(at, std::string::npos) << message;
    escalation.push_back(message.substr(0, message.find(" holds")) + " @ " +
                         message.substr(at + 4, message.find(',', at) - at - 4));
    const std::string remediation = item.value(Pointer("/remediation/desc"), "");
    EXPECT_THAT(remediation, HasSubstr("remove-iam-policy-binding")) << remediation;
  }
  std::sort(escalation.begin(), escalation.end());
  EXPECT_THAT(escalation,
              ::testing::ElementsAre(
                  "group:c_grp@forseti.test via roles/owner @ projects/1041",
                  "group:c_grp@forseti.test via roles/owner @ projects/1042",
                  "group:c_grp@forseti.test via roles/owner @ projects/1043",
                  "group:c_grp@forseti.test via roles/owner @ projects/1044",
                  "user:a_user@forseti.test via roles/owner @ projects/1041",
                  "user:a_user@forseti.test via roles/owner @ projects/1042",
                  "user:a_user@forseti.test via roles/owner @ projects/1043",
                  "user:a_user@forseti.test via roles/owner @ projects/1044",
                  "user:a_user@forseti.test via roles/resourcemanager.folderAdmin @ folders/1031",
                  "user:a_user@forseti.test via roles/resourcemanager.folderAdmin @ folders/1032",
                  "user:a_user@forseti.test via roles/resourcemanager.folderAdmin @ folders/1033",
                  "user:a_user@forseti.test via roles/resourcemanager.organizationAdmin @ "
                  "organizations/111222333",
                  "user:user@forseti.testing via roles/cloudkms.admin @ "
                  "projects/project2/locations/us/keyRings/test-kr"));
  ASSERT_EQ(key_ring.size(), 1u) << ::testing::PrintToString(key_ring);
  EXPECT_THAT(key_ring[0], ::testing::StartsWith("PASS")) << key_ring[0];
}

// The shared Azure samples (../shared/samples/multicloud/SOURCES.md): the demisto ARM GET vault
// has no enableRbacAuthorization, so its access policy (decrypt, unwrapKey) answers: FAIL on every
// key of the vault. The quickstart template's vault uses RBAC and its default role (Key Vault
// Secrets User) holds no key data action: no FAIL.
// OCSF cloud.org of an Azure finding is its subscription's Entra tenant, as the scan's vaults
// state it (properties.tenantId, any letter case): on the role assignment's finding as on the
// vault's. Subscription "b"'s two vaults disagree (a subscription moved to another tenant), so
// its findings name no tenant rather than a guess; a template's expression is no tenant.
TEST(KmsguardScanTest, AzureFindingsNameTheTenantTheSubscriptionsVaultsState) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const auto vault = [](const std::string& sub, const std::string& name,
                        const std::string& tenant) {
    return "{\"id\":\"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.KeyVault/" +
           "vaults/" + name + "\",\"name\":\"" + name +
           "\",\"type\":\"Microsoft.KeyVault/vaults\",\"properties\":{\"tenantId\":\"" + tenant +
           "\",\"enableRbacAuthorization\":true,\"accessPolicies\":[]}}";
  };
  const std::string a = "aaaa0000-0000-0000-0000-000000000000";
  const std::string b = "bbbb0000-0000-0000-0000-000000000000";
  const std::string c = "cccc0000-0000-0000-0000-000000000000";
  const std::string vaults =
      dir.Write("vaults.json", "[" + vault(a, "kv1", "1234ABCD-0000-0000-0000-00000000000F") + "," +
                                   vault(a, "kv2", "1234abcd-0000-0000-0000-00000000000f") + "," +
                                   vault(b, "kv3", "1234abcd-0000-0000-0000-00000000000f") + "," +
                                   vault(b, "kv4", "99990000-0000-0000-0000-000000000000") + "," +
                                   vault(c, "kv5", "{tenantId}") + "]");
  const auto assignment = [](const std::string& sub, const std::string& name) {
    return "{\"id\":\"/subscriptions/" + sub +
           "/providers/Microsoft.Authorization/roleAssignments/" + name + "\",\"name\":\"" + name +
           "\",\"principalId\":\"p-" + name +
           "\",\"principalType\":\"ServicePrincipal\",\"roleDefinitionId\":\"/subscriptions/" +
           sub +
           "/providers/Microsoft.Authorization/roleDefinitions/"
           "12338af0-0e69-4776-bea7-57ae8d297424\",\"scope\":\"/subscriptions/" +
           sub + "\",\"type\":\"Microsoft.Authorization/roleAssignments\"}";
  };
  const std::string assignments =
      dir.Write("assignments.json", "[" + assignment(a, "ra-a") + "," + assignment(b, "ra-b") +
                                        "," + assignment(c, "ra-c") + "]");
  const ProcessResult r = Kmsguard({"scan", vaults, assignments, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  using Pointer = nlohmann::json::json_pointer;
  std::map<std::string, std::set<std::string>> tenants_by_account;
  int failing = 0;
  for (const auto& item : ParseOcsf(r)) {
    failing += item.value("status_code", "") == "FAIL" ? 1 : 0;
    tenants_by_account[item.value(Pointer("/cloud/account/uid"), "")].insert(
        item.contains("cloud") && item["cloud"].contains("org")
            ? item.value(Pointer("/cloud/org/uid"), "(org without uid)")
            : "");
  }
  EXPECT_EQ(failing, 3) << "Key Vault Crypto User at each subscription: " << r.out;
  EXPECT_EQ(tenants_by_account[a], std::set<std::string>{"1234abcd-0000-0000-0000-00000000000f"});
  EXPECT_EQ(tenants_by_account[b], std::set<std::string>{""});
  EXPECT_EQ(tenants_by_account[c], std::set<std::string>{""});
  // The JSON format says it beside the account; an AWS finding (the bundled example) never has
  // it, so AWS outputs keep their bytes.
  const ProcessResult json = Kmsguard({"scan", vaults, assignments, "--format", "jsonl"});
  EXPECT_THAT(json.out, HasSubstr("\"account\":\"" + a +
                                  "\",\"organization\":\"1234abcd-0000-0000-0000-00000000000f\""));
  const ProcessResult aws = Kmsguard({"scan", testing::BundledExample(), "--format", "jsonl"});
  EXPECT_THAT(aws.out, Not(HasSubstr("\"organization\"")));
}

TEST(KmsguardScanTest, AzureAccessPolicyVaultFailsAndTheRbacQuickstartPasses) {
  KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES();
  const ProcessResult r =
      Kmsguard({"scan", Sample("multicloud/azure-keyvault-get.access-policy.demisto.json"),
                "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  using Pointer = nlohmann::json::json_pointer;
  std::vector<nlohmann::json> failing;
  for (const auto& item : ParseOcsf(r)) {
    if (item.value(Pointer("/finding_info/analytic/uid"), "") ==
            "azure-keyvault-decrypt-every-key" &&
        item.value("status_code", "") == "FAIL") {
      failing.push_back(item);
    }
  }
  ASSERT_EQ(failing.size(), 1u) << Describe(r);
  const nlohmann::json& f = failing[0];
  EXPECT_EQ(f.value(Pointer("/resources/0/data/sub_key"), ""),
            "00000000-0000-0000-0000-000000000000");
  EXPECT_THAT(f.value("message", ""), HasSubstr("may use decrypt, unwrapKey"));
  EXPECT_EQ(f.value(Pointer("/cloud/provider"), ""), "Azure");
  EXPECT_EQ(f.value(Pointer("/cloud/account/type_id"), 0), 13);
  EXPECT_EQ(f.value(Pointer("/cloud/account/uid"), ""), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(f.value(Pointer("/cloud/org/uid"), ""), "00000000-0000-0000-0000-000000000000")
      << "the vault's properties.tenantId";
  const std::string remediation = f.value(Pointer("/remediation/desc"), "");
  EXPECT_THAT(remediation, HasSubstr("Azure CLI:\naz keyvault set-policy --name 'sample-vault' "
                                     "--resource-group 'sample-resource-group' --subscription "
                                     "'00000000-0000-0000-0000-000000000000' "
                                     "--object-id '00000000-0000-0000-0000-000000000000' "
                                     "--key-permissions 'encrypt' 'wrapKey'"));
  EXPECT_THAT(remediation, Not(HasSubstr("'decrypt'")));
  // An entry left with no key permission is deleted and its other permissions set again, on one
  // line (template values are terminal-safe: a newline would print as \x0a).
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string vaults = dir.Write(
      "vaults.json",
      R"([{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv3",
           "type":"Microsoft.KeyVault/vaults",
           "properties":{"accessPolicies":[{"tenantId":"t","objectId":"obj-c",
             "permissions":{"keys":["UnwrapKey"],"secrets":["get"]}}]}}])");
  const ProcessResult kept = Kmsguard({"scan", vaults, "--format", "jsonl"});
  EXPECT_EQ(kept.exit_code, 1) << Describe(kept);
  EXPECT_THAT(kept.out, HasSubstr("az keyvault delete-policy --name 'kv3' --resource-group 'rg' "
                                  "--subscription 's1' --object-id 'obj-c' && az keyvault "
                                  "set-policy --name 'kv3' --resource-group 'rg' --subscription "
                                  "'s1' --object-id 'obj-c' --secret-permissions 'get'"));

  const ProcessResult quickstart =
      Kmsguard({"scan", Sample("multicloud/azure-arm-kv-rbac-vault-scope.quickstart.json"),
                "--format", "jsonl"});
  EXPECT_EQ(quickstart.exit_code, 0) << Describe(quickstart);
  int judged = 0;
  for (const std::string& line : testing::Lines(quickstart.out)) {
    const nlohmann::json v = nlohmann::json::parse(line, nullptr, false);
    if (!v.is_object() || v.value("rule_id", "") != "azure-keyvault-decrypt-every-key") continue;
    ++judged;
    EXPECT_EQ(v.value("status", ""), "STATUS_PASS") << line;
  }
  EXPECT_EQ(judged, 2) << "the vault and the role assignment:\n" << quickstart.out;

  // With a crypto role given for the template's parameter, the vault-scoped assignment reaches
  // every key of that vault: FAIL, and the principal and vault come from the other parameters.
  const ProcessResult crypto = Kmsguard(
      {"scan", Sample("multicloud/azure-arm-kv-rbac-vault-scope.quickstart.json"), "--format",
       "jsonl", "--parameter", "roleName=Key Vault Crypto User", "--parameter",
       "objectId=5a5a0000-0000-0000-0000-000000000001", "--parameter", "keyVaultName=kv-app"});
  EXPECT_EQ(crypto.exit_code, 1) << Describe(crypto);
  std::vector<std::string> failing_keys;
  for (const std::string& line : testing::Lines(crypto.out)) {
    const nlohmann::json v = nlohmann::json::parse(line, nullptr, false);
    if (!v.is_object() || v.value("status", "") != "STATUS_FAIL") continue;
    failing_keys.push_back(v.value("sub_key", ""));
    EXPECT_THAT(v.value("message", ""), HasSubstr("through Key Vault Crypto User at "
                                                  "/subscriptions/{subscriptionId}/resourceGroups/"
                                                  "{resourceGroupName}/providers/"
                                                  "Microsoft.KeyVault/vaults/kv-app"))
        << line;
    EXPECT_EQ(v.value("severity", ""), "SEVERITY_HIGH") << "a vault scope is not raised";
  }
  EXPECT_THAT(failing_keys, ::testing::ElementsAre("5a5a0000-0000-0000-0000-000000000001"));
}

// A custom role is read from the resource export of the same scan: the join makes its binding in
// the other file a FAIL, and the remediation names the gcloud command that removes it.
TEST(KmsguardScanTest, GcpCustomRoleFromAnotherFileOfTheScanFails) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policies =
      dir.Write("policies.ndjson",
                R"({"name": "//cloudresourcemanager.googleapis.com/projects/1042", "asset_type": )"
                R"("cloudresourcemanager.googleapis.com/Project", "iam_policy": {"bindings": [)"
                R"({"role": "organizations/9/roles/kmsReader", "members": ["user:x@example.com"]},)"
                R"({"role": "roles/editor", "members": ["user:e@example.com"]}]}})"
                "\n");
  const std::string resources =
      dir.Write("resources.ndjson",
                R"({"name": "//iam.googleapis.com/organizations/9/roles/kmsReader", "asset_type": )"
                R"("iam.googleapis.com/Role", "resource": {"data": {"name": )"
                R"("organizations/9/roles/kmsReader", "stage": "GA", "includedPermissions": )"
                R"(["cloudkms.cryptoKeyVersions.useToDecrypt"]}}})"
                "\n");
  const ProcessResult r = Kmsguard({"scan", policies, resources, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  const std::string out = r.out;
  EXPECT_THAT(out, HasSubstr("user:x@example.com via organizations/9/roles/kmsReader holds "
                             "cloudkms.cryptoKeyVersions.useToDecrypt at projects/1042"));
  EXPECT_THAT(out, HasSubstr("gcloud projects remove-iam-policy-binding '1042' "
                             "--member='user:x@example.com' "
                             "--role='organizations/9/roles/kmsReader'"));
  EXPECT_THAT(out, Not(HasSubstr("user:e@example.com via")));
}

// What the plugin's join of the scan finds reaches the user (a ScanDiagnostic): here the
// project's own record puts it under the organization while a key ring's `ancestors`, read from
// another file, put it in a folder. The warning names both parents and where the second was read;
// the owner is still judged (the project's own record wins), and a warning leaves the exit status
// at "FAIL found" (1), without the incomplete bit.
TEST(KmsguardScanTest, InputsThatDisagreeOnAGoogleCloudParentAreAWarningNamingWhere) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string resources = dir.Write(
      "resources.ndjson",
      R"({"name":"//cloudresourcemanager.googleapis.com/projects/1042","asset_type":)"
      R"("cloudresourcemanager.googleapis.com/Project","resource":{"parent":)"
      R"("//cloudresourcemanager.googleapis.com/organizations/1","data":{"projectId":"p2",)"
      R"("projectNumber":"1042","parent":{"type":"organization","id":"1"}}}})"
      "\n");
  const std::string policies = dir.Write(
      "policies.ndjson",
      R"({"name":"//cloudresourcemanager.googleapis.com/projects/1042","asset_type":)"
      R"("cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":)"
      R"("roles/owner","members":["user:b@example.com"]}]}})"
      "\n"
      R"({"name":"//cloudkms.googleapis.com/projects/p2/locations/us/keyRings/r","asset_type":)"
      R"("cloudkms.googleapis.com/KeyRing","iam_policy":{"bindings":[]},)"
      R"("ancestors":["projects/1042","folders/9","organizations/1"]})"
      "\n");
  const std::string warning =
      "policies.ndjson:2 (//cloudkms.googleapis.com/projects/p2/locations/us/keyRings/r): warning: "
      "the inputs disagree on a parent in the resource hierarchy: projects/1042: parent "
      "organizations/1 (kept), not folders/9";
  const ProcessResult r = Kmsguard({"scan", resources, policies, "--format", "jsonl"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(warning)) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("user:b@example.com via roles/owner holds"));
  EXPECT_THAT(r.out, HasSubstr("\"organization\":\"1\"")) << "the kept parent";
  EXPECT_THAT(r.out, Not(HasSubstr("\"organizational_unit\":\"9\"")));

  // An error of the join is an error of the scan: a custom role whose includedPermissions is no
  // list is left out (its binding is undetermined: WARNING, never PASS), said where it was read,
  // and the scan is incomplete (exit bit 2).
  const std::string role = dir.Write(
      "role.ndjson",
      R"({"name":"//iam.googleapis.com/projects/p2/roles/custom1","asset_type":)"
      R"("iam.googleapis.com/Role","resource":{"data":{"name":"projects/p2/roles/custom1",)"
      R"("includedPermissions":"cloudkms.cryptoKeyVersions.useToDecrypt"}}})"
      "\n");
  const std::string bound = dir.Write(
      "bound.ndjson",
      R"({"name":"//cloudresourcemanager.googleapis.com/projects/1042","asset_type":)"
      R"("cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":)"
      R"("projects/p2/roles/custom1","members":["user:c@example.com"]}]}})"
      "\n");
  const ProcessResult broken = Kmsguard({"scan", role, resources, bound, "--format", "jsonl"});
  EXPECT_EQ(broken.exit_code, 2) << Describe(broken);
  EXPECT_THAT(broken.err, HasSubstr("role.ndjson:1#/resource/data/includedPermissions "
                                    "(//iam.googleapis.com/projects/p2/roles/custom1): error: "
                                    "custom role projects/p2/roles/custom1: includedPermissions "
                                    "is not a list of strings"));
  EXPECT_THAT(broken.out, HasSubstr("\"status\":\"STATUS_WARNING\""));
  EXPECT_THAT(broken.out, HasSubstr("user:c@example.com via projects/p2/roles/custom1 holds "
                                    "permissions not known at projects/1042"));
  EXPECT_THAT(broken.out, Not(HasSubstr("\"status\":\"STATUS_PASS\"")));
}

// A pipe can be read only once: sniffing its format used to consume it, and the scan then read
// nothing and passed (exit 0); a FIFO was opened twice and hung. Plain and gzipped, through
// /dev/stdin and a FIFO, the bundled example must give its 7 FAIL.
TEST(KmsguardScanTest, PipesAndFifosAreReadOnceAndScanned) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string binary = KMSGUARD_BINARY;
  const std::string example = BundledExample();
  const std::string fifo = dir.File("fifo");
  for (const std::string& command : {"cat '" + example + "' | '" + binary + "' scan /dev/stdin",
                                     "gzip -c '" + example + "' | '" + binary + "' scan /dev/stdin",
                                     "mkfifo '" + fifo + "' && { cat '" + example + "' > '" + fifo +
                                         "' & } && '" + binary + "' scan '" + fifo + "'"}) {
    const ProcessResult r = testing::Run({"/bin/sh", "-c", command});
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << Describe(r);
    EXPECT_THAT(r.out, HasSubstr("7 FAIL")) << command;
    std::filesystem::remove(fifo);
  }
}

// Output that cannot be written: the reason is named, the scan is stopped rather than run to the
// end for nothing, and the exit status is 2. A closed stdout must not let a later descriptor (a
// socket) take its number and receive the findings.
TEST(KmsguardScanTest, AnUnwritableOutputStopsTheScanAndSaysWhy) {
  const std::string scan = "'" + std::string(KMSGUARD_BINARY) + "' scan '" + BundledExample() + "'";
  for (const char* format : {"jsonl", "table"}) {
    const ProcessResult full =
        testing::Run({"/bin/sh", "-c", scan + " --format " + format + " > /dev/full"});
    // Incomplete (bit 2); whether a FAIL had arrived when the write failed depends on timing.
    EXPECT_TRUE(full.exit_code == 2 || full.exit_code == 3) << format << "\n" << Describe(full);
    EXPECT_THAT(full.err, HasSubstr("No space left on device")) << format;
  }
  const ProcessResult closed = testing::Run({"/bin/sh", "-c", scan + " --format jsonl >&-"});
  EXPECT_EQ(closed.exit_code, 1) << Describe(closed);
  EXPECT_THAT(closed.err, Not(HasSubstr("cannot write")));
}

// Scanning nothing (an empty export, an empty pipe) is not "no findings".
TEST(KmsguardScanTest, AnInputWithNothingToScanExitsTwo) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const ProcessResult empty = Kmsguard(
      {"scan", dir.Write("empty.json", R"({"UserDetailList": [], "RoleDetailList": []})")});
  EXPECT_EQ(empty.exit_code, 2) << Describe(empty);
  EXPECT_THAT(empty.err, HasSubstr("nothing scanned"));
  const ProcessResult piped = testing::Run(
      {"/bin/sh", "-c", "printf '' | '" + std::string(KMSGUARD_BINARY) + "' scan /dev/stdin"});
  EXPECT_EQ(piped.exit_code, 2) << Describe(piped);
}

TEST(KmsguardScanTest, NothingFailingExitsZero) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write("snapshot.json", Snapshot({{"s3-only", kS3Only}}));
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  const ProcessResult shown = Kmsguard({"scan", file, "--show-pass"});
  EXPECT_EQ(shown.exit_code, 0) << Describe(shown);
  EXPECT_THAT(shown.out, HasSubstr("s3-only"));
}

TEST(KmsguardScanTest, NonJsonFileExitsTwoNamingTheFileAndLine) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write("broken.json", "{\n  \"RoleDetailList\": [\n    oops\n");
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file + ":3:"));
  EXPECT_THAT(r.out, IsEmpty()) << "nothing was scanned, so nothing is rendered";
}

TEST(KmsguardScanTest, MissingFileExitsTwo) {
  const std::string file = "/nonexistent/kmsguard/snapshot.json";
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_THAT(r.err, HasSubstr("No such file"));
}

TEST(KmsguardScanTest, AnUnreadableEntryMakesTheScanIncompleteWhetherOrNotSomethingFails) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  // A policy document that is not JSON: the rule cannot be evaluated (ERROR, never PASS).
  const std::string error_only =
      dir.Write("error.json", Snapshot({{"garbled", "{not a policy"}, {"s3-only", kS3Only}}));
  const ProcessResult r = Kmsguard({"scan", error_only});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("[eval_error]"));
  EXPECT_THAT(r.err, HasSubstr("garbled"));

  const std::string with_fail =
      dir.Write("fail.json", Snapshot({{"garbled", "{not a policy"}, {"star", kKmsStar}}));
  const ProcessResult f = Kmsguard({"scan", with_fail});
  EXPECT_EQ(f.exit_code, 3) << Describe(f);  // a FAIL, and a policy not judged
  EXPECT_THAT(f.err, HasSubstr("[eval_error]"));
}

// The exit status's two bits through the binary: a complete scan with and without a FAIL, and
// --fail-on never, which keeps only the "incomplete" bit (a CI that gates on partial scans only).
TEST(KmsguardScanTest, FailOnDecidesTheFailureBitAndNeverHidesAnIncompleteScan) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string clean = dir.Write("clean.json", Snapshot({{"s3-only", kS3Only}}));
  const std::string failing = dir.Write("failing.json", Snapshot({{"star", kKmsStar}}));
  const std::string both =
      dir.Write("both.json", Snapshot({{"garbled", "{not a policy"}, {"star", kKmsStar}}));
  EXPECT_EQ(Kmsguard({"scan", clean}).exit_code, 0);
  EXPECT_EQ(Kmsguard({"scan", failing}).exit_code, 1);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "never", failing}).exit_code, 0);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "warning", failing}).exit_code, 1);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "never", both}).exit_code, 2);
  EXPECT_EQ(Kmsguard({"scan", both}).exit_code, 3);
  for (const char* wrong : {"HIGH", "severe", "high,medium", "fail,warning", "never,high", ""}) {
    const ProcessResult bad = Kmsguard({"scan", "--fail-on", wrong, clean});
    EXPECT_EQ(bad.exit_code, 2) << wrong << ": " << Describe(bad);
    EXPECT_THAT(bad.err, HasSubstr("--fail-on")) << wrong;
  }
}

// --fail-on SEVERITY counts the findings of that severity or above, by the severity each output
// shows: the rule's own (medium for an inline policy's `kms:*` on `*`) or the one exposure raised
// (the bundled example's role that every principal of the account may assume is high).
TEST(KmsguardScanTest, FailOnASeverityCountsThatSeverityAndAbove) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string medium = dir.Write("medium.json", Snapshot({{"star", kKmsStar}}));
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "low", medium}).exit_code, 1);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "medium", medium}).exit_code, 1);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "high", medium}).exit_code, 0);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "fail,high", medium}).exit_code, 0);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "high,warning", medium}).exit_code, 0);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "warning,medium", medium}).exit_code, 1);

  const std::string example = BundledExample();
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "high", example}).exit_code, 1);
  EXPECT_EQ(Kmsguard({"scan", "--fail-on", "critical", example}).exit_code, 0);
  // The table asks the plugin for no PASS findings; the count is the same.
  EXPECT_EQ(Kmsguard({"scan", "--format", "jsonl", "--fail-on", "critical", example}).exit_code, 0);
}

TEST(KmsguardScanTest, UsageErrorsExitTwoAndHelpDocumentsTheExitStatus) {
  EXPECT_EQ(Kmsguard({"scan"}).exit_code, 2);
  EXPECT_EQ(Kmsguard({"scan", BundledExample(), "--format", "xml"}).exit_code, 2);
  const ProcessResult unknown = Kmsguard({"frobnicate", "x.json"});
  EXPECT_EQ(unknown.exit_code, 2);
  // Named, not "A subcommand is required".
  EXPECT_THAT(unknown.err, HasSubstr("unknown command \"frobnicate\""));
  EXPECT_THAT(unknown.err, HasSubstr("scan, serve, check, test, eval and schema"));
  EXPECT_EQ(Kmsguard({}).exit_code, 2);
  EXPECT_EQ(Kmsguard({"--version"}).exit_code, 0);
  const ProcessResult help = Kmsguard({"scan", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit status"));
  EXPECT_THAT(help.out, HasSubstr("1  a FAIL finding"));
  EXPECT_THAT(help.out, HasSubstr("3 incomplete with failures"));
}

TEST(KmsguardScanTest, RulesDirectoryIsPassedToThePluginAndBrokenFilesAreReported) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules_dir = dir.path() + "/rules";
  std::filesystem::create_directory(rules_dir);
  const std::string broken = rules_dir + "/broken.yaml";
  std::ofstream(broken) << "api_version: kmsguard/v1\nid: [oops\n";
  const std::string file = dir.Write("snapshot.json", Snapshot({{"star", kKmsStar}}));
  const ProcessResult r = Kmsguard({"scan", file, "--rules", rules_dir});
  // A broken rule file makes the scan incomplete (bit 2), and the rules that loaded still ran and
  // found the FAIL (bit 1): neither hides the other.
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_THAT(r.err, ::testing::ContainsRegex(broken + ":[0-9]+:[0-9]+: error: "));
  EXPECT_THAT(r.err,
              HasSubstr("8 rule(s) loaded (8 built-in, 1 rule file(s) read); 1 rule error(s)"));
  EXPECT_THAT(r.out, HasSubstr("star"));
}

TEST(KmsguardScanTest, RulesDirectoryAcceptsYmlFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules_dir = dir.path() + "/rules";
  std::filesystem::create_directory(rules_dir);
  std::string rule =
      testing::ReadFile(std::string(KMSGUARD_SOURCE_DIR) + "/rules/" + kRuleId + ".yaml");
  rule.replace(rule.find(std::string("id: ") + kRuleId), 4 + std::string(kRuleId).size(),
               "id: custom-yml-rule");
  std::ofstream(rules_dir + "/custom.yml") << rule;
  const std::string file = dir.Write("snapshot.json", Snapshot({{"star", kKmsStar}}));
  const ProcessResult r = Kmsguard({"scan", "--format", "json", file, "--rules", rules_dir});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("9 rule(s) loaded (8 built-in, 1 rule file(s) read)"));
  EXPECT_THAT(r.out, HasSubstr("custom-yml-rule"));
}

// Issue 18: --rules took only a directory.
TEST(KmsguardScanTest, RulesTakesOneRuleFileToo) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rule = dir.Write(
      "one-rule.yaml",
      testing::RoleRuleYaml("custom-single-file", "equals: {path: $.name, value: ec2-app-server}",
                            "{{resource.name}} is named"));
  const ProcessResult r =
      Kmsguard({"scan", "--format", "jsonl", "--rules", rule, BundledExample()});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("9 rule(s) loaded (8 built-in, 1 rule file(s) read)"));
  EXPECT_THAT(r.out, HasSubstr("ec2-app-server is named"));

  // A rule test file is not a rule file.
  const std::string test = dir.Write("one-rule.test.yaml", "api_version: kmsguard/v1\n");
  const ProcessResult t = Kmsguard({"scan", "--rules", test, BundledExample()});
  EXPECT_EQ(t.exit_code, 2) << Describe(t);
  EXPECT_THAT(t.err, HasSubstr("is a rule test file"));
}

// CLI11 let a repeatable option take every word up to the positionals: `scan --rules R.yaml
// a.json b.json` read a.json as a rule file and scanned b.json only, and --parameter swallowed
// inputs the same way. Each repeatable option takes one value per flag, and repeats add up.
TEST(KmsguardScanTest, ARepeatableOptionTakesOneValueAndLeavesTheInputsToScan) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rule = dir.Write(
      "named.yaml", testing::RoleRuleYaml("custom-named", "equals: {path: $.name, value: alpha}",
                                          "{{resource.name}} is named"));
  const std::string other = dir.Write(
      "other.yaml", testing::RoleRuleYaml("custom-other", "equals: {path: $.name, value: beta}",
                                          "{{resource.name}} is other"));
  const std::string a = dir.Write("a.json", Snapshot({{"alpha", kKmsStar}}));
  const std::string b = dir.Write("b.json", Snapshot({{"beta", kKmsStar}}));

  const ProcessResult one = Kmsguard({"scan", "--format", "jsonl", "--rules", rule, a, b});
  EXPECT_EQ(one.exit_code, 1) << Describe(one);
  EXPECT_THAT(one.err, HasSubstr("9 rule(s) loaded (8 built-in, 1 rule file(s) read)"));
  EXPECT_THAT(one.out, HasSubstr("alpha is named"));
  EXPECT_THAT(one.out, HasSubstr("\"beta\"")) << "b.json was not scanned";

  const ProcessResult two =
      Kmsguard({"scan", "--format", "jsonl", "--rules", rule, "--rules", other, a, b});
  EXPECT_EQ(two.exit_code, 1) << Describe(two);
  EXPECT_THAT(two.err, HasSubstr("10 rule(s) loaded (8 built-in, 2 rule file(s) read)"));
  EXPECT_THAT(two.out, HasSubstr("alpha is named"));
  EXPECT_THAT(two.out, HasSubstr("beta is other"));

  const ProcessResult parameter =
      Kmsguard({"scan", "--format", "jsonl", "--parameter", "Env=prod", a, b});
  EXPECT_THAT(parameter.out, HasSubstr("\"alpha\"")) << Describe(parameter);
  EXPECT_THAT(parameter.out, HasSubstr("\"beta\"")) << Describe(parameter);
  EXPECT_THAT(parameter.err, Not(HasSubstr("expected NAME=VALUE")));
}

TEST(KmsguardServeTest, RefusesANonLoopbackAddress) {
  const ProcessResult r = Kmsguard({"serve", "--listen", "0.0.0.0:50051"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("TLS"));
}

TEST(KmsguardServeTest, ServesUntilSigtermThenExitsCleanlyWithStdoutEmpty) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string socket = dir.File("plugin.sock");
  testing::Process serve({KMSGUARD_BINARY, "serve", "--listen", "unix:" + socket}, dir, "serve");
  ASSERT_GT(serve.pid(), 0);
  {
    // Closed before SIGTERM: the server drains open connections for up to its grace period.
    client::PluginClient plugin_client("unix:" + socket);
    ASSERT_TRUE(plugin_client.WaitForServing(std::chrono::seconds(10)).ok());
    absl::StatusOr<client::PluginInfo> info = plugin_client.GetPluginInfo();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_THAT(info->rules, Not(IsEmpty()));
  }

  serve.Signal(SIGTERM);
  const auto stopping = std::chrono::steady_clock::now();
  const ProcessResult r = serve.Wait(std::chrono::seconds(15));
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(4))
      << "shutdown should not wait out the grace period with no call in flight";
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("listening on unix:" + socket));
  EXPECT_FALSE(std::filesystem::exists(socket));
}

// "us-east-1", "ap-northeast-2", ... (std::regex trips a GCC 12 warning under the sanitizers).
bool IsRegionName(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dash; (dash = text.find('-', start)) != std::string::npos; start = dash + 1) {
    parts.push_back(text.substr(start, dash - start));
  }
  parts.push_back(text.substr(start));
  const auto all = [](const std::string& part, int (*test)(int)) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [test](char c) {
      return test(static_cast<unsigned char>(c)) != 0;
    });
  };
  if (parts.size() < 3 || parts.front().size() != 2 || !all(parts.back(), std::isdigit)) {
    return false;
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!all(parts[i], std::islower)) return false;
  }
  return true;
}

// Reference results on public sample exports (../shared/samples; skipped when absent).
class SharedSampleTest : public ::testing::Test {
 protected:
  void SetUp() override { KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES(); }
};

TEST_F(SharedSampleTest, CloudsplainingExampleFailsExactlyTheSixteenQuickSetupRoles) {
  const std::string file = Sample("aws-gaad_cloudsplaining_example.json");
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " not present";
  const ProcessResult r = Kmsguard({"scan", file, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  const std::vector<std::string> failing = FailingNames(ParseOcsf(r), kRuleId);
  EXPECT_EQ(failing.size(), 16u);
  const std::string prefix = "AWS-QuickSetup-EnableCRecording-1clff_";
  std::set<std::string> distinct;
  for (const auto& name : failing) {
    EXPECT_TRUE(name.starts_with(prefix) && IsRegionName(name.substr(prefix.size()))) << name;
    distinct.insert(name);
  }
  EXPECT_EQ(distinct.size(), failing.size()) << "one FAIL per role";

  // KMS.1: of 84 managed policies, 38 AWS managed give no finding; four customer managed ones
  // allow kms:Decrypt on "*" in their default version (Action "*" three times, NotAction once).
  const nlohmann::json findings = ParseOcsf(r);
  std::vector<std::string> managed = FailingNames(findings, kManagedRuleId);
  std::sort(managed.begin(), managed.end());
  EXPECT_EQ(managed, (std::vector<std::string>{"fn4-exploitableNotAction", "fp2-allow-all",
                                               "privesc-AssumeRole-high-priv-policy",
                                               "privesc-high-priv-service-policy"}));
  EXPECT_THAT(FailingNames(findings, kBroadRuleId), IsEmpty());
  EXPECT_EQ(findings.size(), 2u * (44 + 5 + 78) + 46u);
}

TEST_F(SharedSampleTest, CloudmapperDemoFailsOnlyBadRole) {
  const std::string file = Sample("aws-gaad_cloudmapper_demo.json");
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " not present";
  const ProcessResult r = Kmsguard({"scan", file, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  const nlohmann::json findings = ParseOcsf(r);
  EXPECT_THAT(FailingNames(findings, kRuleId), ::testing::ElementsAre("bad_role"));
  EXPECT_THAT(FailingNames(findings, kManagedRuleId), IsEmpty());
  EXPECT_THAT(FailingNames(findings, kBroadRuleId), IsEmpty());
  for (const auto& item : findings) {
    if (item["status_code"] == "FAIL") {
      EXPECT_EQ(item["severity"], "High") << "bad_role trusts {\"AWS\": \"*\"}";
    }
  }
}

}  // namespace
}  // namespace kmsguard
