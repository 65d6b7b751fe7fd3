// Action name matching. Source: IAM User Guide, "IAM JSON policy elements: Action" — action names
// are case-insensitive; `*` matches any run of characters and `?` exactly one, over the whole
// "service:action" string (so `k?s:*` and `*` match "kms:Decrypt").
#pragma once

#include <string_view>

namespace kmsguard::iam {

// True when `pattern` matches `action` as a case-insensitive glob. Allocation-free, O(n*m) worst
// case, linear for the patterns seen in practice.
bool ActionGlobMatches(std::string_view pattern, std::string_view action);

}  // namespace kmsguard::iam
