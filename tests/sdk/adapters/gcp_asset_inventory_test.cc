// Cloud Asset Inventory exports and get-iam-policy output -> normalized resources -> one
// inventory: the forseti reference samples (../shared/samples/multicloud, SOURCES.md gives the
// expected results) and the shapes of each format, with their errors.
#include "sdk/adapters/gcp_asset_inventory.h"

#include <set>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/gcp/effective_grant.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kTestKey[] = "projects/project2/locations/us/keyRings/test-kr/cryptoKeys/test-key";
constexpr char kTestRing[] = "projects/project2/locations/us/keyRings/test-kr";

std::string Describe(const core::Diagnostics& diagnostics) {
  std::string out;
  for (const core::Diagnostic& d : diagnostics) out += d.ToString() + "\n";
  return out;
}

// (scope, member, reach, certainty) of each grant.
using Row = std::tuple<std::string, std::string, std::string, std::string>;
std::set<Row> Rows(const gcp::GrantReport& report, gcp::Reach only) {
  std::set<Row> rows;
  for (const gcp::ScopedGrant& g : report.grants) {
    if (g.reach != only) continue;
    rows.emplace(g.scope.name, g.member.text, std::string(gcp::ReachName(g.reach)),
                 std::string(gcp::CertaintyName(g.certainty)));
  }
  return rows;
}

class ForsetiSamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string policies;
    std::string resources;
    const std::filesystem::path dir =
        std::filesystem::path(KMSGUARD_SHARED_DIR) / "samples" / "multicloud";
    if (!test::ReadFile(dir / "gcp-cai-iam-policies.forseti.ndjson", &policies) ||
        !test::ReadFile(dir / "gcp-cai-resources.forseti.ndjson", &resources)) {
      GTEST_SKIP() << "reference samples not found in " << dir;
    }
    ASSERT_TRUE(LooksLikeAssetInventoryExport(policies));
    ASSERT_TRUE(LooksLikeAssetInventoryExport(resources));
    AdapterResult a = ReadAssetInventoryExport(policies, "gcp-cai-iam-policies.forseti.ndjson");
    AdapterResult b = ReadAssetInventoryExport(resources, "gcp-cai-resources.forseti.ndjson");
    ASSERT_THAT(a.diagnostics, IsEmpty()) << Describe(a.diagnostics);
    ASSERT_THAT(b.diagnostics, IsEmpty()) << Describe(b.diagnostics);
    EXPECT_EQ(a.resources.size(), 22u);
    EXPECT_EQ(b.resources.size(), 133u);
    resources_ = std::move(a.resources);
    for (model::Resource& r : b.resources) resources_.push_back(std::move(r));
    gcp::InventoryResult joined = gcp::BuildInventory(resources_);
    // The mock dump is not one consistent export: a few non-KMS assets carry `ancestors` that
    // contradict the Project assets' own parents (organizations/456, folders/789). Each is a
    // warning, and the Project asset's own record is kept.
    ASSERT_FALSE(core::HasErrors(joined.diagnostics)) << Describe(joined.diagnostics);
    EXPECT_EQ(joined.diagnostics.size(), 3u) << Describe(joined.diagnostics);
    for (const core::Diagnostic& d : joined.diagnostics) {
      EXPECT_THAT(d.message, HasSubstr("(kept), not"));
    }
    inventory_ = std::move(joined.inventory);
  }

  std::vector<model::Resource> resources_;
  gcp::Inventory inventory_;
};

TEST_F(ForsetiSamplesTest, NormalizedResources) {
  const model::Resource* key = nullptr;
  for (const model::Resource& r : resources_) {
    if (r.type == "cloudkms.googleapis.com/CryptoKey" && r.document.contains("iam_policy"))
      key = &r;
  }
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->provider, "gcp");
  EXPECT_EQ(key->id, std::string("//cloudkms.googleapis.com/") + kTestKey);
  EXPECT_EQ(key->account, "project2");
  EXPECT_EQ(key->region, "us");
  EXPECT_EQ(key->name, "test-key");
  EXPECT_EQ(key->source.ToString(), "gcp-cai-iam-policies.forseti.ndjson:19");
  EXPECT_EQ(key->document["iam_policy"]["bindings"][0]["role"],
            "roles/cloudkms.cryptoKeyEncrypterDecrypter");
  EXPECT_EQ(inventory_.custom_roles.size(), 2u);
  // Resource data is kept only where the join reads it.
  for (const model::Resource& r : resources_) {
    if (!r.document.contains("resource")) continue;
    const bool kept = r.type.starts_with("cloudresourcemanager.googleapis.com/") ||
                      r.type.starts_with("cloudkms.googleapis.com/") ||
                      r.type == "iam.googleapis.com/Role";
    EXPECT_EQ(r.document["resource"].contains("data"), kept) << r.id;
  }
  EXPECT_EQ(inventory_.hierarchy.Canonical("projects/project2"), "projects/1042");
}

