// Remediation as Terraform for gcp.grants and azure.grants (`evidence.terraform`), through the
// built-in rules, so the rules' templates are part of what is checked. The expected text is
// written from the semantics of sdk/engine/terraform_remediation.h and the providers'
// documentation (the google and azurerm resources' attribute names): a grant read from a
// Terraform plan names its resource address and the edit by resource kind; a grant read from a
// live export gets the narrow replacement as HCL; an ARM template's grant gets none.
#include "sdk/engine/terraform_remediation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/azure/inventory.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/scan_joins.h"
#include "tests/sdk/azure/azure_test_support.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(TerraformAddressTypeTest, ReadsTheResourceTypeOfAManagedResourceAddress) {
  EXPECT_EQ(TerraformAddressType("google_project_iam_member.ci"), "google_project_iam_member");
  EXPECT_EQ(
      TerraformAddressType("module.iam[0].module.inner.google_project_iam_binding.b[\"a.b\"]"),
      "google_project_iam_binding");
  EXPECT_EQ(TerraformAddressType("azurerm_role_assignment.kv[3]"), "azurerm_role_assignment");
  // Not the address of a managed resource.
  EXPECT_EQ(TerraformAddressType("data.google_iam_policy.admin"), "");
  EXPECT_EQ(TerraformAddressType("//cloudresourcemanager.googleapis.com/projects/acme"), "");
  EXPECT_EQ(TerraformAddressType("/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/"
                                 "vaults/kv"),
            "");
  EXPECT_EQ(TerraformAddressType(""), "");
  EXPECT_EQ(TerraformAddressType("module.m"), "");
}

// ---- Google Cloud ----------------------------------------------------------------------------

constexpr char kProject[] = "//cloudresourcemanager.googleapis.com/projects/acme";
constexpr char kRing[] = "//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/r";
constexpr char kOrg[] = "//cloudresourcemanager.googleapis.com/organizations/123";

// A CAI iam-policy asset (a live export) or, with sources in its bindings, the asset the
// Terraform reader makes for one scope (adapters/gcp_terraform.h).
model::Resource GcpAsset(const std::string& type, const std::string& name, json bindings) {
  model::Resource r;
  r.provider = "gcp";
  r.type = type;
  r.id = r.name = name;
  r.document = {{"name", name}, {"asset_type", type}, {"iam_policy", {{"bindings", bindings}}}};
  r.source.file = "test.json";
  return r;
}

json Binding(const std::string& role, std::vector<std::string> members) {
  return {{"role", role}, {"members", members}};
}

json TfBinding(const std::string& role, std::vector<std::string> members,
               const std::string& address, const std::string& pointer) {
  json b = Binding(role, std::move(members));
  b["source"] = {{"address", address}, {"json_pointer", pointer}};
  return b;
}

constexpr char kProjectType[] = "cloudresourcemanager.googleapis.com/Project";
constexpr char kRingType[] = "cloudkms.googleapis.com/KeyRing";
constexpr char kOrgType[] = "cloudresourcemanager.googleapis.com/Organization";
constexpr char kDecrypter[] = "roles/cloudkms.cryptoKeyDecrypter";

// The Terraform of the FAIL finding of `rule` on `resource` whose sub_key starts with `member`.
std::string TerraformFor(const std::string& rule, const model::Resource& resource,
                         const std::string& member) {
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(rule));
  for (const model::Finding& f : evaluator.Evaluate(resource)) {
    if (f.sub_key.rfind(member + " via ", 0) == 0) {
      EXPECT_TRUE(f.status == model::Status::kFail || f.status == model::Status::kWarning)
          << f.message;
      return f.remediation.terraform;
    }
  }
  ADD_FAILURE() << "no finding for " << member;
  return "";
}

