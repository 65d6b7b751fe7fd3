// JSON text appended straight to a buffer, byte for byte what nlohmann's dump() writes for the
// same values built as an ordered_json (compact, or indented), so the JSON formats can write each
// finding without building a DOM of it first: at a million findings the DOM (one allocation per
// string, per member) cost more than the scan. The goldens (tests/golden) hold the bytes.
// Used by the JSON renderers and by the remediation's rewritten policies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json_fwd.hpp"

namespace kmsguard::core {

class JsonText {
 public:
  // Appends to `*out`. `indent` < 0: compact, as dump(); else pretty, as dump(indent), with the
  // value starting at nesting `level` (its own first line is the caller's; later lines are
  // indented as they would be `level` containers deep).
  explicit JsonText(std::string* out, int indent = -1, int level = 0)
      : out_(out), indent_(indent), level_(level) {}

  JsonText& BeginObject();
  JsonText& EndObject();
  JsonText& BeginArray();
  JsonText& EndArray();
  // A member's key; its value comes next.
  JsonText& Key(std::string_view key);
  JsonText& String(std::string_view value);
  JsonText& Int(std::int64_t value);
  JsonText& Bool(bool value);
  JsonText& Strings(const std::vector<std::string>& values);
  // A scalar already written as JSON (a number as nlohmann writes it, or null), appended as is.
  JsonText& Raw(std::string_view json);

  // Member shorthands: Key then the value.
  JsonText& Member(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonText& Member(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonText& Member(std::string_view key, const std::string& value) {
    return Key(key).String(value);
  }
  JsonText& Member(std::string_view key, std::int64_t value) { return Key(key).Int(value); }
  JsonText& Member(std::string_view key, int value) { return Key(key).Int(value); }
  JsonText& Member(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonText& Member(std::string_view key, const std::vector<std::string>& values) {
    return Key(key).Strings(values);
  }

 private:
  // Before a value: the separator and indentation its container needs.
  void BeforeValue();
  void Close(char bracket);
  void Newline(int level);

  std::string* out_;
  const int indent_;
  int level_;
  // Per open container: how many values it holds so far.
  std::vector<int> counts_;
  bool after_key_ = false;
};

// value.dump(indent) (compact when `indent` < 0), except that a string holding bytes that are not
// UTF-8 is written with U+FFFD for each bad sequence (nlohmann's `replace` error handler) where a
// plain dump() throws type_error 316. Strings can hold such bytes even though every JSON reader
// here checks UTF-8: yaml-cpp does not check it, and text is cut and joined by templates and
// functions. Every dump in sdk/ and plugin/ goes through these, so no message and no output can
// throw on its input (the fuzz target `rules` found one that did).
std::string DumpJson(const nlohmann::json& value, int indent = -1);
std::string DumpJson(const nlohmann::ordered_json& value, int indent = -1);

// Appends `text` as a JSON string, escaped as nlohmann escapes it (ensure_ascii off; invalid
// UTF-8 replaced by U+FFFD as its `replace` error handler does).
void AppendJsonString(std::string_view text, std::string* out);

// Where, from `from`, the next byte of `text` is that interrupts the plain text of a JSON string:
// '"', '\\' or a control character (below 0x20; RFC 8259 section 7); `text.size()` when there
// is none. Other bytes, UTF-8 included, are plain. For readers that skip a string whole (the
// export framer); several bytes per step.
std::size_t NextJsonStringStop(std::string_view text, std::size_t from);

}  // namespace kmsguard::core
