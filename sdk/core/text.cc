#include "sdk/core/text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace kmsguard::core {

namespace {

// Length of the valid UTF-8 sequence starting at text[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

void AppendEscape(const char* format, unsigned value, std::string* out) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, format, value);
  out->append(buffer);
}

}  // namespace

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    const std::size_t length = Utf8Length(text, i);
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
  return out;
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

}  // namespace kmsguard::core
