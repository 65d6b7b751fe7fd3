// Generic rule conditions: operators over a JSONPath subset, compiled at load time from a rule's
// `when`, `violation` and exception `match` (docs/rule-authoring.md, "Operators"). The engine
// evaluates them (sdk/engine/expr_eval.h); nothing here runs code from a rule file.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/rules/template.h"

namespace re2 {
class RE2;
}
namespace kmsguard::iam {
struct RequestPrincipal;
}

namespace kmsguard::rules {

// Where a path starts: `$` the resource's normalized document, `@` the current item (inside
// `for_each` or a quantified `any`/`all`/`none`; the document elsewhere), `$resource` the
// resource's envelope {id, type, name, provider, partition, account, region}.
enum class PathRoot { kDocument, kItem, kResource };

struct PathStep {
  enum class Kind { kField, kIndex, kWildcard };
  Kind kind = Kind::kField;
  std::string field;  // kField
  int index = 0;      // kIndex, >= 0
};

// A compiled path: `$`, `@` or `$resource`, then `.name`, `["name"]`, `[N]` or `[*]` steps.
struct Path {
  std::string text;  // as written
  PathRoot root = PathRoot::kDocument;
  std::vector<PathStep> steps;
  bool multi = false;  // has a [*] step: selects a list of values
};

// Parses `text` into `out`. On failure returns false with `error` and the offending offset.
bool ParsePath(std::string_view text, Path* out, std::string* error, std::size_t* error_offset);

// RE2 programs above this size are rejected at load (a cost limit: RE2 runs in linear time, but
// the automaton's size is set by the pattern).
inline constexpr int kMaxRegexProgramSize = 1000;

// A rule's conditions (`when`, `violation`, exception matches), counting each macro use as its
// whole body, are rejected at load past this many: evaluation visits every one of them for every
// resource, and macros that use each other twice double at each level.
inline constexpr std::uint64_t kMaxExpandedConditions = 10'000;

enum class Quantifier { kUnset, kAny, kAll, kNone };
std::string_view QuantifierName(Quantifier q);

// A comparison for `length`/`count` and the `lt`/`le`/`gt`/`ge` operators.
enum class Comparison { kEquals, kLt, kLe, kGt, kGe };

// The template variables policy_allows's `resource` may name, in the order of their slots in
// Expr::resource_template: the resource being judged's own partition, account and region.
inline constexpr std::string_view kResourceTemplateVariables[] = {
    "resource.partition", "resource.account", "resource.region"};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

// A value a test compares with: a literal, or a parameter resolved at evaluation time (so
// deployment overrides apply). `${lists.NAME}` references are replaced by the list at load.
struct Operand {
  nlohmann::json literal;
  std::string param;  // non-empty: the value of this parameter
};

// A built-in operator called inside a generic condition (sdk/rules/builtins.h).
struct BuiltinCall {
  std::string name;     // "iam.allows"
  nlohmann::json args;  // as written, literal booleans as JSON booleans
};

struct Expr {
  enum class Kind {
    kAll,      // every child is true (`all: [..]`)
    kAny,      // some child is true (`any: [..]`)
    kNone,     // no child is true (`none: [..]`)
    kNot,      // children[0] is false
    kScope,    // `any|all|none: {path: P, where: E}`: quantifier over the items P selects
    kTest,     // a path test: equals, in, exists, glob, matches, starts_with, contains, lt..ge,
               // covers_action, admits_principal, unconditional, policy_allows
    kMeasure,  // length (of one value) or count (of the values a path selects), compared
    kBuiltin,  // a built-in semantic operator
  };
  Kind kind = Kind::kAll;
  std::string op;  // as written: "all", "equals", "length", "iam.allows", ...
  core::SourceLocation location;
  std::vector<ExprPtr> children;               // kAll/kAny/kNone/kNot; kScope: {where}
  Quantifier quantifier = Quantifier::kUnset;  // kScope, and kTest over a multi-valued path
  Path path;
  Operand value;
  bool ignore_case = false;
  Comparison comparison = Comparison::kEquals;  // kMeasure, and lt/le/gt/ge
  // matches: the patterns of a literal or ${lists} value, compiled at load (a ${params} value's
  // are in Rule::param_patterns, so that overrides apply).
  std::vector<std::shared_ptr<const re2::RE2>> regexes;
  BuiltinCall call;                             // kBuiltin
  // admits_principal and policy_allows: the principal as written (a string or a one-key map; null:
  // Principal is not consulted) and as iam::ParseRequestPrincipal read it at load, once.
  // policy_allows also: the resource ARN (empty: Resource is not consulted), and whether an allow
  // that holds only under a Condition counts; its actions are `value`.
  nlohmann::json principal;
  std::shared_ptr<const iam::RequestPrincipal> request_principal;
  std::string resource;  // as written
  // `resource` compiled once, its {{resource.partition}}, {{resource.account}} and
  // {{resource.region}} bound to slots 0, 1 and 2 (kResourceTemplateVariables).
  CompiledTemplate resource_template;
  bool count_conditional = false;
};

// Names of every generic operator, in documentation order.
const std::vector<std::string_view>& GenericOperators();

// True when `expr` or anything under it calls a built-in.
bool CallsBuiltin(const Expr& expr);

}  // namespace kmsguard::rules