// SOURCES.md: roles/owner on four projects -> c_grp and a_user decrypt every key of them.
TEST_F(ForsetiSamplesTest, OwnersDecryptEveryKeyOfFourProjects) {
  const gcp::RoleResolver roles = gcp::MakeRoleResolver(inventory_);
  const gcp::GrantReport report = gcp::FindGrants(inventory_, roles, gcp::DecryptQuestion());
  EXPECT_THAT(report.notes, IsEmpty());
  std::set<Row> expected;
  for (const char* project : {"projects/1041", "projects/1042", "projects/1043", "projects/1044"}) {
    for (const char* member : {"group:c_grp@forseti.test", "user:a_user@forseti.test"}) {
      expected.emplace(project, member, "every_key_below", "granted");
    }
  }
  EXPECT_EQ(Rows(report, gcp::Reach::kEveryKeyBelow), expected);
  // cloudkms.admin on the ring grants no useToDecrypt.
  EXPECT_THAT(Rows(report, gcp::Reach::kEveryKeyInRing), IsEmpty());
  // EncrypterDecrypter on one key: narrow.
  EXPECT_THAT(Rows(report, gcp::Reach::kOneKey),
              ElementsAre(Row{kTestKey, "user:user@forseti.testing", "one_key", "granted"}));
  for (const gcp::ScopedGrant& g : report.grants) {
    if (g.scope.name == "projects/1042") {
      EXPECT_THAT(g.keys_below, ElementsAre(kTestKey));
    }
    if (g.scope.name == "projects/1041") {
      EXPECT_THAT(g.keys_below, IsEmpty());
    }
    EXPECT_EQ(report.deny, gcp::DenyPolicies::kNotSeen);
  }
}

TEST_F(ForsetiSamplesTest, TheKeyEffectiveAccess) {
  const gcp::KeyAccess access = gcp::AnalyzeKey(inventory_, gcp::MakeRoleResolver(inventory_),
                                                gcp::DecryptQuestion(), kTestKey);
  EXPECT_TRUE(access.complete) << ::testing::PrintToString(access.notes);
  std::vector<std::string> ancestry;
  for (const gcp::Scope& s : access.ancestry) ancestry.push_back(s.name);
  EXPECT_THAT(ancestry,
              ElementsAre(kTestKey, kTestRing, "projects/1042", "organizations/111222333"));
  std::vector<std::string> members;
  for (const gcp::MemberAccess& m : access.members) {
    members.push_back(m.member.text + " " + std::string(gcp::ReachName(m.reach)));
  }
  EXPECT_THAT(members, ElementsAre("group:c_grp@forseti.test every_key_below",
                                   "user:a_user@forseti.test every_key_below",
                                   "user:user@forseti.testing one_key"));
}

// SOURCES.md: cloudkms.admin on a key ring -> escalation, not decrypt; and the admins of the
// organization and folders can set policies below them.
TEST_F(ForsetiSamplesTest, Escalation) {
  const gcp::GrantReport report =
      gcp::FindGrants(inventory_, gcp::MakeRoleResolver(inventory_), gcp::EscalationQuestion());
  EXPECT_THAT(
      Rows(report, gcp::Reach::kEveryKeyInRing),
      ElementsAre(Row{kTestRing, "user:user@forseti.testing", "every_key_in_ring", "granted"}));
  std::set<std::string> broad;
  for (const Row& r : Rows(report, gcp::Reach::kEveryKeyBelow)) {
    broad.insert(std::get<0>(r) + " " + std::get<1>(r));
  }
  EXPECT_TRUE(broad.contains("organizations/111222333 user:a_user@forseti.test"));
  EXPECT_TRUE(broad.contains("folders/1031 user:a_user@forseti.test"));
  EXPECT_TRUE(broad.contains("folders/1033 user:a_user@forseti.test"));
  EXPECT_TRUE(broad.contains("projects/1042 group:c_grp@forseti.test"));  // owner
  for (const std::string& row : broad) EXPECT_THAT(row, Not(HasSubstr("cloudservices")));
}

