#include "sdk/adapters/json_framer.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sdk/core/json_text.h"

namespace kmsguard::adapters::internal {

namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// Brackets deeper than this in one value are not followed (the scan's memory stays bounded).
constexpr std::size_t kMaxDepth = std::size_t{1} << 20;

bool IsWhitespace(int c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string Shown(int c) {
  if (c < 0) return "end of input";
  if (c >= 0x20 && c < 0x7f) return absl::StrCat("'", std::string(1, static_cast<char>(c)), "'");
  return absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
}

}  // namespace

int JsonFramer::Peek() {
  if (pos_ < size_) return static_cast<unsigned char>(buffer_[pos_]);
  if (!Fill()) return -1;
  return static_cast<unsigned char>(buffer_[pos_]);
}

bool JsonFramer::Fill() {
  if (eof_) return false;
  // Keep what is still needed (the element being scanned), drop the rest.
  const std::size_t drop = std::min(pos_, keep_ == std::string::npos ? pos_ : keep_);
  if (drop > 0) {
    // Count the lines of what is dropped, so positions stay right.
    LocationAt(base_ + drop, "");
    base_lines_ = lines_;
    base_line_start_ = line_start_;
    std::memmove(buffer_.data(), buffer_.data() + drop, size_ - drop);
    size_ -= drop;
    pos_ -= drop;
    if (keep_ != std::string::npos) keep_ -= drop;
    base_ += drop;
  }
  if (size_ > kMaxElementBytes) {
    eof_ = true;
    return false;
  }
  // Room for one more chunk and simdjson's padding after it.
  if (buffer_.size() < size_ + kChunkBytes + simdjson::SIMDJSON_PADDING) {
    buffer_.resize(std::max(buffer_.size() * 2, size_ + kChunkBytes + simdjson::SIMDJSON_PADDING));
  }
  const std::size_t n = source_(buffer_.data() + size_, kChunkBytes);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  size_ += n;
  return true;
}

core::SourceLocation JsonFramer::LocationAt(std::uint64_t offset, std::string_view file) {
  // Counted forward from a cursor; an offset before it is counted again from the start of what is
  // held (positions are asked for rarely: errors, and the entries of later pages, in order).
  offset = std::max(offset, base_);
  if (offset < counted_) {
    counted_ = base_;
    lines_ = base_lines_;
    line_start_ = base_line_start_;
  }
  const std::uint64_t end = std::min<std::uint64_t>(offset, base_ + size_);
  if (end > counted_) {
    const char* p = buffer_.data() + (counted_ - base_);
    const char* stop = buffer_.data() + (end - base_);
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(stop - p)))) !=
           nullptr) {
      ++lines_;
      line_start_ = base_ + static_cast<std::uint64_t>(p - buffer_.data()) + 1;
      ++p;
    }
    counted_ = end;
  }
  core::SourceLocation location;
  location.file = std::string(file);
  location.line = static_cast<int>(lines_ + 1);
  location.column = static_cast<int>(offset - line_start_ + 1);
  return location;
}

bool JsonFramer::SkipWhitespace() {
  while (true) {
    const int c = Peek();
    if (c < 0) return false;
    if (!IsWhitespace(c)) return true;
    ++pos_;
  }
}

bool JsonFramer::Fail(std::string message) {
  error_ = std::move(message);
  error_offset_ = base_ + pos_;
  return false;
}

bool JsonFramer::Expect(char wanted, const char* what) {
  SkipWhitespace();
  const int c = Peek();
  if (c != static_cast<unsigned char>(wanted)) {
    return Fail(absl::StrCat("syntax error: unexpected ", Shown(c), "; expected ", what));
  }
  ++pos_;
  return true;
}

bool JsonFramer::ScanString() {
  // pos_ is at the opening quote. Plain string text is skipped many bytes at a time.
  ++pos_;
  while (true) {
    const std::string_view buffered(buffer_.data(), size_);
    std::size_t i = pos_;
    while ((i = core::NextJsonStringStop(buffered, i)) < size_) {
      const char c = buffered[i];
      if (c == '"') {
        pos_ = i + 1;
        return true;
      }
      if (c == '\\') {
        if (i + 1 >= size_) break;  // the escaped byte is in the next chunk
        i += 2;
        continue;
      }
      pos_ = i;  // a control character
      return Fail(absl::StrCat("syntax error: control character ", Shown(c),
                               " inside a string (it must be escaped)"));
    }
    pos_ = std::min(i, size_);
    if (!Fill()) {
      pos_ = size_;
      return Fail(size_ > kMaxElementBytes
                      ? "a value larger than 256 MiB: not read"
                      : "syntax error: unexpected end of input inside a string");
    }
  }
}

bool JsonFramer::ScanContainer() {
  // pos_ is at '{' or '['. Strings are skipped whole; brackets must pair up.
  stack_.clear();
  while (true) {
    const int c = Peek();
    if (c < 0) {
      return Fail(size_ > kMaxElementBytes ? "a value larger than 256 MiB: not read"
                                           : "syntax error: unexpected end of input");
    }
    switch (c) {
      case '"':
        if (!ScanString()) return false;
        continue;
      case '{':
      case '[':
        if (stack_.size() >= kMaxDepth) return Fail("nesting too deep to read");
        stack_.push_back(static_cast<char>(c));
        break;
      case '}':
      case ']': {
        const char open = c == '}' ? '{' : '[';
        if (stack_.empty() || stack_.back() != open) {
          return Fail(absl::StrCat("syntax error: unexpected ", Shown(c)));
        }
        stack_.pop_back();
        if (stack_.empty()) {
          ++pos_;
          return true;
        }
        break;
      }
      default:
        break;
    }
    ++pos_;
  }
}

