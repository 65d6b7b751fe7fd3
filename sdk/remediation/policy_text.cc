#include "sdk/remediation/policy_text.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

namespace kmsguard::remediation::internal {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool IsContainer(element e) {
  return e.type() == element_type::ARRAY || e.type() == element_type::OBJECT;
}

bool IsStructured(const PolicyValue& value) {
  switch (value.kind) {
    case PolicyValue::Kind::kElement:
      return IsContainer(value.element);
    case PolicyValue::Kind::kString:
      return false;
    case PolicyValue::Kind::kStrings:
    case PolicyValue::Kind::kObject:
    case PolicyValue::Kind::kArray:
      return true;
  }
  return false;
}

// A number, boolean or null as nlohmann writes it (the same in JSON and HCL). Doubles go through
// nlohmann itself: its shortest round-trip form ("1.0", "1e+100") is what the outputs always held.
void AppendScalar(element e, std::string* out) {
  switch (e.type()) {
    case element_type::INT64:
      absl::StrAppend(out, e.get_int64().value());
      return;
    case element_type::UINT64:
      absl::StrAppend(out, e.get_uint64().value());
      return;
    case element_type::DOUBLE:
      out->append(nlohmann::json(e.get_double().value()).dump());
      return;
    case element_type::BOOL:
      out->append(e.get_bool().value() ? "true" : "false");
      return;
    default:
      out->append("null");
      return;
  }
}

void WriteJsonElement(element e, bool sorted_keys, core::JsonText& out) {
  switch (e.type()) {
    case element_type::STRING:
      out.String(core::StringOf(e));
      return;
    case element_type::ARRAY:
      out.BeginArray();
      for (element item : core::AsArray(e)) WriteJsonElement(item, sorted_keys, out);
      out.EndArray();
      return;
    case element_type::OBJECT:
      out.BeginObject();
      for (const auto& [key, value] : ObjectMembers(e, sorted_keys)) {
        out.Key(key);
        WriteJsonElement(value, sorted_keys, out);
      }
      out.EndObject();
      return;
    default: {
      std::string scalar;
      AppendScalar(e, &scalar);
      out.Raw(scalar);
      return;
    }
  }
}

void WriteJson(const PolicyValue& value, core::JsonText& out) {
  switch (value.kind) {
    case PolicyValue::Kind::kElement:
      WriteJsonElement(value.element, value.sorted_keys, out);
      return;
    case PolicyValue::Kind::kString:
      out.String(value.text);
      return;
    case PolicyValue::Kind::kStrings:
      out.Strings(value.texts);
      return;
    case PolicyValue::Kind::kObject:
      out.BeginObject();
      for (const PolicyMember& member : value.members) {
        out.Key(member.key);
        WriteJson(member.value, out);
      }
      out.EndObject();
      return;
    case PolicyValue::Kind::kArray:
      out.BeginArray();
      for (const PolicyValue& item : value.items) WriteJson(item, out);
      out.EndArray();
      return;
  }
}

bool IsIdentifier(std::string_view text) {
  if (text.empty() || !(absl::ascii_isalpha(text[0]) || text[0] == '_')) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

constexpr std::size_t kHclLineWidth = 96;

// A list of `count` items: on one line when no item is structured and it fits, else one item per
// line with a trailing comma. `write(i, indent)` appends item i.
template <typename WriteItem>
void AppendHclList(std::size_t count, bool flat, int indent, WriteItem write, std::string* out) {
  if (count == 0) {
    out->append("[]");
    return;
  }
  if (flat) {
    const std::size_t start = out->size();
    out->push_back('[');
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out->append(", ");
      write(i, indent + 2);
    }
    out->push_back(']');
    if (out->size() - start + static_cast<std::size_t>(indent) <= kHclLineWidth) return;
    out->resize(start);
  }
  out->append("[\n");
  for (std::size_t i = 0; i < count; ++i) {
    out->append(static_cast<std::size_t>(indent) + 2, ' ');
    write(i, indent + 2);
    out->append(",\n");
  }
  out->append(static_cast<std::size_t>(indent), ' ');
  out->push_back(']');
}

void AppendHclKey(std::string_view key, std::string* out) {
  if (IsIdentifier(key)) {
    out->append(key);
  } else {
    core::AppendHclQuote(key, out);
  }
}

void AppendHclObject(const std::vector<PolicyMember>& members, int indent, std::string* out) {
  if (members.empty()) {
    out->append("{}");
    return;
  }
  if (members.size() == 1 && !IsStructured(members.front().value)) {
    const std::size_t start = out->size();
    out->append("{ ");
    AppendHclKey(members.front().key, out);
    out->append(" = ");
    AppendHcl(members.front().value, indent + 2, out);
    out->append(" }");
    if (out->size() - start + static_cast<std::size_t>(indent) <= kHclLineWidth) return;
    out->resize(start);
  }
  out->append("{\n");
  for (const PolicyMember& member : members) {
    out->append(static_cast<std::size_t>(indent) + 2, ' ');
    AppendHclKey(member.key, out);
    out->append(" = ");
    AppendHcl(member.value, indent + 2, out);
    out->push_back('\n');
  }
  out->append(static_cast<std::size_t>(indent), ' ');
  out->push_back('}');
}

}  // namespace

