// Every diagnostic code the code base can emit has its page under docs/errors/, as the README
// and every error message's "[code]" promise.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace kmsguard {
namespace {

namespace fs = std::filesystem;

// Codes are snake_case words ending in _error, _invalid or _too_large, plus the
// warnings listed here (their names do not say they are codes).
std::set<std::string> CodesInSources() {
  // "code" as a literal, or "[code]" at the end of a message written out by hand.
  const std::regex literal(R"re(["\[]((?:[a-z]+_)+(?:error|invalid|too_large))["\]])re");
  std::set<std::string> codes = {"duplicate_resource"};
  for (const char* dir : {"sdk", "plugin"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(KMSGUARD_SOURCE_DIR) / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string s = text.str();
      for (std::sregex_iterator it(s.begin(), s.end(), literal), end; it != end; ++it) {
        codes.insert((*it)[1].str());
      }
    }
  }
  return codes;
}

TEST(ErrorPagesTest, EveryDiagnosticCodeHasAPage) {
  const std::set<std::string> codes = CodesInSources();
  ASSERT_GE(codes.size(), 10u) << "the scan of the sources found too few codes to be working";
  for (const std::string& code : codes) {
    const fs::path page = fs::path(KMSGUARD_SOURCE_DIR) / "docs" / "errors" / (code + ".md");
    EXPECT_TRUE(fs::exists(page)) << "no page for diagnostic code " << code << " at " << page;
  }
}

}  // namespace
}  // namespace kmsguard
