// How the terminal table fits a width: columns measured in display columns, names cut in the
// middle (their distinguishing end kept), free text wrapped. Used by table.cc; not part of the
// public render API.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::render::internal {

// The columns `text` takes on a terminal: one per code point (UTF-8 continuation bytes are not
// counted; the table's text has been through core::TerminalSafe, so it holds no control bytes).
std::size_t DisplayWidth(std::string_view text);

// `text` whole when it fits in `width` columns; else its start and its end joined by "…", in
// exactly `width` columns, never splitting a UTF-8 sequence. The end gets about half, so names
// that differ only in a suffix (a region, a generated id) stay apart:
// "role/AWS-QuickSetup-EnableCRecording-1clff_us-east-1" in 30 -> "role/AWS-QuickS…clff_us-east-1".
std::string CutMiddle(std::string_view text, std::size_t width);

// `text` in lines of at most `width` columns, broken at spaces; a word longer than a line is split.
// Never empty: an empty text is one empty line.
std::vector<std::string> Wrap(std::string_view text, std::size_t width);

// The table's columns: SEVERITY, STATUS, RULE, PRINCIPAL, POLICY, then the free-text column
// (what is granted, or the finding's message).
inline constexpr std::size_t kTableColumns = 6;
inline constexpr std::size_t kColumnGap = 2;
using ColumnWidths = std::array<std::size_t, kTableColumns>;

struct TableLayout {
  // How wide each column is printed. Cells of the name columns (RULE, PRINCIPAL, POLICY) wider
  // than theirs are cut in the middle; SEVERITY and STATUS are never cut.
  ColumnWidths width{};
  // The last column's text wraps at width[5] (0: it is never wrapped).
  bool wrap_last = false;
  // The last column does not fit beside the others: it is printed under the row instead, wrapped
  // to the table's width, and the header leaves it out.
  bool last_below = false;
  // The line width the table was fitted to (0: unlimited).
  std::size_t total = 0;
};

// The layout of a table whose cells are at most `natural` columns wide, in `total` columns
// (0: unlimited, nothing cut or wrapped). In order of preference: every cell whole on one line;
// the last column wrapped in place (at least kMinWrappedLast wide) with every name whole; the last
// column under the row and the name columns sharing the rest of the line (each cut to the same
// cap, none below kMinName unless its cells are narrower).
inline constexpr std::size_t kMinWrappedLast = 40;
inline constexpr std::size_t kMinName = 12;
TableLayout FitTable(const ColumnWidths& natural, std::size_t total);

}  // namespace kmsguard::render::internal
