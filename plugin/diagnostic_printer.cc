#include "plugin/diagnostic_printer.h"

#include <string>

#include "sdk/core/text.h"

namespace kmsguard::plugin {

namespace {

constexpr std::size_t kMaxExcerpt = 120;

// The 1-based `line` of `text`, without its newline; empty when out of range.
std::string_view Line(std::string_view text, int line) {
  std::size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  if (start > text.size()) return {};
  std::string_view rest = text.substr(start);
  rest = rest.substr(0, rest.find('\n'));
  if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
  return rest;
}

}  // namespace

void PrintDiagnostic(std::ostream& out, const core::Diagnostic& diagnostic,
                     std::string_view source_text) {
  out << core::TerminalSafe(diagnostic.ToString()) << '\n';
  const int line_number = diagnostic.location.line;
  if (line_number <= 0 || source_text.empty()) return;
  const std::string_view line = Line(source_text, line_number);
  if (line.empty()) return;
  const int column = diagnostic.location.column;
  const bool has_column = column > 0 && static_cast<std::size_t>(column) <= line.size() + 1;
  // Minified JSON is one line of megabytes: show a window around the column, not the line.
  std::size_t center = has_column ? static_cast<std::size_t>(column - 1) : 0;
  std::size_t center_in_excerpt = 0;
  const std::string excerpt = core::Excerpt(line, center, kMaxExcerpt, &center_in_excerpt);
  out << "  " << core::TerminalSafe(excerpt) << '\n';
  if (!has_column) return;
  // The caret goes under the same character once escapes are written out: count code points.
  const std::string before = core::TerminalSafe(excerpt.substr(0, center_in_excerpt));
  std::size_t width = 0;
  for (const char c : before) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  out << std::string(2 + width, ' ') << "^\n";
}

}  // namespace kmsguard::plugin