PolicyValue PolicyValue::Element(simdjson::dom::element element, bool sorted_keys) {
  PolicyValue v;
  v.kind = Kind::kElement;
  v.element = element;
  v.sorted_keys = sorted_keys;
  return v;
}

PolicyValue PolicyValue::String(std::string text) {
  PolicyValue v;
  v.kind = Kind::kString;
  v.text = std::move(text);
  return v;
}

PolicyValue PolicyValue::Strings(std::vector<std::string> texts) {
  PolicyValue v;
  v.kind = Kind::kStrings;
  v.texts = std::move(texts);
  return v;
}

PolicyValue PolicyValue::Object(std::vector<PolicyMember> members) {
  PolicyValue v;
  v.kind = Kind::kObject;
  v.members = std::move(members);
  return v;
}

PolicyValue PolicyValue::Array(std::vector<PolicyValue> items) {
  PolicyValue v;
  v.kind = Kind::kArray;
  v.items = std::move(items);
  return v;
}

std::vector<PolicyMember> PolicyValue::Members() const {
  if (kind == Kind::kObject) return members;
  std::vector<PolicyMember> out;
  if (kind != Kind::kElement || element.type() != element_type::OBJECT) return out;
  for (const auto& [key, value] : ObjectMembers(element, sorted_keys)) {
    out.push_back({key, Element(value, sorted_keys)});
  }
  return out;
}

std::vector<std::pair<std::string_view, simdjson::dom::element>> ObjectMembers(
    simdjson::dom::element object, bool sorted_keys) {
  std::vector<std::pair<std::string_view, element>> members;
  for (simdjson::dom::key_value_pair member : core::AsObject(object)) {
    members.emplace_back(member.key, member.value);
  }
  if (sorted_keys) {
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return members;
}

void AppendJson(const PolicyValue& value, std::string* out) {
  core::JsonText json(out);
  WriteJson(value, json);
}

void AppendHcl(const PolicyValue& value, int indent, std::string* out) {
  switch (value.kind) {
    case PolicyValue::Kind::kString:
      core::AppendHclQuote(value.text, out);
      return;
    case PolicyValue::Kind::kStrings:
      AppendHclList(
          value.texts.size(), /*flat=*/true, indent,
          [&](std::size_t i, int) { core::AppendHclQuote(value.texts[i], out); }, out);
      return;
    case PolicyValue::Kind::kObject:
      AppendHclObject(value.members, indent, out);
      return;
    case PolicyValue::Kind::kArray: {
      const bool flat = std::none_of(value.items.begin(), value.items.end(),
                                     [](const PolicyValue& item) { return IsStructured(item); });
      AppendHclList(
          value.items.size(), flat, indent,
          [&](std::size_t i, int item_indent) { AppendHcl(value.items[i], item_indent, out); },
          out);
      return;
    }
    case PolicyValue::Kind::kElement:
      break;
  }
  const element e = value.element;
  switch (e.type()) {
    case element_type::STRING:
      core::AppendHclQuote(core::StringOf(e), out);
      return;
    case element_type::OBJECT:
      AppendHclObject(value.Members(), indent, out);
      return;
    case element_type::ARRAY: {
      std::vector<element> items;
      for (element item : core::AsArray(e)) items.push_back(item);
      const bool flat = std::none_of(items.begin(), items.end(), IsContainer);
      AppendHclList(
          items.size(), flat, indent,
          [&](std::size_t i, int item_indent) {
            AppendHcl(PolicyValue::Element(items[i], value.sorted_keys), item_indent, out);
          },
          out);
      return;
    }
    default:
      AppendScalar(e, out);
      return;
  }
}

}  // namespace kmsguard::remediation::internal
