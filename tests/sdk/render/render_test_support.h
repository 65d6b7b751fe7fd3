// Shared by the renderer tests: the bundled example scanned with every built-in rule, a fixed
// clock, the reference schemas in ../shared/schemas, and two small validators over them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"
#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"
#include "sdk/render/render.h"
#include "sdk/rules/builtins.h"

namespace kmsguard::render::test {

using Json = nlohmann::json;

// 2024-05-01T12:00:00.000Z, for reproducible output.
inline std::chrono::system_clock::time_point FixedTime() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1714564800));
}

inline RenderOptions FixedOptions() {
  RenderOptions options;
  options.product = {"kmsguard", "0.1.0"};
  options.time = FixedTime();
  options.aws_region = "us-east-1";
  return options;
}

inline bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

struct Scan {
  std::vector<model::Finding> findings;
  model::ScanSummary summary;
};

// Adapter and evaluator in process, with the summary the plugin would send.
inline Scan ScanText(const std::string& text, const std::string& source_name) {
  rules::LoadResult loaded = rules::LoadBuiltinRules();
  EXPECT_TRUE(loaded.diagnostics.empty()) << "built-in rules do not load";
  const engine::Evaluator evaluator(
      std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  adapters::AdapterResult read = adapters::ReadAuthorizationDetails(text, source_name);
  Scan scan;
  for (const model::Resource& r : read.resources) {
    ++scan.summary.resources_received;
    ++scan.summary.resources_evaluated;
    scan.summary.resource_types.insert(r.type);
    if (!r.account.empty()) scan.summary.accounts.insert(r.account);
    if (!r.region.empty()) scan.summary.regions.insert(r.region);
    for (model::Finding& f : evaluator.Evaluate(r)) {
      switch (f.status) {
        case model::Status::kPass:
          ++scan.summary.pass;
          break;
        case model::Status::kWarning:
          ++scan.summary.warning;
          break;
        case model::Status::kFail:
          ++scan.summary.fail;
          break;
        case model::Status::kError:
          ++scan.summary.error;
          break;
        case model::Status::kSuppressed:
          ++scan.summary.suppressed;
          break;
      }
      scan.summary.rule_ids.insert(f.rule_id);
      scan.findings.push_back(std::move(f));
    }
  }
  return scan;
}

// The bundled default input, named by its path in the repository so that output is the same on
// every machine.
inline constexpr char kExamplePath[] = "docs/examples/account-authorization-details.json";

inline Scan ScanBundledExample() {
  std::string text;
  EXPECT_TRUE(ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / kExamplePath, &text));
  return ScanText(text, kExamplePath);
}

inline std::filesystem::path SchemaPath(const std::string& name) {
  return std::filesystem::path(KMSGUARD_SHARED_DIR) / "schemas" / name;
}

