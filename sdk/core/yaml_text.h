// Checks on YAML text made before a YAML parser sees it. yaml-cpp accepts characters that YAML
// does not allow in a stream and reads some of them wrongly: a raw NUL in a plain scalar is taken
// for the start of an escape ("vic<NUL>ntim" reads as "vic\ntim"). Rule files and CloudFormation
// templates are checked with this first, so such text is reported where it is, never misread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kmsguard::core {

// A character YAML 1.2 does not allow anywhere in a stream, or bytes that are no character at
// all, found in raw text.
struct ForbiddenYamlCharacter {
  std::size_t offset = 0;  // of its first byte
  std::size_t length = 0;  // in bytes (1 for C0 controls and DEL, 2 for C1, 3 for U+FFFE/U+FFFF;
                           // for bytes that are not UTF-8, the maximal invalid subpart)
  std::string name;        // "U+0000 (NUL)", "U+007F (DEL)", "U+0085" ...; "0xE2 0x28" when
                           // `not_utf8`
  bool not_utf8 = false;   // ill-formed UTF-8 rather than a forbidden character
};

// The first character of `text` outside YAML 1.2's printable set (spec 1.2.2, 5.1 "c-printable"):
// a C0 control other than tab, line feed and carriage return; DEL; a C1 control other than
// U+0085 (NEL); U+FFFE or U+FFFF. Quoted escapes ("\0") are text, not raw characters, and are
// fine. Or the first ill-formed UTF-8 sequence (RFC 3629, as core::Utf8SequenceLength judges it):
// a YAML stream is Unicode (spec 5.2), and yaml-cpp passes such bytes into strings unchecked, on
// to outputs that must be UTF-8. A file in UTF-16 or UTF-32 is refused too (its NULs, or its byte
// order mark, are found). std::nullopt when there is none.
std::optional<ForbiddenYamlCharacter> FindForbiddenYamlCharacter(std::string_view text,
                                                                 std::size_t from = 0);

// What is wrong with `bad`, for a message: `the raw control character U+0000 (NUL) is not
// allowed in YAML (inside a double-quoted string, write it as an escape such as "\0")`, or `the
// byte 0x88 is not UTF-8 (YAML text is Unicode: save the file as UTF-8)`; with " (and 2 more)"
// after the name when `more` says there are others.
std::string ForbiddenYamlCharacterProblem(const ForbiddenYamlCharacter& bad, std::size_t more = 0);

// Where and what the first forbidden character of `text` is, for readers that report a file whole
// (rule tests, eval inputs, the serve config): line and column counted from 1 (the column in
// bytes), and "not valid YAML: " + ForbiddenYamlCharacterProblem + "; the file is not read".
// std::nullopt when the text has none.
struct YamlTextError {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};
std::optional<YamlTextError> CheckYamlText(std::string_view text);

// Whether yaml-cpp can split `text` into documents: Debian 12's yaml-cpp 0.7 loops forever in
// YAML::LoadAll on some malformed text (a document that consumes no token is reported again and
// again, each time allocating; fixed upstream by jbeder/yaml-cpp#1319, and met by Falco,
// falcosecurity/falco#3281). Call it before LoadAll: it walks the documents with a parser that
// builds nothing and returns an error at the document that makes no progress, or past
// kMaxYamlDocuments. Syntax errors are left to LoadAll, which reports them (std::nullopt).
inline constexpr int kMaxYamlDocuments = 10000;
std::optional<YamlTextError> CheckYamlDocuments(std::string_view text);

}  // namespace kmsguard::core
