// The partitions data (sdk/iam/data/aws-partitions.json) read by the key grammar: it loads, says
// where it came from, and each partition's regions follow that partition's published pattern,
// checked here with std::regex, independently of the RE2 check the loader makes.
#include "sdk/iam/partitions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

namespace kmsguard::iam {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PartitionsTest, DataLoadsAndNamesItsSource) {
  ASSERT_TRUE(PartitionDataStatus().ok()) << PartitionDataStatus();
  EXPECT_THAT(PartitionDataSource(), HasSubstr("botocore/data/partitions.json"));
  EXPECT_THAT(PartitionDataSource(), HasSubstr("(retrieved 20"));
}

TEST(PartitionsTest, EveryPartitionsRegionsFollowItsPatternWithOneDigit) {
  for (const char* id : {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e",
                         "aws-iso-f", "aws-eusc"}) {
    const PartitionRegions* p = FindPartitionRegions(id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_FALSE(p->regions.empty()) << id;
    EXPECT_TRUE(std::is_sorted(p->regions.begin(), p->regions.end())) << id;
    const std::regex pattern(p->region_regex);
    for (const std::string& region : p->regions) {
      EXPECT_TRUE(std::regex_match(region, pattern)) << id << " " << region << " " << p->region_regex;
      EXPECT_THAT(region, Not(HasSubstr("global"))) << "pseudo-regions are not places keys live";
    }
    // Every region that exists today has a one-digit suffix (what makes `??-*-?` reach them all).
    EXPECT_EQ(p->suffix_digits, 1) << id;
  }
}

TEST(PartitionsTest, KnowsRegionsOldAndNew) {
  const PartitionRegions* aws = FindPartitionRegions("aws");
  ASSERT_NE(aws, nullptr);
  for (const char* region : {"us-east-1", "eu-west-1", "af-south-1", "il-central-1",
                             "ap-southeast-7", "mx-central-1"}) {
    EXPECT_THAT(aws->regions, Contains(region));
  }
  EXPECT_THAT(aws->regions, Not(Contains("cn-north-1")));
  EXPECT_THAT(aws->regions, Not(Contains("us-gov-west-1")));
  EXPECT_THAT(FindPartitionRegions("aws-cn")->regions, Contains("cn-north-1"));
  EXPECT_THAT(FindPartitionRegions("aws-us-gov")->regions, Contains("us-gov-west-1"));
  EXPECT_EQ(FindPartitionRegions("aws-made-up"), nullptr);
  EXPECT_EQ(FindPartitionRegions(""), nullptr);
}

}  // namespace
}  // namespace kmsguard::iam
