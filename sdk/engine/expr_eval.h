// Evaluates the generic conditions of sdk/rules/expr.h against one resource.
#pragma once

#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sdk/engine/builtins.h"
#include "sdk/engine/resource_view.h"
#include "sdk/model/resource.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"

namespace kmsguard::engine {

// What a condition reads and where it reports. One per (rule, resource, item).
struct EvalScope {
  const rules::Rule* rule = nullptr;
  const ResourceView* resource = nullptr;
  const nlohmann::json* envelope = nullptr;   // `$resource`: {id, type, name, ...}
  const nlohmann::json* item = nullptr;       // `@`; the document when null
  std::vector<std::string>* trace = nullptr;  // why, one line per test (may be null)
  std::vector<Outcome>* outcomes = nullptr;   // built-in calls that held (may be null)
  std::string error;                          // set when the condition cannot be decided
  int depth = 0;  // of the condition being evaluated: where a test's own trace lines indent
  // Policy documents held as JSON or URL-encoded text, parsed when a path steps into them; a
  // deque, so the values a path selected stay where they are.
  std::deque<nlohmann::json> decoded;
  std::deque<const nlohmann::json*> decoded_from;  // the text each `decoded` entry was read from
};

// Where `value` is, for error messages: its JSON pointer in the resource's document as rules read
// it ("/inline_policies/1/document/Statement/0/Principal"), through a document held as text
// ("/document (decoded) /Statement/0"); empty when it is in neither (a literal, `$resource`).
std::string PointerOf(const nlohmann::json* value, const EvalScope& scope);

// The `$resource` object of `resource`.
nlohmann::json ResourceEnvelope(const model::Resource& resource);

// The values `path` selects in `scope` (pointers into the resource, the item or scope.decoded).
std::vector<const nlohmann::json*> SelectPath(const rules::Path& path, EvalScope& scope);

// True when `expr` holds. When it cannot be decided (a built-in ERROR, a test on a list without a
// quantifier), returns false with scope.error set; callers must check it.
bool EvaluateExpr(const rules::Expr& expr, EvalScope& scope, int depth = 0);

// Shell-style glob: `*` any run of characters, `?` one character; the whole text must match.
bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace kmsguard::engine
