#include "sdk/adapters/azure_arm_expression.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/adapters/azure_common.h"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::adapters::azure_internal {
namespace {

using Json = nlohmann::json;

// The pointers of `unknown` below `token`, relative to it.
std::set<std::string> Below(const std::set<std::string>& unknown, const std::string& token) {
  std::set<std::string> out;
  const std::string prefix = "/" + core::PointerToken(token);
  for (const std::string& p : unknown) {
    if (p == prefix) {
      out.insert("");
    } else if (p.starts_with(prefix + "/")) {
      out.insert(p.substr(prefix.size()));
    }
  }
  return out;
}

void AddBelow(std::set<std::string>* out, const std::set<std::string>& unknown,
              const std::string& token) {
  for (const std::string& p : unknown) out->insert(absl::StrCat("/", core::PointerToken(token), p));
}

// The member `name` of `object`, matched case-insensitively (ARM names are); end() when absent.
Json::const_iterator FindIgnoreCase(const Json& object, std::string_view name) {
  if (!object.is_object()) return object.end();
  if (const auto it = object.find(name); it != object.end()) return it;
  const std::string lower = Lower(name);
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (Lower(it.key()) == lower) return it;
  }
  return object.end();
}

ArmValue Known(Json value) { return {std::move(value), {}}; }

// How deep expressions nest, and parameters and variables refer to one another, before the
// evaluation gives up (the value is then unknown): well beyond real templates, well within the
// stack.
constexpr int kMaxDepth = 64;

// Evaluates one expression while parsing it.
class Parser {
 public:
  Parser(std::string_view source, ArmScope* scope, std::vector<ArmIssue>* issues)
      : src_(source), scope_(scope), issues_(issues) {}

  // The value of the whole expression; false when it does not parse (`error_` says why).
  bool Run(ArmValue* out) {
    *out = Expression();
    SkipSpace();
    if (error_.empty() && pos_ != src_.size()) Fail("unexpected text after the expression");
    return error_.empty();
  }
  const std::string& error() const { return error_; }

 private:
  void Fail(std::string message) {
    if (error_.empty()) error_ = absl::StrCat(message, " at offset ", pos_ + 1);
  }
  void SkipSpace() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < src_.size() && src_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // The source from `start` to here, as the "[...]" text that stands for an unknown value.
  ArmValue UnknownFrom(std::size_t start) const {
    std::string_view text = src_.substr(start, pos_ - start);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    return {absl::StrCat("[", core::Sv(text), "]"), {""}};
  }

