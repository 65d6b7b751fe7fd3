#include "sdk/rules/template.h"

#include <algorithm>
#include <map>

#include "sdk/core/text.h"

#include "absl/strings/ascii.h"

namespace kmsguard::rules {

namespace {

// One `{{ ... }}` occurrence: `begin` is the offset of the opening braces, `end` one past the
// closing ones (npos when unterminated).
struct Placeholder {
  std::size_t begin = 0;
  std::size_t end = std::string_view::npos;
  std::string_view name;
  std::string_view filter;  // after '|'; empty when there is none
  bool has_filter = false;
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && absl::ascii_isspace(text.front())) text.remove_prefix(1);
  while (!text.empty() && absl::ascii_isspace(text.back())) text.remove_suffix(1);
  return text;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-'; }

// Scans placeholders left to right; both the checker and the renderer use it, so they can never
// disagree about what a placeholder is.
std::vector<Placeholder> Scan(std::string_view text) {
  std::vector<Placeholder> out;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    Placeholder p;
    p.begin = pos;
    const std::size_t close = text.find("}}", pos + 2);
    if (close == std::string_view::npos) {
      out.push_back(p);
      break;
    }
    p.end = close + 2;
    p.name = Trim(text.substr(pos + 2, close - pos - 2));
    if (const std::size_t bar = p.name.find('|'); bar != std::string_view::npos) {
      p.has_filter = true;
      p.filter = Trim(p.name.substr(bar + 1));
      p.name = Trim(p.name.substr(0, bar));
    }
    out.push_back(p);
    pos = p.end;
  }
  return out;
}

}  // namespace

const std::vector<std::string_view>& TemplateFilters() {
  static const auto* const kFilters = new std::vector<std::string_view>{"shell", "hcl"};
  return *kFilters;
}

const std::vector<std::string_view>& TemplateVariables() {
  static const auto* const kVariables = new std::vector<std::string_view>{
      "resource.name",      "resource.id",      "resource.type",      "resource.kind",
      "resource.partition", "resource.account", "resource.region",    "policy.names",
      "policy.version",     "evidence.actions", "evidence.resources", "evidence.command",
      "evidence.terraform"};
  return *kVariables;
}

bool KeepsLines(std::string_view variable) { return variable == "evidence.terraform"; }

std::vector<TemplateError> CheckTemplate(std::string_view text,
                                         const std::function<bool(std::string_view)>& is_known) {
  std::vector<TemplateError> errors;
  for (const Placeholder& p : Scan(text)) {
    if (p.end == std::string_view::npos) {
      errors.push_back({p.begin, 2, "unterminated template placeholder: \"{{\" without \"}}\""});
      continue;
    }
    const std::size_t length = p.end - p.begin;
    bool well_formed = !p.name.empty();
    for (char c : p.name) well_formed = well_formed && IsNameChar(c);
    if (!well_formed) {
      errors.push_back({p.begin, length,
                        "malformed template placeholder \"" +
                            std::string(text.substr(p.begin, length)) +
                            "\": only {{variable}} or {{variable | filter}} is allowed"});
    } else if (p.has_filter && std::find(TemplateFilters().begin(), TemplateFilters().end(),
                                         p.filter) == TemplateFilters().end()) {
      errors.push_back({p.begin, length,
                        "unknown template filter \"" + std::string(p.filter) +
                            "\": the filters are shell and hcl"});
    } else if (!is_known(p.name)) {
      errors.push_back(
          {p.begin, length, "unknown template variable \"" + std::string(p.name) + "\""});
    }
  }
  return errors;
}

CompiledTemplate::CompiledTemplate(std::string text,
                                   const std::function<int(std::string_view)>& slot_of)
    : text_(std::move(text)) {
  for (const Placeholder& p : Scan(text_)) {
    if (p.end == std::string_view::npos) break;  // an unterminated "{{" stays text
    Piece piece;
    piece.begin = tail_;
    piece.end = p.begin;
    piece.slot = slot_of(p.name);
    piece.lines = KeepsLines(p.name);
    // An unknown filter (the loader refuses one) inserts the value unquoted.
    piece.filter = p.filter == "shell" ? Filter::kShell
                   : p.filter == "hcl" ? Filter::kHcl
                                       : Filter::kNone;
    pieces_.push_back(piece);
    tail_ = p.end;
  }
}

std::string CompiledTemplate::Render(std::span<const std::string_view> values) const {
  std::string out;
  out.reserve(text_.size() + 64);
  const std::string_view text = text_;
  for (const Piece& piece : pieces_) {
    out.append(text.substr(piece.begin, piece.end - piece.begin));
    const std::string_view value =
        piece.slot >= 0 && static_cast<std::size_t>(piece.slot) < values.size()
            ? values[static_cast<std::size_t>(piece.slot)]
            : std::string_view();
    // Values come from the input (names, ARNs, patterns): a newline in one would end the comment
    // line of a CLI or Terraform snippet and put the rest on a line of its own, to be run by
    // whoever pastes it. Control characters are written out as visible escapes instead.
    switch (piece.filter) {
      case Filter::kNone:
        if (piece.lines) {
          // Made by the engine, one line per line: every input value in it is already quoted or
          // made terminal-safe, so its own newlines are kept and each line is escaped alone.
          for (std::size_t begin = 0; begin <= value.size();) {
            const std::size_t end = std::min(value.find('\n', begin), value.size());
            if (begin > 0) out += '\n';
            core::AppendTerminalSafe(value.substr(begin, end - begin), &out);
            begin = end + 1;
          }
        } else {
          core::AppendTerminalSafe(value, &out);
        }
        break;
      case Filter::kShell:
        out += core::ShellQuote(core::TerminalSafe(value));
        break;
      case Filter::kHcl:
        core::AppendHclQuote(core::TerminalSafe(value), &out);
        break;
    }
  }
  out.append(text.substr(tail_));
  return out;
}

std::string RenderTemplate(std::string_view text, const TemplateValues& values) {
  std::vector<std::string_view> slots;
  slots.reserve(values.size());
  for (const auto& [name, value] : values) slots.push_back(value);
  const CompiledTemplate compiled(std::string(text), [&values](std::string_view name) {
    const auto it = values.find(name);
    return it == values.end() ? -1 : static_cast<int>(std::distance(values.begin(), it));
  });
  return compiled.Render(slots);
}

}  // namespace kmsguard::rules
