#include "plugin/diagnostic_printer.h"

#include <string>

namespace kmsguard::plugin {

namespace {

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
  out << diagnostic.ToString() << '\n';
  const int line_number = diagnostic.location.line;
  if (line_number <= 0 || source_text.empty()) return;
  const std::string_view line = Line(source_text, line_number);
  if (line.empty()) return;
  out << "  " << line << '\n';
  const int column = diagnostic.location.column;
  if (column <= 0 || static_cast<std::size_t>(column) > line.size() + 1) return;
  std::string caret = "  ";
  // Keep tabs so the caret lines up under the same terminal columns.
  for (int i = 0; i + 1 < column; ++i)
    caret += line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
  out << caret << "^\n";
}

}  // namespace kmsguard::plugin
