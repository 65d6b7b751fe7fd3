// CloudFormation's intrinsic functions (Ref, Fn::Sub, Fn::If, ...) resolved before deployment,
// and, of what they leave unknown, what a policy cannot be judged with (FindUnknownPart); how a
// template is read before deployment, and why, is told at the top of cloudformation.cc. A stage of
// its own because resolution is a function of the template and its parameters' values alone: the
// template reader (and, through it, the KMS key reader) asks for a value resolved, or for its
// variants over the `Fn::If` conditions, and needs nothing of how each function resolves.
#include "sdk/adapters/cloudformation_intrinsics.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sdk/adapters/adapter_support.h"

namespace kmsguard::adapters::internal {

namespace {

using Json = nlohmann::json;
using Variant = CloudFormationVariant;

// --- Intrinsic functions ------------------------------------------------------------------------

std::string Variable(const std::string& name) { return absl::StrCat("${", name, "}"); }

bool IsIntrinsic(const Json& value) {
  if (!value.is_object() || value.size() != 1) return false;
  const std::string& key = value.begin().key();
  return key == "Ref" || key.rfind("Fn::", 0) == 0;
}

}  // namespace

std::vector<CloudFormationVariant> CloudFormationResolver::Variants(const Json& value,
                                                                    bool* too_many) const {
  std::vector<std::string> conditions;
  CollectConditions(value, &conditions);
  if (conditions.empty()) return {Variant{"", Resolve(value)}};
  if (conditions.size() > kMaxPolicyConditions) {
    *too_many = true;
    return {};
  }
  std::vector<Variant> out;
  for (std::uint32_t combination = 0; combination < (1u << conditions.size()); ++combination) {
    std::map<std::string, bool, std::less<>> branches;
    for (std::size_t i = 0; i < conditions.size(); ++i) {
      branches[conditions[i]] = ((combination >> i) & 1u) == 0;  // all true first
    }
    std::set<std::string> consulted;
    branches_ = &branches;
    consulted_ = &consulted;
    Json resolved = Resolve(value);
    branches_ = nullptr;
    consulted_ = nullptr;
    if (std::any_of(out.begin(), out.end(),
                    [&](const Variant& v) { return v.value == resolved; })) {
      continue;
    }
    std::vector<std::string> label;
    for (const std::string& condition : conditions) {
      if (consulted.contains(condition)) {
        label.push_back(branches[condition] ? condition : "not " + condition);
      }
    }
    out.push_back({absl::StrJoin(label, ", "), std::move(resolved)});
  }
  if (out.size() == 1) out[0].label.clear();
  return out;
}

Json CloudFormationResolver::Resolve(const Json& value) const {
  if (IsIntrinsic(value)) {
    const std::string& name = value.begin().key();
    const Json& arg = value.begin().value();
    Json out = Intrinsic(name, arg);
    // Content lost while reading (U+FFFD: invalid UTF-8, nesting too deep, a repeated key)
    // stays visible where a function resolves to a variable and drops its argument, so that
    // the policy is still made an ERROR (MarkUnreadablePolicies). A branch Variants did not
    // take is no part of the value.
    if (!(name == "Fn::If" && branches_ != nullptr) && !out.is_discarded() &&
        !internal::ContainsReplacementChar(out) && internal::ContainsReplacementChar(arg)) {
      return absl::StrCat(internal::kReplacementChar, "(lost while reading)");
    }
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, member] : value.items()) {
      Json resolved = Resolve(member);
      if (!resolved.is_discarded()) out[key] = std::move(resolved);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& element : value) {
      Json resolved = Resolve(element);
      if (!resolved.is_discarded()) out.push_back(std::move(resolved));
    }
    return out;
  }
  return value;
}

bool CloudFormationResolver::Literal(const Json& value, std::string* out) {
  if (!value.is_string()) return false;
  *out = value.get<std::string>();
  return out->find("${") == std::string::npos;
}