TEST(GcpTerraformRemediationTest,
     ALiveProjectGrantGetsAKeyRingMemberToPasteAndTheResourceToRemove) {
  const model::Resource project = GcpAsset(
      kProjectType, kProject, json::array({Binding("roles/owner", {"user:dev@example.com"})}));
  EXPECT_EQ(
      TerraformFor("gcp-kms-decrypt-broad-scope", project, "user:dev@example.com"),
      "# Grant \"user:dev@example.com\" roles/cloudkms.cryptoKeyDecrypter on the key rings it "
      "needs instead of at \"projects/acme\":\n"
      "resource \"google_kms_key_ring_iam_member\" \"kms_decrypt\" {\n"
      "  key_ring_id = \"projects/acme/locations/<location>/keyRings/<key-ring>\"\n"
      "  role        = \"roles/cloudkms.cryptoKeyDecrypter\"\n"
      "  member      = \"user:dev@example.com\"\n"
      "}\n"
      "# If Terraform manages the binding at \"projects/acme\", remove the "
      "google_project_iam_member that binds \"user:dev@example.com\" to \"roles/owner\" (or "
      "remove \"user:dev@example.com\" from that role's google_project_iam_binding or "
      "google_project_iam_policy).");
}

// A policy read as version 1 names a conditional binding's role "ROLE_withcond_HASH": neither
// gcloud nor Terraform knows that name. The command names ROLE and removes the binding whatever
// its hidden condition (--all); the Terraform names ROLE. A visible condition is named instead.
TEST(GcpTerraformRemediationTest, AWithcondRoleIsRemovedByItsOwnNameWhateverItsCondition) {
  const model::Resource project =
      GcpAsset(kProjectType, kProject,
               json::array({Binding("roles/cloudkms.cryptoKeyDecrypter_withcond_0a1b2c3d",
                                    {"user:dev@example.com"})}));
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule("gcp-kms-decrypt-broad-scope"));
  const std::vector<model::Finding> findings = evaluator.Evaluate(project);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_TRUE(findings[0].conditional);
  EXPECT_EQ(findings[0].remediation.cli,
            "gcloud projects remove-iam-policy-binding 'acme' --member='user:dev@example.com' "
            "--role='roles/cloudkms.cryptoKeyDecrypter' --all");
  EXPECT_THAT(
      findings[0].remediation.terraform,
      HasSubstr("binds \"user:dev@example.com\" to \"roles/cloudkms.cryptoKeyDecrypter\" "));
  EXPECT_THAT(findings[0].remediation.terraform, Not(HasSubstr("withcond")));

  json conditional = Binding(kDecrypter, {"user:dev@example.com"});
  conditional["condition"] = {{"title", "office hours"}, {"expression", "request.time < x"}};
  const std::vector<model::Finding> visible =
      evaluator.Evaluate(GcpAsset(kProjectType, kProject, json::array({conditional})));
  ASSERT_EQ(visible.size(), 1u);
  EXPECT_THAT(visible[0].remediation.cli,
              HasSubstr("--role='roles/cloudkms.cryptoKeyDecrypter' "
                        "--condition='expression=request.time < x,title=office hours'"));
  EXPECT_THAT(visible[0].remediation.cli, Not(HasSubstr("--all")));

  // The same role bound with a hidden condition and without one: one --all command for it (a
  // second would find nothing to remove, fail, and stop the commands after it); another role's
  // unconditional binding, in a policy that holds conditions, names --condition=None, which gcloud
  // requires outside a terminal.
  const std::vector<model::Finding> both = evaluator.Evaluate(GcpAsset(
      kProjectType, kProject,
      json::array(
          {Binding("roles/cloudkms.cryptoKeyDecrypter_withcond_0a1b2c3d", {"user:dev@example.com"}),
           Binding(kDecrypter, {"user:dev@example.com"}),
           Binding("roles/owner", {"user:dev@example.com"})})));
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].remediation.cli,
            "gcloud projects remove-iam-policy-binding 'acme' --member='user:dev@example.com' "
            "--role='roles/cloudkms.cryptoKeyDecrypter' --all && "
            "gcloud projects remove-iam-policy-binding 'acme' --member='user:dev@example.com' "
            "--role='roles/owner' --condition=None");
}

