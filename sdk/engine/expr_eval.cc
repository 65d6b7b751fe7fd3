#include "sdk/engine/expr_eval.h"

#include <re2/re2.h>

#include <algorithm>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"
#include "sdk/engine/policy_view.h"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/request_decision.h"
#include "sdk/rules/builtins.h"

namespace kmsguard::engine {

namespace {

using rules::Comparison;

// Debian's abseil has its own string_view, distinct from std::string_view.
absl::string_view AV(std::string_view text) { return absl::string_view(text.data(), text.size()); }
using rules::Expr;
using rules::Quantifier;

constexpr std::size_t kMaxTraceLines = 400;

// Reads `value` (a string) as a document held as text (policy_view.h). For kDocument,
// *document points at the parsed object, kept in scope.decoded.
DocumentText ReadDocumentText(const nlohmann::json& value, EvalScope& scope,
                              const nlohmann::json** document) {
  nlohmann::json parsed;
  const DocumentText kind = ParseDocumentText(value.get_ref<const std::string&>(), &parsed);
  if (kind == DocumentText::kDocument) {
    scope.decoded.push_back(std::move(parsed));
    scope.decoded_from.push_back(&value);
    *document = &scope.decoded.back();
  }
  return kind;
}

// Depth-first search for `target` under `node`, appending the JSON pointer of the way to `path`.
bool FindPointer(const nlohmann::json& node, const nlohmann::json* target, std::string* path) {
  if (&node == target) return true;
  const std::size_t size = path->size();
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      absl::StrAppend(path, "/", core::PointerToken(it.key()));
      if (FindPointer(it.value(), target, path)) return true;
      path->resize(size);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      absl::StrAppend(path, "/", i);
      if (FindPointer(node[i], target, path)) return true;
      path->resize(size);
    }
  }
  return false;
}

}  // namespace

std::string PointerOf(const nlohmann::json* value, const EvalScope& scope) {
  std::string path;
  if (scope.resource != nullptr && FindPointer(scope.resource->json(), value, &path)) {
    return path.empty() ? "/" : path;
  }
  // Inside a document held as text: the text's own place, then the way within the document.
  for (std::size_t i = 0; i < scope.decoded.size(); ++i) {
    path.clear();
    if (FindPointer(scope.decoded[i], value, &path)) {
      const std::string outer = PointerOf(scope.decoded_from[i], scope);
      if (outer.empty()) return "";
      return absl::StrCat(outer, " (decoded) ", path.empty() ? "/" : path);
    }
  }
  return "";
}

