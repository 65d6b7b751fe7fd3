// The floor every scan figure is a ratio of (docs/performance.md): reading the export once with
// simdjson's DOM parser and walking every policy document's statements, deciding nothing.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace kmsguard::bench {

struct FloorCounts {
  std::uint64_t principals = 0;
  std::uint64_t policies = 0;
  std::uint64_t statements = 0;
  bool ok = false;
};

// `parser` is kept by the caller so that repeated runs reuse its buffers, as a long scan would.
inline FloorCounts WalkExport(simdjson::dom::parser& parser, std::string_view text) {
  FloorCounts counts;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return counts;
  for (const char* list : {"UserDetailList", "GroupDetailList", "RoleDetailList"}) {
    simdjson::dom::array entries;
    if (root[list].get_array().get(entries) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element entry : entries) {
      ++counts.principals;
      simdjson::dom::object fields;
      if (entry.get_object().get(fields) != simdjson::SUCCESS) continue;
      for (simdjson::dom::key_value_pair field : fields) {
        if (!field.key.ends_with("PolicyList")) continue;
        simdjson::dom::array policies;
        if (field.value.get_array().get(policies) != simdjson::SUCCESS) continue;
        for (simdjson::dom::element policy : policies) {
          ++counts.policies;
          simdjson::dom::element statement;
          if (policy["PolicyDocument"]["Statement"].get(statement) != simdjson::SUCCESS) continue;
          simdjson::dom::array list_of;
          if (statement.get_array().get(list_of) == simdjson::SUCCESS) {
            for (simdjson::dom::element s : list_of) {
              static_cast<void>(s);
              ++counts.statements;
            }
          } else {
            ++counts.statements;
          }
        }
      }
    }
  }
  counts.ok = true;
  return counts;
}

}  // namespace kmsguard::bench