// Code points, as the AWS length limits and JSON Schema's minLength/maxLength count them.
inline std::size_t CodePoints(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// A JSON Schema (draft-04, as the SARIF 2.1.0 schema is written) validator for the keywords that
// schema uses: $ref (local), type, properties, additionalProperties, required, items, minItems,
// maxItems, uniqueItems, minimum, maximum, minLength, maxLength, enum, pattern, format
// (uri, uri-reference, date-time), anyOf, oneOf, allOf; annotations are ignored. A keyword it
// does not know is reported as an error rather than skipped, so nothing passes unchecked.
class JsonSchemaValidator {
 public:
  explicit JsonSchemaValidator(Json schema) : root_(std::move(schema)) {}

  std::vector<std::string> Validate(const Json& instance) {
    std::vector<std::string> errors;
    Check(root_, instance, "", &errors);
    return errors;
  }

 private:
  const Json& Resolve(const Json& schema) const {
    const Json* current = &schema;
    for (int depth = 0; depth < 32 && current->contains("$ref"); ++depth) {
      const std::string ref = (*current)["$ref"];
      // Local references only ("#/definitions/x"); the SARIF schema uses no other.
      current = &root_.at(Json::json_pointer(ref.substr(1)));
    }
    return *current;
  }

  static bool IsType(const Json& value, const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "boolean") return value.is_boolean();
    if (type == "null") return value.is_null();
    return false;
  }

  static bool FormatOk(const std::string& format, const std::string& text) {
    static const std::regex kUri(R"(^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$)");
    static const std::regex kUriReference(R"(^[^\s]*$)");
    static const std::regex kDateTime(
        R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+\-]\d{2}:\d{2})$)");
    if (format == "uri") return std::regex_match(text, kUri);
    if (format == "uri-reference") return std::regex_match(text, kUriReference);
    if (format == "date-time") return std::regex_match(text, kDateTime);
    return false;
  }

  void Check(const Json& raw_schema, const Json& value, const std::string& path,
             std::vector<std::string>* errors) {
    const Json& schema = Resolve(raw_schema);
    static const std::set<std::string> kAnnotations = {"description", "default", "title",
                                                       "id",          "$schema", "definitions",
                                                       "$ref"};
    const auto fail = [&](const std::string& message) {
      errors->push_back((path.empty() ? "/" : path) + ": " + message);
    };
    for (const auto& [keyword, arg] : schema.items()) {
      if (kAnnotations.count(keyword)) continue;
      if (keyword == "type") {
        bool ok = false;
        if (arg.is_string()) ok = IsType(value, arg);
        for (const Json& t : arg.is_array() ? arg : Json::array()) ok = ok || IsType(value, t);
        if (!ok) fail("expected type " + arg.dump() + ", got " + value.dump().substr(0, 80));
      } else if (keyword == "properties" || keyword == "additionalProperties") {
        if (!value.is_object()) continue;
        if (keyword == "additionalProperties") continue;  // handled with properties below
      } else if (keyword == "required") {
        if (!value.is_object()) continue;
        for (const Json& name : arg) {
          if (!value.contains(name.get<std::string>())) fail("missing required " + name.dump());
        }
      } else if (keyword == "items") {
        if (!value.is_array()) continue;
        for (std::size_t i = 0; i < value.size(); ++i) {
          Check(arg, value[i], path + "/" + std::to_string(i), errors);
        }
      } else if (keyword == "minItems") {
        if (value.is_array() && value.size() < arg.get<std::size_t>()) fail("too few items");
      } else if (keyword == "maxItems") {
        if (value.is_array() && value.size() > arg.get<std::size_t>()) fail("too many items");
      } else if (keyword == "uniqueItems") {
        if (!value.is_array() || !arg.get<bool>()) continue;
        std::set<std::string> seen;
        for (const Json& item : value) {
          if (!seen.insert(item.dump()).second) fail("duplicate item " + item.dump());
        }
      } else if (keyword == "minimum") {
        if (value.is_number() && value.get<double>() < arg.get<double>()) fail("below minimum");
      } else if (keyword == "maximum") {
        if (value.is_number() && value.get<double>() > arg.get<double>()) fail("above maximum");
      } else if (keyword == "minLength") {
        if (value.is_string() && CodePoints(value) < arg.get<std::size_t>()) fail("too short");
      } else if (keyword == "maxLength") {
        if (value.is_string() && CodePoints(value) > arg.get<std::size_t>()) fail("too long");
      } else if (keyword == "enum") {
        bool found = false;
        for (const Json& option : arg) found = found || option == value;
        if (!found) fail(value.dump() + " is not one of " + arg.dump());
      } else if (keyword == "pattern") {
        if (value.is_string() &&
            !std::regex_search(value.get<std::string>(), std::regex(arg.get<std::string>()))) {
          fail(value.dump() + " does not match " + arg.dump());
        }
      } else if (keyword == "format") {
        if (value.is_string() && !FormatOk(arg, value)) {
          fail(value.dump() + " is not a " + arg.dump());
        }
      } else if (keyword == "anyOf" || keyword == "oneOf" || keyword == "allOf") {
        int passed = 0;
        std::vector<std::string> sub_errors;
        for (const Json& option : arg) {
          std::vector<std::string> option_errors;
          Check(option, value, path, &option_errors);
          if (option_errors.empty()) ++passed;
          sub_errors.insert(sub_errors.end(), option_errors.begin(), option_errors.end());
        }
        const int n = static_cast<int>(arg.size());
        if ((keyword == "anyOf" && passed == 0) || (keyword == "oneOf" && passed != 1) ||
            (keyword == "allOf" && passed != n)) {
          fail(keyword + " not satisfied (" + std::to_string(passed) + " of " +
               std::to_string(n) + " match): " + (sub_errors.empty() ? "" : sub_errors[0]));
        }
      } else {
        fail("schema keyword \"" + keyword + "\" is not supported by this validator");
      }
    }
    if (value.is_object() && (schema.contains("properties") ||
                              schema.contains("additionalProperties"))) {
      const Json properties = schema.value("properties", Json::object());
      for (const auto& [name, item] : value.items()) {
        if (properties.contains(name)) {
          Check(properties[name], item, path + "/" + name, errors);
        } else if (schema.contains("additionalProperties")) {
          const Json& extra = schema["additionalProperties"];
          if (extra.is_boolean()) {
            if (!extra.get<bool>()) fail("property \"" + name + "\" is not allowed");
          } else {
            Check(extra, item, path + "/" + name, errors);
          }
        }
      }
    }
  }

  Json root_;
};

