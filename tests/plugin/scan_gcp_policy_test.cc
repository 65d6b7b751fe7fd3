// `kmsguard scan --gcp-policy RESOURCE=FILE`: `gcloud … get-iam-policy --format=json` output, which
// does not name the resource it is attached to, read with the resource the command line gives
// (adapters::ReadGcloudIamPolicy), judged by the Google Cloud rules and joined with the scan's
// other Google Cloud inputs; and the errors: such output given as a FILE, a RESOURCE that names
// no organization, folder, project, key ring or key.
//
// Expected verdicts follow docs/gcp-kms-semantics.md: roles/owner and
// roles/cloudkms.cryptoKeyDecrypter hold cloudkms.cryptoKeyVersions.useToDecrypt, roles/viewer and
// roles/cloudkms.admin do not (the latter holds cloudkms.cryptoKeys.setIamPolicy: escalation); a
// project binding reaches every key below it (gcp-kms-decrypt-broad-scope, FAIL); a binding on
// one key is no finding of any rule; answers name a project by number once the scan joins its id
// to its number.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::ProcessResult;
using Json = nlohmann::json;
using Pointer = Json::json_pointer;

using testing::Kmsguard;

// The messages of the findings of `rule` with `status` in OCSF output, sorted.
std::vector<std::string> Messages(const std::string& ocsf, const std::string& rule,
                                  const std::string& status) {
  std::vector<std::string> out;
  const Json findings = Json::parse(ocsf, nullptr, /*allow_exceptions=*/false);
  if (!findings.is_array()) return {"<not an OCSF list>"};
  for (const Json& item : findings) {
    if (item.value("status_code", "") != status) continue;
    if (item.value(Pointer("/finding_info/analytic/uid"), "") != rule) continue;
    out.push_back(item.value("message", ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// As `gcloud projects get-iam-policy acme --format=json` prints it (version 3, an etag).
constexpr char kProjectPolicy[] = R"json({
  "bindings": [
    {"members": ["user:ana@example.com"], "role": "roles/owner"},
    {"members": ["group:ops@example.com"], "role": "roles/cloudkms.cryptoKeyDecrypter"},
    {"members": ["user:vic@example.com"], "role": "roles/viewer"},
    {"members": ["user:adm@example.com"], "role": "roles/cloudkms.admin"}
  ],
  "etag": "BwXa1b2c3d4=",
  "version": 3
})json";

constexpr char kDecrypt[] = "cloudkms.cryptoKeyVersions.useToDecrypt";

TEST(ScanGcpPolicyTest, AProjectPolicyFailsForOwnerAndDecrypterOnly) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policy = dir.Write("acme-policy.json", kProjectPolicy);
  const ProcessResult r =
      Kmsguard({"scan", "--gcp-policy", "projects/acme=" + policy, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_THAT(r.err, Not(HasSubstr("error:"))) << r.err;
  EXPECT_THAT(
      Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL"),
      ElementsAre(
          HasSubstr(std::string("group:ops@example.com via roles/cloudkms.cryptoKeyDecrypter "
                                "holds ") +
                    kDecrypt + " at projects/acme"),
          HasSubstr(std::string("user:ana@example.com via roles/owner holds ") + kDecrypt +
                    " at projects/acme")));
  // roles/cloudkms.admin cannot decrypt but can grant itself decrypt (escalation); so can owner.
  EXPECT_THAT(Messages(r.out, "gcp-kms-access-escalation", "FAIL"),
              ElementsAre(HasSubstr("user:adm@example.com via roles/cloudkms.admin"),
                          HasSubstr("user:ana@example.com via roles/owner")));
  EXPECT_THAT(r.out, Not(HasSubstr("user:vic@example.com")));
  // Each finding names the binding's place in the file it was read from.
  EXPECT_THAT(r.out, HasSubstr("acme-policy.json#/bindings/0"));
  EXPECT_THAT(r.out, HasSubstr("acme-policy.json#/bindings/3"));
}

// A decrypter bound on one key is the narrow grant Cloud KMS recommends: no rule fails it, and the
// project (given by its full name, from standard input, gzip-compressed) passes.
TEST(ScanGcpPolicyTest, AKeyScopedPolicyPasses) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string key = dir.Write("key-policy.json", R"json({"bindings": [
    {"members": ["serviceAccount:app@acme.iam.gserviceaccount.com"],
     "role": "roles/cloudkms.cryptoKeyDecrypter"}], "etag": "BwX1", "version": 1})json");
  const std::string project = dir.Write("project-policy.json", R"json({"bindings": [
        {"members": ["user:vic@example.com"], "role": "roles/viewer"}], "etag": "BwX2"})json");
  const ProcessResult r =
      testing::Shell("gzip -c '" + project + "' | '" + KMSGUARD_BINARY +
                     "' scan --format ocsf --gcp-policy "
                     "projects/acme/locations/eu/keyRings/ring/cryptoKeys/k=" +
                     key + " --gcp-policy //cloudresourcemanager.googleapis.com/projects/acme=-");
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL"), IsEmpty());
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-broad-scope", "PASS"),
              ElementsAre(HasSubstr("project acme grants no member")));
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-key-ring", "FAIL"), IsEmpty());
  EXPECT_THAT(r.out, Not(HasSubstr("serviceAccount:app@acme.iam.gserviceaccount.com")));
}