TEST(GcpTerraformRemediationTest, ALiveKeyRingGrantIsNarrowedToAKey) {
  const model::Resource ring =
      GcpAsset(kRingType, kRing, json::array({Binding(kDecrypter, {"group:ops@example.com"})}));
  const std::string tf = TerraformFor("gcp-kms-decrypt-key-ring", ring, "group:ops@example.com");
  EXPECT_THAT(tf, HasSubstr("resource \"google_kms_crypto_key_iam_member\" \"kms_decrypt\" {\n"
                            "  crypto_key_id = "
                            "\"projects/acme/locations/eu/keyRings/r/cryptoKeys/<key>\"\n"
                            "  role          = \"roles/cloudkms.cryptoKeyDecrypter\"\n"
                            "  member        = \"group:ops@example.com\"\n}"));
  EXPECT_THAT(tf, HasSubstr("remove the google_kms_key_ring_iam_member that binds "
                            "\"group:ops@example.com\" to \"roles/cloudkms.cryptoKeyDecrypter\""));
}

TEST(GcpTerraformRemediationTest, AnIamMemberResourceIsRemovedThenTheNarrowGrantAdded) {
  const model::Resource project = GcpAsset(
      kProjectType, kProject,
      json::array({TfBinding("roles/owner", {"serviceAccount:ci@acme.iam.gserviceaccount.com"},
                             "google_project_iam_member.ci", "/resource_changes/0/change/after")}));
  EXPECT_EQ(TerraformFor("gcp-kms-decrypt-broad-scope", project,
                         "serviceAccount:ci@acme.iam.gserviceaccount.com"),
            "# Remove resource google_project_iam_member.ci: it binds "
            "\"serviceAccount:ci@acme.iam.gserviceaccount.com\" to \"roles/owner\" on "
            "\"projects/acme\".\n"
            "# Then, if \"serviceAccount:ci@acme.iam.gserviceaccount.com\" needs to decrypt, grant "
            "roles/cloudkms.cryptoKeyDecrypter on the key rings it needs:\n"
            "resource \"google_kms_key_ring_iam_member\" \"kms_decrypt\" {\n"
            "  key_ring_id = \"projects/acme/locations/<location>/keyRings/<key-ring>\"\n"
            "  role        = \"roles/cloudkms.cryptoKeyDecrypter\"\n"
            "  member      = \"serviceAccount:ci@acme.iam.gserviceaccount.com\"\n"
            "}");
}

TEST(GcpTerraformRemediationTest, AnIamBindingLosesTheMemberOrIsRemovedWhenItIsTheOnlyOne) {
  const model::Resource project = GcpAsset(
      kProjectType, kProject,
      json::array(
          {TfBinding(kDecrypter, {"user:a@example.com", "user:b@example.com"},
                     "google_project_iam_binding.kms", "/resource_changes/1/change/after"),
           TfBinding("roles/cloudkms.cryptoKeyEncrypterDecrypter", {"user:c@example.com"},
                     "google_project_iam_binding.ed", "/resource_changes/2/change/after")}));
  EXPECT_THAT(TerraformFor("gcp-kms-decrypt-broad-scope", project, "user:a@example.com"),
              testing::StartsWith("# In resource google_project_iam_binding.kms "
                                  "(\"roles/cloudkms.cryptoKeyDecrypter\" on \"projects/acme\"), "
                                  "remove \"user:a@example.com\" from members.\n"));
  EXPECT_THAT(TerraformFor("gcp-kms-decrypt-broad-scope", project, "user:c@example.com"),
              testing::StartsWith("# Remove resource google_project_iam_binding.ed: "
                                  "\"user:c@example.com\" is the only member it binds to "
                                  "\"roles/cloudkms.cryptoKeyEncrypterDecrypter\" on "
                                  "\"projects/acme\".\n"));
}

