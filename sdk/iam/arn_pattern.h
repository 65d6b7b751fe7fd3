// Resource ARN patterns. Source: IAM User Guide, "IAM JSON policy elements: Resource" — matching is
// case-sensitive; `*` and `?` work within an ARN segment (the parts separated by colons); a `*` that
// is the last character of a segment may also match across colon boundaries. "Policy variables":
// under Version 2012-10-17 `${...}` is replaced by a request value (a specific value, never a
// wildcard); `${*}`, `${?}` and `${$}` stand for the literal characters. Under other versions the
// text is literal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::iam {

struct ArnToken {
  enum class Kind : std::uint8_t {
    kLiteral,       // one character, `ch`
    kAnyChar,       // `?`: one character other than ':'
    kStar,          // `*` inside a segment: any run of characters other than ':'
    kSpanningStar,  // `*` that ends a segment: any run of characters, ':' included
    kVariable,      // a policy variable: one specific, unknown value (matches no concrete text)
  };
  Kind kind = Kind::kLiteral;
  char ch = 0;
};

// The character a policy variable is represented by when a language fixes a segment to "the value
// of a variable" (e.g. the principal's own account for ${aws:PrincipalAccount}).
inline constexpr char kVariableSymbol = '\x01';

struct ArnPattern {
  std::string text;  // as written
  std::vector<ArnToken> tokens;
  bool is_star = false;  // exactly "*": every resource
  bool has_wildcard = false;
};

// Compiles `text`. `substitute_variables` is PolicyDocument::SupportsPolicyVariables().
ArnPattern CompileArnPattern(std::string_view text, bool substitute_variables);

// True when the pattern matches the concrete `arn`. A kVariable token matches only
// kVariableSymbol. Used for canary cross-checks and explanations; not on the hot path.
bool ArnPatternMatches(const ArnPattern& pattern, std::string_view arn);

// The pattern's colon-separated segments as written, with variables counted as one character;
// used to find which account or region a pattern is scoped to.
std::vector<std::string> ArnPatternSegments(const ArnPattern& pattern);

}  // namespace kmsguard::iam