// The project policy names the project by id; a Cloud Asset Inventory `resource` export names it
// by number and says which id it has: one scan joins them (answers name the project by number),
// and the export's key is counted below the project; the organization's policy, given by its own
// --gcp-policy, is its own scope.
TEST(ScanGcpPolicyTest, JoinsWithAResourceExportOfTheSameScan) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policy = dir.Write("acme-policy.json", kProjectPolicy);
  const std::string org = dir.Write(
      "org-policy.json",
      R"json({"bindings": [{"members": ["user:cfo@example.com"], "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter"}]})json");
  const std::string resources = dir.Write(
      "resources.ndjson",
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/731","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"parent":"//cloudresourcemanager.googleapis.com/organizations/9","data":{"projectId":"acme","projectNumber":"731","parent":{"type":"organization","id":"9"}}},"ancestors":["projects/731","organizations/9"]})json"
      "\n"
      R"json({"name":"//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/ring/cryptoKeys/k","asset_type":"cloudkms.googleapis.com/CryptoKey","resource":{"parent":"//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/ring","data":{"purpose":"ENCRYPT_DECRYPT"}},"ancestors":["projects/731","organizations/9"]})json"
      "\n");
  const ProcessResult r = Kmsguard({"scan", resources, "--gcp-policy", "projects/acme=" + policy,
                                    "--gcp-policy", "organizations/9=" + org, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL"),
              ElementsAre(HasSubstr("group:ops@example.com via roles/cloudkms.cryptoKeyDecrypter "
                                    "holds cloudkms.cryptoKeyVersions.useToDecrypt at "
                                    "projects/731"),
                          HasSubstr("user:ana@example.com via roles/owner holds "
                                    "cloudkms.cryptoKeyVersions.useToDecrypt at projects/731"),
                          HasSubstr("user:cfo@example.com via "
                                    "roles/cloudkms.cryptoKeyEncrypterDecrypter holds "
                                    "cloudkms.cryptoKeyVersions.useToDecrypt at organizations/9")));
  EXPECT_THAT(r.out, HasSubstr("projects/acme/locations/eu/keyRings/ring/cryptoKeys/k"));
}

TEST(ScanGcpPolicyTest, APolicyGivenAsAFileSaysWhichOptionToUse) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policy = dir.Write("policy.json", kProjectPolicy);
  const std::string empty = dir.Write("empty-policy.json", R"({"etag": "ACAB"})");
  for (const std::string& file : {policy, empty}) {
    const ProcessResult r = Kmsguard({"scan", file});
    EXPECT_EQ(r.exit_code, 2) << testing::DescribeRun(r);
    EXPECT_THAT(r.err, HasSubstr(file + ": error: "));
    EXPECT_THAT(r.err, HasSubstr("get-iam-policy"));
    EXPECT_THAT(r.err, HasSubstr("does not name the resource it is attached to"));
    EXPECT_THAT(r.err, HasSubstr("--gcp-policy RESOURCE=" + file));
    EXPECT_THAT(r.err, Not(HasSubstr("unknown snapshot format")));
  }
}

