// Terraform google_* IAM resources -> normalized Google Cloud assets (adapters/gcp_terraform.h).
// Expected values come from the google provider's documentation
// (https://registry.terraform.io/providers/hashicorp/google/latest/docs): the id forms of
// org_id, folder, project, key_ring_id and crypto_key_id; member/members/condition/policy_data;
// the custom role names "projects/{project}/roles/{role_id}" and
// "organizations/{org_id}/roles/{role_id}"; and from docs/gcp-kms-semantics.md for the reach.
#include "sdk/adapters/gcp_terraform.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/adapters/terraform.h"
#include "sdk/gcp/effective_grant.h"
#include "sdk/gcp/inventory.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

Json Change(const std::string& type, const std::string& name, Json after,
            Json after_unknown = Json::object(), const char* action = "create") {
  return {{"address", type + "." + name},
          {"mode", "managed"},
          {"type", type},
          {"name", name},
          {"change",
           {{"actions", {action}},
            {"after", std::move(after)},
            {"after_unknown", std::move(after_unknown)}}}};
}

// A plan whose resource_changes are `changes` (and whose configuration is `resources`).
std::string Plan(Json changes, Json configuration = Json::array()) {
  Json plan = {{"format_version", "1.2"}, {"resource_changes", std::move(changes)}};
  if (!configuration.empty()) plan["configuration"]["root_module"]["resources"] = configuration;
  return plan.dump(1);
}

// Where the `nth` (0-based) occurrence of `needle` starts in `text`: 1-based line and column,
// found by counting, as an editor shows it.
std::pair<int, int> LineOf(const std::string& text, const std::string& needle, int nth) {
  std::size_t at = text.find(needle);
  for (int i = 0; i < nth && at != std::string::npos; ++i) at = text.find(needle, at + 1);
  if (at == std::string::npos) return {0, 0};
  const std::size_t line_start = text.rfind('\n', at);
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  const int column =
      static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
  return {line, column};
}

const model::Resource* ById(const AdapterResult& result, std::string_view id) {
  for (const model::Resource& r : result.resources) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<std::string> Ids(const AdapterResult& result) {
  std::vector<std::string> out;
  for (const model::Resource& r : result.resources) out.push_back(r.id);
  return out;
}

// --- Each resource kind and id form -------------------------------------------------------------

struct ScopeCase {
  std::string type;
  std::string attribute;
  std::string value;
  std::string id;
  std::string asset_type;
  std::string account;
  std::string region;
};

class GcpTerraformScopeTest : public ::testing::TestWithParam<ScopeCase> {};

TEST_P(GcpTerraformScopeTest, EachKindAndIdFormNamesItsScope) {
  const ScopeCase& c = GetParam();
  Json after = {{c.attribute, c.value}, {"role", "roles/cloudkms.cryptoKeyDecrypter"}};
  if (c.type.ends_with("_member")) after["member"] = "user:ana@example.com";
  if (c.type.ends_with("_binding")) after["members"] = {"user:ana@example.com"};
  if (c.type.ends_with("_policy")) {
    after.erase("role");
    after["policy_data"] =
        R"({"bindings":[{"members":["user:ana@example.com"],"role":"roles/cloudkms.cryptoKeyDecrypter"}]})";
  }
  const AdapterResult result = ReadTerraformPlan(Plan({Change(c.type, "x", after)}), "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const model::Resource& r = result.resources[0];
  EXPECT_EQ(r.provider, "gcp");
  EXPECT_EQ(r.id, c.id);
  EXPECT_EQ(r.type, c.asset_type);
  EXPECT_EQ(r.account, c.account);
  EXPECT_EQ(r.region, c.region);
  EXPECT_EQ(r.document["name"], c.id);
  EXPECT_EQ(r.document["asset_type"], c.asset_type);
  const Json& bindings = r.document["iam_policy"]["bindings"];
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0]["role"], "roles/cloudkms.cryptoKeyDecrypter");
  EXPECT_EQ(bindings[0]["members"], Json::array({"user:ana@example.com"}));
  EXPECT_EQ(bindings[0]["source"]["address"], c.type + ".x");
  EXPECT_EQ(r.source.resource_id, c.type + ".x");
  EXPECT_EQ(r.source.json_pointer, "/resource_changes/0/change/after");
}