TEST(AssetInventoryExportTest, CamelCaseKeysAndConditions) {
  const std::string text =
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/731","assetType":"cloudresourcemanager.googleapis.com/Project","ancestors":["projects/731","organizations/9"],"iamPolicy":{"version":3,"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["group:oncall@acme.example"],"condition":{"title":"ring-a","expression":"resource.name.startsWith(\"projects/acme\")"}}]}})json"
      "\n\n"
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/731","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"data":{"projectId":"acme","projectNumber":"731","parent":{"type":"organization","id":"9"}}}})json"
      "\n";
  const AdapterResult result = ReadAssetInventoryExport(text, "x.ndjson");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[1].source.line, 3);
  const gcp::InventoryResult joined = gcp::BuildInventory(result.resources);
  const gcp::KeyAccess access =
      gcp::AnalyzeKey(joined.inventory, gcp::MakeRoleResolver(joined.inventory),
                      gcp::DecryptQuestion(), "projects/acme/locations/eu/keyRings/r/cryptoKeys/k");
  EXPECT_TRUE(access.complete);
  ASSERT_EQ(access.members.size(), 1u);
  EXPECT_EQ(access.members[0].certainty, gcp::Certainty::kConditional);
  EXPECT_EQ(access.members[0].via[0].source.ToString(), "x.ndjson:1#/iam_policy/bindings/0");
}

TEST(AssetInventoryExportTest, BadLinesNameFileLineAndPointerAndLoseNothingElse) {
  const std::string text =
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/1","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":"roles/owner","members":["user:a@x"]}]}})json"
      "\n"
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/2","asset_type":)json"
      "\n"
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/3"})json"
      "\n"
      R"json(["not an asset"])json"
      "\n"
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/4","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":"roles/owner","members":["user:b@x", 7]},{"role":"roles/cloudkms.admin","members":["user:c@x"]},{"members":["user:d@x"]}]}})json"
      "\n"
      R"json({"name":"//cloudresourcemanager.googleapis.com/projects/5","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":{}}})json"
      "\n"
      R"json({"name":"//compute.googleapis.com/projects/p/global/networks/n","asset_type":"compute.googleapis.com/Network","resource":[]})json"
      "\n";
  const AdapterResult result = ReadAssetInventoryExport(text, "bad.ndjson");
  std::vector<std::string> where;
  for (const core::Diagnostic& d : result.diagnostics) {
    EXPECT_EQ(d.code, "snapshot_error");
    where.push_back(d.location.ToString());
  }
  EXPECT_THAT(where, ElementsAre(HasSubstr("bad.ndjson:2:"), "bad.ndjson:3#/asset_type",
                                 "bad.ndjson:4", "bad.ndjson:5#/iam_policy/bindings/0/members/1",
                                 "bad.ndjson:5#/iam_policy/bindings/2/role",
                                 "bad.ndjson:6#/iam_policy/bindings", "bad.ndjson:7#/resource"));
  ASSERT_EQ(result.resources.size(), 4u);
  EXPECT_EQ(result.resources[0].id, "//cloudresourcemanager.googleapis.com/projects/1");
  const nlohmann::json& policy = result.resources[1].document["iam_policy"];
  EXPECT_EQ(policy["bindings"].size(), 1u);  // the readable binding is kept
  EXPECT_EQ(policy["problems"].size(), 2u);
  // Answers that depend on the damaged policy say so.
  const gcp::InventoryResult joined = gcp::BuildInventory(result.resources);
  const gcp::GrantReport report = gcp::FindGrants(
      joined.inventory, gcp::MakeRoleResolver(joined.inventory), gcp::DecryptQuestion());
  EXPECT_EQ(report.notes.size(), 3u);
}

