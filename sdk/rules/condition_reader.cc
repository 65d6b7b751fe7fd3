// Generic conditions read into Expr trees: paths, operands, groups, tests, measures, macro uses
// (with their expanded size), and the lists and macros of `kind: Library` documents.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/rules/rule_reader.h"

namespace kmsguard::rules::internal {

bool RuleReader::ReadPath(const YAML::Node& node, Path* out) {
  if (!node.IsScalar()) {
    Report(kPathError, node, absl::StrCat("a path must be a string, got ", NodeKind(node)));
    return false;
  }
  std::string error;
  std::size_t offset = 0;
  if (!ParsePath(node.Scalar(), out, &error, &offset)) {
    const std::size_t length = node.Scalar().empty() ? 0 : 1;
    Report(kPathError, LocationInScalar(node, std::min(offset, node.Scalar().size()), length),
           absl::StrCat("bad path ", Quoted(node.Scalar()), ": ", error,
                        " (docs/rule-authoring.md#paths)"));
    return false;
  }
  return true;
}

// `type` receives "string", "number", "bool", "list" or "any" (a literal null or map).
bool RuleReader::ReadOperand(const YAML::Node& node, const Rule& rule, Operand* out,
                             std::string* type) {
  constexpr std::string_view kListPrefix = "${lists.";
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (std::string param; ParseParamRef(text, &param)) {
      const auto it = std::find_if(rule.params.begin(), rule.params.end(),
                                   [&](const Param& p) { return p.name == param; });
      if (it == rule.params.end()) {
        Report(kLinkError, node, absl::StrCat("refers to undeclared parameter ", Quoted(param)));
        return false;
      }
      out->param = param;
      *type = it->type;
      return true;
    }
    if (text.size() > kListPrefix.size() + 1 &&
        text.compare(0, kListPrefix.size(), kListPrefix) == 0 && text.back() == '}') {
      const std::string name =
          text.substr(kListPrefix.size(), text.size() - kListPrefix.size() - 1);
      auto it = library_ ? library_->lists.find(name) : decltype(library_->lists.end())();
      if (library_ == nullptr || it == library_->lists.end()) {
        std::vector<std::string> names;
        if (library_) {
          for (const auto& [n, def] : library_->lists) names.push_back(n);
        }
        Report(kLinkError, node,
               absl::StrCat("refers to undefined list ", Quoted(name),
                            "; lists: ", names.empty() ? "(none)" : Join(names)));
        return false;
      }
      it->second.used = true;
      out->literal = it->second.value;
      *type = "list";
      return true;
    }
  }
  if (node.IsMap()) {
    Report(kSchemaError, node, "a value must be a scalar, a list, ${params.NAME} or ${lists.NAME}");
    return false;
  }
  out->literal = TypedJson(node);
  *type = out->literal.is_string()    ? "string"
          : out->literal.is_number()  ? "number"
          : out->literal.is_boolean() ? "bool"
          : out->literal.is_array()   ? "list"
                                      : "any";
  return true;
}

ExprPtr RuleReader::ReadExpr(const YAML::Node& node, const Rule& rule) {
  if (!node.IsMap() || node.size() != 1 || !node.begin()->first.IsScalar()) {
    Report(kSchemaError, node,
           absl::StrCat("a condition must be a map with exactly one operator, e.g. "
                        "{equals: {path: $.name, value: admin}}; got ",
                        node.IsMap() ? absl::StrCat(node.size(), " keys") : NodeKind(node)));
    return nullptr;
  }
  const auto entry = *node.begin();
  const std::string op = entry.first.Scalar();
  const YAML::Node& value = entry.second;
  if (op == "all" || op == "any" || op == "none" || op == "not") {
    return ReadGroup(op, entry.first, value, rule);
  }
  if (op == "macro") return ReadMacroRef(entry.first, value, rule);
  if (op == "length" || op == "count") return ReadMeasure(op, entry.first, value, rule);
  static const std::vector<std::string_view> kTests = {
      "equals",   "in", "exists", "glob", "matches", "starts_with",
      "contains", "lt", "le",     "gt",   "ge",      "covers_action"};
  if (op == "admits_principal" || op == "unconditional" || op == "policy_allows") {
    return ReadIamTest(op, entry.first, value, rule);
  }
  if (std::find(kTests.begin(), kTests.end(), op) != kTests.end()) {
    return ReadTest(op, entry.first, value, rule);
  }
  if (FindBuiltin(op) != nullptr) {
    auto expr = std::make_shared<Expr>();
    expr->kind = Expr::Kind::kBuiltin;
    expr->op = op;
    expr->location = LocationOf(entry.first);
    // ReadCall checks the rule's resource types against the built-in; it needs a mutable rule only
    // for its signature, so a copy of the relevant parts is enough.
    Rule scratch;
    scratch.params = rule.params;
    scratch.resource_types = rule.resource_types;
    if (!ReadCall(entry.first, value, &scratch, &expr->call)) return nullptr;
    return expr;
  }
  std::vector<std::string> names;
  for (std::string_view name : GenericOperators()) names.emplace_back(name);
  for (const BuiltinSpec& spec : Builtins()) names.emplace_back(spec.name);
  Report(kLinkError, entry.first,
         absl::StrCat("unknown operator ", Quoted(op), "; operators: ", Join(names)));
  return nullptr;
}

