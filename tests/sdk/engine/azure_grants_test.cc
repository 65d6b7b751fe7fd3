// azure.grants through the evaluator, with the scan's joined picture: what the input cannot have
// shown about role assignments is said on the findings of vaults that role assignments reach, and
// not on vaults that answer through access policies only (docs/azure-keyvault-semantics.md).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/azure/inventory.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/scan_joins.h"
#include "sdk/render/render.h"
#include "tests/sdk/azure/azure_test_support.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRule[] = "azure-keyvault-decrypt-every-key";

// A vault whose access policy gives obj-1 decrypt; `rbac` sets its permission model.
model::Resource Vault(bool rbac) {
  return azure::test::VaultResource(rbac, {{"kind", "live"}}, {"decrypt"});
}

// Owner at the subscription: no data action, so no grant, but a live assignment.
model::Resource OwnerAtSubscription() {
  using azure::test::BuiltinId;
  return azure::test::Assignment(azure::test::kSub, BuiltinId(azure::test::kOwner), "p1");
}

std::vector<std::string> VaultExplanation(const std::vector<model::Resource>& scan) {
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(kRule));
  const azure::InventoryResult joined = azure::BuildInventory(scan);
  const ScanJoins joins{nullptr, &joined.inventory};
  for (const model::Resource& r : scan) {
    if (r.type != model::kAzureVault) continue;
    const std::vector<model::Finding> findings = evaluator.Evaluate(r, joins);
    EXPECT_EQ(findings.size(), 1u);
    if (!findings.empty()) return findings.front().explanation;
  }
  ADD_FAILURE() << "no vault finding";
  return {};
}

TEST(AzureGrantsTest, UnseenAssignmentsAreSaidOnVaultsRoleAssignmentsReach) {
  EXPECT_THAT(VaultExplanation({Vault(true)}),
              Contains(HasSubstr("the input holds no role assignment: grants through Azure RBAC "
                                 "were not seen")));
  EXPECT_THAT(VaultExplanation({Vault(true), OwnerAtSubscription()}),
              Contains(HasSubstr("none of the input's 1 live role assignment is at a management "
                                 "group or the tenant root")));
  // Access policies answer alone: no role assignment can reach this vault.
  EXPECT_THAT(VaultExplanation({Vault(false)}), Not(Contains(HasSubstr("role assignment"))));
}

// A template's assignment id ("{subscriptionId}", "[guid(...)]") is no id az can delete by: the
// command names the assignee, role and scope instead (docs/azure-keyvault-semantics.md).
TEST(AzureGrantsTest, ATemplateIdIsNeverGivenToDeleteByIds) {
  using azure::test::BuiltinId;
  const Evaluator evaluator =
      test::MakeEvaluator(test::BuiltinRule("azure-keyvault-access-escalation"));
  model::Resource live =
      azure::test::Assignment(azure::test::kSub, BuiltinId(azure::test::kOwner), "p1");
  model::Resource templated = live;
  templated.id = templated.document["id"] =
      "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleAssignments/"
      "[guid(subscription().id, 'p1')]";
  for (const auto& [resource, starts] :
       {std::pair{live, std::string("az role assignment delete --ids ")},
        std::pair{templated, std::string("az role assignment delete --assignee 'p1' --role ")}}) {
    const std::vector<model::Finding> findings = evaluator.Evaluate(resource);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].status, model::Status::kFail);
    EXPECT_THAT(findings[0].remediation.cli, testing::StartsWith(starts));
  }
}

// An assignment whose principal the input leaves out is keyed by a note in parentheses; the
// message names it once, not "((principal not given))", whatever the verdict.
TEST(AzureGrantsTest, AnUnnamedPrincipalIsNamedInOneParenthesis) {
  using azure::test::BuiltinId;
  for (const char* rule : {kRule, "azure-keyvault-access-escalation"}) {
    const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(rule));
    // Key Vault Crypto User decrypts (FAIL for the decrypt rule, PASS for escalation).
    const std::vector<model::Finding> findings = evaluator.Evaluate(
        azure::test::Assignment(azure::test::kSub, BuiltinId(azure::test::kCryptoUser), ""));
    ASSERT_EQ(findings.size(), 1u) << rule;
    EXPECT_EQ(findings[0].sub_key, "(principal not given)");
    EXPECT_THAT(findings[0].message, Not(HasSubstr("((")));
    EXPECT_THAT(findings[0].message, HasSubstr("(principal not given)"));
  }
}

// Azure ids compare case-insensitively: one assignment exported in two spellings (an upper-case
// scope and principal) is one finding: the same lower-cased resource id (OCSF's resource uid),
// item and uid.
TEST(AzureGrantsTest, OneAssignmentInTwoSpellingsIsOneFindingUid) {
  using azure::test::BuiltinId;
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(kRule));
  const std::string principal = "5a5a0000-0000-0000-0000-00000000abcd";
  model::Resource lower =
      azure::test::Assignment(azure::test::kSub, BuiltinId(azure::test::kCryptoUser), principal);
  model::Resource upper = lower;
  upper.id = absl::AsciiStrToUpper(lower.id);
  upper.document["id"] = upper.id;
  upper.document["properties"]["scope"] = absl::AsciiStrToUpper(azure::test::kSub);
  upper.document["properties"]["principalId"] = absl::AsciiStrToUpper(principal);
  const std::vector<model::Finding> a = evaluator.Evaluate(lower);
  const std::vector<model::Finding> b = evaluator.Evaluate(upper);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].status, model::Status::kFail);
  EXPECT_EQ(b[0].status, model::Status::kFail);
  EXPECT_EQ(a[0].resource_id, absl::AsciiStrToLower(lower.id));
  EXPECT_EQ(b[0].resource_id, a[0].resource_id);
  EXPECT_EQ(b[0].sub_key, principal);
  EXPECT_EQ(render::FindingUid(b[0]), render::FindingUid(a[0]));
  // The message keeps the input's spelling.
  EXPECT_THAT(b[0].message, HasSubstr(absl::AsciiStrToUpper(principal)));
}

}  // namespace
}  // namespace kmsguard::engine
