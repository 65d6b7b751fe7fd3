#include "sdk/core/json_text.h"

#include <simdjson.h>

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace kmsguard::core {

std::string DumpJson(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

// Per byte: 1 for what a JSON string cannot hold as it is (control characters, '"', '\\'), 2 for
// the bytes of multi-byte UTF-8 sequences (checked once, when the first one is met), 0 otherwise.
constexpr std::array<unsigned char, 256> kByteClass = [] {
  std::array<unsigned char, 256> table{};
  for (int b = 0; b < 0x20; ++b) table[static_cast<std::size_t>(b)] = 1;
  table[static_cast<unsigned char>('"')] = table[static_cast<unsigned char>('\\')] = 1;
  for (int b = 0x80; b < 0x100; ++b) table[static_cast<std::size_t>(b)] = 2;
  return table;
}();

// Where the next byte that stops a plain run of JSON string text is, from `i`: '"', '\\' or a
// control character, and also every byte from 0x80 up when `kStopAtNonAscii`. Sixteen bytes per
// step while there is none (SSE2, which every x86-64 has; eight through the table elsewhere):
// remediation text runs hundreds of bytes between quotes and newlines, and this loop was most of
// the JSONL writer's time, as the byte loop finding the end of each string was of the export
// framer's (issue 13, host profiles).
template <bool kStopAtNonAscii>
std::size_t NextStop(std::string_view text, std::size_t i) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i last_control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // Read as signed chars, the bytes below 0x20 are the control characters and every byte from
    // 0x80 up (negative); read unsigned, min(b, 0x1F) == b only for the control characters.
    const __m128i low = kStopAtNonAscii
                            ? _mm_cmplt_epi8(chunk, space)
                            : _mm_cmpeq_epi8(_mm_min_epu8(chunk, last_control), chunk);
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                     low);
    if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  constexpr unsigned char kStops = kStopAtNonAscii ? 3 : 1;
  const auto at = [&text](std::size_t k) {
    return kByteClass[static_cast<unsigned char>(text[k])] & kStops;
  };
  for (; i + 8 <= text.size(); i += 8) {
    if (at(i) | at(i + 1) | at(i + 2) | at(i + 3) | at(i + 4) | at(i + 5) | at(i + 6) | at(i + 7)) {
      break;
    }
  }
  while (i < text.size() && at(i) == 0) ++i;
  return i;
}

// JSON's two-character escapes; nullptr for a control character written as \u00XX.
const char* ShortEscape(char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return nullptr;
  }
}

}  // namespace

std::size_t NextJsonStringStop(std::string_view text, std::size_t from) {
  return NextStop<false>(text, from);
}

void AppendJsonString(std::string_view text, std::string* out) {
  const std::size_t start = out->size();
  out->reserve(start + text.size() + 2);
  out->push_back('"');
  static constexpr char kHex[] = "0123456789abcdef";
  bool checked_utf8 = false;
  std::size_t copied = 0;
  for (std::size_t i = NextStop<true>(text, 0); i < text.size(); i = NextStop<true>(text, i + 1)) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (kByteClass[b] == 2) {
      // Everything before the first non-ASCII byte is ASCII, so checking from there checks all
      // (simdjson, many bytes at a time).
      if (!checked_utf8 && !simdjson::validate_utf8(text.data() + i, text.size() - i)) {
        // Invalid UTF-8 is rare (the protocol carries valid text): nlohmann itself replaces it,
        // so the bytes are the ones it has always written.
        out->resize(start);
        out->append(core::DumpJson(nlohmann::json(std::string(text))));
        return;
      }
      checked_utf8 = true;
      continue;
    }
    out->append(text.data() + copied, i - copied);
    copied = i + 1;
    if (const char* escape = ShortEscape(static_cast<char>(b)); escape != nullptr) {
      out->append(escape, 2);
    } else {
      const char unicode[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
      out->append(unicode, sizeof(unicode));
    }
  }
  out->append(text.data() + copied, text.size() - copied);
  out->push_back('"');
}

void JsonText::Newline(int level) {
  out_->push_back('\n');
  out_->append(static_cast<std::size_t>(indent_) * static_cast<std::size_t>(level), ' ');
}

void JsonText::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (counts_.empty()) return;  // the value itself
  // An array element.
  if (counts_.back()++ > 0) out_->push_back(',');
  if (indent_ >= 0) Newline(level_ + static_cast<int>(counts_.size()));
}

JsonText& JsonText::Key(std::string_view key) {
  if (counts_.back()++ > 0) out_->push_back(',');
  if (indent_ >= 0) Newline(level_ + static_cast<int>(counts_.size()));
  AppendJsonString(key, out_);
  out_->append(indent_ >= 0 ? ": " : ":");
  after_key_ = true;
  return *this;
}

JsonText& JsonText::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  counts_.push_back(0);
  return *this;
}

JsonText& JsonText::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  counts_.push_back(0);
  return *this;
}

void JsonText::Close(char bracket) {
  const int count = counts_.back();
  counts_.pop_back();
  if (count > 0 && indent_ >= 0) Newline(level_ + static_cast<int>(counts_.size()));
  out_->push_back(bracket);
}

JsonText& JsonText::EndObject() {
  Close('}');
  return *this;
}

JsonText& JsonText::EndArray() {
  Close(']');
  return *this;
}

JsonText& JsonText::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(value, out_);
  return *this;
}

JsonText& JsonText::Int(std::int64_t value) {
  BeforeValue();
  absl::StrAppend(out_, value);
  return *this;
}

JsonText& JsonText::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
  return *this;
}

JsonText& JsonText::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
  return *this;
}

JsonText& JsonText::Strings(const std::vector<std::string>& values) {
  BeginArray();
  for (const std::string& value : values) String(value);
  return EndArray();
}

}  // namespace kmsguard::core