ExprPtr RuleReader::ReadGroup(const std::string& op, const YAML::Node& name,
                              const YAML::Node& value, const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->op = op;
  expr->location = LocationOf(name);
  bool ok = true;
  if (op == "not") {
    expr->kind = Expr::Kind::kNot;
    ExprPtr child = ReadExpr(value, rule);
    if (child == nullptr) return nullptr;
    expr->children.push_back(std::move(child));
    return expr;
  }
  if (value.IsMap()) {
    // A quantifier over the items a path selects: any|all|none: {path: ..[*], where: condition}.
    expr->kind = Expr::Kind::kScope;
    expr->quantifier = op == "all"   ? Quantifier::kAll
                       : op == "any" ? Quantifier::kAny
                                     : Quantifier::kNone;
    const std::string what = absl::StrCat(Quoted(op), " over a list");
    if (!CheckMap(value, what, {{"path", true}, {"where", true}})) return nullptr;
    if (!value["path"].IsDefined() || !value["where"].IsDefined()) return nullptr;
    if (!ReadPath(value["path"], &expr->path)) ok = false;
    if (ok && !expr->path.multi) {
      Report(kQuantifierError, value["path"],
             absl::StrCat(what, " needs a path that selects a list, ending in [*]; got ",
                          Quoted(expr->path.text)));
      ok = false;
    }
    ExprPtr where = ReadExpr(value["where"], rule);
    if (where == nullptr || !ok) return nullptr;
    expr->children.push_back(std::move(where));
    return expr;
  }
  expr->kind = op == "all" ? Expr::Kind::kAll : op == "any" ? Expr::Kind::kAny : Expr::Kind::kNone;
  if (!value.IsSequence() || value.size() == 0) {
    Report(kSchemaError, value.IsNull() ? name : value,
           absl::StrCat(Quoted(op),
                        " takes a non-empty list of conditions, or {path: ..[*], where: ...} "
                        "to quantify over a list; got ",
                        NodeKind(value)));
    return nullptr;
  }
  for (const YAML::Node& item : value) {
    ExprPtr child = ReadExpr(item, rule);
    if (child == nullptr) {
      ok = false;
      continue;
    }
    expr->children.push_back(std::move(child));
  }
  return ok ? expr : nullptr;
}