Json CloudFormationResolver::Intrinsic(const std::string& name, const Json& arg) const {
  if (name == "Ref") {
    if (!arg.is_string()) return Variable("Ref");
    const std::string target = arg.get<std::string>();
    if (target == "AWS::NoValue") return Json(Json::value_t::discarded);
    if (target == "AWS::Partition") return "aws";
    if (target == "AWS::NotificationARNs") return Json::array({Variable(target)});
    if (const Json* value = Parameter(target)) return *value;
    return Variable(target);
  }
  if (name == "Fn::GetAtt") {
    Json parts = arg.is_string() ? Json::array({arg}) : Resolve(arg);
    std::vector<std::string> names;
    if (parts.is_array()) {
      for (const Json& p : parts) names.push_back(p.is_string() ? p.get<std::string>() : "?");
    }
    return Variable(names.empty() ? std::string("Fn::GetAtt") : absl::StrJoin(names, "."));
  }
  if (name == "Fn::Join") {
    const Json args = Resolve(arg);
    if (args.is_array() && args.size() == 2 && args[0].is_string() && args[1].is_array()) {
      std::vector<std::string> parts;
      for (const Json& p : args[1]) {
        if (!p.is_string()) return Variable("Fn::Join");
        parts.push_back(p.get<std::string>());
      }
      return absl::StrJoin(parts, args[0].get<std::string>());
    }
    return Variable("Fn::Join");
  }
  if (name == "Fn::Sub") return Sub(arg);
  if (name == "Fn::Select") {
    const Json args = Resolve(arg);
    if (args.is_array() && args.size() == 2 && args[1].is_array()) {
      std::size_t index = args[1].size();
      if (args[0].is_number_integer() && args[0].get<std::int64_t>() >= 0) {
        index = args[0].get<std::size_t>();
      } else if (std::string text; Literal(args[0], &text)) {
        std::from_chars(text.data(), text.data() + text.size(), index);
      }
      if (index < args[1].size()) return args[1][index];
    }
    return Variable("Fn::Select");
  }
  if (name == "Fn::Split") {
    const Json args = Resolve(arg);
    if (args.is_array() && args.size() == 2 && args[0].is_string() && args[1].is_string() &&
        !args[0].get<std::string>().empty()) {
      Json out = Json::array();
      for (absl::string_view piece :
           absl::StrSplit(args[1].get<std::string>(), args[0].get<std::string>())) {
        out.push_back(std::string(piece));
      }
      return out;
    }
    return Json::array({Variable("Fn::Split")});
  }
  if (name == "Fn::FindInMap") {
    const Json args = Resolve(arg);
    std::string map, first, second;
    if (args.is_array() && args.size() >= 3 && Literal(args[0], &map) && Literal(args[1], &first) &&
        Literal(args[2], &second)) {
      const Json* mappings = Member(root_, "Mappings");
      if (const Json* v = Member(Member(Member(mappings, map), first), second)) return Resolve(*v);
    }
    return Variable("Fn::FindInMap");
  }
  if (name == "Fn::If") {
    const Json args = arg.is_array() ? arg : Json();
    if (args.size() == 3) {
      const std::string condition = args[0].is_string() ? args[0].get<std::string>() : "?";
      if (branches_ != nullptr) {
        if (const auto it = branches_->find(condition); it != branches_->end()) {
          consulted_->insert(condition);
          return Resolve(args[it->second ? 1 : 2]);
        }
      }
      // Outside Variants (names, targets, trust policies): one value only when the branches
      // are the same as written (resolving both at each level would be exponential in how
      // deep Fn::Ifs nest).
      if (args[1] == args[2]) return Resolve(args[1]);
      return Variable(absl::StrCat("Fn::If:", condition));
    }
    return Variable("Fn::If");
  }
  if (name == "Fn::ImportValue") {
    std::string export_name;
    return Literal(Resolve(arg), &export_name)
               ? Variable(absl::StrCat("Fn::ImportValue:", export_name))
               : Variable("Fn::ImportValue");
  }
  return Variable(name);  // Fn::Base64, Fn::GetAZs, Fn::Cidr, conditions, ...: not literal
}