// A project named by number (as CAI names it) whose id the join knows: Cloud KMS names key rings
// with the project id, so the block to paste names it; an unjoined number stays a placeholder.
TEST(GcpTerraformRemediationTest, AProjectNamedByNumberIsNamedByItsJoinedIdInTheKeyRingId) {
  model::Resource project =
      GcpAsset(kProjectType, "//cloudresourcemanager.googleapis.com/projects/731",
               json::array({Binding("roles/owner", {"user:dev@example.com"})}));
  EXPECT_THAT(TerraformFor("gcp-kms-decrypt-broad-scope", project, "user:dev@example.com"),
              HasSubstr("key_ring_id = \"projects/<project>/locations/"));
  project.document["resource"] = {{"data", {{"projectId", "acme"}, {"projectNumber", "731"}}}};
  EXPECT_THAT(TerraformFor("gcp-kms-decrypt-broad-scope", project, "user:dev@example.com"),
              HasSubstr("key_ring_id = \"projects/acme/locations/<location>/keyRings/"));
}

TEST(GcpTerraformRemediationTest, AnIamPolicyLosesTheMemberFromTheRolesBindingInPolicyData) {
  const std::string address = "module.org.google_organization_iam_policy.main";
  const model::Resource org = GcpAsset(
      kOrgType, kOrg,
      json::array({TfBinding("roles/owner", {"user:a@example.com", "user:b@example.com"}, address,
                             "/resource_changes/4/change/after/policy_data/bindings/0"),
                   TfBinding(kDecrypter, {"user:d@example.com"}, address,
                             "/resource_changes/4/change/after/policy_data/bindings/1")}));
  const std::string a = TerraformFor("gcp-kms-decrypt-broad-scope", org, "user:a@example.com");
  EXPECT_THAT(a, testing::StartsWith(
                     "# In resource module.org.google_organization_iam_policy.main, remove "
                     "\"user:a@example.com\" from the binding for \"roles/owner\" in policy_data "
                     "(or in the data \"google_iam_policy\" that policy_data is read from).\n"));
  // An organization names no project: a placeholder.
  EXPECT_THAT(a, HasSubstr("key_ring_id = \"projects/<project>/locations/<location>/keyRings/"
                           "<key-ring>\""));
  EXPECT_THAT(TerraformFor("gcp-kms-decrypt-broad-scope", org, "user:d@example.com"),
              testing::StartsWith(
                  "# In resource module.org.google_organization_iam_policy.main, remove the "
                  "binding for \"roles/cloudkms.cryptoKeyDecrypter\" from policy_data (or from the "
                  "data \"google_iam_policy\" that policy_data is read from): "
                  "\"user:d@example.com\" is its only member.\n"));
}

TEST(GcpTerraformRemediationTest, AKeyRingIamMemberIsRemovedAndNarrowedToAKey) {
  const model::Resource ring =
      GcpAsset(kRingType, kRing,
               json::array({TfBinding(kDecrypter, {"user:k@example.com"},
                                      "google_kms_key_ring_iam_member.ring",
                                      "/resource_changes/0/change/after")}));
  const std::string tf = TerraformFor("gcp-kms-decrypt-key-ring", ring, "user:k@example.com");
  EXPECT_THAT(
      tf, testing::StartsWith("# Remove resource google_kms_key_ring_iam_member.ring: it binds "
                              "\"user:k@example.com\" to \"roles/cloudkms.cryptoKeyDecrypter\" on "
                              "\"projects/acme/locations/eu/keyRings/r\".\n"
                              "# Then, if \"user:k@example.com\" needs to decrypt, grant "
                              "roles/cloudkms.cryptoKeyDecrypter on the keys it needs:\n"
                              "resource \"google_kms_crypto_key_iam_member\""));
}

