#include "sdk/render/table_layout.h"

#include <algorithm>
#include <numeric>

namespace kmsguard::render::internal {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026, one column

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte offset after the first `count` code points of `text` (its size when it has fewer).
std::size_t PrefixBytes(std::string_view text, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t seen = 0; at < text.size(); ++at) {
    if (!IsContinuation(text[at]) && seen++ == count) break;
  }
  return at;
}

// The byte offset where the last `count` code points of `text` start (0 when it has fewer).
std::size_t SuffixStart(std::string_view text, std::size_t count) {
  std::size_t at = text.size();
  for (std::size_t seen = 0; at > 0 && seen < count;) {
    --at;
    if (!IsContinuation(text[at])) ++seen;
  }
  return at;
}

}  // namespace

std::size_t DisplayWidth(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !IsContinuation(c); }));
}

std::string CutMiddle(std::string_view text, std::size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  const std::size_t keep = width - 1;  // one column for the ellipsis
  const std::size_t tail = keep / 2;
  const std::size_t head = keep - tail;
  std::string out(text.substr(0, PrefixBytes(text, head)));
  out.append(kEllipsis);
  out.append(text.substr(tail == 0 ? text.size() : SuffixStart(text, tail)));
  return out;
}

std::vector<std::string> Wrap(std::string_view text, std::size_t width) {
  if (width == 0) return {std::string(text)};
  std::vector<std::string> lines;
  std::string line;
  std::size_t line_width = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text[at] == ' ') {
      ++at;
      continue;
    }
    std::size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(at, end - at);
    at = end;
    std::size_t word_width = DisplayWidth(word);
    if (line_width > 0 && line_width + 1 + word_width <= width) {
      line.push_back(' ');
      line.append(word);
      line_width += 1 + word_width;
      continue;
    }
    if (line_width > 0) lines.push_back(std::move(line));
    line.clear();
    line_width = 0;
    // A word longer than a line (an ARN) is split where the line ends.
    while (word_width > width) {
      const std::size_t cut = PrefixBytes(word, width);
      lines.emplace_back(word.substr(0, cut));
      word.remove_prefix(cut);
      word_width -= width;
    }
    line.assign(word);
    line_width = word_width;
  }
  if (line_width > 0 || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

TableLayout FitTable(const ColumnWidths& natural, std::size_t total) {
  TableLayout layout;
  layout.width = natural;
  layout.total = total;
  const std::size_t gaps = kColumnGap * (kTableColumns - 1);
  const std::size_t whole = std::accumulate(natural.begin(), natural.end(), gaps);
  if (total == 0 || whole <= total) return layout;

  // The last column wrapped in place, every name whole.
  const std::size_t others = whole - natural[kTableColumns - 1];
  if (others + kMinWrappedLast <= total) {
    layout.width[kTableColumns - 1] = total - others;
    layout.wrap_last = true;
    return layout;
  }

  // The last column under the row; the name columns (2, 3, 4) share what SEVERITY and STATUS
  // leave, each cut to one cap: the widest give up columns first.
  layout.last_below = true;
  layout.width[kTableColumns - 1] = 0;
  const std::size_t fixed = natural[0] + natural[1] + kColumnGap * (kTableColumns - 2);
  const std::size_t room = total > fixed ? total - fixed : 0;
  const auto names_at = [&natural](std::size_t cap) {
    return std::min(natural[2], cap) + std::min(natural[3], cap) + std::min(natural[4], cap);
  };
  std::size_t cap = std::max({natural[2], natural[3], natural[4]});
  while (cap > kMinName && names_at(cap) > room) --cap;
  for (std::size_t c = 2; c < kTableColumns - 1; ++c) layout.width[c] = std::min(natural[c], cap);
  return layout;
}

}  // namespace kmsguard::render::internal