// Validates JSON against a shape of an AWS service model (botocore service-2.json): structures
// (members, required, no unknown members), lists, maps, strings (enum, pattern, min/max), numbers
// and booleans; plus the limits the model states only in member documentation ("Maximum length
// of 1024", "Length Constraints: 12", "Maximum number of 32 items", "up to 50 key-value pairs",
// "the value can contain up to 2048 characters").
class BotocoreShapeValidator {
 public:
  explicit BotocoreShapeValidator(Json model) : model_(std::move(model)) {}

  std::vector<std::string> Validate(const Json& value, const std::string& shape) {
    std::vector<std::string> errors;
    Check(value, shape, Limits(), "", &errors);
    return errors;
  }

 private:
  struct Limits {
    std::int64_t min_length = -1, max_length = -1, exact_length = -1;
    std::int64_t min_items = -1, max_items = -1;
    std::int64_t max_pairs = -1, max_key = -1, max_value = -1;
  };

  static Limits DocumentedLimits(const Json& member) {
    Limits limits;
    std::string doc = member.value("documentation", "");
    doc = std::regex_replace(doc, std::regex("<[^>]+>"), " ");
    const auto number = [&doc](const char* pattern) -> std::int64_t {
      std::smatch m;
      if (!std::regex_search(doc, m, std::regex(pattern))) return -1;
      return std::stoll(m[1]);
    };
    limits.max_length = number(R"(Maximum length of (\d+))");
    if (limits.max_length < 0) limits.max_length = number(R"(Maximum of (\d+) length)");
    limits.min_length = number(R"(Minimum length of (\d+))");
    if (limits.min_length < 0) limits.min_length = number(R"(Minimum of (\d+) length)");
    limits.exact_length = number(R"(Length Constraints:\s*(\d+)\.)");
    limits.max_items = number(R"(Maximum number of (\d+) items?)");
    limits.min_items = number(R"(Minimum number of (\d+) items?)");
    limits.max_pairs = number(R"(up to (\d+) key-value pairs)");
    limits.max_key = number(R"(key can contain up to (\d+) characters)");
    limits.max_value = number(R"(value can contain up to (\d+) characters)");
    return limits;
  }

