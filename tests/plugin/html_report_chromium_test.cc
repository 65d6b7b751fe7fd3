// The HTML report as a person sees it: `kmsguard scan --format html` written to a file, loaded in
// headless Chromium (Debian's `chromium` package), and the rendered page read back after its
// script ran. Skips, saying why, when Chromium is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

std::string Chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// The text of the first element carrying `attribute="value"` in `dom`.
std::string TextOf(const std::string& dom, const std::string& attribute) {
  const std::size_t at = dom.find(attribute);
  if (at == std::string::npos) return "";
  const std::size_t start = dom.find('>', at);
  const std::size_t end = dom.find('<', start);
  return dom.substr(start + 1, end - start - 1);
}

TEST(HtmlReportChromiumTest, RenderedPageShowsTheCountsAndFiltersPass) {
  const std::string chromium = Chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "headless Chromium not found (Debian package `chromium`, installed by "
                    "scripts/install-deps.sh)";
  }
  const std::string example =
      std::string(KMSGUARD_SOURCE_DIR) + "/docs/examples/account-authorization-details.json";
  const ProcessResult json = testing::Run({KMSGUARD_BINARY, "scan", example, "--format", "json"});
  ASSERT_EQ(json.exit_code, 1) << json.err;
  const nlohmann::json summary = nlohmann::json::parse(json.out)["summary"];
  const ProcessResult html = testing::Run({KMSGUARD_BINARY, "scan", example, "--format", "html"});
  ASSERT_EQ(html.exit_code, 1) << html.err;

  testing::TempDir dir;
  const std::string page = dir.File("report.html");
  std::ofstream(page) << html.out;
  // --dump-dom prints the DOM after the page's scripts ran. No sandbox: tests run as root in CI.
  const ProcessResult rendered =
      testing::Run({chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--user-data-dir=" + dir.File("profile"), "--dump-dom", "file://" + page});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  const std::string& dom = rendered.out;

  const int fail = summary["fail"], pass = summary["pass"], warning = summary["warning"],
            error = summary["error"];
  const int total = fail + pass + warning + error;
  // The script ran: by default it lists what needs action and hides PASS.
  EXPECT_THAT(dom, HasSubstr("data-shown=\"" + std::to_string(fail + warning + error) + "\""));
  EXPECT_EQ(TextOf(dom, "id=\"shown\""),
            std::to_string(fail + warning + error) + " of " + std::to_string(total) +
                " findings shown");
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:FAIL\""), std::to_string(fail));
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:PASS\""), std::to_string(pass));
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:total\""), std::to_string(total));
  // Hidden rows are exactly the PASS findings.
  const std::regex hidden_body(R"re(<tbody class="finding"[^>]*data-status="([A-Z]+)"[^>]*hidden)re");
  int hidden = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), hidden_body);
       it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[1], "PASS");
    ++hidden;
  }
  EXPECT_EQ(hidden, pass);
}

}  // namespace
}  // namespace kmsguard
