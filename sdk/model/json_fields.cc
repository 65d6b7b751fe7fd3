#include "sdk/model/json_fields.h"

namespace kmsguard::model {

using nlohmann::json;

std::string StringMember(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* ObjectMember(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

const json* ArrayMember(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? &*it : nullptr;
}

bool StringList(const json& list, std::vector<std::string>* out) {
  std::vector<std::string> read;
  for (const json& e : list) {
    if (!e.is_string()) return false;
    read.push_back(e.get<std::string>());
  }
  out->insert(out->end(), read.begin(), read.end());
  return true;
}

}  // namespace kmsguard::model