// setIamPolicy has no narrow decrypter replacement: only what to remove.
TEST(GcpTerraformRemediationTest, EscalationGrantsGetNoReplacement) {
  const model::Resource project = GcpAsset(
      kProjectType, kProject, json::array({Binding("roles/owner", {"user:o@example.com"})}));
  EXPECT_EQ(TerraformFor("gcp-kms-access-escalation", project, "user:o@example.com"),
            "# If Terraform manages the binding at \"projects/acme\", remove the "
            "google_project_iam_member that binds \"user:o@example.com\" to \"roles/owner\" (or "
            "remove \"user:o@example.com\" from that role's google_project_iam_binding or "
            "google_project_iam_policy).");
  const model::Resource tf_project = GcpAsset(
      kProjectType, kProject,
      json::array({TfBinding("roles/owner", {"user:o@example.com"}, "google_project_iam_member.o",
                             "/resource_changes/0/change/after")}));
  EXPECT_EQ(TerraformFor("gcp-kms-access-escalation", tf_project, "user:o@example.com"),
            "# Remove resource google_project_iam_member.o: it binds \"user:o@example.com\" to "
            "\"roles/owner\" on \"projects/acme\".");
}

// Members come from plans that IAM has not validated yet: every one is one HCL string, quotes,
// backslashes and template sequences escaped, and no newline of its own reaches the text.
TEST(GcpTerraformRemediationTest, HostileMembersAreQuotedForHcl) {
  const std::string hostile = "user:a\"b${x}%{y}\\z@example.com";
  const model::Resource project =
      GcpAsset(kProjectType, kProject, json::array({Binding("roles/owner", {hostile})}));
  const std::string tf = TerraformFor("gcp-kms-decrypt-broad-scope", project, hostile);
  EXPECT_THAT(tf, HasSubstr("  member      = \"user:a\\\"b$${x}%%{y}\\\\z@example.com\"\n"));
  EXPECT_THAT(tf, Not(HasSubstr("${x}\"")));

  const std::string newline = "user:x\"\n}\nresource \"null_resource\" \"evil\" {";
  const model::Resource tf_project = GcpAsset(
      kProjectType, kProject,
      json::array({TfBinding("roles/owner", {newline}, "google_project_iam_member.m[\"a\nb\"]",
                             "/resource_changes/0")}));
  const std::string edit = TerraformFor("gcp-kms-decrypt-broad-scope", tf_project, newline);
  EXPECT_THAT(edit, Not(HasSubstr("\nresource \"null_resource\"")));
  EXPECT_THAT(edit, HasSubstr("# Remove resource google_project_iam_member.m[\"a\\x0ab\"]: it "
                              "binds \"user:x\\\"\\n}\\nresource \\\"null_resource\\\" "
                              "\\\"evil\\\" {\" to"));
  EXPECT_THAT(edit, HasSubstr("  member      = \"user:x\\\"\\n}\\nresource \\\"null_resource\\\" "
                              "\\\"evil\\\" {\"\n"));
}

// ---- Azure ------------------------------------------------------------------------------------

using azure::test::BuiltinId;
using azure::test::kRg;
using azure::test::kSub;
using azure::test::kVault;

constexpr char kPrincipal[] = "5a5a0000-0000-0000-0000-000000000001";

// The Terraform of the one FAIL or WARNING finding of `rule` over the scan `resources`, on the
// resource `judged`.
std::string AzureTerraform(const std::string& rule, const std::vector<model::Resource>& resources,
                           std::size_t judged = 0) {
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(rule));
  const azure::InventoryResult joined = azure::BuildInventory(resources);
  const ScanJoins joins{nullptr, &joined.inventory};
  const std::vector<model::Finding> findings = evaluator.Evaluate(resources[judged], joins);
  EXPECT_EQ(findings.size(), 1u);
  if (findings.empty()) return "";
  EXPECT_TRUE(findings[0].status == model::Status::kFail ||
              findings[0].status == model::Status::kWarning)
      << findings[0].message;
  return findings[0].remediation.terraform;
}

