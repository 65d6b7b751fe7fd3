// Writing nlohmann::ordered_json output piece by piece, with the same bytes dump(2) gives for the
// whole document: the JSON formats (json, ocsf, asff) write each finding as it arrives instead of
// building one document of all findings. Internal to the renderers.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"
#include "sdk/render/render.h"

namespace kmsguard::render::internal {

using OrderedJson = nlohmann::ordered_json;

// Writes `value` as dump(2) would inside a document where its first line starts `depth` spaces
// in: every line after the first is indented by `depth` more spaces. Exact because a dump has no
// raw newline inside strings (they are escaped).
void WriteNested(std::ostream& out, const OrderedJson& value, int depth);

// A JSON array written one element at a time, byte for byte what dump(2) writes for the whole
// array at nesting `depth` (spaces before the line holding "["): "[]" when empty.
class JsonArrayStream {
 public:
  JsonArrayStream(std::ostream& out, int depth) : out_(out), depth_(depth) {}
  void Add(const OrderedJson& element);
  // The same for an element already written as text at the array's nesting + 2 (JsonText with
  // level (depth + 2) / 2): no DOM, no second pass.
  void AddText(std::string_view element);
  // Writes the closing bracket (or "[]" when nothing was added).
  void Close();

 private:
  std::ostream& out_;
  const int depth_;
  bool empty_ = true;
};

// The members of `object` (a non-empty object) as dump(2) writes them inside the braces: from the
// first member's indentation to the end of the last member, without the braces or the newlines
// next to them. Lets a writer emit an object's fixed members before a streamed one.
std::string ObjectMembers(const OrderedJson& object);

// Flushes `out` and says whether everything written to it got through: a writer's Finish result.
absl::Status FlushStatus(std::ostream& out);

}  // namespace kmsguard::render::internal
