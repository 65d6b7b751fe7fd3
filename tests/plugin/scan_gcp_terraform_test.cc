// `kmsguard scan` on a Terraform plan holding only google_* IAM resources
// (adapters/gcp_terraform.h): detected as Terraform, judged by the Google Cloud rules, one finding
// per member and scope.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using Json = nlohmann::json;

Json Change(const std::string& type, const std::string& name, Json after) {
  return {
      {"address", type + "." + name},
      {"mode", "managed"},
      {"type", type},
      {"name", name},
      {"change",
       {{"actions", {"create"}}, {"after", std::move(after)}, {"after_unknown", Json::object()}}}};
}

// A member resource and a binding resource on one project are one asset: each member is one
// finding, not two; the key ring's member is the key-ring tier; a key's member is no finding.
TEST(ScanGcpTerraformTest, OwnersAtProjectScopeFailOncePerMember) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string ring = "projects/acme/locations/eu/keyRings/ring";
  Json plan = {{"format_version", "1.2"}, {"terraform_version", "1.9.0"}};
  plan["resource_changes"] = {
      Change("google_project_iam_member", "owner",
             {{"project", "acme"}, {"role", "roles/owner"}, {"member", "user:ana@example.com"}}),
      Change("google_project_iam_binding", "decrypters",
             {{"project", "acme"},
              {"role", "roles/cloudkms.cryptoKeyDecrypter"},
              {"members", {"group:ops@example.com"}}}),
      Change("google_kms_key_ring_iam_member", "ring",
             {{"key_ring_id", ring},
              {"role", "roles/cloudkms.cryptoKeyDecrypter"},
              {"member", "user:bo@example.com"}}),
      Change("google_kms_crypto_key_iam_member", "key",
             {{"crypto_key_id", ring + "/cryptoKeys/k"},
              {"role", "roles/cloudkms.cryptoKeyDecrypter"},
              {"member", "serviceAccount:app@acme.iam.gserviceaccount.com"}})};
  const std::string file = dir.Write("plan.json", plan.dump(2));
  const ProcessResult r = testing::Run({KMSGUARD_BINARY, "scan", file, "--format", "ocsf"});
  ASSERT_EQ(r.exit_code, 1) << r.err.substr(0, 4000);
  const Json findings = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(findings.is_array()) << r.out.substr(0, 2000);
  using Pointer = Json::json_pointer;
  std::vector<std::string> broad;
  std::vector<std::string> key_ring;
  for (const Json& item : findings) {
    if (item.value("status_code", "") != "FAIL") continue;
    const std::string rule = item.value(Pointer("/finding_info/analytic/uid"), "");
    if (rule == "gcp-kms-decrypt-broad-scope") broad.push_back(item.value("message", ""));
    if (rule == "gcp-kms-decrypt-key-ring") key_ring.push_back(item.value("message", ""));
  }
  ASSERT_EQ(broad.size(), 2u) << r.out.substr(0, 4000);
  std::sort(broad.begin(), broad.end());
  EXPECT_THAT(broad[0],
              HasSubstr("group:ops@example.com via roles/cloudkms.cryptoKeyDecrypter "
                        "holds cloudkms.cryptoKeyVersions.useToDecrypt at projects/acme"));
  EXPECT_THAT(broad[1], HasSubstr("user:ana@example.com via roles/owner holds "
                                  "cloudkms.cryptoKeyVersions.useToDecrypt at projects/acme"));
  ASSERT_EQ(key_ring.size(), 1u) << r.out.substr(0, 4000);
  EXPECT_THAT(key_ring[0], HasSubstr("user:bo@example.com"));
  // Each finding's evidence names the Terraform resource that grants.
  EXPECT_THAT(r.out, HasSubstr("google_project_iam_binding.decrypters"));
  EXPECT_THAT(r.out, Not(HasSubstr("serviceAccount:app@acme.iam.gserviceaccount.com via")));

  // SARIF locates each result at the line and column of the Terraform resource that grants: ana's
  // at google_project_iam_member.owner's "after" (the first), ops's at
  // google_project_iam_binding.decrypters's (the second), though both are one asset.
  const std::string text = plan.dump(2);
  const auto after = [&text](int nth) {
    std::size_t at = text.find("\"after\"");
    for (int i = 0; i < nth; ++i) at = text.find("\"after\"", at + 1);
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    const int column = static_cast<int>(at - text.rfind('\n', at));
    return std::pair{line, column};
  };
  const ProcessResult sarif = testing::Run({KMSGUARD_BINARY, "scan", file, "--format", "sarif"});
  ASSERT_EQ(sarif.exit_code, 1) << sarif.err.substr(0, 4000);
  const Json log = Json::parse(sarif.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(log.is_object()) << sarif.out.substr(0, 2000);
  int found = 0;
  for (const Json& result : log.value(Pointer("/runs/0/results"), Json::array())) {
    if (result.value("ruleId", "") != "gcp-kms-decrypt-broad-scope") continue;
    const std::string message = result.value(Pointer("/message/text"), "");
    const auto [line, column] = after(message.starts_with("user:ana@example.com") ? 0 : 1);
    ++found;
    EXPECT_EQ(result.value(Pointer("/locations/0/physicalLocation/region/startLine"), 0), line)
        << message;
    EXPECT_EQ(result.value(Pointer("/locations/0/physicalLocation/region/startColumn"), 0), column)
        << message;
  }
  EXPECT_EQ(found, 2) << sarif.out.substr(0, 2000);
}

}  // namespace
}  // namespace kmsguard
