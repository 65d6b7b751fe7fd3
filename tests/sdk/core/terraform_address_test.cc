// Terraform addresses split at the dots that separate steps, never at one inside an instance key
// (https://developer.hashicorp.com/terraform/cli/state/resource-addressing).
#include "sdk/core/terraform_address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kmsguard::core {
namespace {

using ::testing::ElementsAre;

TEST(SplitTerraformAddressTest, SplitsStepsAndKeepsInstanceKeysWhole) {
  EXPECT_THAT(SplitTerraformAddress("aws_iam_role.r"), ElementsAre("aws_iam_role", "r"));
  EXPECT_THAT(SplitTerraformAddress("module.a[0].module.b.google_project_iam_member.m[\"x.y\"]"),
              ElementsAre("module", "a[0]", "module", "b", "google_project_iam_member",
                          "m[\"x.y\"]"));
  // A quoted key may hold brackets and an escaped quote.
  EXPECT_THAT(SplitTerraformAddress(R"(t.n["a\"].]b"].attr)"),
              ElementsAre("t", R"(n["a\"].]b"])", "attr"));
  EXPECT_THAT(SplitTerraformAddress("data.aws_iam_policy_document.d.json"),
              ElementsAre("data", "aws_iam_policy_document", "d", "json"));
  EXPECT_THAT(SplitTerraformAddress(""), ElementsAre(""));
  EXPECT_THAT(SplitTerraformAddress("nodot"), ElementsAre("nodot"));
}

}  // namespace
}  // namespace kmsguard::core