TEST(GcloudIamPolicyTest, ReadsAPolicyAttachedToAProject) {
  constexpr char kPolicy[] = R"json({"version":3,"etag":"BwXa1b2c3d4=","bindings":[
  {"role":"roles/cloudkms.cryptoKeyDecrypter","members":["serviceAccount:etl@acme-data.iam.gserviceaccount.com"]},
  {"role":"roles/cloudkms.cryptoKeyDecrypter","members":["group:oncall@acme.example"],
   "condition":{"title":"ring-a only","expression":"resource.name.startsWith(\"projects/acme-data/locations/eu/keyRings/ring-a\")"}}]})json";
  ASSERT_TRUE(LooksLikeIamPolicy(kPolicy));
  EXPECT_FALSE(LooksLikeAssetInventoryExport(kPolicy));
  const AdapterResult result = ReadGcloudIamPolicy(kPolicy, "p.json", "projects/acme-data");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  EXPECT_EQ(result.resources[0].type, "cloudresourcemanager.googleapis.com/Project");
  EXPECT_EQ(result.resources[0].id, "//cloudresourcemanager.googleapis.com/projects/acme-data");
  const gcp::InventoryResult joined = gcp::BuildInventory(result.resources);
  const gcp::GrantReport report = gcp::FindGrants(
      joined.inventory, gcp::MakeRoleResolver(joined.inventory), gcp::DecryptQuestion());
  std::set<Row> rows = Rows(report, gcp::Reach::kEveryKeyBelow);
  EXPECT_THAT(rows, UnorderedElementsAre(Row{"projects/acme-data",
                                             "serviceAccount:etl@acme-data.iam.gserviceaccount.com",
                                             "every_key_below", "granted"},
                                         Row{"projects/acme-data", "group:oncall@acme.example",
                                             "every_key_below", "conditional"}));
}

TEST(GcloudIamPolicyTest, UnattachedPolicyWarns) {
  const AdapterResult result = ReadGcloudIamPolicy(
      R"json({"bindings":[{"role":"roles/owner","members":["user:a@x"]}]})json", "p.json", "");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("was not given"));
  ASSERT_EQ(result.resources.size(), 1u);
  const AdapterResult broken = ReadGcloudIamPolicy("{\"bindings\": [", "p.json", "projects/a");
  ASSERT_EQ(broken.diagnostics.size(), 1u);
  EXPECT_THAT(broken.diagnostics[0].location.ToString(), HasSubstr("p.json:1:"));
  EXPECT_THAT(broken.resources, IsEmpty());
}

// What get-iam-policy prints, and only that: a policy without bindings is {"etag": "ACAB"}; an
// object with any other member (a CAI asset, a plan) is not read as a policy that grants nothing.
TEST(GcloudIamPolicyTest, OnlyAPolicyIsReadAsOne) {
  EXPECT_TRUE(LooksLikeIamPolicy(R"({"etag": "ACAB"})"));
  EXPECT_TRUE(LooksLikeIamPolicy(R"({"version": 1, "etag": "BwX=", "bindings": []})"));
  EXPECT_FALSE(LooksLikeIamPolicy(R"({"version": 1})"));
  EXPECT_FALSE(LooksLikeIamPolicy(R"({"etag": "x", "bindings": {}})"));
  EXPECT_FALSE(LooksLikeIamPolicy(R"({"etag": "x", "name": "projects/a"})"));
  EXPECT_FALSE(LooksLikeIamPolicy(R"([{"etag": "x"}])"));

  const AdapterResult empty =
      ReadGcloudIamPolicy("\xEF\xBB\xBF{\"etag\": \"ACAB\"}", "p.json", "folders/12");
  ASSERT_THAT(empty.diagnostics, IsEmpty()) << Describe(empty.diagnostics);
  ASSERT_EQ(empty.resources.size(), 1u);
  EXPECT_EQ(empty.resources[0].type, "cloudresourcemanager.googleapis.com/Folder");
  EXPECT_EQ(empty.resources[0].id, "//cloudresourcemanager.googleapis.com/folders/12");
  EXPECT_EQ(empty.resources[0].document["iam_policy"]["bindings"], nlohmann::json::array());

  const AdapterResult asset = ReadGcloudIamPolicy(
      R"({"name": "//cloudresourcemanager.googleapis.com/projects/1", "asset_type": "x"})",
      "asset.json", "projects/1");
  EXPECT_THAT(asset.resources, IsEmpty());
  ASSERT_EQ(asset.diagnostics.size(), 1u);
  EXPECT_EQ(asset.diagnostics[0].severity, core::DiagnosticSeverity::kError);
  EXPECT_EQ(asset.diagnostics[0].location.ToString(), "asset.json#/asset_type");
  EXPECT_THAT(asset.diagnostics[0].message, HasSubstr("not `gcloud … get-iam-policy"));

  // A key given by its full name is a CryptoKey asset; its region is the key's location.
  const AdapterResult key = ReadGcloudIamPolicy(
      R"({"bindings": [{"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["user:a@x"]}]})",
      "k.json", "//cloudkms.googleapis.com/projects/p/locations/eu/keyRings/r/cryptoKeys/k");
  ASSERT_THAT(key.diagnostics, IsEmpty()) << Describe(key.diagnostics);
  ASSERT_EQ(key.resources.size(), 1u);
  EXPECT_EQ(key.resources[0].type, "cloudkms.googleapis.com/CryptoKey");
  EXPECT_EQ(key.resources[0].region, "eu");
  EXPECT_EQ(key.resources[0].account, "p");
}