constexpr char kCrm[] = "//cloudresourcemanager.googleapis.com/";
constexpr char kKms[] = "//cloudkms.googleapis.com/";
constexpr char kRing[] = "projects/acme/locations/europe-west1/keyRings/ring";
constexpr char kKey[] = "projects/acme/locations/europe-west1/keyRings/ring/cryptoKeys/k";

INSTANTIATE_TEST_SUITE_P(
    Kinds, GcpTerraformScopeTest,
    ::testing::Values(
        ScopeCase{"google_organization_iam_member", "org_id", "123",
                  std::string(kCrm) + "organizations/123",
                  "cloudresourcemanager.googleapis.com/Organization", "", "global"},
        ScopeCase{"google_organization_iam_binding", "org_id", "123",
                  std::string(kCrm) + "organizations/123",
                  "cloudresourcemanager.googleapis.com/Organization", "", "global"},
        ScopeCase{"google_organization_iam_policy", "org_id", "123",
                  std::string(kCrm) + "organizations/123",
                  "cloudresourcemanager.googleapis.com/Organization", "", "global"},
        ScopeCase{"google_folder_iam_member", "folder", "folders/456",
                  std::string(kCrm) + "folders/456", "cloudresourcemanager.googleapis.com/Folder",
                  "", "global"},
        ScopeCase{"google_folder_iam_binding", "folder", "456", std::string(kCrm) + "folders/456",
                  "cloudresourcemanager.googleapis.com/Folder", "", "global"},
        ScopeCase{"google_folder_iam_policy", "folder", "folders/456",
                  std::string(kCrm) + "folders/456", "cloudresourcemanager.googleapis.com/Folder",
                  "", "global"},
        ScopeCase{"google_project_iam_member", "project", "acme",
                  std::string(kCrm) + "projects/acme",
                  "cloudresourcemanager.googleapis.com/Project", "acme", "global"},
        ScopeCase{"google_project_iam_binding", "project", "acme",
                  std::string(kCrm) + "projects/acme",
                  "cloudresourcemanager.googleapis.com/Project", "acme", "global"},
        ScopeCase{"google_project_iam_policy", "project", "acme",
                  std::string(kCrm) + "projects/acme",
                  "cloudresourcemanager.googleapis.com/Project", "acme", "global"},
        ScopeCase{"google_kms_key_ring_iam_member", "key_ring_id", kRing, std::string(kKms) + kRing,
                  "cloudkms.googleapis.com/KeyRing", "acme", "europe-west1"},
        ScopeCase{"google_kms_key_ring_iam_binding", "key_ring_id", "acme/europe-west1/ring",
                  std::string(kKms) + kRing, "cloudkms.googleapis.com/KeyRing", "acme",
                  "europe-west1"},
        ScopeCase{"google_kms_key_ring_iam_policy", "key_ring_id", kRing, std::string(kKms) + kRing,
                  "cloudkms.googleapis.com/KeyRing", "acme", "europe-west1"},
        ScopeCase{"google_kms_crypto_key_iam_member", "crypto_key_id", kKey,
                  std::string(kKms) + kKey, "cloudkms.googleapis.com/CryptoKey", "acme",
                  "europe-west1"},
        ScopeCase{"google_kms_crypto_key_iam_binding", "crypto_key_id", "acme/europe-west1/ring/k",
                  std::string(kKms) + kKey, "cloudkms.googleapis.com/CryptoKey", "acme",
                  "europe-west1"},
        ScopeCase{"google_kms_crypto_key_iam_policy", "crypto_key_id", kKey,
                  std::string(kKms) + kKey, "cloudkms.googleapis.com/CryptoKey", "acme",
                  "europe-west1"}));

