#include "sdk/iam/arn_pattern.h"

#include <bitset>
#include <cstddef>
#include <utility>

namespace kmsguard::iam {

ArnPattern CompileArnPattern(std::string_view text, bool substitute_variables) {
  ArnPattern out;
  out.text = std::string(text);
  out.is_star = text == "*";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (substitute_variables && c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        const std::string_view name = text.substr(i + 2, close - i - 2);
        if (name == "*" || name == "?" || name == "$") {
          out.tokens.push_back({ArnToken::Kind::kLiteral, name[0]});
        } else {
          out.tokens.push_back({ArnToken::Kind::kVariable, kVariableSymbol});
        }
        i = close;
        continue;
      }
    }
    if (c == '*') {
      const bool ends_segment = i + 1 == text.size() || text[i + 1] == ':';
      out.tokens.push_back({ends_segment ? ArnToken::Kind::kSpanningStar : ArnToken::Kind::kStar, 0});
      out.has_wildcard = true;
    } else if (c == '?') {
      out.tokens.push_back({ArnToken::Kind::kAnyChar, 0});
      out.has_wildcard = true;
    } else {
      out.tokens.push_back({ArnToken::Kind::kLiteral, c});
    }
  }
  return out;
}

namespace {

// Adds position `i` and, through stars (which may match nothing), the positions after them.
template <typename Set>
void AddWithClosure(const std::vector<ArnToken>& tokens, std::size_t i, Set& set) {
  while (i <= tokens.size() && !set[i]) {
    set[i] = true;
    if (i == tokens.size()) return;
    const auto kind = tokens[i].kind;
    if (kind != ArnToken::Kind::kStar && kind != ArnToken::Kind::kSpanningStar) return;
    ++i;
  }
}

// NFA simulation over the token positions; `Set` is a bitset for the common short patterns, so a
// match does not allocate.
template <typename Set>
bool Simulate(const std::vector<ArnToken>& tokens, std::string_view arn, Set& current, Set& next) {
  AddWithClosure(tokens, 0, current);
  for (const char c : arn) {
    for (std::size_t i = 0; i <= tokens.size(); ++i) next[i] = false;
    bool any = false;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (!current[i]) continue;
      const ArnToken& t = tokens[i];
      switch (t.kind) {
        case ArnToken::Kind::kLiteral:
        case ArnToken::Kind::kVariable:
          if (c == t.ch) AddWithClosure(tokens, i + 1, next), any = true;
          break;
        case ArnToken::Kind::kAnyChar:
          if (c != ':') AddWithClosure(tokens, i + 1, next), any = true;
          break;
        case ArnToken::Kind::kStar:
          if (c != ':') AddWithClosure(tokens, i, next), any = true;
          break;
        case ArnToken::Kind::kSpanningStar:
          AddWithClosure(tokens, i, next), any = true;
          break;
      }
    }
    if (!any) return false;
    std::swap(current, next);
  }
  return current[tokens.size()];
}

}  // namespace

bool ArnPatternMatches(const ArnPattern& pattern, std::string_view arn) {
  constexpr std::size_t kInline = 255;
  if (pattern.tokens.size() < kInline) {
    std::bitset<kInline + 1> current, next;
    return Simulate(pattern.tokens, arn, current, next);
  }
  std::vector<bool> current(pattern.tokens.size() + 1), next(pattern.tokens.size() + 1);
  return Simulate(pattern.tokens, arn, current, next);
}

std::vector<std::string> ArnPatternSegments(const ArnPattern& pattern) {
  std::vector<std::string> segments(1);
  for (const ArnToken& t : pattern.tokens) {
    switch (t.kind) {
      case ArnToken::Kind::kLiteral:
        if (t.ch == ':' && segments.size() < 6) {
          segments.emplace_back();
        } else {
          segments.back() += t.ch;
        }
        break;
      case ArnToken::Kind::kVariable:
        segments.back() += kVariableSymbol;
        break;
      case ArnToken::Kind::kAnyChar:
        segments.back() += '?';
        break;
      case ArnToken::Kind::kStar:
      case ArnToken::Kind::kSpanningStar:
        segments.back() += '*';
        break;
    }
  }
  return segments;
}

}  // namespace kmsguard::iam
