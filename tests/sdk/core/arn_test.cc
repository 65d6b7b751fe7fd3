#include "sdk/core/arn.h"

#include <gtest/gtest.h>

namespace kmsguard::core {
namespace {

TEST(ArnTest, SplitsSixFieldsAndKeepsTheResourcesColons) {
  const std::optional<ArnFields> role = SplitArn("arn:aws-cn:iam::111122223333:role/a/b");
  ASSERT_TRUE(role.has_value());
  EXPECT_EQ(role->partition, "aws-cn");
  EXPECT_EQ(role->service, "iam");
  EXPECT_EQ(role->region, "");
  EXPECT_EQ(role->account, "111122223333");
  EXPECT_EQ(role->resource, "role/a/b");
  const std::optional<ArnFields> key = SplitArn("arn:aws:kms:us-east-1:1:key/k:x");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->region, "us-east-1");
  EXPECT_EQ(key->resource, "key/k:x");
  EXPECT_EQ(SplitArn("arn:aws:s3:::")->resource, "");
}

TEST(ArnTest, RefusesWhatIsNotAnArn) {
  for (const char* text : {"", "arn", "arn:aws:iam::1", "ARN:aws:iam::1:root", "role/x",
                           "xarn:aws:iam::1:root", "arn:aws:iam:1:root"}) {
    EXPECT_FALSE(SplitArn(text).has_value()) << text;
  }
}

TEST(ArnTest, AccountIdsAreTwelveDigits) {
  EXPECT_TRUE(IsAccountId("012345678901"));
  for (const char* text : {"", "12345678901", "1234567890123", "12345678901a", "-12345678901",
                           "１２３４５６７８９０１２"}) {
    EXPECT_FALSE(IsAccountId(text)) << text;
  }
}

}  // namespace
}  // namespace kmsguard::core