// What adapters/azure_terraform.cc makes of a plan's resource: the address as id and source.
model::Resource FromPlan(model::Resource r, const std::string& address) {
  r.id = address;
  r.document["id"] = address;
  r.document["origin"] = {{"kind", "plan"}, {"format", "terraform"}};
  r.source.resource_id = address;
  r.source.json_pointer = "/resource_changes/0/change/after";
  return r;
}

TEST(AzureTerraformRemediationTest, ALiveAssignmentGetsAVaultScopedCryptoUserToPaste) {
  const model::Resource a =
      azure::test::Assignment(kSub, BuiltinId(azure::test::kCryptoOfficer), kPrincipal);
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {a}),
            std::string("# Assign Key Vault Crypto User at the vault or key \"") + kPrincipal +
                "\" needs instead of \"Key Vault Crypto Officer\" at \"" + kSub + "\":\n" +
                "resource \"azurerm_role_assignment\" \"key_vault_crypto\" {\n" +
                "  scope                = \"" + kSub +
                "/resourceGroups/<resource-group>/providers/Microsoft.KeyVault/vaults/<vault>\"\n" +
                "  role_definition_name = \"Key Vault Crypto User\"\n" +
                "  principal_id         = \"" + kPrincipal + "\"\n" + "}\n" +
                "# If Terraform manages the assignment at \"" + kSub +
                "\", remove the azurerm_role_assignment of \"Key Vault Crypto Officer\" with "
                "principal_id \"" +
                kPrincipal + "\".");
}

TEST(AzureTerraformRemediationTest, AVaultScopedAssignmentIsNarrowedToAKey) {
  const model::Resource a =
      azure::test::Assignment(kVault, BuiltinId(azure::test::kCryptoUser), kPrincipal);
  EXPECT_THAT(AzureTerraform("azure-keyvault-decrypt-every-key", {a}),
              HasSubstr(std::string("  scope                = \"") + kVault + "/keys/<key>\"\n"));
  // Unwrap alone: the service-encryption role is the least that holds it.
  const model::Resource unwrap =
      azure::test::Assignment(kVault, BuiltinId(azure::test::kServiceEncryptionUser), kPrincipal);
  EXPECT_THAT(AzureTerraform("azure-keyvault-decrypt-every-key", {unwrap}),
              HasSubstr("role_definition_name = \"Key Vault Crypto Service Encryption User\""));
}

TEST(AzureTerraformRemediationTest, APlanAssignmentIsRemovedOrItsScopeMoved) {
  const model::Resource a = FromPlan(
      azure::test::Assignment(kRg, BuiltinId(azure::test::kAdministrator, false), kPrincipal),
      "azurerm_role_assignment.kv_admin");
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {a}),
            std::string("# Remove resource azurerm_role_assignment.kv_admin (\"Key Vault "
                        "Administrator\" for \"") +
                kPrincipal + "\" at \"" + kRg +
                "\"), or narrow it to the vault or key that needs it:\n" +
                "#   scope                = \"" + kRg +
                "/providers/Microsoft.KeyVault/vaults/<vault>\"\n" +
                "#   role_definition_name = \"Key Vault Crypto User\"");
}

// Owner's "*" holds every action the escalation rule asks about.
TEST(AzureTerraformRemediationTest, APlanAssignmentThatMayGiveItselfAccessIsRemoved) {
  const model::Resource a =
      FromPlan(azure::test::Assignment(kSub, BuiltinId(azure::test::kOwner, false), kPrincipal),
               "azurerm_role_assignment.owner");
  EXPECT_EQ(AzureTerraform("azure-keyvault-access-escalation", {a}),
            std::string("# Remove resource azurerm_role_assignment.owner: role \"Owner\" at \"") +
                kSub + "\" lets \"" + kPrincipal +
                "\" change who may use the keys there "
                "(\"Microsoft.Authorization/roleAssignments/write\", "
                "\"Microsoft.KeyVault/vaults/write\", "
                "\"Microsoft.KeyVault/vaults/accessPolicies/write\").");
}

