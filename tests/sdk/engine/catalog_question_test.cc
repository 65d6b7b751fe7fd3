// A rule whose gcp.grants or azure.grants call asks about operations the bundled role catalog does
// not keep cannot be answered: which roles grant them is unknown. Every resource the rule judges
// is then an ERROR that says so (never a PASS), whether the check runs when the rule is prepared
// or, as now, when the first resource of that provider is judged (sdk/engine/builtins.h,
// DeferredCheck), and from several threads at once.
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/engine/evaluator.h"
#include "tests/sdk/azure/azure_test_support.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using ::testing::HasSubstr;

rules::Rule RuleFromText(const std::string& yaml) {
  rules::LoadResult loaded = rules::LoadRuleText(yaml, "question.yaml");
  for (const core::Diagnostic& d : loaded.diagnostics) ADD_FAILURE() << d.message;
  EXPECT_EQ(loaded.rules.size(), 1u);
  return loaded.rules.empty() ? rules::Rule() : std::move(loaded.rules.front());
}

std::string Rule(const std::string& provider, const std::string& type,
                 const std::string& violation) {
  return "api_version: kmsguard/v1\nkind: Rule\nid: outside-the-catalog\nversion: 1.0.0\n"
         "title: asks about an operation no catalog role is read for\ndescription: d\n"
         "severity: high\n"
         "provider: " +
         provider + "\nresource_types: [\"" + type + "\"]\nviolation:\n" + violation +
         "message: m\nremediation:\n  summary: s\n";
}

model::Resource GcpProject() {
  return test::GcpProject("roles/storage.admin", "user:a@example.com", "test.json");
}

// Judged from two threads at once: the one check is made once and both see its answer.
std::vector<model::Finding> FromTwoThreads(const Evaluator& evaluator,
                                           const model::Resource& resource) {
  std::vector<model::Finding> first, second;
  std::thread other([&] { second = evaluator.Evaluate(resource); });
  first = evaluator.Evaluate(resource);
  other.join();
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

TEST(CatalogQuestionTest, AGcpPermissionOutsideThePredefinedRoleCatalogIsAnErrorOnEveryScope) {
  const Evaluator evaluator = test::MakeEvaluator(
      RuleFromText(Rule("gcp", "cloudresourcemanager.googleapis.com/Project",
                        "  gcp.grants:\n    permissions: [storage.objects.get]\n")));
  const std::vector<model::Finding> findings = FromTwoThreads(evaluator, GcpProject());
  ASSERT_EQ(findings.size(), 2u);
  for (const model::Finding& f : findings) {
    EXPECT_EQ(f.status, model::Status::kError);
    EXPECT_THAT(f.message, HasSubstr("gcp.grants: the predefined-role catalog lists only "
                                     "permissions matching"));
    EXPECT_THAT(f.message, HasSubstr("it cannot say which roles hold storage.objects.get"));
  }
}

TEST(CatalogQuestionTest, AnAzureDataActionOutsideTheBuiltinRoleCatalogIsAnErrorOnEveryVault) {
  const Evaluator evaluator = test::MakeEvaluator(RuleFromText(
      Rule("azure", model::kAzureVault,
           "  azure.grants:\n    data_actions: [Microsoft.Storage/storageAccounts/blobServices/"
           "containers/blobs/read]\n")));
  const std::vector<model::Finding> findings =
      FromTwoThreads(evaluator, azure::test::VaultResource(true, {{"kind", "live"}}, {}));
  ASSERT_EQ(findings.size(), 2u);
  for (const model::Finding& f : findings) {
    EXPECT_EQ(f.status, model::Status::kError);
    EXPECT_THAT(f.message,
                HasSubstr("azure.grants: data action \"Microsoft.Storage/storageAccounts/"
                          "blobServices/containers/blobs/read\" is outside what the built-in "
                          "role catalog keeps"));
  }
}

// The same rule asking about an operation the catalog keeps is answered (the check passes).
TEST(CatalogQuestionTest, APermissionTheCatalogKeepsIsAnswered) {
  const Evaluator evaluator = test::MakeEvaluator(RuleFromText(
      Rule("gcp", "cloudresourcemanager.googleapis.com/Project",
           "  gcp.grants:\n    permissions: [cloudkms.cryptoKeyVersions.useToDecrypt]\n")));
  const std::vector<model::Finding> findings = evaluator.Evaluate(GcpProject());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].status, model::Status::kPass);
}

}  // namespace
}  // namespace kmsguard::engine
