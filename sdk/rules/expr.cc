#include "sdk/rules/expr.h"

#include "absl/strings/ascii.h"

namespace kmsguard::rules {

namespace {

bool IsFieldChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == ':'; }

}  // namespace

bool ParsePath(std::string_view text, Path* out, std::string* error, std::size_t* error_offset) {
  *out = Path();
  out->text = std::string(text);
  std::size_t i = 0;
  const auto fail = [&](std::size_t at, std::string message) {
    *error = std::move(message);
    *error_offset = at;
    return false;
  };
  constexpr std::string_view kResource = "$resource";
  if (text.substr(0, kResource.size()) == kResource &&
      (text.size() == kResource.size() || text[kResource.size()] == '.' ||
       text[kResource.size()] == '[')) {
    out->root = PathRoot::kResource;
    i = kResource.size();
  } else if (!text.empty() && text[0] == '$') {
    out->root = PathRoot::kDocument;
    i = 1;
  } else if (!text.empty() && text[0] == '@') {
    out->root = PathRoot::kItem;
    i = 1;
  } else {
    return fail(0,
                "a path starts with $ (the resource document), @ (the current item) or "
                "$resource");
  }
  while (i < text.size()) {
    PathStep step;
    if (text[i] == '.') {
      const std::size_t start = ++i;
      while (i < text.size() && IsFieldChar(text[i])) ++i;
      if (i == start) {
        if (i < text.size() && text[i] == '*') {
          return fail(i, "use [*] for every item, not .*");
        }
        return fail(start, "expected a field name after \".\"");
      }
      step.field = std::string(text.substr(start, i - start));
    } else if (text[i] == '[') {
      const std::size_t start = i;
      ++i;
      if (i < text.size() && text[i] == '*') {
        ++i;
        step.kind = PathStep::Kind::kWildcard;
        out->multi = true;
      } else if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        const char quote = text[i++];
        const std::size_t name_start = i;
        while (i < text.size() && text[i] != quote) ++i;
        if (i >= text.size()) return fail(start, "unterminated quoted field name");
        step.field = std::string(text.substr(name_start, i - name_start));
        ++i;
      } else if (i < text.size() && absl::ascii_isdigit(text[i])) {
        step.kind = PathStep::Kind::kIndex;
        while (i < text.size() && absl::ascii_isdigit(text[i])) {
          step.index = step.index * 10 + (text[i] - '0');
          if (step.index > 1000000) return fail(start, "index too large");
          ++i;
        }
      } else {
        return fail(i, "expected *, a non-negative index or a quoted field name inside [ ]");
      }
      if (i >= text.size() || text[i] != ']') return fail(i, "expected \"]\"");
      ++i;
    } else {
      return fail(i, std::string("unexpected \"") + text[i] +
                         "\"; a path goes on with .name, [\"name\"], [N] or [*]");
    }
    out->steps.push_back(std::move(step));
  }
  return true;
}

std::string_view QuantifierName(Quantifier q) {
  switch (q) {
    case Quantifier::kAny:
      return "any";
    case Quantifier::kAll:
      return "all";
    case Quantifier::kNone:
      return "none";
    case Quantifier::kUnset:
      break;
  }
  return "";
}

const std::vector<std::string_view>& GenericOperators() {
  // Grouped as documented: logic, path tests, IAM tests, measures, macros.
  // Grouped as documented: logic, path tests, IAM tests, measures, macros.
  // clang-format off
  static const auto* const kOperators = new std::vector<std::string_view>{
      "all", "any", "none", "not",
      "equals", "in", "exists", "glob", "matches", "covers_action",
      "starts_with", "contains", "lt", "le", "gt", "ge",
      "admits_principal", "unconditional", "policy_allows",
      "length", "count", "macro"};
  // clang-format on
  return *kOperators;
}

bool CallsBuiltin(const Expr& expr) {
  if (expr.kind == Expr::Kind::kBuiltin) return true;
  for (const ExprPtr& child : expr.children) {
    if (child && CallsBuiltin(*child)) return true;
  }
  return false;
}

}  // namespace kmsguard::rules