TEST(ScanGcpPolicyTest, AResourceThatIsNoScopeIsAUsageError) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policy = dir.Write("policy.json", kProjectPolicy);
  for (const std::string& value :
       {"buckets/b=" + policy, "projects/acme/locations/eu=" + policy,
        "//storage.googleapis.com/projects/_/buckets/b=" + policy,
        "projects/acme/locations/eu/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1=" + policy}) {
    const ProcessResult r = Kmsguard({"scan", "--gcp-policy", value});
    EXPECT_EQ(r.exit_code, 2) << value << "\n" << testing::DescribeRun(r);
    EXPECT_THAT(r.err, HasSubstr("--gcp-policy")) << value;
    EXPECT_THAT(r.err, HasSubstr("RESOURCE is where the policy is attached")) << value;
    EXPECT_THAT(r.out, IsEmpty());
  }
  // The right shape with a name no resource can have: an organization or folder not by number, a
  // project id that starts with a digit or holds a space, a key ring name with a space.
  for (const std::string resource :
       {"organizations/abc", "folders/-1", "projects/1abc", "projects/a b", "projects/acme-",
        "projects/acme/locations/eu/keyRings/r g"}) {
    const ProcessResult r = Kmsguard({"scan", "--gcp-policy", resource + "=" + policy});
    EXPECT_EQ(r.exit_code, 2) << resource << "\n" << testing::DescribeRun(r);
    EXPECT_THAT(r.err, HasSubstr("RESOURCE \"" + resource + "\" names no resource: ")) << resource;
    EXPECT_THAT(r.out, IsEmpty());
  }
  // Numbers, ids (a legacy domain-scoped one too) and key names that can exist are taken.
  for (const std::string resource :
       {"organizations/9", "folders/40", "projects/731", "projects/example.com:acme-data",
        "projects/acme/locations/eu/keyRings/ring_1/cryptoKeys/key-2"}) {
    EXPECT_NE(Kmsguard({"scan", "--gcp-policy", resource + "=" + policy}).exit_code, 2) << resource;
  }
  const ProcessResult no_equals = Kmsguard({"scan", "--gcp-policy", policy});
  EXPECT_EQ(no_equals.exit_code, 2) << testing::DescribeRun(no_equals);
  EXPECT_THAT(no_equals.err, HasSubstr("expected RESOURCE=FILE"));
  const ProcessResult nothing = Kmsguard({"scan"});
  EXPECT_EQ(nothing.exit_code, 2) << testing::DescribeRun(nothing);
  EXPECT_THAT(nothing.err, HasSubstr("nothing to scan"));
}

// A file that is not a policy (here a Cloud Asset Inventory line) is not read as one that grants
// nothing; a missing file is named; either way the other inputs are still scanned.
TEST(ScanGcpPolicyTest, AFileThatIsNoPolicyIsAnErrorAndTheRestIsScanned) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string policy = dir.Write("policy.json", kProjectPolicy);
  const std::string asset = dir.Write(
      "asset.json",
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/1","asset_type":"cloudresourcemanager.googleapis.com/Project"})json");
  const ProcessResult r = Kmsguard(
      {"scan", "--format", "ocsf", "--gcp-policy", "projects/other=" + asset, "--gcp-policy",
       "projects/gone=" + dir.File("missing.json"), "--gcp-policy", "projects/acme=" + policy});
  EXPECT_EQ(r.exit_code, 3) << testing::DescribeRun(
      r);  // failures found, and the scan is incomplete
  EXPECT_THAT(r.err, HasSubstr(asset + "#/asset_type: error: not `gcloud … get-iam-policy"));
  EXPECT_THAT(r.err, HasSubstr("missing.json"));
  EXPECT_EQ(Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL").size(), 2u);
  EXPECT_THAT(r.out, Not(HasSubstr("projects/other")));
}