  void Check(const Json& value, const std::string& shape_name, const Limits& limits,
             const std::string& path, std::vector<std::string>* errors) {
    const auto fail = [&](const std::string& message) {
      errors->push_back((path.empty() ? "/" : path) + ": " + message);
    };
    const Json& shape = model_["shapes"][shape_name];
    const std::string type = shape.value("type", "");
    if (type == "structure") {
      if (!value.is_object()) return fail(shape_name + " must be an object");
      for (const Json& name : shape.value("required", Json::array())) {
        if (!value.contains(name.get<std::string>())) fail("missing required " + name.dump());
      }
      for (const auto& [name, item] : value.items()) {
        if (!shape["members"].contains(name)) {
          fail("\"" + name + "\" is not a member of " + shape_name);
          continue;
        }
        const Json& member = shape["members"][name];
        Check(item, member["shape"], DocumentedLimits(member), path + "/" + name, errors);
      }
    } else if (type == "list") {
      if (!value.is_array()) return fail(shape_name + " must be an array");
      const std::int64_t n = static_cast<std::int64_t>(value.size());
      const std::int64_t min = std::max<std::int64_t>(shape.value("min", -1), limits.min_items);
      std::int64_t max = shape.value("max", -1);
      if (limits.max_items >= 0) max = max < 0 ? limits.max_items : std::min(max, limits.max_items);
      if (min >= 0 && n < min) fail("fewer than " + std::to_string(min) + " items");
      if (max >= 0 && n > max) fail("more than " + std::to_string(max) + " items");
      for (std::size_t i = 0; i < value.size(); ++i) {
        Check(value[i], shape["member"]["shape"], Limits(), path + "/" + std::to_string(i),
              errors);
      }
    } else if (type == "map") {
      if (!value.is_object()) return fail(shape_name + " must be an object");
      if (limits.max_pairs >= 0 && static_cast<std::int64_t>(value.size()) > limits.max_pairs) {
        fail("more than " + std::to_string(limits.max_pairs) + " pairs");
      }
      for (const auto& [key, item] : value.items()) {
        Limits key_limits, value_limits;
        key_limits.max_length = limits.max_key;
        value_limits.max_length = limits.max_value;
        Check(key, shape["key"]["shape"], key_limits, path + "/" + key + "(key)", errors);
        Check(item, shape["value"]["shape"], value_limits, path + "/" + key, errors);
      }
    } else if (type == "string") {
      if (!value.is_string()) return fail(shape_name + " must be a string");
      const std::string text = value;
      const std::int64_t n = static_cast<std::int64_t>(CodePoints(text));
      if (shape.contains("enum")) {
        bool found = false;
        for (const Json& option : shape["enum"]) found = found || option == value;
        if (!found) fail(value.dump() + " is not one of " + shape["enum"].dump());
      }
      if (shape.contains("pattern") &&
          !std::regex_search(text, std::regex(shape["pattern"].get<std::string>()))) {
        fail(value.dump() + " does not match " + shape["pattern"].dump());
      }
      const std::int64_t min = std::max<std::int64_t>(shape.value("min", -1), limits.min_length);
      std::int64_t max = shape.value("max", -1);
      if (limits.max_length >= 0) {
        max = max < 0 ? limits.max_length : std::min(max, limits.max_length);
      }
      if (min >= 0 && n < min) fail("shorter than " + std::to_string(min));
      if (max >= 0 && n > max) fail("longer than " + std::to_string(max) + " (" +
                                    std::to_string(n) + ")");
      if (limits.exact_length >= 0 && n != limits.exact_length) {
        fail("length must be " + std::to_string(limits.exact_length));
      }
    } else if (type == "integer" || type == "long") {
      if (!value.is_number_integer()) fail(shape_name + " must be an integer");
    } else if (type == "double" || type == "float") {
      if (!value.is_number()) fail(shape_name + " must be a number");
    } else if (type == "boolean") {
      if (!value.is_boolean()) fail(shape_name + " must be a boolean");
    } else {
      fail("shape " + shape_name + " of type \"" + type + "\" is not supported by this validator");
    }
  }

