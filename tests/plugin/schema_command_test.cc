// `kmsguard schema` (plugin/schema_command.h), through the binary: the rule files' JSON Schema
// from any directory, byte for byte the repository's; --path from a build tree. The installed
// case (--path naming PREFIX/share/kmsguard/schema/...) is tests/install/installed_scan.sh's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::HasSubstr;

const std::string kSchemaFile =
    std::string(KMSGUARD_SOURCE_DIR) + "/docs/schema/kmsguard-rule.schema.json";

TEST(SchemaCommandTest, PrintsTheRepositorysSchemaFromAnyDirectory) {
  const testing::ProcessResult r =
      testing::Shell(std::string("cd / && ") + KMSGUARD_BINARY + " schema");
  ASSERT_EQ(r.exit_code, 0) << testing::DescribeRun(r);
  EXPECT_EQ(r.out, testing::ReadFile(kSchemaFile));
  const nlohmann::json schema = nlohmann::json::parse(r.out);
  EXPECT_TRUE(schema.contains("$schema"));
}

TEST(SchemaCommandTest, PathFromABuildTreeSaysHowToGetTheSchema) {
  // The build tree's binary has no installed schema beside it: exit 1, saying what to do.
  const testing::ProcessResult r = testing::Run({KMSGUARD_BINARY, "schema", "--path"});
  EXPECT_EQ(r.exit_code, 1) << testing::DescribeRun(r);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no installed schema beside this binary"));
  EXPECT_THAT(r.err, HasSubstr("kmsguard schema > kmsguard-rule.schema.json"));
}

}  // namespace
}  // namespace kmsguard::plugin