// "${Name}" -> the value from the variable map when literal; "${!Literal}" -> "${Literal}";
// AWS::Partition -> "aws"; anything else stays a `${...}` variable.
Json CloudFormationResolver::Sub(const Json& arg) const {
  std::string text;
  Json variables = Json::object();
  if (arg.is_string()) {
    text = arg.get<std::string>();
  } else if (arg.is_array() && arg.size() == 2 && arg[0].is_string()) {
    text = arg[0].get<std::string>();
    variables = Resolve(arg[1]);
  } else {
    return Variable("Fn::Sub");
  }
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t open = text.find("${", i);
    if (open == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, open - i);
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string::npos) {
      out.append(text, open, std::string::npos);
      break;
    }
    const std::string name = text.substr(open + 2, close - open - 2);
    if (!name.empty() && name[0] == '!') {
      out += "${" + name.substr(1) + "}";  // escaped: the literal text, an IAM policy variable
    } else if (variables.is_object() && variables.contains(name) && variables[name].is_string()) {
      out += variables[name].get<std::string>();
    } else if (name == "AWS::Partition") {
      out += "aws";
    } else if (const Json* value = Parameter(name); value != nullptr && value->is_string()) {
      out += value->get<std::string>();
    } else {
      out += Variable(name);
    }
    i = close + 1;
  }
  return out;
}

const Json* CloudFormationResolver::Member(const Json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

const Json* CloudFormationResolver::Member(const Json& object, const std::string& key) {
  return Member(&object, key);
}

// The value of template parameter `name`; null when `name` is not a parameter, or is one
// without a value (then it is recorded as unresolved, and a variable stands for it).
const Json* CloudFormationResolver::Parameter(const std::string& name) const {
  const auto it = parameters_.find(name);
  if (it == parameters_.end()) return nullptr;
  if (it->second.known) return &it->second.value;
  unresolved_.insert(name);
  return nullptr;
}

// The names of the conditions of every Fn::If in `value`, each once, in the order met.
void CloudFormationResolver::CollectConditions(const Json& value, std::vector<std::string>* out) {
  if (value.is_object()) {
    if (const auto it = value.find("Fn::If"); it != value.end() && value.size() == 1 &&
                                              it->is_array() && it->size() == 3 &&
                                              (*it)[0].is_string()) {
      const std::string& name = (*it)[0].get_ref<const std::string&>();
      if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
    }
    for (const auto& [key, member] : value.items()) CollectConditions(member, out);
  } else if (value.is_array()) {
    for (const Json& element : value) CollectConditions(element, out);
  }
}

// --- What a resolved policy leaves unknown ------------------------------------------------------

Json PolicyStatements(const Json& document) {
  Json parsed;
  const Json* doc = &document;
  if (document.is_string()) {  // a document written as JSON text (e.g. with !Sub)
    parsed = Json::parse(document.get_ref<const std::string&>(), nullptr,
                         /*allow_exceptions=*/false);
    doc = &parsed;
  }
  if (!doc->is_object()) return Json::array();
  const auto statements = doc->find("Statement");
  if (statements == doc->end()) return Json::array();
  return statements->is_array() ? *statements : Json::array({*statements});
}

std::optional<CloudFormationUnknownPart> FindUnknownPart(const Json& document,
                                                         const std::set<std::string>& unresolved) {
  const Json list = PolicyStatements(document);
  const auto any = [](std::string_view) { return true; };
  const auto wildcard_able = [&unresolved](std::string_view name) {
    return name.rfind("Fn::", 0) == 0 || unresolved.contains(std::string(name));
  };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string effect = StringField(list[i], "Effect");
    for (const char* element : {"Action", "NotAction", "NotResource"}) {
      const std::string_view key = element;
      const bool checked =
          effect == "Allow" ? key == "Action" : effect == "Deny" && key != "Action";
      const auto value = list[i].find(element);
      if (!checked || value == list[i].end()) continue;
      const Json values = value->is_array() ? *value : Json::array({*value});
      for (const Json& v : values) {
        if (!v.is_string()) continue;
        const std::string& text = v.get_ref<const std::string&>();
        if (key == "NotResource" ? HoldsVariable(text, wildcard_able) : HoldsVariable(text, any)) {
          return CloudFormationUnknownPart{
              element, absl::StrCat("statement ", i, " (", effect, ") has the ", element, " \"",
                                    text, "\", which is not known before deployment")};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace kmsguard::adapters::internal