namespace {

// " at /inline_policies/0/document" for a message, or nothing when the place is unknown.
std::string At(const nlohmann::json* value, const EvalScope& scope) {
  const std::string pointer = PointerOf(value, scope);
  return pointer.empty() ? "" : absl::StrCat(" at ", pointer);
}

std::string Short(const nlohmann::json& value) {
  std::string text = core::DumpJson(value);
  std::size_t unused = 0;
  // Cut at a character boundary: half a UTF-8 sequence would be bytes no output can carry.
  if (text.size() > 80) text = core::Excerpt(text, 0, 77, &unused);
  return text;
}

bool TextEqual(std::string_view a, std::string_view b, bool ignore_case) {
  return ignore_case ? absl::EqualsIgnoreCase(AV(a), AV(b)) : a == b;
}

bool ValueEqual(const nlohmann::json& actual, const nlohmann::json& expected, bool ignore_case) {
  if (actual.is_string() && expected.is_string()) {
    return TextEqual(actual.get_ref<const std::string&>(), expected.get_ref<const std::string&>(),
                     ignore_case);
  }
  if (actual.is_number() && expected.is_number()) {
    return actual.get<double>() == expected.get<double>();
  }
  return actual == expected;
}

// Strings the operand gives: one string, or each string of a list.
std::vector<std::string> Strings(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_array()) {
    for (const nlohmann::json& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

bool Compare(double a, double b, Comparison comparison) {
  switch (comparison) {
    case Comparison::kEquals:
      return a == b;
    case Comparison::kLt:
      return a < b;
    case Comparison::kLe:
      return a <= b;
    case Comparison::kGt:
      return a > b;
    case Comparison::kGe:
      return a >= b;
  }
  return false;
}

std::string_view ComparisonName(Comparison comparison) {
  switch (comparison) {
    case Comparison::kEquals:
      return "==";
    case Comparison::kLt:
      return "<";
    case Comparison::kLe:
      return "<=";
    case Comparison::kGt:
      return ">";
    case Comparison::kGe:
      return ">=";
  }
  return "?";
}

nlohmann::json OperandValue(const rules::Operand& operand, const EvalScope& scope) {
  if (!operand.param.empty()) return scope.rule->ParamValue(operand.param);
  return operand.literal;
}

// The IAM tests (iam/request_decision.h) on one value: a statement for admits_principal and
// unconditional, a policy document for policy_allows. A value that is not a readable statement or
// document cannot be decided: an ERROR naming the path, never "not allowed".
bool TestIam(const Expr& expr, const nlohmann::json& actual, const nlohmann::json& expected,
             EvalScope& scope) {
  const bool decision = expr.op == "policy_allows";
  if (!decision && !actual.is_object()) {
    scope.error =
        absl::StrCat(expr.op, " on ", expr.path.text, ": expected a policy statement (a map), got ",
                     Short(actual), At(&actual, scope), " (", expr.location.ToString(), ")");
    return false;
  }
  // A statement is read as the one statement of a document, so that it is checked as IAM would.
  const absl::StatusOr<iam::PolicyDocument> document = iam::ParsePolicyDocument(
      decision ? actual : nlohmann::json{{"Version", "2012-10-17"}, {"Statement", {actual}}});
  if (!document.ok()) {
    // The parser's message starts with the place within what it read ("/Statement/0/Effect:
    // ..."); joined to where that is in the resource, it is one pointer. A statement was read as
    // the one statement of a wrapper document, whose "/Statement/0" is not its place.
    std::string_view why(document.status().message().data(), document.status().message().size());
    const std::string pointer = PointerOf(&actual, scope);
    if (!pointer.empty() && !decision && absl::StartsWith(AV(why), "/Statement/0")) {
      why.remove_prefix(std::string_view("/Statement/0").size());
    }
    const bool joins = !pointer.empty() && !why.empty() && (why[0] == '/' || why[0] == ':');
    scope.error = absl::StrCat(expr.op, " on ", expr.path.text, pointer.empty() ? "" : " at ",
                               pointer, joins || pointer.empty() ? "" : ": ", AV(why), " (",
                               expr.location.ToString(), ")");
    if (pointer.empty()) {
      scope.error = absl::StrCat(expr.op, " on ", expr.path.text, ": ", AV(why), " (",
                                 expr.location.ToString(), ")");
    }
    return false;
  }
  if (expr.op == "unconditional") return iam::StatementUnconditional(document->statements.at(0));
  if (expr.op == "admits_principal") {
    return iam::StatementAdmits(document->statements.at(0), *expr.request_principal);
  }
  if (expr.request_principal != nullptr) {
    // Asking on behalf of a principal makes this a resource-based policy (trust, key, bucket),
    // whose every statement must name Principal or NotPrincipal: IAM refuses the document
    // otherwise, and reading the statement as an identity policy's would admit everyone.
    for (const iam::Statement& st : document->statements) {
      if (st.has_principal) continue;
      scope.error = absl::StrCat(expr.op, " on ", expr.path.text, At(&actual, scope),
                                 ": statement ", st.index,
                                 " has neither Principal nor NotPrincipal, which every statement "
                                 "of a resource-based policy must have (",
                                 expr.location.ToString(), ")");
      return false;
    }
  }
  iam::Request request;
  request.actions = Strings(expected);
  if (expr.request_principal != nullptr) request.principal = *expr.request_principal;
  if (!expr.resource.empty()) {
    // The slots of rules::kResourceTemplateVariables, from the resource being judged; unknown (a
    // template before deployment) reads as the aws partition and the made-up account.
    const model::Resource& judged = scope.resource->resource();
    const auto known = [](const std::string& value, std::string_view unknown) {
      return value.empty() ? unknown : std::string_view(value);
    };
    const std::string_view slots[] = {known(judged.partition, "aws"),
                                      known(judged.account, "000000000000"),
                                      known(judged.region, "us-east-1")};
    request.resource = expr.resource_template.Render(slots);
  }
  const iam::DecisionResult result = iam::Decide(*document, request);
  if (scope.trace != nullptr) {
    const std::string indent(2 * static_cast<std::size_t>(scope.depth + 1), ' ');
    std::vector<std::string> lines = iam::DescribeDecision(*document, request, result);
    if (result.decision == iam::Decision::kAllowedUnderConditions) {
      lines.back() += expr.count_conditional ? " (counted: count_conditional is true)"
                                             : " (not counted: count_conditional is false)";
    }
    for (const std::string& line : lines) {
      if (scope.trace->size() < kMaxTraceLines) scope.trace->push_back(absl::StrCat(indent, line));
    }
  }
  return result.decision == iam::Decision::kAllowed ||
         (expr.count_conditional && result.decision == iam::Decision::kAllowedUnderConditions);
}

// One value against a test. Sets scope.error for a list where one value is expected.
bool TestValue(const Expr& expr, const nlohmann::json& actual, const nlohmann::json& expected,
               EvalScope& scope) {
  const std::string& op = expr.op;
  if (op == "exists") return !actual.is_null();
  if (op == "admits_principal" || op == "unconditional" || op == "policy_allows") {
    return TestIam(expr, actual, expected, scope);
  }
  if (op == "equals") return ValueEqual(actual, expected, expr.ignore_case);
  if (op == "contains") {
    if (actual.is_array()) {
      return std::any_of(actual.begin(), actual.end(), [&](const nlohmann::json& item) {
        return ValueEqual(item, expected, expr.ignore_case);
      });
    }
    if (actual.is_string() && expected.is_string()) {
      const std::string& text = actual.get_ref<const std::string&>();
      const std::string& piece = expected.get_ref<const std::string&>();
      if (!expr.ignore_case) return text.find(piece) != std::string::npos;
      return absl::AsciiStrToLower(text).find(absl::AsciiStrToLower(piece)) != std::string::npos;
    }
    return false;
  }
  if (actual.is_array()) {
    scope.error = absl::StrCat(op, " on ", expr.path.text, ", which is a list here (",
                               Short(actual), ")", At(&actual, scope),
                               ": use [*] in the path and a quantifier, or "
                               "contains (",
                               expr.location.ToString(), ")");
    return false;
  }
  if (op == "in") {
    if (!expected.is_array()) return false;
    return std::any_of(expected.begin(), expected.end(), [&](const nlohmann::json& item) {
      return ValueEqual(actual, item, expr.ignore_case);
    });
  }
  if (op == "glob" || op == "starts_with") {
    if (!actual.is_string()) return false;
    const std::string& text = actual.get_ref<const std::string&>();
    for (const std::string& pattern : Strings(expected)) {
      if (op == "glob" ? GlobMatch(pattern, text, expr.ignore_case)
                       : (expr.ignore_case ? absl::StartsWithIgnoreCase(text, pattern)
                                           : absl::StartsWith(text, pattern))) {
        return true;
      }
    }
    return false;
  }
  if (op == "covers_action") {
    // IAM's action matching (case-insensitive, `*` and `?`), the pattern from the data.
    if (!actual.is_string()) return false;
    const std::string& pattern = actual.get_ref<const std::string&>();
    for (const std::string& action : Strings(expected)) {
      if (iam::ActionGlobMatches(pattern, action)) return true;
    }
    return false;
  }
  if (op == "matches") {
    if (!actual.is_string()) return false;
    const std::vector<std::shared_ptr<const RE2>>* patterns = &expr.regexes;
    if (!expr.value.param.empty()) {
      const auto it = scope.rule->param_patterns.find(expr.value.param);
      if (it == scope.rule->param_patterns.end()) return false;
      patterns = &it->second;
    }
    return std::any_of(patterns->begin(), patterns->end(),
                       [&](const std::shared_ptr<const RE2>& regex) {
                         return RE2::PartialMatch(actual.get_ref<const std::string&>(), *regex);
                       });
  }
  // lt, le, gt, ge: numbers with numbers, strings with strings (ISO dates compare as text).
  if (actual.is_number() && expected.is_number()) {
    return Compare(actual.get<double>(), expected.get<double>(), expr.comparison);
  }
  if (actual.is_string() && expected.is_string()) {
    const int c =
        actual.get_ref<const std::string&>().compare(expected.get_ref<const std::string&>());
    return Compare(c, 0, expr.comparison);
  }
  return false;
}

// The parts of a condition (the children of all/any/none, the items of a quantifier) decided in
// Kleene's three-valued logic: the parts that could be decided settle the whole when they can
// (any: one holds; all: one does not; none: one holds), and a part that could not be decided
// (scope.error) makes the whole undecided only when they cannot. So neither the order of the
// tests nor that of the items ever changes a verdict. Over no parts, any is false, all and none
// are true.
class Parts {
 public:
  Parts(Quantifier quantifier, EvalScope& scope) : quantifier_(quantifier), scope_(scope) {}

  // Records one part, evaluated into scope (its error, if any, is taken out of scope). True when
  // the whole is decided, so the remaining parts need not be evaluated.
  bool Add(bool held) {
    if (!scope_.error.empty()) {
      if (error_.empty()) error_ = std::move(scope_.error);
      scope_.error.clear();
      return false;
    }
    if (held != (quantifier_ == Quantifier::kAll)) decided_ = true;
    return decided_;
  }

  // The whole; scope.error is set when it is undecided.
  bool Result() {
    if (decided_) return quantifier_ == Quantifier::kAny;
    scope_.error = std::move(error_);
    return quantifier_ != Quantifier::kAny;
  }

 private:
  const Quantifier quantifier_;
  EvalScope& scope_;
  bool decided_ = false;
  std::string error_;
};

std::string Describe(const Expr& expr, const EvalScope& scope) {
  switch (expr.kind) {
    case Expr::Kind::kAll:
    case Expr::Kind::kAny:
    case Expr::Kind::kNone:
      return absl::StrCat(expr.op, " of ", expr.children.size(), " conditions");
    case Expr::Kind::kNot:
      return "not";
    case Expr::Kind::kScope:
      return absl::StrCat(expr.op, " item of ", expr.path.text);
    case Expr::Kind::kTest: {
      std::string text = absl::StrCat(expr.op, " ", expr.path.text);
      if (expr.quantifier != Quantifier::kUnset) {
        text = absl::StrCat(text, " (", AV(rules::QuantifierName(expr.quantifier)), ")");
      }
      if (expr.op != "exists" && expr.op != "unconditional") {
        absl::StrAppend(&text, " ", Short(OperandValue(expr.value, scope)));
      }
      if (!expr.principal.is_null() && expr.op == "policy_allows") {
        absl::StrAppend(&text, " by ", Short(expr.principal));
      }
      if (!expr.resource.empty()) absl::StrAppend(&text, " on ", expr.resource);
      return text;
    }
    case Expr::Kind::kMeasure:
      return absl::StrCat(expr.op, " ", expr.path.text, " ", AV(ComparisonName(expr.comparison)),
                          " ", Short(OperandValue(expr.value, scope)));
    case Expr::Kind::kBuiltin:
      return absl::StrCat(expr.op, " ", Short(expr.call.args));
  }
  return expr.op;
}

bool EvaluateBuiltin(const Expr& expr, EvalScope& scope) {
  const rules::BuiltinSpec* spec = rules::FindBuiltin(expr.call.name);
  const Builtin* builtin = FindImplementation(expr.call.name);
  if (spec == nullptr || builtin == nullptr) {
    scope.error = absl::StrCat("operator \"", expr.call.name, "\" has no implementation");
    return false;
  }
  Outcome outcome;
  try {
    // Prepared per call: calls inside conditions are rarer than lone calls, which the evaluator
    // prepares once (prepared_rule.h).
    outcome = builtin->run(*builtin->prepare(*scope.rule, expr.call.args, *spec), *scope.resource);
  } catch (const std::exception& e) {
    scope.error = absl::StrCat(expr.call.name, " failed: ", e.what());
    return false;
  }
  if (outcome.not_applicable) return false;
  if (outcome.status == model::Status::kError) {
    scope.error = absl::StrJoin(outcome.errors, "; ");
    return false;
  }
  const bool held =
      outcome.status == model::Status::kFail || outcome.status == model::Status::kWarning;
  if (held && scope.outcomes != nullptr) scope.outcomes->push_back(std::move(outcome));
  return held;
}

bool Evaluate(const Expr& expr, EvalScope& scope, int depth) {
  switch (expr.kind) {
    case Expr::Kind::kAll:
    case Expr::Kind::kAny:
    case Expr::Kind::kNone: {
      Parts parts(expr.kind == Expr::Kind::kAll   ? Quantifier::kAll
                  : expr.kind == Expr::Kind::kAny ? Quantifier::kAny
                                                  : Quantifier::kNone,
                  scope);
      for (const rules::ExprPtr& child : expr.children) {
        if (parts.Add(EvaluateExpr(*child, scope, depth + 1))) break;
      }
      return parts.Result();
    }
    case Expr::Kind::kNot: {
      const bool held = EvaluateExpr(*expr.children[0], scope, depth + 1);
      return scope.error.empty() && !held;
    }
    case Expr::Kind::kScope: {
      const std::vector<const nlohmann::json*> items = SelectPath(expr.path, scope);
      if (!scope.error.empty()) return false;
      Parts parts(expr.quantifier, scope);
      for (const nlohmann::json* item : items) {
        const nlohmann::json* saved = scope.item;
        scope.item = item;
        const bool held = EvaluateExpr(*expr.children[0], scope, depth + 1);
        scope.item = saved;
        if (parts.Add(held)) break;
      }
      return parts.Result();
    }
    case Expr::Kind::kTest: {
      const std::vector<const nlohmann::json*> values = SelectPath(expr.path, scope);
      if (!scope.error.empty()) return false;
      const nlohmann::json expected = OperandValue(expr.value, scope);
      if (!expr.path.multi) {
        if (values.empty()) return false;  // a missing value passes no test, exists included
        return TestValue(expr, *values[0], expected, scope);
      }
      Parts parts(expr.quantifier, scope);
      for (const nlohmann::json* value : values) {
        if (parts.Add(TestValue(expr, *value, expected, scope))) break;
      }
      return parts.Result();
    }
    case Expr::Kind::kMeasure: {
      const std::vector<const nlohmann::json*> values = SelectPath(expr.path, scope);
      const nlohmann::json expected = OperandValue(expr.value, scope);
      if (!expected.is_number()) return false;
      double measured = 0;
      if (expr.op == "count") {
        measured = static_cast<double>(values.size());
      } else {
        if (values.empty()) return false;
        const nlohmann::json& v = *values[0];
        if (v.is_string()) {
          measured = static_cast<double>(v.get_ref<const std::string&>().size());
        } else if (v.is_array() || v.is_object()) {
          measured = static_cast<double>(v.size());
        } else {
          return false;
        }
      }
      return Compare(measured, expected.get<double>(), expr.comparison);
    }
    case Expr::Kind::kBuiltin:
      return EvaluateBuiltin(expr, scope);
  }
  return false;
}

}  // namespace

nlohmann::json ResourceEnvelope(const model::Resource& resource) {
  return {{"id", resource.id},
          {"type", resource.type},
          {"name", resource.name},
          {"provider", resource.provider},
          {"partition", resource.partition},
          {"account", resource.account},
          {"region", resource.region}};
}

std::vector<const nlohmann::json*> SelectPath(const rules::Path& path, EvalScope& scope) {
  const nlohmann::json* root = nullptr;
  switch (path.root) {
    case rules::PathRoot::kDocument:
      root = &scope.resource->json();
      break;
    case rules::PathRoot::kItem:
      root = scope.item != nullptr ? scope.item : &scope.resource->json();
      break;
    case rules::PathRoot::kResource:
      root = scope.envelope;
      break;
  }
  std::vector<const nlohmann::json*> current;
  if (root != nullptr) current.push_back(root);
  for (const rules::PathStep& step : path.steps) {
    std::vector<const nlohmann::json*> next;
    for (const nlohmann::json* value : current) {
      // Every step reads a document held as text as the document: `[*]` as well as `.field`.
      if (value->is_string()) {
        const nlohmann::json* document = nullptr;
        const DocumentText kind = ReadDocumentText(*value, scope, &document);
        if (kind == DocumentText::kDocument) {
          value = document;
        } else if (kind == DocumentText::kBroken && scope.error.empty()) {
          // A document that does not decode must not read as "the path selects nothing", which
          // would make the rule PASS a policy nobody could read.
          scope.error = absl::StrCat("path ", path.text,
                                     ": cannot step into a string that is not a JSON or "
                                     "URL-encoded JSON document (",
                                     Short(*value), ")", At(value, scope));
        }
      }
      // A step that does not apply (a field of a string, an index of a map) selects nothing, as a
      // missing field does; except into a policy value of a shape IAM does not allow.
      bool applies = true;
      switch (step.kind) {
        case rules::PathStep::Kind::kField:
          if (value->is_object()) {
            if (auto it = value->find(step.field); it != value->end()) next.push_back(&*it);
          } else {
            applies = false;
          }
          break;
        case rules::PathStep::Kind::kIndex:
          if (value->is_array()) {
            if (static_cast<std::size_t>(step.index) < value->size()) {
              next.push_back(&(*value)[static_cast<std::size_t>(step.index)]);
            }
          } else {
            applies = false;
          }
          break;
        case rules::PathStep::Kind::kWildcard:
          // IAM writes one value or a list of them alike ("Action": "s3:*" or [...]): [*] on a
          // single value selects that value.
          if (value->is_array() || value->is_object()) {
            for (const nlohmann::json& item : *value) next.push_back(&item);
          } else if (!value->is_null()) {
            next.push_back(value);
          }
          break;
      }
      if (!applies && scope.error.empty()) {
        if (const std::string* why = scope.resource->ShapeProblem(*value)) {
          scope.error = absl::StrCat("path ", path.text, ": cannot step into ", Short(*value),
                                     At(value, scope), ": ", *why);
        }
      }
    }
    current = std::move(next);
  }
  return current;
}

bool EvaluateExpr(const rules::Expr& expr, EvalScope& scope, int depth) {
  std::size_t line = 0;
  const bool tracing = scope.trace != nullptr && scope.trace->size() < kMaxTraceLines;
  if (tracing) {
    line = scope.trace->size();
    scope.trace->emplace_back();
  }
  const int saved_depth = scope.depth;
  scope.depth = depth;
  const bool held = Evaluate(expr, scope, depth);
  scope.depth = saved_depth;
  if (tracing) {
    (*scope.trace)[line] = absl::StrCat(std::string(2 * static_cast<std::size_t>(depth), ' '),
                                        Describe(expr, scope), ": ",
                                        !scope.error.empty() ? "error"
                                        : held               ? "true"
                                                             : "false");
  }
  return held && scope.error.empty();
}

bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  const auto same = [ignore_case](char a, char b) {
    return ignore_case ? absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                             absl::ascii_tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] != '*' &&
        (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kmsguard::engine
