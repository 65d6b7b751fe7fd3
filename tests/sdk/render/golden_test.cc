// Golden files: every renderer on the bundled example (docs/examples/), with a fixed clock, is
// compared byte for byte with tests/golden/bundled-example.<format>. The goldens were read and
// reviewed by a person; when the rules or the example change on purpose, regenerate them with
//   KMSGUARD_UPDATE_GOLDEN=1 build/tests/sdk_tests --gtest_filter='Formats/GoldenTest.*'
// and review the diff before committing it (docs/findings.md).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

std::filesystem::path GoldenPath(std::string_view format) {
  std::string extension = std::string(format);
  if (format == "table") extension = "txt";
  if (format == "ocsf" || format == "asff") extension = std::string(format) + ".json";
  if (format == "sarif") extension = "sarif";
  return std::filesystem::path(KMSGUARD_SOURCE_DIR) / "tests" / "golden" /
         ("bundled-example." + extension);
}

bool UpdateRequested() {
  const char* update = std::getenv("KMSGUARD_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesTheReviewedGoldenFile) {
  const Renderer* renderer = FindRenderer(GetParam());
  ASSERT_NE(renderer, nullptr);
  const test::Scan scan = test::ScanBundledExample();
  const std::string actual = renderer->render(scan.findings, scan.summary, test::FixedOptions());
  const std::filesystem::path path = GoldenPath(renderer->name);
  if (UpdateRequested()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    GTEST_SKIP() << "rewrote " << path << "; review the diff";
  }
  std::string expected;
  ASSERT_TRUE(test::ReadFile(path, &expected))
      << path << " is missing; create it with KMSGUARD_UPDATE_GOLDEN=1 and review it";
  // On a mismatch, the first differing line is easier to read than two whole files.
  if (actual != expected) {
    std::size_t line = 1, at = 0;
    while (at < actual.size() && at < expected.size() && actual[at] == expected[at]) {
      line += actual[at++] == '\n';
    }
    const auto line_at = [at](const std::string& text) {
      const std::size_t start = text.rfind('\n', at == 0 ? 0 : at - 1);
      const std::size_t from = start == std::string::npos ? 0 : start + 1;
      return text.substr(from, text.find('\n', from) - from);
    };
    ADD_FAILURE() << path << " differs at line " << line << ":\n  golden: " << line_at(expected)
                  << "\n  actual: " << line_at(actual)
                  << "\nIf the change is intended, run with KMSGUARD_UPDATE_GOLDEN=1 and "
                     "review the diff.";
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, GoldenTest, ::testing::ValuesIn(RendererNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

}  // namespace
}  // namespace kmsguard::render