ExprPtr RuleReader::ReadTest(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                             const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->kind = Expr::Kind::kTest;
  expr->op = op;
  expr->location = LocationOf(name);
  const bool takes_value = op != "exists";
  const bool takes_case =
      op == "equals" || op == "in" || op == "glob" || op == "starts_with" || op == "contains";
  const std::string what = Quoted(op);
  if (!CheckMap(value, what,
                {{"path", true},
                 {"value", takes_value},
                 {"quantifier", false},
                 {"ignore_case", false}})) {
    return nullptr;
  }
  bool ok = true;
  if (value["value"].IsDefined() && !takes_value) {
    ok = false;  // reported by CheckMap? no: "value" is allowed by the spec list, so say it here
    Report(kSchemaError, value["value"], absl::StrCat(what, " takes no \"value\""));
  }
  if (value["ignore_case"].IsDefined()) {
    bool b = false;
    if (!takes_case) {
      Report(kSchemaError, value["ignore_case"],
             absl::StrCat(what,
                          " takes no \"ignore_case\"; only equals, in, glob, starts_with "
                          "and contains do"));
      ok = false;
    } else if (!value["ignore_case"].IsScalar() || IsQuoted(value["ignore_case"]) ||
               !YAML::convert<bool>::decode(value["ignore_case"], b)) {
      Report(kSchemaError, value["ignore_case"], "\"ignore_case\" must be true or false");
      ok = false;
    }
    expr->ignore_case = b;
  }
  if (!value["path"].IsDefined() || !ReadPath(value["path"], &expr->path)) return nullptr;
  if (!ReadQuantifier(value, what, expr.get())) ok = false;
  if (!takes_value || !value["value"].IsDefined()) return ok ? expr : nullptr;
  std::string type;
  const YAML::Node v = value["value"];
  if (!ReadOperand(v, rule, &expr->value, &type)) return nullptr;
  if (op == "in" && type != "list") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a list value, got a ", type));
    ok = false;
  }
  if (op == "covers_action" && !CheckActionOperand(v, type, what, expr->value, rule)) ok = false;
  if ((op == "glob" || op == "starts_with") && type != "string" && type != "list") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a string (or a list of strings)"));
    ok = false;
  }
  if ((op == "lt" || op == "le" || op == "gt" || op == "ge") && type != "number" &&
      type != "string") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a number or a string, got a ", type));
    ok = false;
  }
  if (op == "lt") expr->comparison = Comparison::kLt;
  if (op == "le") expr->comparison = Comparison::kLe;
  if (op == "gt") expr->comparison = Comparison::kGt;
  if (op == "ge") expr->comparison = Comparison::kGe;
  if (op == "matches") {
    // Compiled once, here (a parameter's value at load and at each override): a bad pattern is an
    // error with its position, never a scan error.
    if (type != "string" && type != "list") {
      Report(kRegexError, v,
             absl::StrCat(what, " needs a pattern (RE2 syntax) or a list of them, got a ", type));
      return nullptr;
    }
    if (!expr->value.param.empty()) {
      ParamUse& use = param_uses_[expr->value.param];
      if (use.used_by.empty()) use.used_by = "a \"matches\" pattern";
      use.pattern = true;
      std::string problem;
      CompilePatterns(rule.ParamValue(expr->value.param), &problem);
      if (!problem.empty()) {
        Report(kRegexError, v,
               absl::StrCat("the default of parameter ", Quoted(expr->value.param), ": ", problem));
        return nullptr;
      }
    } else {
      std::string problem;
      expr->regexes = CompilePatterns(expr->value.literal, &problem);
      if (!problem.empty()) {
        Report(kRegexError, v, problem);
        return nullptr;
      }
    }
  }
  return ok ? expr : nullptr;
}

bool RuleReader::ReadQuantifier(const YAML::Node& value, const std::string& what, Expr* expr) {
  bool ok = true;
  if (const YAML::Node q = value["quantifier"]; q.IsDefined()) {
    const std::string text = q.IsScalar() ? q.Scalar() : "";
    expr->quantifier = text == "any"    ? Quantifier::kAny
                       : text == "all"  ? Quantifier::kAll
                       : text == "none" ? Quantifier::kNone
                                        : Quantifier::kUnset;
    if (expr->quantifier == Quantifier::kUnset) {
      Report(kSchemaError, q, "\"quantifier\" must be any, all or none");
      ok = false;
    } else if (!expr->path.multi) {
      Report(kQuantifierError, q,
             absl::StrCat("\"quantifier\" needs a path that selects a list (with [*]); ",
                          Quoted(expr->path.text), " selects one value"));
      ok = false;
    }
  } else if (expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat(what, " on ", Quoted(expr->path.text),
                        ", which selects a list: say which items must pass with "
                        "quantifier: any, all or none"));
    ok = false;
  }
  return ok;
}

