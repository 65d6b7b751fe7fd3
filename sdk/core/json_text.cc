#include "sdk/core/json_text.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace kmsguard::core {

void AppendJsonString(std::string_view text, std::string* out) {
  bool plain = true;  // printable ASCII without '"' or '\'
  bool ascii = true;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80) {
      ascii = false;
    } else if (b < 0x20 || c == '"' || c == '\\') {
      plain = false;
    }
  }
  if (!ascii && !simdjson::validate_utf8(text.data(), text.size())) {
    // Invalid UTF-8 is rare (the protocol carries valid text): nlohmann itself replaces it, so the
    // bytes are the ones it has always written.
    out->append(nlohmann::json(std::string(text))
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  out->push_back('"');
  if (plain) {
    out->append(text);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t copied = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto b = static_cast<unsigned char>(text[i]);
      const char* escape = nullptr;
      switch (b) {
        case '"':
          escape = "\\\"";
          break;
        case '\\':
          escape = "\\\\";
          break;
        case '\b':
          escape = "\\b";
          break;
        case '\f':
          escape = "\\f";
          break;
        case '\n':
          escape = "\\n";
          break;
        case '\r':
          escape = "\\r";
          break;
        case '\t':
          escape = "\\t";
          break;
        default:
          if (b >= 0x20) continue;
          break;
      }
      out->append(text.data() + copied, i - copied);
      copied = i + 1;
      if (escape != nullptr) {
        out->append(escape);
      } else {
        const char unicode[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
        out->append(unicode, sizeof(unicode));
      }
    }
    out->append(text.data() + copied, text.size() - copied);
  }
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