// `gcloud asset search-all-iam-policies --format=json` output, detected from its content: the
// organization's decrypter and the folder's owner reach every key below them (FAIL), the project
// binds only a viewer (PASS), and the key's decrypter is the narrow grant (no finding).
TEST(ScanGcpPolicyTest, SearchResultsFailAtTheOrganizationAndFolderAndNotAtTheKey) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string search = dir.Write("search.json", R"json([
{"resource":"//cloudresourcemanager.googleapis.com/organizations/9","assetType":"cloudresourcemanager.googleapis.com/Organization","organization":"organizations/9","policy":{"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["user:org@acme.example"]}]}},
{"resource":"//cloudresourcemanager.googleapis.com/folders/40","assetType":"cloudresourcemanager.googleapis.com/Folder","folders":["folders/40"],"organization":"organizations/9","policy":{"bindings":[{"role":"roles/owner","members":["group:fold@acme.example"]}]}},
{"resource":"//cloudresourcemanager.googleapis.com/projects/acme-data","assetType":"cloudresourcemanager.googleapis.com/Project","project":"projects/731","folders":["folders/40"],"organization":"organizations/9","policy":{"bindings":[{"role":"roles/viewer","members":["user:vic@acme.example"]}]}},
{"resource":"//cloudkms.googleapis.com/projects/acme-data/locations/eu/keyRings/ring/cryptoKeys/k","assetType":"cloudkms.googleapis.com/CryptoKey","project":"projects/731","folders":["folders/40"],"organization":"organizations/9","policy":{"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["serviceAccount:app@acme-data.iam.gserviceaccount.com"]}]}}
])json");
  const ProcessResult r = Kmsguard({"scan", search, "--format", "ocsf", "--show-pass"});
  ASSERT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_THAT(r.err, Not(HasSubstr("error:"))) << r.err;
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL"),
              ElementsAre(HasSubstr("group:fold@acme.example via roles/owner holds "
                                    "cloudkms.cryptoKeyVersions.useToDecrypt at folders/40"),
                          HasSubstr("user:org@acme.example via roles/cloudkms.cryptoKeyDecrypter "
                                    "holds cloudkms.cryptoKeyVersions.useToDecrypt at "
                                    "organizations/9")));
  EXPECT_THAT(Messages(r.out, "gcp-kms-decrypt-broad-scope", "PASS"),
              ElementsAre(HasSubstr("project acme-data grants no member")));
  EXPECT_THAT(r.out, Not(HasSubstr("serviceAccount:app@acme-data.iam.gserviceaccount.com via")));
  // A finding names the binding's place in the search output.
  EXPECT_THAT(r.out, HasSubstr("granted at " + search + "#/0/policy/bindings/0"));
  EXPECT_THAT(r.out, HasSubstr("granted at " + search + "#/1/policy/bindings/0"));

  // --input-format names it too; forced on other JSON, it says what it expected.
  EXPECT_EQ(Kmsguard({"scan", "--input-format", "gcp-iam-search", search}).exit_code, 1);
  const std::string other = dir.Write("other.json", R"({"users": []})");
  const ProcessResult wrong = Kmsguard({"scan", "--input-format", "gcp-iam-search", other});
  EXPECT_EQ(wrong.exit_code, 2) << testing::DescribeRun(wrong);
  EXPECT_THAT(wrong.err, HasSubstr("search-all-iam-policies"));
}

// One project's allow policy read from five inputs, under both spellings of its name and in three
// formats: a CAI iam-policy export (by number, joined to the id by the resource export), the same
// policy given by --gcp-policy (by id), and three Terraform plans that each add a member (by id,
// and twice by number, as the export names it). They are parts of one policy, not copies: each
// member that may decrypt fails once, none is dropped as a duplicate, and the finding says which
// inputs the policy was read from. (Before, the plans by number were ignored as duplicates of the
// export, missing their members, and the other spellings repeated every finding.)
TEST(ScanGcpPolicyTest, OneScopeReadFromSeveralInputsIsJudgedOnceWithTheUnionOfItsBindings) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string resources = dir.Write(
      "resources.ndjson",
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/731","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"parent":"//cloudresourcemanager.googleapis.com/organizations/9","data":{"projectId":"acme","projectNumber":"731","parent":{"type":"organization","id":"9"}}},"ancestors":["projects/731","organizations/9"]})json"
      "\n");
  const std::string export_file = dir.Write(
      "policies.ndjson",
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/731","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"version":1,"bindings":[{"role":"roles/owner","members":["user:ana@example.com"]},{"role":"roles/cloudkms.admin","members":["user:adm@example.com"]}]},"ancestors":["projects/731","organizations/9"]})json"
      "\n");
  const std::string policy = dir.Write("acme-policy.json", kProjectPolicy);
  const auto plan = [&dir](const std::string& name, const std::string& project,
                           const std::string& role, const std::string& member) {
    const Json change = {{"address", "google_project_iam_member." + name},
                         {"mode", "managed"},
                         {"type", "google_project_iam_member"},
                         {"name", name},
                         {"change",
                          {{"actions", {"create"}},
                           {"after", {{"project", project}, {"role", role}, {"member", member}}},
                           {"after_unknown", Json::object()}}}};
    const Json document = {
        {"format_version", "1.2"}, {"terraform_version", "1.9.0"}, {"resource_changes", {change}}};
    return dir.Write(name + ".json", document.dump());
  };
  const std::string by_id = plan("new_owner", "acme", "roles/owner", "user:new@example.com");
  const std::string by_number =
      plan("auditor", "731", "roles/cloudkms.cryptoKeyDecrypter", "user:aud@example.com");
  const std::string by_number_again =
      plan("backup", "731", "roles/cloudkms.cryptoKeyEncrypterDecrypter",
           "serviceAccount:backup@acme.iam.gserviceaccount.com");
  const ProcessResult r =
      Kmsguard({"scan", resources, export_file, by_id, by_number, by_number_again, "--gcp-policy",
                "projects/acme=" + policy, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_THAT(r.err, Not(HasSubstr("duplicate_resource"))) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("error:"))) << r.err;
  const std::string at = std::string(" holds ") + kDecrypt + " at projects/731";
  EXPECT_THAT(
      Messages(r.out, "gcp-kms-decrypt-broad-scope", "FAIL"),
      ElementsAre(HasSubstr("group:ops@example.com via roles/cloudkms.cryptoKeyDecrypter" + at),
                  HasSubstr("serviceAccount:backup@acme.iam.gserviceaccount.com via "
                            "roles/cloudkms.cryptoKeyEncrypterDecrypter" +
                            at),
                  HasSubstr("user:ana@example.com via roles/owner" + at),
                  HasSubstr("user:aud@example.com via roles/cloudkms.cryptoKeyDecrypter" + at),
                  HasSubstr("user:new@example.com via roles/owner" + at)));
  // Ana is bound by the export and by the --gcp-policy file: one finding, both bindings in it.
  EXPECT_THAT(Messages(r.out, "gcp-kms-access-escalation", "FAIL"),
              ElementsAre(HasSubstr("user:adm@example.com via roles/cloudkms.admin"),
                          HasSubstr("user:ana@example.com via roles/owner"),
                          HasSubstr("user:new@example.com via roles/owner")));
  // The exposure says who each member is.
  EXPECT_THAT(r.out,
              HasSubstr("\"exposure\": \"group:ops@example.com (a Google group, whose members "
                        "the policy does not list) on every Cloud KMS key below "
                        "projects/731\""));
  EXPECT_THAT(r.out, HasSubstr("\"exposure\": \"serviceAccount:backup@acme.iam.gserviceaccount.com "
                               "(a service account) on every Cloud KMS key below projects/731\""));
  EXPECT_THAT(r.out, HasSubstr("granted at " + export_file + ":1"));
  EXPECT_THAT(r.out, HasSubstr("granted at " + policy + "#/bindings/0"));
  EXPECT_THAT(r.out, HasSubstr("the allow policy on projects/731 is read from 5 inputs and judged "
                               "as one policy, the union of their bindings: " +
                               export_file + ":1"));
  // (The plan is one line: its resources are at line 1.)
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         by_id + ":1:[0-9]+#/resource_changes/0/change/after "
                                 "\\(google_project_iam_member.new_owner\\) \\(as "
                                 "//cloudresourcemanager.googleapis.com/projects/acme\\)"));

  // The same files in another order give the same findings, uids included: which asset answers
  // for the scope does not depend on the order.
  const auto uids = [](const std::string& ocsf) {
    std::vector<std::string> out;
    const Json findings = Json::parse(ocsf, nullptr, /*allow_exceptions=*/false);
    for (const Json& item : findings) out.push_back(item.value(Pointer("/finding_info/uid"), ""));
    std::sort(out.begin(), out.end());
    return out;
  };
  const ProcessResult reversed =
      Kmsguard({"scan", by_id, "--gcp-policy", "projects/acme=" + policy, by_number_again,
                by_number, export_file, resources, "--format", "ocsf"});
  ASSERT_EQ(reversed.exit_code, 1) << testing::DescribeRun(reversed);
  EXPECT_FALSE(uids(r.out).empty());
  EXPECT_EQ(uids(reversed.out), uids(r.out));

  // The same export given twice is a copy: a warning, and still one finding per member.
  const ProcessResult twice =
      Kmsguard({"scan", resources, export_file, export_file, "--format", "ocsf"});
  ASSERT_EQ(twice.exit_code, 1) << testing::DescribeRun(twice);
  EXPECT_THAT(twice.err, HasSubstr("[duplicate_resource]"));
  EXPECT_THAT(Messages(twice.out, "gcp-kms-decrypt-broad-scope", "FAIL"),
              ElementsAre(HasSubstr("user:ana@example.com via roles/owner" + at)));
  EXPECT_THAT(twice.out, Not(HasSubstr("is read from")));
}

}  // namespace
}  // namespace kmsguard