  // A name; a function's may hold dots (user-defined functions are namespace.name), a property's
  // may not (a.b.c is two accesses).
  std::string Identifier(bool dots) {
    SkipSpace();
    const std::size_t start = pos_;
    while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) ||
                                  src_[pos_] == '_' || (dots && src_[pos_] == '.'))) {
      ++pos_;
    }
    return std::string(src_.substr(start, pos_ - start));
  }

  ArmValue Expression() {
    // Calls nest by recursion: a hostile template must not exhaust the stack.
    struct Depth {
      explicit Depth(int* d) : depth(d) { ++*depth; }
      ~Depth() { --*depth; }
      int* depth;
    } depth(&depth_);
    if (depth_ > kMaxDepth) {
      Fail(absl::StrCat("the expression nests deeper than ", kMaxDepth, " levels"));
      return {};
    }
    SkipSpace();
    const std::size_t start = pos_;
    ArmValue value = Primary();
    while (error_.empty()) {
      SkipSpace();
      if (pos_ < src_.size() && src_[pos_] == '.') {
        ++pos_;
        const std::string name = Identifier(/*dots=*/false);
        if (name.empty()) {
          Fail("a property name is expected after '.'");
          break;
        }
        value = Member(std::move(value), name, start);
      } else if (pos_ < src_.size() && src_[pos_] == '[') {
        ++pos_;
        ArmValue index = Expression();
        if (!Eat(']')) {
          Fail("']' is expected");
          break;
        }
        value = Index(std::move(value), index, start);
      } else {
        break;
      }
    }
    return value;
  }

  ArmValue Primary() {
    SkipSpace();
    if (pos_ >= src_.size()) {
      Fail("an expression is expected");
      return {};
    }
    const char c = src_[pos_];
    if (c == '\'') return Known(StringLiteral());
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const std::size_t start = pos_++;
      while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) ++pos_;
      const std::string digits(src_.substr(start, pos_ - start));
      if (digits == "-") {
        Fail("a number is expected");
        return {};
      }
      std::int64_t number = 0;
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if (error != std::errc() || end != digits.data() + digits.size()) {
        Fail("the number is out of range");
        return {};
      }
      return Known(number);
    }
    const std::size_t start = pos_;
    const std::string name = Identifier(/*dots=*/true);
    if (name.empty()) {
      Fail(absl::StrCat("unexpected '", std::string(1, c), "'"));
      return {};
    }
    if (!Eat('(')) {
      const std::string lower = Lower(name);
      if (lower == "true" || lower == "false") return Known(lower == "true");
      if (lower == "null") return Known(nullptr);
      Fail(absl::StrCat("'(' is expected after ", name));
      return {};
    }
    std::vector<ArmValue> args;
    if (!Eat(')')) {
      while (error_.empty()) {
        args.push_back(Expression());
        if (Eat(')')) break;
        if (!Eat(',')) {
          Fail("',' or ')' is expected");
          break;
        }
      }
    }
    if (!error_.empty()) return {};
    return Call(Lower(name), name, args, start);
  }

  std::string StringLiteral() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < src_.size()) {
      if (src_[pos_] == '\'') {
        if (pos_ + 1 < src_.size() && src_[pos_ + 1] == '\'') {
          out += '\'';
          pos_ += 2;
          continue;
        }
        ++pos_;
        return out;
      }
      out += src_[pos_++];
    }
    Fail("the string literal is not closed");
    return out;
  }

  ArmValue Member(ArmValue value, const std::string& name, std::size_t start) {
    if (value.WhollyUnknown()) return UnknownFrom(start);
    const auto it = FindIgnoreCase(value.value, name);
    if (it == value.value.end()) {
      issues_->push_back({"", absl::StrCat("no property '", name, "' in the value of '",
                                           std::string(src_.substr(start, pos_ - start)), "'")});
      return UnknownFrom(start);
    }
    return {*it, Below(value.unknown, it.key())};
  }

  ArmValue Index(ArmValue value, const ArmValue& index, std::size_t start) {
    if (value.WhollyUnknown() || !index.unknown.empty()) return UnknownFrom(start);
    if (value.value.is_array() && index.value.is_number_integer()) {
      const auto i = index.value.get<std::int64_t>();
      if (i >= 0 && static_cast<std::size_t>(i) < value.value.size()) {
        return {value.value[static_cast<std::size_t>(i)], Below(value.unknown, std::to_string(i))};
      }
    } else if (value.value.is_object() && index.value.is_string()) {
      const auto it = FindIgnoreCase(value.value, index.value.get<std::string>());
      if (it != value.value.end()) return {*it, Below(value.unknown, it.key())};
    }
    issues_->push_back({"", absl::StrCat("no element ", TextOf(index.value), " in the value of '",
                                         std::string(src_.substr(start, pos_ - start)), "'")});
    return UnknownFrom(start);
  }

  static bool AnyUnknown(const std::vector<ArmValue>& args) {
    for (const ArmValue& a : args) {
      if (!a.unknown.empty()) return true;
    }
    return false;
  }

  // A string built from the arguments' texts; unknown when any of them is.
  static ArmValue Built(std::string text, const std::vector<ArmValue>& args) {
    ArmValue out = Known(std::move(text));
    if (AnyUnknown(args)) out.unknown.insert("");
    return out;
  }

  // resourceId(): /subscriptions/S/resourceGroups/G/providers/TYPE/NAME[/TYPE2/NAME2]; the
  // subscription and resource group come first when given, else from the deployment.
  ArmValue ResourceIdFunction(std::string_view function, const std::vector<ArmValue>& args) {
    std::size_t type_at = 0;
    while (type_at < args.size() && TextOf(args[type_at].value).find('/') == std::string::npos) {
      ++type_at;
    }
    if (type_at == args.size()) {
      issues_->push_back({"", absl::StrCat(core::Sv(function), "() needs a resource type")});
      return {};
    }
    std::string prefix;
    if (function == "tenantresourceid") {
      prefix = "";
    } else if (function == "extensionresourceid") {
      prefix = type_at > 0 ? TextOf(args[0].value) : "";
    } else {
      std::string subscription = "{subscriptionId}";
      std::string group;
      if (function == "resourceid") {
        if (type_at >= 2) {
          subscription = TextOf(args[0].value);
          group = TextOf(args[1].value);
        } else if (type_at == 1) {
          group = TextOf(args[0].value);
        } else if (scope_->deployment().target_scope.find("/resourceGroups/") !=
                   std::string::npos) {
          group = "{resourceGroupName}";
        }
      } else if (type_at >= 1) {  // subscriptionResourceId
        subscription = TextOf(args[0].value);
      }
      prefix = absl::StrCat("/subscriptions/", subscription);
      if (!group.empty()) absl::StrAppend(&prefix, "/resourceGroups/", group);
    }
    const std::string type = TextOf(args[type_at].value);
    const std::size_t slash = type.find('/');
    std::vector<std::string> segments;
    for (std::size_t start = slash + 1; start <= type.size();) {
      const std::size_t end = std::min(type.find('/', start), type.size());
      segments.push_back(type.substr(start, end - start));
      start = end + 1;
    }
    std::string id = absl::StrCat(prefix, "/providers/", type.substr(0, slash));
    std::size_t name_at = type_at + 1;
    for (const std::string& segment : segments) {
      absl::StrAppend(&id, "/", segment);
      if (name_at < args.size()) absl::StrAppend(&id, "/", TextOf(args[name_at++].value));
    }
    return Built(std::move(id), args);
  }

  ArmValue Format(const std::vector<ArmValue>& args, std::size_t start) {
    if (args.empty() || !args[0].unknown.empty() || !args[0].value.is_string()) {
      return UnknownFrom(start);
    }
    const std::string pattern = args[0].value.get<std::string>();
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {
        out += c;
        ++i;
        continue;
      }
      if (c == '{') {
        const std::size_t close = pattern.find('}', i);
        std::string number = pattern.substr(i + 1, close == std::string::npos ? 0 : close - i - 1);
        number = number.substr(0, number.find(':'));
        std::size_t n = 0;
        bool ok = !number.empty() && close != std::string::npos;
        for (const char d : number) {
          ok = ok && std::isdigit(static_cast<unsigned char>(d));
          n = n * 10 + static_cast<std::size_t>(d - '0');
        }
        if (ok && n + 1 < args.size()) {
          out += TextOf(args[n + 1].value);
          i = close;
          continue;
        }
      }
      out += c;
    }
    return Built(std::move(out), args);
  }

  ArmValue Call(const std::string& f, const std::string& written, const std::vector<ArmValue>& args,
                std::size_t start) {
    const auto arg_string = [&](std::size_t i) {
      return i < args.size() && args[i].unknown.empty() && args[i].value.is_string();
    };
    if (f == "parameters" || f == "variables") {
      if (!arg_string(0)) return UnknownFrom(start);
      const std::string name = args[0].value.get<std::string>();
      return f == "parameters" ? scope_->Parameter(name, issues_) : scope_->Variable(name, issues_);
    }
    if (f == "concat") {
      bool arrays = !args.empty();
      for (const ArmValue& a : args) arrays = arrays && a.value.is_array() && !a.WhollyUnknown();
      if (arrays) {
        ArmValue out = Known(Json::array());
        for (const ArmValue& a : args) {
          for (std::size_t i = 0; i < a.value.size(); ++i) {
            AddBelow(&out.unknown, Below(a.unknown, std::to_string(i)),
                     std::to_string(out.value.size()));
            out.value.push_back(a.value[i]);
          }
        }
        return out;
      }
      std::string text;
      for (const ArmValue& a : args) text += TextOf(a.value);
      return Built(std::move(text), args);
    }
    if (f == "format") return Format(args, start);
    if (f == "resourceid" || f == "subscriptionresourceid" || f == "tenantresourceid" ||
        f == "extensionresourceid") {
      return ResourceIdFunction(f, args);
    }
    if (f == "subscription" && args.empty()) {
      return Known({{"id", "/subscriptions/{subscriptionId}"},
                    {"subscriptionId", "{subscriptionId}"},
                    {"tenantId", "{tenantId}"},
                    {"displayName", "{subscriptionName}"}});
    }
    if (f == "resourcegroup" && args.empty()) {
      return Known({{"id", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"},
                    {"name", "{resourceGroupName}"},
                    {"location", "{location}"}});
    }
    if (f == "tolower" || f == "toupper") {
      if (!arg_string(0)) return UnknownFrom(start);
      std::string text = args[0].value.get<std::string>();
      for (char& c : text) {
        c = static_cast<char>(f == "tolower" ? std::tolower(static_cast<unsigned char>(c))
                                             : std::toupper(static_cast<unsigned char>(c)));
      }
      return Known(std::move(text));
    }
    if (f == "guid" || f == "uniquestring") {
      // Opaque, but readable: what it is derived from.
      std::vector<std::string> texts;
      for (const ArmValue& a : args) texts.push_back(TextOf(a.value));
      return Built(absl::StrCat(written, "(", absl::StrJoin(texts, ", "), ")"), args);
    }
    if (f == "if" && args.size() == 3) {
      if (!args[0].unknown.empty() || !args[0].value.is_boolean()) return UnknownFrom(start);
      return args[0].value.get<bool>() ? args[1] : args[2];
    }
    if (f == "createarray") {
      ArmValue out = Known(Json::array());
      for (std::size_t i = 0; i < args.size(); ++i) {
        AddBelow(&out.unknown, args[i].unknown, std::to_string(i));
        out.value.push_back(args[i].value);
      }
      return out;
    }
    if (f == "createobject" && args.size() % 2 == 0) {
      ArmValue out = Known(Json::object());
      for (std::size_t i = 0; i < args.size(); i += 2) {
        if (!arg_string(i)) return UnknownFrom(start);
        const std::string key = args[i].value.get<std::string>();
        AddBelow(&out.unknown, args[i + 1].unknown, key);
        out.value[key] = args[i + 1].value;
      }
      return out;
    }
    if (f == "union" && !args.empty()) {
      for (const ArmValue& a : args) {
        if (a.WhollyUnknown() || (!a.value.is_object() && !a.value.is_array()) ||
            a.value.is_object() != args[0].value.is_object()) {
          return UnknownFrom(start);
        }
      }
      ArmValue out = Known(args[0].value.is_object() ? Json::object() : Json::array());
      for (const ArmValue& a : args) {
        if (a.value.is_object()) {
          for (const auto& [key, v] : a.value.items()) {
            // Computed outside the lambda: clang 14 cannot capture a structured binding.
            const std::string prefix = "/" + core::PointerToken(key);
            std::erase_if(out.unknown, [&prefix](const std::string& p) {
              return p == prefix || p.starts_with(prefix + "/");
            });
            AddBelow(&out.unknown, Below(a.unknown, key), key);
            out.value[key] = v;
          }
        } else {
          for (std::size_t i = 0; i < a.value.size(); ++i) {
            bool seen = false;
            for (const Json& e : out.value) seen = seen || e == a.value[i];
            if (seen) continue;
            AddBelow(&out.unknown, Below(a.unknown, std::to_string(i)),
                     std::to_string(out.value.size()));
            out.value.push_back(a.value[i]);
          }
        }
      }
      return out;
    }
    if (f == "string" && args.size() == 1) {
      if (!args[0].unknown.empty()) return UnknownFrom(start);
      return Known(args[0].value.is_string() ? args[0].value : Json(TextOf(args[0].value)));
    }
    if (f == "equals" && args.size() == 2) {
      if (AnyUnknown(args)) return UnknownFrom(start);
      return Known(args[0].value == args[1].value);
    }
    if ((f == "not" || f == "and" || f == "or") && !args.empty()) {
      if (AnyUnknown(args)) return UnknownFrom(start);
      for (const ArmValue& a : args) {
        if (!a.value.is_boolean()) return UnknownFrom(start);
      }
      if (f == "not") return Known(!args[0].value.get<bool>());
      bool result = f == "and";
      for (const ArmValue& a : args) {
        result = f == "and" ? result && a.value.get<bool>() : result || a.value.get<bool>();
      }
      return Known(result);
    }
    if (f == "empty" && args.size() == 1) {
      if (!args[0].unknown.empty()) return UnknownFrom(start);
      const Json& v = args[0].value;
      return Known(v.is_null() || ((v.is_string() || v.is_array() || v.is_object()) && v.empty()));
    }
    if (f == "coalesce") {
      for (const ArmValue& a : args) {
        if (!a.unknown.empty()) return UnknownFrom(start);
        if (!a.value.is_null()) return a;
      }
      return Known(nullptr);
    }
    if ((f == "true" || f == "false") && args.empty()) return Known(f == "true");
    if (f == "null" && args.empty()) return Known(nullptr);
    // reference(), list*(), deployment(), copyIndex(), user-defined functions, ...: not known
    // before the deployment, or not evaluated here.
    return UnknownFrom(start);
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  ArmScope* scope_;
  std::vector<ArmIssue>* issues_;
  std::string error_;
};

}  // namespace

