#include "sdk/iam/action_glob.h"

#include <gtest/gtest.h>

namespace kmsguard::iam {
namespace {

struct Case {
  const char* pattern;
  const char* action;
  bool matches;
};

// IAM User Guide, "IAM JSON policy elements: Action": case-insensitive, `*` any run, `?` one char.
TEST(ActionGlobTest, DocumentedForms) {
  const Case cases[] = {
      {"kms:Decrypt", "kms:Decrypt", true},
      {"KMS:DECRYPT", "kms:Decrypt", true},
      {"kms:decrypt", "kms:Decrypt", true},
      {"kms:*", "kms:Decrypt", true},
      {"kms:**", "kms:Decrypt", true},
      {"*", "kms:ReEncryptFrom", true},
      {"kms:Re*", "kms:ReEncryptFrom", true},
      {"kms:ReEncrypt*", "kms:ReEncryptFrom", true},
      {"kms:*From", "kms:ReEncryptFrom", true},
      {"kms:?ecrypt", "kms:Decrypt", true},
      {"k?s:*", "kms:Decrypt", true},
      {"kms:De*", "kms:Decrypt", true},
      {"*:Decrypt", "kms:Decrypt", true},
      {"kms:*crypt", "kms:Decrypt", true},
      // Misses.
      {"kms:Get*", "kms:Decrypt", false},
      {"kms:ReEncryptTo", "kms:ReEncryptFrom", false},
      {"kms:Decrypt?", "kms:Decrypt", false},
      {"kms:?", "kms:Decrypt", false},
      {"kms:Decryp", "kms:Decrypt", false},
      {"kms", "kms:Decrypt", false},
      {"s3:*", "kms:Decrypt", false},
      {"kms:deencrypt*", "kms:Decrypt", false},
      {"", "kms:Decrypt", false},
      {"k?:*", "kms:Decrypt", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ActionGlobMatches(c.pattern, c.action), c.matches) << c.pattern << " vs " << c.action;
  }
}

TEST(ActionGlobTest, BacktracksAcrossRepeatedSubstrings) {
  EXPECT_TRUE(ActionGlobMatches("*a*b", "aaaab"));
  EXPECT_FALSE(ActionGlobMatches("*a*b", "aaaa"));
  EXPECT_TRUE(ActionGlobMatches("kms:*e*t*", "kms:ReEncryptFrom"));
}

}  // namespace
}  // namespace kmsguard::iam
