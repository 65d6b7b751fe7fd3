#include "sdk/iam/action_glob.h"

#include <cstddef>

namespace kmsguard::iam {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool ActionGlobMatches(std::string_view pattern, std::string_view action) {
  // Greedy match with a single backtrack point: the last `*` seen. Sufficient because `*` here is
  // unrestricted (unlike ARN segments).
  std::size_t p = 0, a = 0;
  std::size_t star = std::string_view::npos, star_a = 0;
  while (a < action.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_a = a;
    } else if (p < pattern.size() && (pattern[p] == '?' || Lower(pattern[p]) == Lower(action[a]))) {
      ++p;
      ++a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++star_a;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kmsguard::iam