std::string TextOf(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  return core::DumpJson(value);
}

nlohmann::json ParameterFromText(std::string_view text, std::string_view type) {
  const std::string kind = Lower(type);
  if (kind == "bool") {
    const std::string lower = Lower(text);
    if (lower == "true" || lower == "false") return lower == "true";
  } else if (kind == "int" || kind == "array" || kind == "object" || kind == "secureobject") {
    Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() &&
        ((kind == "int" && parsed.is_number_integer()) || (kind == "array" && parsed.is_array()) ||
         (kind != "int" && kind != "array" && parsed.is_object()))) {
      return parsed;
    }
    // `--parameter NAME=a,b` (the command line's list form): an array of the strings between
    // commas.
    if (kind == "array") {
      Json list = Json::array();
      std::size_t start = 0;
      while (true) {
        const std::size_t comma = text.find(',', start);
        list.push_back(std::string(text.substr(start, comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return list;
    }
  }
  return std::string(text);
}

ArmScope::ArmScope(const nlohmann::json& template_root, std::map<std::string, ArmValue> given,
                   ArmDeployment deployment)
    : template_(template_root), deployment_(std::move(deployment)) {
  for (auto& [name, value] : given) given_[Lower(name)] = std::move(value);
}

ArmValue ArmScope::Evaluate(const nlohmann::json& value, std::vector<ArmIssue>* issues) {
  if (value.is_string()) return EvaluateText(value.get_ref<const std::string&>(), issues);
  if (!value.is_array() && !value.is_object()) return Known(value);
  ArmValue out = Known(value.is_array() ? Json::array() : Json::object());
  std::size_t index = 0;
  for (auto it = value.begin(); it != value.end(); ++it, ++index) {
    const std::string token = value.is_array() ? std::to_string(index) : it.key();
    std::vector<ArmIssue> inner;
    ArmValue element = Evaluate(*it, &inner);
    for (ArmIssue& issue : inner) {
      issues->push_back(
          {absl::StrCat("/", core::PointerToken(token), issue.pointer), std::move(issue.message)});
    }
    AddBelow(&out.unknown, element.unknown, token);
    if (value.is_array()) {
      out.value.push_back(std::move(element.value));
    } else {
      out.value[token] = std::move(element.value);
    }
  }
  return out;
}

ArmValue ArmScope::EvaluateText(std::string_view text, std::vector<ArmIssue>* issues) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return Known(std::string(text));
  if (text[1] == '[') return Known(std::string(text.substr(1)));
  Parser parser(text.substr(1, text.size() - 2), this, issues);
  ArmValue out;
  if (!parser.Run(&out)) {
    issues->push_back({"", absl::StrCat("the expression ", std::string(text),
                                        " could not be read: ", parser.error())});
    return {std::string(text), {""}};
  }
  return out;
}

ArmValue ArmScope::Parameter(std::string_view name, std::vector<ArmIssue>* issues) {
  const std::string key = Lower(name);
  if (const auto it = parameters_.find(key); it != parameters_.end()) return it->second;
  const ArmValue unknown{absl::StrCat("[parameters('", core::Sv(name), "')]"), {""}};
  const auto declarations = template_.find("parameters");
  const auto declaration =
      declarations == template_.end() ? template_.end() : FindIgnoreCase(*declarations, name);
  if (declarations == template_.end() || declaration == declarations->end()) {
    issues->push_back({"", absl::StrCat("parameter '", core::Sv(name), "' is not declared")});
    return unknown;
  }
  if (evaluating_.size() >= static_cast<std::size_t>(kMaxDepth)) {
    issues->push_back({"", absl::StrCat("parameter '", core::Sv(name),
                                        "': parameters and variables refer to one "
                                        "another more than ",
                                        kMaxDepth, " levels deep")});
    return unknown;
  }
  if (!evaluating_.insert("p:" + key).second) {
    issues->push_back({"", absl::StrCat("parameter '", core::Sv(name), "' refers to itself")});
    return unknown;
  }
  ArmValue value = unknown;
  if (const auto it = given_.find(key); it != given_.end()) {
    value = it->second;
  } else if (declaration->is_object() && declaration->contains("defaultValue")) {
    value = Evaluate(declaration->at("defaultValue"), issues);
  }
  evaluating_.erase("p:" + key);
  parameters_[key] = value;
  return value;
}

ArmValue ArmScope::Variable(std::string_view name, std::vector<ArmIssue>* issues) {
  const std::string key = Lower(name);
  if (const auto it = variables_.find(key); it != variables_.end()) return it->second;
  const ArmValue unknown{absl::StrCat("[variables('", core::Sv(name), "')]"), {""}};
  const auto variables = template_.find("variables");
  const auto variable =
      variables == template_.end() ? template_.end() : FindIgnoreCase(*variables, name);
  if (variables == template_.end() || variable == variables->end()) {
    issues->push_back({"", absl::StrCat("variable '", core::Sv(name), "' is not declared")});
    return unknown;
  }
  if (evaluating_.size() >= static_cast<std::size_t>(kMaxDepth)) {
    issues->push_back({"", absl::StrCat("variable '", core::Sv(name),
                                        "': parameters and variables refer to one "
                                        "another more than ",
                                        kMaxDepth, " levels deep")});
    return unknown;
  }
  if (!evaluating_.insert("v:" + key).second) {
    issues->push_back({"", absl::StrCat("variable '", core::Sv(name), "' refers to itself")});
    return unknown;
  }
  ArmValue value = Evaluate(*variable, issues);
  evaluating_.erase("v:" + key);
  variables_[key] = value;
  return value;
}

}  // namespace kmsguard::adapters::azure_internal
