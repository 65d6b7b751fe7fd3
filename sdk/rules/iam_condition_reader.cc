// The IAM-aware tests of the generic language read into Expr trees: admits_principal (a
// statement's Principal or NotPrincipal applies to a principal), unconditional (a statement has no
// Condition) and policy_allows (a whole document's decision for one request). Their semantics are
// sdk/iam/request_decision.h; here the rule's text is checked, so a wrong principal, action or
// resource is a load error at its position, never a scan ERROR.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "sdk/iam/request_decision.h"
#include "sdk/rules/rule_reader.h"

namespace kmsguard::rules::internal {

namespace {

// A principal as the rule writes it: a string, or a map of one string.
bool PrincipalShape(const YAML::Node& node) {
  if (node.IsScalar()) return true;
  return node.IsMap() && node.size() == 1 && node.begin()->first.IsScalar() &&
         node.begin()->second.IsScalar();
}

}  // namespace

ExprPtr RuleReader::ReadIamTest(const std::string& op, const YAML::Node& name,
                                const YAML::Node& value, const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->kind = Expr::Kind::kTest;
  expr->op = op;
  expr->location = LocationOf(name);
  const std::string what = Quoted(op);
  const bool decision = op == "policy_allows";
  if (decision) {
    if (!CheckMap(value, what,
                  {{"path", true},
                   {"action", true},
                   {"principal", false},
                   {"resource", false},
                   {"count_conditional", false},
                   {"quantifier", false}})) {
      return nullptr;
    }
  } else if (!CheckMap(
                 value, what,
                 {{"path", true}, {"value", op == "admits_principal"}, {"quantifier", false}})) {
    return nullptr;
  }
  if (!value["path"].IsDefined() || !ReadPath(value["path"], &expr->path)) return nullptr;
  bool ok = ReadQuantifier(value, what, expr.get());

  const auto read_principal = [&](const YAML::Node& node) {
    if (!PrincipalShape(node)) {
      Report(kSchemaError, node,
             absl::StrCat(what,
                          ": a principal is \"*\", an account id, an IAM ARN, or one of "
                          "{AWS|Service|Federated|CanonicalUser: value}; got ",
                          NodeKind(node)));
      return false;
    }
    nlohmann::json principal = TypedJson(node);
    absl::StatusOr<iam::RequestPrincipal> parsed = iam::ParseRequestPrincipal(principal);
    if (!parsed.ok()) {
      Report(kSchemaError, node, absl::StrCat(what, ": ", parsed.status().message()));
      return false;
    }
    expr->principal = std::move(principal);
    expr->request_principal = std::make_shared<const iam::RequestPrincipal>(*std::move(parsed));
    return true;
  };

  if (op == "unconditional") {
    if (value["value"].IsDefined()) {
      Report(kSchemaError, value["value"], absl::StrCat(what, " takes no \"value\""));
      ok = false;
    }
    return ok ? expr : nullptr;
  }
  if (op == "admits_principal") {
    if (!value["value"].IsDefined() || !read_principal(value["value"])) return nullptr;
    // Kept as the operand too, so --explain shows it like any test's value.
    expr->value.literal = expr->principal;
    return ok ? expr : nullptr;
  }

  // policy_allows
  std::string type;
  const YAML::Node action = value["action"];
  if (!action.IsDefined() || !ReadOperand(action, rule, &expr->value, &type) ||
      !CheckActionOperand(action, type, what, expr->value, rule)) {
    ok = false;
  }
  if (const YAML::Node principal = value["principal"];
      principal.IsDefined() && !read_principal(principal)) {
    ok = false;
  }
  if (const YAML::Node resource = value["resource"]; resource.IsDefined()) {
    const std::string text = resource.IsScalar() ? resource.Scalar() : "";
    // The resource's own partition, account and region may be named, as in messages: an ARN in
    // the principal's partition is what its policy's patterns are written for. No filter: an ARN
    // is not a shell word.
    const auto slot_of = [](std::string_view variable) {
      const auto* const end = std::end(kResourceTemplateVariables);
      const auto* const it = std::find(std::begin(kResourceTemplateVariables), end, variable);
      return it == end ? -1 : static_cast<int>(it - std::begin(kResourceTemplateVariables));
    };
    const bool template_ok =
        CheckTemplate(text, [&](std::string_view variable) { return slot_of(variable) >= 0; })
            .empty() &&
        text.find('|') == std::string::npos;
    if (!template_ok || text.rfind("arn:", 0) != 0 ||
        text.find_first_of("*?") != std::string::npos || text.find("${") != std::string::npos) {
      Report(kSchemaError, resource,
             absl::StrCat(what,
                          ": \"resource\" is one resource's ARN, without wildcards or policy "
                          "variables (the policy's patterns are the data's); it may name "
                          "{{resource.partition}}, {{resource.account}} and {{resource.region}}, "
                          "e.g. arn:{{resource.partition}}:iam::000000000000:role/any-role; got ",
                          resource.IsScalar() ? Quoted(text) : NodeKind(resource)));
      ok = false;
    }
    expr->resource = text;
    expr->resource_template = CompiledTemplate(text, slot_of);
  }
  if (const YAML::Node count = value["count_conditional"]; count.IsDefined()) {
    bool b = false;
    if (!count.IsScalar() || IsQuoted(count) || !YAML::convert<bool>::decode(count, b)) {
      Report(kSchemaError, count, "\"count_conditional\" must be true or false");
      ok = false;
    }
    expr->count_conditional = b;
  }
  return ok ? expr : nullptr;
}

}  // namespace kmsguard::rules::internal