TEST(AzureTerraformRemediationTest, ATemplateAssignmentGetsNoTerraform) {
  model::Resource a =
      azure::test::Assignment(kSub, BuiltinId(azure::test::kCryptoUser), kPrincipal);
  a.document["origin"] = {{"kind", "template"}, {"format", "arm"}, {"api_version", "2022-04-01"}};
  EXPECT_THAT(AzureTerraform("azure-keyvault-decrypt-every-key", {a}), IsEmpty());
}

TEST(AzureTerraformRemediationTest, ALiveAccessPolicyNamesTheKeyPermissionsToKeep) {
  const model::Resource vault =
      azure::test::VaultResource(false, {{"kind", "live"}}, {"decrypt", "get", "list"});
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {vault}),
            "# If Terraform manages the access policies of vault \"kv-data\", remove \"Decrypt\" "
            "from key_permissions of the access_policy for object_id \"obj-1\" (in "
            "azurerm_key_vault or azurerm_key_vault_access_policy):\n"
            "#   key_permissions = [\"Get\", \"List\"]");
}

TEST(AzureTerraformRemediationTest, AnInlineAccessPolicyBlockOfAPlannedVaultLosesDecrypt) {
  const model::Resource vault =
      FromPlan(azure::test::VaultResource(false, json::object(), {"Decrypt", "UnwrapKey", "Get"}),
               "azurerm_key_vault.kv");
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {vault}),
            "# In resource azurerm_key_vault.kv, in the access_policy block for object_id "
            "\"obj-1\", remove \"Decrypt\", \"UnwrapKey\" from key_permissions:\n"
            "#   key_permissions = [\"Get\"]");
}

TEST(AzureTerraformRemediationTest, AnAccessPolicyResourceWithNothingElseIsRemoved) {
  json properties = {
      {"vaultId", kVault},
      {"operation", "add"},
      {"accessPolicies",
       {{{"tenantId", "t"}, {"objectId", "obj-2"}, {"permissions", {{"keys", {"Decrypt"}}}}}}}};
  const model::Resource change =
      FromPlan(azure::test::Make("Microsoft.KeyVault/vaults/accessPolicies", "x",
                                 {{"properties", properties}}),
               "azurerm_key_vault_access_policy.app");
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {change}),
            "# Remove resource azurerm_key_vault_access_policy.app (object_id \"obj-2\"): it holds "
            "no other permission than \"Decrypt\".");
  // With other key permissions, the ones to keep.
  properties["accessPolicies"][0]["permissions"]["keys"] = {"Decrypt", "Sign"};
  const model::Resource signer =
      FromPlan(azure::test::Make("Microsoft.KeyVault/vaults/accessPolicies", "y",
                                 {{"properties", properties}}),
               "azurerm_key_vault_access_policy.signer");
  EXPECT_EQ(AzureTerraform("azure-keyvault-decrypt-every-key", {signer}),
            "# In resource azurerm_key_vault_access_policy.signer (object_id \"obj-2\"), remove "
            "\"Decrypt\" from key_permissions:\n"
            "#   key_permissions = [\"Sign\"]");
}

TEST(AzureTerraformRemediationTest, HostileIdsAreQuotedForHcl) {
  const model::Resource a =
      azure::test::Assignment(kSub, BuiltinId(azure::test::kCryptoUser), "p\"${x}\n}");
  const std::string tf = AzureTerraform("azure-keyvault-decrypt-every-key", {a});
  EXPECT_THAT(tf, HasSubstr("  principal_id         = \"p\\\"$${x}\\n}\"\n"));
  EXPECT_THAT(tf, Not(HasSubstr("\n}\"")));
}

}  // namespace
}  // namespace kmsguard::engine