// `gcloud asset search-all-iam-policies --format=json`: camelCase results, each the same asset an
// `iam-policy` export line makes; ancestors from project, folders and organization (the resource
// itself first when it is a project, folder or organization, as CAI writes them); search names the
// project by id, its key's `project` by number, and the join reconciles them.
constexpr char kSearch[] = R"json([
{"resource":"//cloudresourcemanager.googleapis.com/organizations/9","assetType":"cloudresourcemanager.googleapis.com/Organization","organization":"organizations/9","policy":{"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["user:org@acme.example"]}]}},
{"resource":"//cloudresourcemanager.googleapis.com/folders/40","assetType":"cloudresourcemanager.googleapis.com/Folder","folders":["folders/40"],"organization":"organizations/9","policy":{"version":1,"etag":"BwX=","bindings":[{"role":"roles/viewer","members":["group:fold@acme.example"]}]}},
{"resource":"//cloudresourcemanager.googleapis.com/projects/acme-data","assetType":"cloudresourcemanager.googleapis.com/Project","project":"projects/731","folders":["folders/40"],"organization":"organizations/9","policy":{"version":3,"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["group:oncall@acme.example"],"condition":{"title":"ring-a only","expression":"resource.name.startsWith(\"projects/acme-data/locations/eu/keyRings/ring-a\")"}}]},"explanation":{}},
{"resource":"//cloudkms.googleapis.com/projects/acme-data/locations/eu/keyRings/ring-a/cryptoKeys/k","assetType":"cloudkms.googleapis.com/CryptoKey","project":"projects/731","folders":["folders/40"],"organization":"organizations/9","policy":{"bindings":[{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["serviceAccount:app@acme-data.iam.gserviceaccount.com"]}]}},
{"resource":"//cloudresourcemanager.googleapis.com/projects/lone","assetType":"cloudresourcemanager.googleapis.com/Project","policy":{}}
])json";

