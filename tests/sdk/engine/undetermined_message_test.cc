// A WARNING that is neither conditional nor a FAIL says in its message what the input does not
// determine, so that it does not read like a FAIL: a Google Cloud role whose permissions are not
// known, an Azure vault whose permission model is undetermined, a role assignment whose role the
// input does not define. A FAIL says nothing of the kind.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/engine/evaluator.h"
#include "tests/sdk/azure/azure_test_support.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using nlohmann::json;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

model::Finding Only(const std::string& rule, const model::Resource& resource) {
  const Evaluator evaluator = test::MakeEvaluator(test::BuiltinRule(rule));
  const std::vector<model::Finding> findings = evaluator.Evaluate(resource);
  EXPECT_EQ(findings.size(), 1u);
  return findings.empty() ? model::Finding() : findings.front();
}

model::Resource GcpProject(const std::string& role) {
  return test::GcpProject(role, "user:kim@example.com", "policies.ndjson");
}

TEST(UndeterminedMessageTest, AGoogleCloudRoleOfUnknownPermissionsSaysSo) {
  const model::Finding warning =
      Only("gcp-kms-decrypt-broad-scope", GcpProject("projects/acme/roles/notInTheScan"));
  EXPECT_EQ(warning.status, model::Status::kWarning);
  EXPECT_THAT(warning.message,
              HasSubstr(". Not determined: custom role projects/acme/roles/notInTheScan is not in "
                        "the input"));
  EXPECT_THAT(warning.message, EndsWith("."));
  const model::Finding fail = Only("gcp-kms-decrypt-broad-scope", GcpProject("roles/owner"));
  EXPECT_EQ(fail.status, model::Status::kFail);
  EXPECT_THAT(fail.message, Not(HasSubstr("Not determined")));
}

TEST(UndeterminedMessageTest, AnAzureVaultOfUndeterminedModelSaysWhy) {
  // A template's vault without the RBAC flag and without an API version: undetermined.
  const model::Finding warning =
      Only("azure-keyvault-decrypt-every-key",
           azure::test::VaultResource(azure::test::Absent(), {{"kind", "template"}}, {"decrypt"}));
  EXPECT_EQ(warning.status, model::Status::kWarning);
  EXPECT_THAT(warning.message,
              HasSubstr("Not determined: enableRbacAuthorization is absent in a template whose API "
                        "version is not known"));
  const model::Finding fail =
      Only("azure-keyvault-decrypt-every-key",
           azure::test::VaultResource(false, {{"kind", "live"}}, {"decrypt"}));
  EXPECT_EQ(fail.status, model::Status::kFail);
  EXPECT_THAT(fail.message, Not(HasSubstr("Not determined")));
}

TEST(UndeterminedMessageTest, AnAzureAssignmentOfAnUnknownRoleSaysWhy) {
  const model::Finding warning =
      Only("azure-keyvault-decrypt-every-key",
           azure::test::Assignment(azure::test::kSub,
                                   azure::test::BuiltinId("00000000-1111-2222-3333-444444444444")));
  EXPECT_EQ(warning.status, model::Status::kWarning);
  EXPECT_THAT(warning.message, HasSubstr(" Not determined: "));
}

}  // namespace
}  // namespace kmsguard::engine
