// Reading members of a normalized document (nlohmann JSON) whose shape an adapter promised but a
// host may have broken: a member of another type reads as absent, never throws. Used by the joins
// of the multi-cloud inventories (gcp/inventory.cc, azure/inventory.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kmsguard::model {

// The string member `key` of `object`, or "" when `object` is no object or the member is absent
// or not a string.
std::string StringMember(const nlohmann::json& object, const char* key);
// The object (or list) member `key` of `object`, or nullptr when absent or of another type.
const nlohmann::json* ObjectMember(const nlohmann::json& object, const char* key);
const nlohmann::json* ArrayMember(const nlohmann::json& object, const char* key);
// Appends the strings of `list` to `*out`; false (and nothing appended) when an element is not a
// string.
bool StringList(const nlohmann::json& list, std::vector<std::string>* out);

}  // namespace kmsguard::model
