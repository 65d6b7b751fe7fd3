#include "sdk/core/text.h"

#include <simdjson.h>

#include "absl/strings/str_format.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace kmsguard::core {

namespace {

void AppendEscape(const char* format, unsigned value, std::string* out) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, format, value);
  out->append(buffer);
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text, std::size_t i, std::size_t* invalid) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    *invalid = 1;
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const bool in_range = i + k < text.size() && byte(i + k) >= (k == 1 ? low : 0x80) &&
                          byte(i + k) <= (k == 1 ? high : 0xBF);
    if (!in_range) {
      *invalid = k;
      return 0;
    }
  }
  return length;
}

std::string ValidUtf8(std::string_view text) {
  // Nearly all text is valid: simdjson's vectorized check settles that in a fraction of the
  // byte-by-byte walk below (every string of every finding passes here).
  if (simdjson::validate_utf8(text.data(), text.size())) return std::string(text);
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  std::size_t copied = 0;  // text[0, copied) is already in `out`
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t invalid = 0;
    const std::size_t length = Utf8SequenceLength(text, i, &invalid);
    if (length > 0) {
      i += length;
      continue;
    }
    if (copied == 0 && out.empty()) out.reserve(text.size() + 8);
    out.append(text.substr(copied, i - copied));
    out.append(kReplacement);
    i += invalid;
    copied = i;
  }
  if (copied == 0) return std::string(text);  // the common case: nothing to replace
  out.append(text.substr(copied));
  return out;
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  AppendTerminalSafe(text, &out);
  return out;
}

void AppendTerminalSafe(std::string_view text, std::string* out_ptr) {
  std::string& out = *out_ptr;
  // Most text is printable ASCII, which is appended as it is without the per-character walk.
  if (std::all_of(text.begin(), text.end(), [](char c) {
        const auto b = static_cast<std::uint8_t>(c);
        return b >= 0x20 && b < 0x7F;
      })) {
    out.append(text);
    return;
  }
  out.reserve(out.size() + text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    std::size_t invalid = 0;
    const std::size_t length = Utf8SequenceLength(text, i, &invalid);
    if (length == 0 || b0 < 0x20 || b0 == 0x7F) {
      AppendEscape("\\x%02x", b0, &out);
      ++i;
      continue;
    }
    // U+0080..U+009F are C2 80..C2 9F: C1 controls (CSI is U+009B).
    if (length == 2 && b0 == 0xC2 && static_cast<std::uint8_t>(text[i + 1]) <= 0x9F) {
      AppendEscape("\\u%04x", static_cast<std::uint8_t>(text[i + 1]), &out);
      i += 2;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
}

std::string Excerpt(std::string_view line, std::size_t center, std::size_t max_bytes,
                    std::size_t* center_out) {
  if (center > line.size()) center = line.size();
  if (line.size() <= max_bytes) {
    *center_out = center;
    return std::string(line);
  }
  // Two thirds of the room before the point: the text leading to an error explains it.
  std::size_t begin = center > max_bytes * 2 / 3 ? center - max_bytes * 2 / 3 : 0;
  std::size_t end = std::min(line.size(), begin + max_bytes);
  if (end - begin < max_bytes) begin = end > max_bytes ? end - max_bytes : 0;
  // Never cut inside a UTF-8 sequence: move to the next lead byte.
  const auto continuation = [&](std::size_t k) {
    return k < line.size() && (static_cast<std::uint8_t>(line[k]) & 0xC0) == 0x80;
  };
  while (begin < center && continuation(begin)) ++begin;
  while (end > center && continuation(end)) --end;
  std::string out;
  if (begin > 0) out = "...";
  *center_out = out.size() + (center - begin);
  out.append(line.substr(begin, end - begin));
  if (end < line.size()) out += "...";
  return out;
}

bool StarGlobMatch(std::string_view pattern, std::string_view text, GlobOptions options) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  const auto same = [&](char p, char t) {
    return p == t || (options.question_mark && p == '?') ||
           (options.ignore_case && lower(p) == lower(t));
  };
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && same(pattern[p], text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string HclQuote(std::string_view text) {
  std::string out;
  AppendHclQuote(text, &out);
  return out;
}

void AppendHclQuote(std::string_view text, std::string* out_ptr) {
  std::string& out = *out_ptr;
  out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '$':
      case '%':
        // "${" and "%{" start a template sequence; doubling the first character escapes it.
        out += c;
        if (i + 1 < text.size() && text[i + 1] == '{') out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace kmsguard::core