TEST(GcpTerraformTest, ShortFormsWithTheProvidersProjectAndMalformedIdsAreNotPlaced) {
  const AdapterResult result =
      ReadTerraformPlan(Plan({Change("google_kms_key_ring_iam_member", "short",
                                     {{"key_ring_id", "europe-west1/ring"},
                                      {"role", "roles/owner"},
                                      {"member", "user:a@example.com"}}),
                              Change("google_kms_crypto_key_iam_member", "short",
                                     {{"crypto_key_id", "europe-west1/ring/k"},
                                      {"role", "roles/owner"},
                                      {"member", "user:a@example.com"}}),
                              Change("google_kms_key_ring_iam_member", "bad",
                                     {{"key_ring_id", "projects/acme/keyRings/ring"},
                                      {"role", "roles/owner"},
                                      {"member", "user:a@example.com"}})}),
                        "plan.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_EQ(result.diagnostics.size(), 3u) << test::Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("names the provider's project, which the plan does not hold"));
  EXPECT_EQ(result.diagnostics[0].location.resource_id, "google_kms_key_ring_iam_member.short");
  EXPECT_EQ(result.diagnostics[1].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_EQ(result.diagnostics[2].severity, core::DiagnosticSeverity::kError);
  EXPECT_THAT(result.diagnostics[2].message, HasSubstr("is not a keyRing id"));
}

// --- member, binding, policy; conditions
// ----------------------------------------------------------

TEST(GcpTerraformTest, MemberBindingAndPolicyDataWithConditions) {
  const Json condition = {{{"title", "expires"},
                           {"description", "until 2027"},
                           {"expression", "request.time < timestamp(\"2027-01-01T00:00:00Z\")"}}};
  const std::string policy_data =
      Json{{"bindings",
            {{{"role", "roles/cloudkms.admin"}, {"members", {"group:sec@example.com"}}},
             {{"role", "roles/cloudkms.cryptoKeyDecrypter"},
              {"members", {"serviceAccount:app@acme.iam.gserviceaccount.com"}},
              {"condition",
               {{"title", "ring"}, {"expression", "resource.name.startsWith(\"x\")"}}}}}}}
          .dump();
  const std::string plan =
      Plan({Change("google_kms_key_ring_iam_member", "m",
                   {{"key_ring_id", kRing},
                    {"role", "roles/cloudkms.cryptoKeyDecrypter"},
                    {"member", "user:ana@example.com"},
                    {"condition", condition}}),
            Change("google_kms_key_ring_iam_binding", "b",
                   {{"key_ring_id", kRing},
                    {"role", "roles/cloudkms.cryptoKeyEncrypterDecrypter"},
                    {"members", {"user:bo@example.com", "group:ops@example.com"}},
                    {"condition", Json::array()}}),
            Change("google_kms_crypto_key_iam_policy", "p",
                   {{"crypto_key_id", kKey}, {"policy_data", policy_data}})});
  const AdapterResult result = ReadTerraformPlan(plan, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_THAT(Ids(result), ElementsAre(std::string(kKms) + kRing, std::string(kKms) + kKey));

  // Each binding's source: its resource's address, pointer, and the line and column where that
  // resource's "after" starts in the text.
  const auto [line0, column0] = LineOf(plan, "\"after\"", 0);
  const auto [line1, column1] = LineOf(plan, "\"after\"", 1);
  const auto [line2, column2] = LineOf(plan, "\"after\"", 2);
  ASSERT_GT(line0, 0);
  const Json& ring = result.resources[0].document["iam_policy"]["bindings"];
  ASSERT_EQ(ring.size(), 2u);
  Json first = Json::parse(R"j({"role": "roles/cloudkms.cryptoKeyDecrypter",
      "members": ["user:ana@example.com"],
      "condition": {"title": "expires", "description": "until 2027",
                    "expression": "request.time < timestamp(\"2027-01-01T00:00:00Z\")"},
      "source": {"address": "google_kms_key_ring_iam_member.m",
                 "json_pointer": "/resource_changes/0/change/after"}})j");
  first["source"]["line"] = line0;
  first["source"]["column"] = column0;
  EXPECT_EQ(ring[0], first);
  Json second = Json::parse(R"j({"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      "members": ["user:bo@example.com", "group:ops@example.com"],
      "source": {"address": "google_kms_key_ring_iam_binding.b",
                 "json_pointer": "/resource_changes/1/change/after"}})j");
  second["source"]["line"] = line1;
  second["source"]["column"] = column1;
  EXPECT_EQ(ring[1], second);
  // A resource's source is its first binding's resource.
  EXPECT_EQ(result.resources[0].source.line, line0);

  const Json& key = result.resources[1].document["iam_policy"]["bindings"];
  ASSERT_EQ(key.size(), 2u);
  EXPECT_EQ(key[0]["role"], "roles/cloudkms.admin");
  EXPECT_FALSE(key[0].contains("condition"));
  EXPECT_EQ(key[1]["condition"],
            Json::parse(R"j({"title": "ring", "expression": "resource.name.startsWith(\"x\")"})j"));
  EXPECT_EQ(key[1]["source"]["json_pointer"],
            "/resource_changes/2/change/after/policy_data/bindings/1");
  // A binding inside policy_data (a string in the plan) is located at its resource, as is every
  // attribute: only where resources start is recorded.
  EXPECT_EQ(key[1]["source"]["line"], line2);
  EXPECT_EQ(key[1]["source"]["column"], column2);
  // Read already parsed (no text), a binding has no line.
  const AdapterResult parsed = ReadTerraformPlanJson(Json::parse(plan), "plan.json");
  ASSERT_FALSE(parsed.resources.empty());
  EXPECT_FALSE(
      parsed.resources[0].document["iam_policy"]["bindings"][0]["source"].contains("line"));
}

TEST(GcpTerraformTest, MalformedPolicyDataNamesTheAddressAndPointer) {
  const AdapterResult result = ReadTerraformPlan(
      Plan({Change("google_project_iam_policy", "broken",
                   {{"project", "acme"}, {"policy_data", "{\"bindings\": [}"}}),
            Change("google_project_iam_policy", "norole",
                   {{"project", "other"},
                    {"policy_data", R"({"bindings": [{"members": ["user:a@example.com"]},
                        {"role": "roles/owner", "members": ["user:b@example.com"]}]})"}})}),
      "plan.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 2) << test::Describe(result.diagnostics);
  const core::Diagnostic& parse = result.diagnostics[0];
  EXPECT_EQ(parse.location.resource_id, "google_project_iam_policy.broken");
  EXPECT_THAT(parse.location.json_pointer,
              HasSubstr("/resource_changes/0/change/after/policy_data"));
  EXPECT_THAT(parse.message, HasSubstr("google_project_iam_policy.broken"));
  const core::Diagnostic& role = result.diagnostics[1];
  EXPECT_EQ(role.location.resource_id, "google_project_iam_policy.norole");
  EXPECT_EQ(role.location.json_pointer,
            "/resource_changes/1/change/after/policy_data/bindings/0/role");

  // Both scopes load: the broken one with no bindings and a problem, the other with its readable
  // binding and a problem (answers that depend on them are incomplete).
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_THAT(result.resources[0].document["iam_policy"]["bindings"], IsEmpty());
  EXPECT_EQ(result.resources[0].document["iam_policy"]["problems"].size(), 1u);
  EXPECT_EQ(result.resources[1].document["iam_policy"]["bindings"].size(), 1u);
  EXPECT_EQ(result.resources[1].document["iam_policy"]["problems"].size(), 1u);
}

// --- grouping by scope
// ------------------------------------------------------------------------------

TEST(GcpTerraformTest, TwoResourcesOnOneScopeAreOneAssetWithBothBindings) {
  const std::string plan = Plan(
      {Change("google_project_iam_member", "owner",
              {{"project", "acme"}, {"role", "roles/owner"}, {"member", "user:ana@example.com"}}),
       Change("google_kms_key_ring_iam_member", "ring",
              {{"key_ring_id", kRing},
               {"role", "roles/cloudkms.cryptoKeyDecrypter"},
               {"member", "user:bo@example.com"}}),
       Change("google_project_iam_binding", "decrypters",
              {{"project", "acme"},
               {"role", "roles/cloudkms.cryptoKeyDecrypter"},
               {"members", {"group:ops@example.com"}}})});
  const AdapterResult result = ReadTerraformPlan(plan, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_THAT(Ids(result),
              ElementsAre(std::string(kCrm) + "projects/acme", std::string(kKms) + kRing));
  const Json& bindings = result.resources[0].document["iam_policy"]["bindings"];
  ASSERT_EQ(bindings.size(), 2u);
  EXPECT_EQ(bindings[0]["source"]["address"], "google_project_iam_member.owner");
  EXPECT_EQ(bindings[1]["source"]["address"], "google_project_iam_binding.decrypters");
  EXPECT_EQ(bindings[1]["source"]["json_pointer"], "/resource_changes/2/change/after");

  // Each grant names its own Terraform resource.
  const gcp::InventoryResult inventory = gcp::BuildInventory(result.resources);
  ASSERT_THAT(inventory.diagnostics, IsEmpty());
  ASSERT_EQ(inventory.inventory.policies.size(), 2u);
  const gcp::GrantReport report = gcp::FindGrants(
      inventory.inventory, gcp::MakeRoleResolver(inventory.inventory), gcp::DecryptQuestion());
  std::vector<std::string> sources;
  for (const gcp::ScopedGrant& g : report.grants) {
    for (const gcp::GrantVia& via : g.via)
      sources.push_back(g.member.text + " " + via.source.ToString());
  }
  // "plan.json:LINE:COLUMN#pointer (address)", the line and column where the resource's "after"
  // starts.
  const auto at = [&plan](int nth) {
    const auto [line, column] = LineOf(plan, "\"after\"", nth);
    return absl::StrCat("plan.json:", line, ":", column, "#/resource_changes/", nth,
                        "/change/after ");
  };
  EXPECT_THAT(sources,
              ::testing::UnorderedElementsAre(
                  "user:ana@example.com " + at(0) + "(google_project_iam_member.owner)",
                  "group:ops@example.com " + at(2) + "(google_project_iam_binding.decrypters)",
                  "user:bo@example.com " + at(1) + "(google_kms_key_ring_iam_member.ring)"));
}

// --- custom roles
// -------------------------------------------------------------------------------

TEST(GcpTerraformTest, CustomRolesAreRoleAssetsTheJoinReads) {
  const AdapterResult result =
      ReadTerraformPlan(Plan({Change("google_project_iam_custom_role", "dec",
                                     {{"project", "acme"},
                                      {"role_id", "kmsDecrypt"},
                                      {"title", "Decrypt"},
                                      {"permissions", {"cloudkms.cryptoKeyVersions.useToDecrypt"}},
                                      {"stage", "GA"},
                                      {"deleted", false}}),
                              Change("google_organization_iam_custom_role", "old",
                                     {{"org_id", "123"},
                                      {"role_id", "oldDecrypt"},
                                      {"title", "Old"},
                                      {"permissions", {"cloudkms.cryptoKeyVersions.useToDecrypt"}},
                                      {"stage", "DEPRECATED"},
                                      {"deleted", true}}),
                              Change("google_project_iam_member", "use",
                                     {{"project", "acme"},
                                      {"role", "projects/acme/roles/kmsDecrypt"},
                                      {"member", "user:ana@example.com"}}),
                              Change("google_project_iam_member", "old",
                                     {{"project", "acme"},
                                      {"role", "organizations/123/roles/oldDecrypt"},
                                      {"member", "user:bo@example.com"}})}),
                        "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  const model::Resource* role = ById(result, "//iam.googleapis.com/projects/acme/roles/kmsDecrypt");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->type, "iam.googleapis.com/Role");
  EXPECT_EQ(role->account, "acme");
  EXPECT_EQ(role->document["resource"]["data"],
            Json::parse(R"({"name": "projects/acme/roles/kmsDecrypt",
                "includedPermissions": ["cloudkms.cryptoKeyVersions.useToDecrypt"],
                "stage": "GA", "deleted": false})"));
  ASSERT_NE(ById(result, "//iam.googleapis.com/organizations/123/roles/oldDecrypt"), nullptr);

  const gcp::InventoryResult inventory = gcp::BuildInventory(result.resources);
  ASSERT_EQ(inventory.inventory.custom_roles.size(), 2u);
  EXPECT_EQ(inventory.inventory.custom_roles[0].name, "projects/acme/roles/kmsDecrypt");
  EXPECT_TRUE(inventory.inventory.custom_roles[1].deleted);
  const gcp::GrantReport report = gcp::FindGrants(
      inventory.inventory, gcp::MakeRoleResolver(inventory.inventory), gcp::DecryptQuestion());
  // The live custom role grants; the deleted one grants nothing.
  ASSERT_EQ(report.grants.size(), 1u);
  EXPECT_EQ(report.grants[0].member.text, "user:ana@example.com");
  EXPECT_EQ(report.grants[0].certainty, gcp::Certainty::kGranted);
}

TEST(GcpTerraformTest, ACustomRoleWithUnknownPermissionsLeavesItsBindingsUndetermined) {
  const AdapterResult result = ReadTerraformPlan(
      Plan({Change("google_project_iam_custom_role", "later",
                   {{"project", "acme"}, {"role_id", "later"}}, {{"permissions", true}}),
            Change("google_project_iam_member", "use",
                   {{"project", "acme"},
                    {"role", "projects/acme/roles/later"},
                    {"member", "user:ana@example.com"}})}),
      "plan.json");
  ASSERT_EQ(result.diagnostics.size(), 1u) << test::Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("google_project_iam_custom_role.later: its permissions are known only "
                        "after apply; bindings to this role are undetermined"));
  ASSERT_THAT(Ids(result), ElementsAre(std::string(kCrm) + "projects/acme"));
  const gcp::InventoryResult inventory = gcp::BuildInventory(result.resources);
  const gcp::GrantReport report = gcp::FindGrants(
      inventory.inventory, gcp::MakeRoleResolver(inventory.inventory), gcp::DecryptQuestion());
  ASSERT_EQ(report.grants.size(), 1u);
  EXPECT_EQ(report.grants[0].certainty, gcp::Certainty::kUndetermined);
}

// --- unknown values
// -----------------------------------------------------------------------------

TEST(GcpTerraformTest, UnknownValuesAreKeptAsTextOrResolvedThroughTheConfiguration) {
  const Json changes = {
      // The plan creates the ring and grants on it: key_ring_id refers to its id.
      Change("google_kms_key_ring", "ring",
             {{"name", "ring"}, {"location", "europe-west1"}, {"project", "acme"}}, {{"id", true}}),
      Change("google_kms_crypto_key", "k", {{"name", "k"}}, {{"id", true}, {"key_ring", true}}),
      Change("google_service_account", "app", {{"account_id", "app"}, {"project", "acme"}},
             {{"email", true}, {"member", true}}),
      Change("google_kms_key_ring_iam_member", "sa",
             {{"role", "roles/cloudkms.cryptoKeyDecrypter"}},
             {{"key_ring_id", true}, {"member", true}}),
      Change("google_kms_crypto_key_iam_binding", "k",
             {{"role", "roles/cloudkms.cryptoKeyDecrypter"},
              {"members", {"user:a@example.com", nullptr}}},
             {{"crypto_key_id", true}, {"members", {false, true}}}),
      // The project of a folder created by this plan: not known, not placed.
      Change("google_folder", "f", {{"display_name", "F"}}, {{"name", true}}),
      Change("google_folder_iam_member", "f",
             {{"role", "roles/owner"}, {"member", "user:a@example.com"}}, {{"folder", true}}),
  };
  const Json configuration = Json::parse(R"([
    {"address": "google_kms_crypto_key.k",
     "expressions": {"key_ring": {"references": ["google_kms_key_ring.ring.id", "google_kms_key_ring.ring"]}}},
    {"address": "google_kms_key_ring_iam_member.sa",
     "expressions": {"key_ring_id": {"references": ["google_kms_key_ring.ring.id", "google_kms_key_ring.ring"]},
                     "member": {"references": ["google_service_account.app.member", "google_service_account.app"]}}},
    {"address": "google_kms_crypto_key_iam_binding.k",
     "expressions": {"crypto_key_id": {"references": ["google_kms_crypto_key.k.id", "google_kms_crypto_key.k"]}}},
    {"address": "google_folder_iam_member.f",
     "expressions": {"folder": {"references": ["google_folder.f.name", "google_folder.f"]}}}])");
  const AdapterResult result = ReadTerraformPlan(Plan(changes, configuration), "plan.json");
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << test::Describe(result.diagnostics);
  ASSERT_THAT(Ids(result), ElementsAre(std::string(kKms) + kRing, std::string(kKms) + kKey));

  const Json& ring = result.resources[0].document;
  EXPECT_EQ(ring["iam_policy"]["bindings"][0]["members"], Json::array({"(known after apply)"}));
  EXPECT_EQ(ring["unknown"], Json::array({"/iam_policy/bindings/0/members/0"}));
  const Json& key = result.resources[1].document;
  EXPECT_EQ(key["iam_policy"]["bindings"][0]["members"],
            Json::array({"user:a@example.com", "(known after apply)"}));
  EXPECT_EQ(key["unknown"], Json::array({"/iam_policy/bindings/0/members/1"}));

  const std::string diagnostics = test::Describe(result.diagnostics);
  EXPECT_THAT(diagnostics,
              HasSubstr("the member of google_kms_key_ring_iam_member.sa is known only "
                        "after apply (it refers to google_service_account.app.member)"));
  EXPECT_THAT(diagnostics,
              HasSubstr("the member of google_kms_crypto_key_iam_binding.k is known only"));
  EXPECT_THAT(diagnostics,
              HasSubstr("google_folder_iam_member.f: folder is known only after apply (it refers "
                        "to google_folder.f.name); its bindings cannot be placed"));
  EXPECT_EQ(result.diagnostics.size(), 3u);
}

TEST(GcpTerraformTest, UnknownPolicyDataComesFromTheDataSourceOrIsAProblem) {
  Json plan = {{"format_version", "1.2"}};
  plan["resource_changes"] = {
      Change("google_project_iam_policy", "p", {{"project", "acme"}}, {{"policy_data", true}}),
      Change("google_project_iam_policy", "q", {{"project", "beta"}}, {{"policy_data", true}})};
  plan["prior_state"]["values"]["root_module"]["resources"] = Json::parse(R"([
    {"address": "data.google_iam_policy.admins", "mode": "data", "type": "google_iam_policy",
     "name": "admins", "values": {"policy_data":
       "{\"bindings\":[{\"members\":[\"user:ana@example.com\"],\"role\":\"roles/owner\"}]}"}}])");
  plan["configuration"]["root_module"]["resources"] = Json::parse(R"([
    {"address": "google_project_iam_policy.p",
     "expressions": {"policy_data": {"references": ["data.google_iam_policy.admins.policy_data",
                                                    "data.google_iam_policy.admins"]}}}])");
  const AdapterResult result = ReadTerraformPlan(plan.dump(), "plan.json");
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].document["iam_policy"]["bindings"][0]["members"],
            Json::array({"user:ana@example.com"}));
  EXPECT_THAT(result.resources[1].document["iam_policy"]["bindings"], IsEmpty());
  ASSERT_EQ(result.resources[1].document["iam_policy"]["problems"].size(), 1u);
  ASSERT_EQ(result.diagnostics.size(), 1u) << test::Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_THAT(
      result.diagnostics[0].message,
      HasSubstr("the policy_data of google_project_iam_policy.q is known only after apply"));
}

// --- deletion, state, format detection
// ------------------------------------------------------------

TEST(GcpTerraformTest, DeletedResourcesAreDroppedAndStatesAreRead) {
  Json plan = {{"format_version", "1.2"}};
  const Json gone = {
      {"project", "acme"}, {"role", "roles/owner"}, {"member", "user:old@example.com"}};
  plan["resource_changes"] = {
      {{"address", "google_project_iam_member.gone"},
       {"mode", "managed"},
       {"type", "google_project_iam_member"},
       {"change", {{"actions", {"delete"}}, {"before", gone}, {"after", nullptr}}}},
      Change("google_project_iam_member", "kept",
             {{"project", "acme"}, {"role", "roles/viewer"}, {"member", "user:new@example.com"}})};
  const AdapterResult result = ReadTerraformPlan(plan.dump(), "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const Json& bindings = result.resources[0].document["iam_policy"]["bindings"];
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0]["members"], Json::array({"user:new@example.com"}));

  const Json state = Json::parse(R"({"format_version": "1.0", "values": {"root_module": {
    "resources": [{"address": "google_folder_iam_member.x", "mode": "managed",
      "type": "google_folder_iam_member", "name": "x",
      "values": {"folder": "folders/9", "role": "roles/owner", "member": "user:a@example.com",
                 "condition": []}}]}}})");
  const AdapterResult from_state = ReadTerraformPlan(state.dump(), "state.json");
  ASSERT_THAT(from_state.diagnostics, IsEmpty()) << test::Describe(from_state.diagnostics);
  ASSERT_THAT(Ids(from_state), ElementsAre(std::string(kCrm) + "folders/9"));
  EXPECT_EQ(from_state.resources[0].source.json_pointer, "/values/root_module/resources/0");
}

