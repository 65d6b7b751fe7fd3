#include "sdk/core/yaml_text.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/core/text.h"

namespace kmsguard::core {

namespace {

// The names people know the C0 controls by, so a message says "NUL" rather than only U+0000.
constexpr const char* kC0Names[32] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                      "BS",  "TAB", "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                      "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                                      "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};

std::string CodePointName(unsigned code_point) {
  char buffer[32];
  if (code_point < 0x20) {
    std::snprintf(buffer, sizeof buffer, "U+%04X (%s)", code_point, kC0Names[code_point]);
  } else if (code_point == 0x7F) {
    std::snprintf(buffer, sizeof buffer, "U+007F (DEL)");
  } else {
    std::snprintf(buffer, sizeof buffer, "U+%04X", code_point);
  }
  return buffer;
}

}  // namespace

std::optional<ForbiddenYamlCharacter> FindForbiddenYamlCharacter(std::string_view text,
                                                                 std::size_t from) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  for (std::size_t i = from; i < text.size(); ++i) {
    const std::uint8_t b = byte(i);
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) {
      return ForbiddenYamlCharacter{i, 1, CodePointName(b)};
    }
    if (b < 0x80) continue;
    std::size_t invalid = 0;
    const std::size_t length = Utf8SequenceLength(text, i, &invalid);
    if (length == 0) {
      std::string bytes;
      for (std::size_t k = 0; k < invalid; ++k) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%s0x%02X", k == 0 ? "" : " ", byte(i + k));
        bytes += hex;
      }
      return ForbiddenYamlCharacter{i, invalid, std::move(bytes), true};
    }
    // C1 controls are U+0080..U+009F: C2 80..C2 9F in UTF-8. U+0085 (NEL) is allowed.
    if (b == 0xC2 && byte(i + 1) <= 0x9F && byte(i + 1) != 0x85) {
      return ForbiddenYamlCharacter{i, 2, CodePointName(byte(i + 1))};
    }
    // U+FFFE and U+FFFF: EF BF BE, EF BF BF.
    if (b == 0xEF && byte(i + 1) == 0xBF && (byte(i + 2) == 0xBE || byte(i + 2) == 0xBF)) {
      return ForbiddenYamlCharacter{i, 3, CodePointName(byte(i + 2) == 0xBE ? 0xFFFE : 0xFFFF)};
    }
    i += length - 1;
  }
  return std::nullopt;
}

std::string ForbiddenYamlCharacterProblem(const ForbiddenYamlCharacter& bad, std::size_t more) {
  const std::string others = more > 0 ? absl::StrCat(" (and ", more, " more)") : "";
  if (bad.not_utf8) {
    return absl::StrCat(bad.length == 1 ? "the byte " : "the bytes ", bad.name, others,
                        bad.length == 1 && more == 0 ? " is" : " are",
                        " not UTF-8 (YAML text is Unicode: save the file as UTF-8)");
  }
  return absl::StrCat("the raw control character ", bad.name, others,
                      " is not allowed in YAML (inside a double-quoted string, write it as an "
                      "escape such as \"\\0\")");
}

std::optional<YamlTextError> CheckYamlText(std::string_view text) {
  const std::optional<ForbiddenYamlCharacter> bad = FindForbiddenYamlCharacter(text);
  if (!bad) return std::nullopt;
  const std::string_view before = text.substr(0, bad->offset);
  const std::size_t line_start = before.rfind('\n');
  YamlTextError error;
  error.line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  error.column =
      1 + (line_start == std::string_view::npos ? bad->offset : bad->offset - line_start - 1);
  error.message = absl::StrCat("not valid YAML: ", ForbiddenYamlCharacterProblem(*bad),
                               "; the file is not read");
  return error;
}

namespace {

// Records where each document starts; builds nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start = YAML::Mark::null_mark();
};

}  // namespace

std::optional<YamlTextError> CheckYamlDocuments(std::string_view text) {
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    DocumentStarts handler;
    YAML::Mark previous = YAML::Mark::null_mark();
    for (int documents = 0; parser.HandleNextDocument(handler); ++documents) {
      const bool stuck = documents > 0 && handler.start.pos == previous.pos;
      if (stuck || documents >= kMaxYamlDocuments) {
        YamlTextError error;
        error.line = static_cast<std::size_t>(handler.start.line) + 1;
        error.column = static_cast<std::size_t>(handler.start.column) + 1;
        error.message =
            stuck ? "not valid YAML: the YAML reader makes no progress here (malformed text that "
                    "yaml-cpp 0.7 would read forever); the file is not read"
                  : "not valid YAML: more than 10000 documents; the file is not read";
        return error;
      }
      previous = handler.start;
    }
  } catch (const YAML::Exception&) {
    // A syntax error: LoadAll reports it with its position.
  }
  return std::nullopt;
}

}  // namespace kmsguard::core