TEST(IamPolicySearchTest, ResultsBecomeTheAssetsAnExportMakes) {
  const nlohmann::json root = nlohmann::json::parse(kSearch);
  ASSERT_TRUE(LooksLikeIamPolicySearch(root));
  const AdapterResult result = ReadIamPolicySearch(kSearch, "search.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 5u);
  const model::Resource& project = result.resources[2];
  EXPECT_EQ(project.id, "//cloudresourcemanager.googleapis.com/projects/acme-data");
  EXPECT_EQ(project.type, "cloudresourcemanager.googleapis.com/Project");
  EXPECT_EQ(project.provider, "gcp");
  EXPECT_EQ(project.account, "acme-data");
  EXPECT_EQ(project.source.ToString(), "search.json:4:1#/2");
  EXPECT_EQ(project.document["name"], project.id);
  EXPECT_EQ(project.document["asset_type"], "cloudresourcemanager.googleapis.com/Project");
  // The project itself first, by the number its `project` gives, which joins the id it is named
  // by to that number (as a CAI export's ancestors do).
  EXPECT_EQ(project.document["ancestors"],
            nlohmann::json({"projects/731", "folders/40", "organizations/9"}));
  EXPECT_EQ(project.document["iam_policy"]["version"], 3);
  EXPECT_EQ(project.document["iam_policy"]["bindings"][0]["condition"]["title"], "ring-a only");
  EXPECT_EQ(project.document["iam_policy"]["bindings"][0]["source"]["json_pointer"],
            "/2/policy/bindings/0");
  EXPECT_FALSE(project.document.contains("explanation"));
  // The key's own project is first, by number (as CAI writes it); the folder's chain starts at it.
  EXPECT_EQ(result.resources[3].document["ancestors"],
            nlohmann::json({"projects/731", "folders/40", "organizations/9"}));
  EXPECT_EQ(result.resources[3].region, "eu");
  EXPECT_EQ(result.resources[1].document["ancestors"],
            nlohmann::json({"folders/40", "organizations/9"}));
  EXPECT_EQ(result.resources[0].document["ancestors"], nlohmann::json({"organizations/9"}));
  // No organization, no folders, no bindings: no ancestors claimed, an empty policy.
  EXPECT_FALSE(result.resources[4].document.contains("ancestors"));
  EXPECT_EQ(result.resources[4].document["iam_policy"]["bindings"], nlohmann::json::array());

  const gcp::InventoryResult joined = gcp::BuildInventory(result.resources);
  EXPECT_THAT(joined.diagnostics, IsEmpty()) << Describe(joined.diagnostics);
  const gcp::GrantReport report = gcp::FindGrants(
      joined.inventory, gcp::MakeRoleResolver(joined.inventory), gcp::DecryptQuestion());
  // The project is named by number once the key's ancestors joined acme-data to 731.
  EXPECT_THAT(
      Rows(report, gcp::Reach::kEveryKeyBelow),
      UnorderedElementsAre(
          Row{"organizations/9", "user:org@acme.example", "every_key_below", "granted"},
          Row{"projects/731", "group:oncall@acme.example", "every_key_below", "conditional"}));
  const gcp::KeyAccess key = gcp::AnalyzeKey(
      joined.inventory, gcp::MakeRoleResolver(joined.inventory), gcp::DecryptQuestion(),
      "projects/acme-data/locations/eu/keyRings/ring-a/cryptoKeys/k");
  EXPECT_TRUE(key.complete) << (key.notes.empty() ? "" : key.notes[0]);
  std::vector<std::string> members;
  for (const gcp::MemberAccess& m : key.members) members.push_back(m.member.text);
  EXPECT_THAT(members, ElementsAre("group:oncall@acme.example",
                                   "serviceAccount:app@acme-data.iam.gserviceaccount.com",
                                   "user:org@acme.example"));
  // A binding names its own place in the file.
  for (const gcp::MemberAccess& m : key.members) {
    if (m.member.text == "user:org@acme.example") {
      EXPECT_EQ(m.via[0].source.ToString(), "search.json#/0/policy/bindings/0");
    }
  }
}

// One bad result costs only itself; a bad binding only itself (the policy says it is incomplete);
// a bad ancestry field only the ancestors. Each error names file, line and JSON pointer.
TEST(IamPolicySearchTest, ABadResultLosesNothingElse) {
  const std::string text =
      std::string("[\n") +
      R"json({"resource":"//cloudresourcemanager.googleapis.com/projects/a","assetType":"cloudresourcemanager.googleapis.com/Project","policy":{"bindings":[{"role":"roles/owner","members":["user:a@x"]}]}},)json"
      "\n"
      "42,\n" +
      R"json({"resource":5,"assetType":"cloudresourcemanager.googleapis.com/Project","policy":{}},)json"
      "\n" +
      R"json({"resource":"//cloudresourcemanager.googleapis.com/projects/b","policy":{}},)json"
      "\n" +
      R"json({"resource":"//cloudresourcemanager.googleapis.com/projects/c","assetType":"cloudresourcemanager.googleapis.com/Project","policy":{"bindings":[{"role":"roles/owner","members":["user:c@x",7]},{"role":"roles/cloudkms.cryptoKeyDecrypter","members":["user:d@x"]}]}},)json"
      "\n" +
      R"json({"resource":"//cloudresourcemanager.googleapis.com/projects/e","assetType":"cloudresourcemanager.googleapis.com/Project","policy":[]},)json"
      "\n" +
      R"json({"resource":"//cloudresourcemanager.googleapis.com/projects/f","assetType":"cloudresourcemanager.googleapis.com/Project","folders":"folders/1","organization":"organizations/9","policy":{}})json"
      "\n]\n";
  const AdapterResult result = ReadIamPolicySearch(text, "bad.json");
  std::vector<std::string> where;
  for (const core::Diagnostic& d : result.diagnostics) {
    EXPECT_EQ(d.severity, core::DiagnosticSeverity::kError) << d.ToString();
    where.push_back(d.location.ToString());
  }
  EXPECT_THAT(
      where, ElementsAre(HasSubstr("bad.json:3"), HasSubstr("bad.json:4:"), HasSubstr("bad.json:5"),
                         "bad.json:6#/4/policy/bindings/0/members/1", HasSubstr("bad.json:7:"),
                         HasSubstr("bad.json:8:")))
      << Describe(result.diagnostics);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("#/2/resource"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("#/3/assetType"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("#/5/policy"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("#/6/folders"));
  std::vector<std::string> ids;
  for (const model::Resource& r : result.resources) ids.push_back(r.id.substr(r.id.rfind('/') + 1));
  EXPECT_THAT(ids, ElementsAre("a", "c", "e", "f"));
  const nlohmann::json& c = result.resources[1].document["iam_policy"];
  ASSERT_EQ(c["bindings"].size(), 1u);
  EXPECT_EQ(c["bindings"][0]["source"]["json_pointer"], "/4/policy/bindings/1");
  EXPECT_EQ(c["problems"].size(), 1u);
  EXPECT_EQ(result.resources[2].document["iam_policy"]["problems"].size(), 1u);
  EXPECT_FALSE(result.resources[3].document.contains("ancestors"));

  // Not JSON: one error at line:column, nothing read.
  const AdapterResult broken = ReadIamPolicySearch("[\n{\"resource\": ", "cut.json");
  ASSERT_EQ(broken.diagnostics.size(), 1u);
  EXPECT_THAT(broken.diagnostics[0].location.ToString(), HasSubstr("cut.json:2:"));
  EXPECT_THAT(broken.resources, IsEmpty());
  // Forced on something else: says what was expected.
  const AdapterResult other = ReadIamPolicySearch(R"({"users": []})", "other.json");
  ASSERT_EQ(other.diagnostics.size(), 1u);
  EXPECT_THAT(other.diagnostics[0].message, HasSubstr("search-all-iam-policies"));
}

// folders lists every folder above the resource, in an order the API does not document: with two
// or more, no order is claimed (a warning); a search filtered by permissions says that its
// policies hold only the matching bindings. The REST response's {"results": [...]} reads the same.
TEST(IamPolicySearchTest, SeveralFoldersAndFilteredSearchesAreSaid) {
  const std::string text =
      R"json({"results":[
{"resource":"//cloudresourcemanager.googleapis.com/projects/p","assetType":"cloudresourcemanager.googleapis.com/Project","project":"projects/5","folders":["folders/1","folders/2"],"organization":"organizations/9","policy":{"bindings":[{"role":"roles/owner","members":["user:a@x"]}]},"explanation":{"matchedPermissions":{"roles/owner":{"permissions":["cloudkms.cryptoKeyVersions.useToDecrypt"]}}}},
{"resource":"//cloudresourcemanager.googleapis.com/folders/2","assetType":"cloudresourcemanager.googleapis.com/Folder","folders":["folders/2","folders/1"],"organization":"organizations/9","policy":{}}
],"nextPageToken":""})json";
  ASSERT_TRUE(LooksLikeIamPolicySearch(nlohmann::json::parse(text)));
  const AdapterResult result = ReadIamPolicySearch(text, "s.json");
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_FALSE(result.resources[0].document.contains("ancestors"));
  // The folder itself is not one of its ancestors: one other folder is its parent.
  EXPECT_EQ(result.resources[1].document["ancestors"],
            nlohmann::json({"folders/2", "folders/1", "organizations/9"}));
  EXPECT_EQ(result.resources[0].source.ToString(), "s.json:2:1#/results/0");
  ASSERT_EQ(result.diagnostics.size(), 2u) << Describe(result.diagnostics);
  for (const core::Diagnostic& d : result.diagnostics) {
    EXPECT_EQ(d.severity, core::DiagnosticSeverity::kWarning);
  }
  EXPECT_THAT(result.diagnostics[0].ToString(), HasSubstr("s.json:2:145#/results/0/folders"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("more than one folder"));
  EXPECT_THAT(result.diagnostics[1].ToString(), HasSubstr("#/results/0/explanation"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("only the bindings that matched"));
}

}  // namespace
}  // namespace kmsguard::adapters