TEST(GcpTerraformTest, APlanWithOnlyGoogleResourcesIsDetectedAsTerraform) {
  const std::string text = Plan(
      {Change("google_project_iam_member", "o",
              {{"project", "acme"}, {"role", "roles/owner"}, {"member", "user:a@example.com"}})});
  EXPECT_EQ(DetectInputFormat(text), InputFormat::kTerraform);
  const AdapterResult result = ReadSnapshot(text, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_THAT(Ids(result), ElementsAre(std::string(kCrm) + "projects/acme"));
  EXPECT_EQ(result.resources[0].provider, "gcp");
}

// --- end to end
// ---------------------------------------------------------------------------------

TEST(GcpTerraformTest, OwnerOnAProjectReachesEveryKeyAndAKeyBindingOneKey) {
  const std::string text = Plan(
      {Change("google_project_iam_member", "owner",
              {{"project", "acme"}, {"role", "roles/owner"}, {"member", "user:ana@example.com"}}),
       Change("google_kms_crypto_key_iam_member", "app",
              {{"crypto_key_id", kKey},
               {"role", "roles/cloudkms.cryptoKeyDecrypter"},
               {"member", "serviceAccount:app@acme.iam.gserviceaccount.com"}})});
  const AdapterResult result = ReadTerraformPlan(text, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  const gcp::InventoryResult inventory = gcp::BuildInventory(result.resources);
  ASSERT_THAT(inventory.diagnostics, IsEmpty());
  const gcp::GrantReport report = gcp::FindGrants(
      inventory.inventory, gcp::MakeRoleResolver(inventory.inventory), gcp::DecryptQuestion());
  ASSERT_EQ(report.grants.size(), 2u);
  const gcp::ScopedGrant* owner = nullptr;
  const gcp::ScopedGrant* app = nullptr;
  for (const gcp::ScopedGrant& g : report.grants) {
    (g.member.text == "user:ana@example.com" ? owner : app) = &g;
  }
  ASSERT_NE(owner, nullptr);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(owner->scope.name, "projects/acme");
  EXPECT_EQ(gcp::ReachName(owner->reach), "every_key_below");
  EXPECT_EQ(owner->certainty, gcp::Certainty::kGranted);
  ASSERT_EQ(owner->via.size(), 1u);
  EXPECT_EQ(owner->via[0].role, "roles/owner");
  EXPECT_EQ(owner->via[0].source.resource_id, "google_project_iam_member.owner");
  EXPECT_EQ(app->member.text, "serviceAccount:app@acme.iam.gserviceaccount.com");
  EXPECT_EQ(app->scope.name, kKey);
  EXPECT_EQ(gcp::ReachName(app->reach), "one_key");
  // The key of the plan is below the project: the owner's grant covers it.
  EXPECT_THAT(owner->keys_below, ElementsAre(kKey));
}

}  // namespace
}  // namespace kmsguard::adapters