bool RuleReader::CheckActionOperand(const YAML::Node& v, const std::string& type,
                                    const std::string& what, const Operand& operand,
                                    const Rule& rule) {
  bool ok = true;
  // The rule names actions; the patterns are the data's. A wildcard here would only be compared
  // as a character, so it is refused rather than left to match nothing.
  if (type != "string" && type != "list") {
    Report(kSchemaError, v,
           absl::StrCat(what, " needs an IAM action (or a list of them), got a ", type));
    ok = false;
  } else if (!operand.param.empty()) {
    ParamUse& use = param_uses_[operand.param];
    if (use.used_by.empty()) use.used_by = absl::StrCat("the actions of ", what);
    use.action_names = true;
    use.needs_items = true;
    if (std::string problem = CheckActionNames(rule.ParamValue(operand.param)); !problem.empty()) {
      Report(
          kSchemaError, v,
          absl::StrCat("the default of parameter ", Quoted(operand.param), " must be ", problem));
      ok = false;
    }
  } else if (std::string problem = CheckActionNames(operand.literal); !problem.empty()) {
    Report(kSchemaError, v, absl::StrCat(what, " takes ", problem));
    ok = false;
  }
  return ok;
}

ExprPtr RuleReader::ReadMeasure(const std::string& op, const YAML::Node& name,
                                const YAML::Node& value, const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->kind = Expr::Kind::kMeasure;
  expr->op = op;
  expr->location = LocationOf(name);
  const std::string what = Quoted(op);
  if (!CheckMap(value, what,
                {{"path", true},
                 {"equals", false},
                 {"lt", false},
                 {"le", false},
                 {"gt", false},
                 {"ge", false}})) {
    return nullptr;
  }
  bool ok = value["path"].IsDefined() && ReadPath(value["path"], &expr->path);
  if (ok && op == "count" && !expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat("\"count\" counts the values a path selects: it needs [*]; got ",
                        Quoted(expr->path.text), " (use length for one value)"));
    ok = false;
  }
  if (ok && op == "length" && expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat("\"length\" measures one value; ", Quoted(expr->path.text),
                        " selects a list (use count, or a path without [*])"));
    ok = false;
  }
  int comparisons = 0;
  for (const auto& [key, comparison] :
       std::initializer_list<std::pair<const char*, Comparison>>{{"equals", Comparison::kEquals},
                                                                 {"lt", Comparison::kLt},
                                                                 {"le", Comparison::kLe},
                                                                 {"gt", Comparison::kGt},
                                                                 {"ge", Comparison::kGe}}) {
    const YAML::Node v = value[key];
    if (!v.IsDefined()) continue;
    ++comparisons;
    expr->comparison = comparison;
    std::string type;
    if (!ReadOperand(v, rule, &expr->value, &type)) {
      ok = false;
    } else if (type != "number") {
      Report(kSchemaError, v, absl::StrCat(what, " compares with a number, got a ", type));
      ok = false;
    }
  }
  if (comparisons != 1) {
    Report(kSchemaError, name,
           absl::StrCat(what, " needs exactly one of equals, lt, le, gt, ge; got ", comparisons));
    ok = false;
  }
  return ok ? expr : nullptr;
}

ExprPtr RuleReader::ReadMacroRef(const YAML::Node& name, const YAML::Node& value,
                                 const Rule& rule) {
  if (!value.IsScalar()) {
    Report(kSchemaError, value.IsNull() ? name : value, "\"macro\" takes a macro name");
    return nullptr;
  }
  const std::string& macro = value.Scalar();
  auto it = library_ ? library_->macros.find(macro) : decltype(library_->macros.end())();
  if (library_ == nullptr || it == library_->macros.end()) {
    std::vector<std::string> names;
    if (library_) {
      for (const auto& [n, def] : library_->macros) names.push_back(n);
    }
    Report(kLinkError, value,
           absl::StrCat("unknown macro ", Quoted(macro),
                        "; macros: ", names.empty() ? "(none)" : Join(names)));
    return nullptr;
  }
  MacroDef& def = it->second;
  def.used = true;
  if (def.state == MacroDef::State::kBusy) {
    std::vector<std::string> cycle = macro_stack_;
    cycle.push_back(macro);
    Report(kMacroCycle, value,
           absl::StrCat("macro ", Quoted(macro), " uses itself: ", absl::StrJoin(cycle, " -> ")));
    return nullptr;
  }
  if (def.state == MacroDef::State::kDone) return def.expr;
  // Parameters are per rule and macros are shared, so a macro body cannot refer to ${params}.
  def.state = MacroDef::State::kBusy;
  macro_stack_.push_back(macro);
  const std::string_view saved_text = text_;
  const std::string saved_file = file_;
  text_ = def.text;
  file_ = def.file;
  const Rule no_params;
  def.expr = ReadExpr(def.body, no_params);
  text_ = saved_text;
  file_ = saved_file;
  macro_stack_.pop_back();
  def.state = MacroDef::State::kDone;
  if (def.expr != nullptr) {
    // Each use of a macro evaluates its whole body, so a macro that uses another twice doubles
    // it: forty such levels load in milliseconds and would never finish evaluating.
    const std::uint64_t size = ExpandedSize(*def.expr);
    if (WithinExpansionLimit(size, def.location,
                             absl::StrCat("macro ", Quoted(macro), " (first used at ",
                                          LocationOf(value).ToString(), ")"))) {
      // Only for a body that stays alive with the library: a freed one's address may be reused.
      library_->macro_sizes[def.expr.get()] = size;
    } else {
      def.expr = nullptr;
    }
  }
  (void)rule;
  return def.expr;
}