bool JsonFramer::ScanScalar(std::string_view* type) {
  const int first = Peek();
  // The token must stay in the buffer while more input is read.
  const std::size_t kept = keep_;
  if (keep_ == std::string::npos || keep_ > pos_) keep_ = pos_;
  const std::size_t from_keep = pos_ - keep_;
  while (true) {
    const int c = Peek();
    if (c < 0 || IsWhitespace(c) || c == ',' || c == ']' || c == '}' || c == ':') break;
    if (pos_ - (keep_ + from_keep) > 64) break;  // no literal or number is that long
    ++pos_;
  }
  const std::size_t start = keep_ + from_keep;
  keep_ = kept == std::string::npos ? std::string::npos : keep_;
  const std::string_view token(buffer_.data() + start, pos_ - start);
  if (token == "true" || token == "false") {
    *type = "boolean";
    return true;
  }
  if (token == "null") {
    *type = "null";
    return true;
  }
  // A number: let simdjson judge its grammar.
  if ((first == '-' || (first >= '0' && first <= '9')) && !token.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element ignored;
    if (parser.parse(token.data(), token.size()).get(ignored) == simdjson::SUCCESS) {
      *type = "number";
      return true;
    }
  }
  pos_ = start;
  return Fail(absl::StrCat("syntax error: unexpected ", Shown(first), "; expected a value"));
}

bool JsonFramer::ScanValue(std::string_view* type) {
  SkipWhitespace();
  const int c = Peek();
  if (c == '"') {
    *type = "string";
    return ScanString();
  }
  if (c == '{' || c == '[') {
    *type = c == '{' ? "object" : "array";
    return ScanContainer();
  }
  if (c < 0) return Fail("syntax error: unexpected end of input; expected a value");
  return ScanScalar(type);
}

bool JsonFramer::ReadKey(std::string* key) {
  SkipWhitespace();
  if (Peek() != '"') {
    return Fail(absl::StrCat("syntax error: unexpected ", Shown(Peek()),
                             "; expected a member name (a string)"));
  }
  keep_ = pos_;
  if (!ScanString()) return false;
  const std::string_view text(buffer_.data() + keep_, pos_ - keep_);
  keep_ = std::string::npos;
  if (text.find('\\') == std::string_view::npos) {
    key->assign(text.substr(1, text.size() - 2));
    return true;
  }
  // An escaped key: simdjson decodes it (and says if an escape is bad).
  std::string padded(text);
  simdjson::dom::parser parser;
  std::string_view decoded;
  if (parser.parse(padded).get_string().get(decoded) != simdjson::SUCCESS) {
    return Fail("syntax error: a member name with an invalid escape");
  }
  key->assign(decoded);
  return true;
}

bool JsonFramer::ReadArray(const std::string& key) {
  // pos_ is just past '['.
  if (callbacks_.array_seen) callbacks_.array_seen(key);
  SkipWhitespace();
  if (Peek() == ']') {
    ++pos_;
    return true;
  }
  for (std::size_t index = 0;; ++index) {
    SkipWhitespace();
    keep_ = pos_;
    const std::uint64_t offset = base_ + pos_;
    std::string_view type;
    if (!ScanValue(&type)) {
      keep_ = std::string::npos;
      return false;
    }
    const std::string_view text(buffer_.data() + keep_, pos_ - keep_);
    callbacks_.element(key, index, text, offset);
    keep_ = std::string::npos;
    SkipWhitespace();
    const int c = Peek();
    if (c == ']') {
      ++pos_;
      return true;
    }
    if (c != ',') {
      return Fail(absl::StrCat("syntax error: unexpected ", Shown(c), "; expected ',' or ']'"));
    }
    ++pos_;
  }
}

bool JsonFramer::ReadDocument() {
  // pos_ is at '{'.
  ++pos_;
  SkipWhitespace();
  if (Peek() == '}') {
    ++pos_;
    return true;
  }
  std::string key;
  while (true) {
    if (!ReadKey(&key)) return false;
    if (!Expect(':', "':'")) return false;
    SkipWhitespace();
    const bool split = callbacks_.split(key);
    if (split && Peek() == '[') {
      ++pos_;
      if (!ReadArray(key)) return false;
    } else {
      std::string_view type;
      if (!ScanValue(&type)) return false;
      if (split && type != "null") callbacks_.not_an_array(key, type);
    }
    SkipWhitespace();
    const int c = Peek();
    if (c == '}') {
      ++pos_;
      return true;
    }
    if (c != ',') {
      return Fail(absl::StrCat("syntax error: unexpected ", Shown(c), "; expected ',' or '}'"));
    }
    ++pos_;
  }
}

bool JsonFramer::Run() {
  while (true) {
    if (!SkipWhitespace()) return true;
    if (!bom_checked_) {
      bom_checked_ = true;
      // A UTF-8 byte order mark before the first document is not part of the JSON.
      if (Peek() == 0xEF) {
        while (size_ - pos_ < 3 && Fill()) {
        }
        if (size_ - pos_ >= 3 && std::memcmp(buffer_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
          pos_ += 3;
          continue;
        }
      }
    }
    ++document_;
    if (Peek() != '{') {
      std::string_view type;
      const std::size_t at = pos_;
      if (!ScanValue(&type)) {
        pos_ = at;
        return Fail(absl::StrCat("syntax error: unexpected ", Shown(Peek()), "; expected '{'"));
      }
      callbacks_.root_not_object(type);
      return true;
    }
    if (!ReadDocument()) return false;
  }
}

}  // namespace kmsguard::adapters::internal