  Json model_;
};

// Checks every attribute the renderer writes against the OCSF 1.5.0 definitions (the server's
// compiled export): names exist, types and enum values fit, required attributes are present.
class OcsfSchemaChecker {
 public:
  explicit OcsfSchemaChecker(Json schema) : schema_(std::move(schema)) {}

  std::vector<std::string> CheckEvent(const Json& event) {
    errors_.clear();
    std::set<std::string> profiles;
    for (const Json& p : event["metadata"].value("profiles", Json::array())) profiles.insert(p);
    CheckAttributes(schema_["classes"]["compliance_finding"], event, "", profiles);
    return errors_;
  }

 private:
  std::string BaseType(const std::string& type) const {
    static const std::set<std::string> kBase = {"string_t", "integer_t", "long_t",  "boolean_t",
                                                "float_t",  "json_t",    "object_t"};
    if (kBase.count(type) || !schema_["types"].contains(type)) return type;
    const Json& t = schema_["types"][type];
    return t.contains("type") ? BaseType(t["type"]) : "string_t";
  }

  void CheckValue(const Json& def, const Json& value, const std::string& path) {
    if (def.value("is_array", false)) {
      if (!value.is_array()) return errors_.push_back(path + ": expected an array");
      Json item_def = def;
      item_def["is_array"] = false;
      for (std::size_t i = 0; i < value.size(); ++i) {
        CheckValue(item_def, value[i], path + "/" + std::to_string(i));
      }
      return;
    }
    const std::string type = BaseType(def.value("type", "string_t"));
    bool ok = true;
    if (type == "string_t") ok = value.is_string();
    if (type == "integer_t" || type == "long_t") ok = value.is_number_integer();
    if (type == "boolean_t") ok = value.is_boolean();
    if (type == "object_t") {
      ok = value.is_object();
      // The generic "object" (Object: "used as a generic object to log objects that are not
      // otherwise defined by the schema", e.g. the event's `unmapped`) takes any attributes.
      const std::string object_type = def.value("object_type", "");
      if (ok && object_type != "object") {
        CheckAttributes(schema_["objects"][object_type], value, path, {});
      }
    }
    if (!ok) errors_.push_back(path + ": expected " + type + ", got " + value.dump());
    if (ok && def.contains("enum") && value.is_number_integer() &&
        !def["enum"].contains(std::to_string(value.get<std::int64_t>()))) {
      errors_.push_back(path + ": " + value.dump() + " is not in the enum");
    }
  }

  void CheckAttributes(const Json& definition, const Json& value, const std::string& path,
                       const std::set<std::string>& profiles) {
    const Json& attributes = definition["attributes"];
    for (const auto& [name, v] : value.items()) {
      if (!attributes.contains(name)) {
        errors_.push_back(path + "/" + name + ": not an attribute of " +
                          definition.value("name", "?"));
        continue;
      }
      CheckValue(attributes[name], v, path + "/" + name);
    }
    for (const auto& [name, def] : attributes.items()) {
      if (def.value("requirement", "") != "required" || value.contains(name)) continue;
      const Json profile = def.value("profile", Json());
      if (profile.is_string() && !profiles.count(profile.get<std::string>())) continue;
      errors_.push_back(path + "/" + name + ": required by " + definition.value("name", "?"));
    }
    if (definition.contains("constraints") && definition["constraints"].contains("at_least_one")) {
      bool any = false;
      for (const Json& n : definition["constraints"]["at_least_one"])
        any = any || value.contains(n);
      if (!any) errors_.push_back(path + ": needs one of " + definition["constraints"].dump());
    }
  }

  Json schema_;
  std::vector<std::string> errors_;
};

}  // namespace kmsguard::render::test