std::uint64_t RuleReader::ExpandedSize(const Expr& expr) const {
  if (library_ != nullptr) {
    if (const auto it = library_->macro_sizes.find(&expr); it != library_->macro_sizes.end()) {
      return it->second;
    }
  }
  std::uint64_t size = 1;
  for (const ExprPtr& child : expr.children) {
    const std::uint64_t n = child == nullptr ? 0 : ExpandedSize(*child);
    size = n > std::numeric_limits<std::uint64_t>::max() - size
               ? std::numeric_limits<std::uint64_t>::max()
               : size + n;
  }
  return size;
}

bool RuleReader::WithinExpansionLimit(std::uint64_t size, const core::SourceLocation& where,
                                      const std::string& what) {
  if (size <= kMaxExpandedConditions) return true;
  Report(
      kTooLarge, where,
      absl::StrCat(what, ": ",
                   size == std::numeric_limits<std::uint64_t>::max() ? std::string("more than 2^64")
                                                                     : absl::StrCat(size),
                   " conditions once every macro use counts its whole body, more than the "
                   "limit of ",
                   kMaxExpandedConditions,
                   " that evaluation visits for each resource (a macro that uses another "
                   "twice doubles it); not loaded"));
  return false;
}

void RuleReader::ReadLibrary(const YAML::Node& root) {
  if (!CheckMap(root, "a library",
                {{"api_version", true}, {"kind", true}, {"lists", false}, {"macros", false}})) {
    return;
  }
  if (const YAML::Node lists = root["lists"]; lists.IsDefined()) {
    if (!lists.IsMap()) {
      Report(kSchemaError, lists, absl::StrCat("\"lists\" must be a map, got ", NodeKind(lists)));
    } else {
      CheckDuplicateKeys(lists, "lists");
      for (const auto& kv : lists) {
        const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (!IsParamName(name)) {
          Report(kSchemaError, kv.first,
                 absl::StrCat("invalid list name ", Quoted(name),
                              ": use lowercase letters, digits and '_'"));
          continue;
        }
        if (!kv.second.IsSequence()) {
          Report(kSchemaError, kv.second,
                 absl::StrCat("list ", Quoted(name), " must be a list, got ", NodeKind(kv.second)));
          continue;
        }
        if (library_->lists.count(name) != 0) {
          Report(kLinkError, kv.first,
                 absl::StrCat("list ", Quoted(name), " is already defined at ",
                              library_->lists[name].location.ToString()));
          continue;
        }
        library_->lists[name] = ListDef{TypedJson(kv.second), LocationOf(kv.first), false};
      }
    }
  }
  if (const YAML::Node macros = root["macros"]; macros.IsDefined()) {
    if (!macros.IsMap()) {
      Report(kSchemaError, macros,
             absl::StrCat("\"macros\" must be a map, got ", NodeKind(macros)));
      return;
    }
    CheckDuplicateKeys(macros, "macros");
    for (const auto& kv : macros) {
      const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!IsParamName(name)) {
        Report(kSchemaError, kv.first,
               absl::StrCat("invalid macro name ", Quoted(name),
                            ": use lowercase letters, digits and '_'"));
        continue;
      }
      if (library_->macros.count(name) != 0) {
        Report(kLinkError, kv.first,
               absl::StrCat("macro ", Quoted(name), " is already defined at ",
                            library_->macros[name].location.ToString()));
        continue;
      }
      MacroDef def;
      def.body = kv.second;
      def.file = file_;
      def.text = text_;
      def.location = LocationOf(kv.first);
      library_->macros[name] = std::move(def);
    }
  }
}

}  // namespace kmsguard::rules::internal
