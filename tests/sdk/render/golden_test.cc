// Golden files: every renderer on the bundled example (docs/examples/), with a fixed clock, is
// compared byte for byte with tests/golden/bundled-example.<format>. The goldens were read and
// reviewed by a person; when the rules or the example change on purpose, regenerate them with
//   KMSGUARD_UPDATE_GOLDEN=1 build/tests/sdk_tests --gtest_filter='Formats/GoldenTest.*'
// and review the diff before committing it (docs/findings.md).
// tests/golden/no-severity-trace/ holds the same outputs as the release before the severity trace
// (6a23cde) wrote them; RenderOptions::severity_trace = false (`scan --no-severity-trace`) must
// reproduce them byte for byte. Those files are never regenerated: they are the old outputs. The
// one exception is the HTML report, a page for people whose layout may grow (the Cloud column,
// filter and counts of 2026-12-06): its file was renewed once, checked to be the old page plus
// exactly those additions, and still holds no severity trace (docs/findings.md).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

std::filesystem::path GoldenPath(std::string_view format, std::string_view subdirectory = "") {
  std::string extension = std::string(format);
  if (format == "table") extension = "txt";
  if (format == "ocsf" || format == "asff") extension = std::string(format) + ".json";
  if (format == "sarif") extension = "sarif";
  return std::filesystem::path(KMSGUARD_SOURCE_DIR) / "tests" / "golden" / subdirectory /
         ("bundled-example." + extension);
}

bool UpdateRequested() {
  const char* update = std::getenv("KMSGUARD_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

// On a mismatch, the first differing line is easier to read than two whole files.
void ExpectSameText(const std::filesystem::path& path, const std::string& expected,
                    const std::string& actual) {
  if (actual == expected) return;
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
  ExpectSameText(path, expected, actual);
}

TEST_P(GoldenTest, WithoutTheSeverityTraceMatchesTheOutputBeforeIt) {
  const Renderer* renderer = FindRenderer(GetParam());
  ASSERT_NE(renderer, nullptr);
  const test::Scan scan = test::ScanBundledExample();
  RenderOptions options = test::FixedOptions();
  options.severity_trace = false;
  const std::string actual = renderer->render(scan.findings, scan.summary, options);
  const std::filesystem::path path = GoldenPath(renderer->name, "no-severity-trace");
  std::string expected;
  ASSERT_TRUE(test::ReadFile(path, &expected)) << path << " is missing";
  ExpectSameText(path, expected, actual);
  // The bundled example has a raised finding, so the trace is really there to leave out.
  const std::string traced = renderer->render(scan.findings, scan.summary, test::FixedOptions());
  EXPECT_NE(traced, actual);
}

INSTANTIATE_TEST_SUITE_P(Formats, GoldenTest, ::testing::ValuesIn(RendererNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

}  // namespace
}  // namespace kmsguard::render
