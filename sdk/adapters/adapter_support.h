// Helpers shared by the snapshot adapters (Config, Terraform, CloudFormation, format dispatch):
// bounded JSON parsing with positions, diagnostics, ARNs and the normalized principal shape.
// Internal to sdk/adapters; not a public API.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/core/json_tree.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters::internal {

inline constexpr char kSnapshotError[] = "snapshot_error";

// Containers nested deeper than this are not read (the gRPC protocol refuses documents deeper
// than the same figure, sdk/client/protocol.h kMaxDocumentDepth).
inline constexpr int kMaxNestingDepth = 128;

// U+FFFD: what invalid UTF-8 and over-deep containers are replaced by. A policy document that
// holds it after a lossy read is made unreadable (MarkUnreadablePolicies) so that it is an ERROR.
inline constexpr char kReplacementChar[] = "\xEF\xBF\xBD";
// What stands in for the value of a key that one object repeats (ParseJsonText).
inline constexpr char kRepeatedKeyMarker[] = "\xEF\xBF\xBD(the key comes twice: not read)";
// What stands in for a container nested deeper than kMaxNestingDepth.
inline constexpr char kTooDeepMarker[] =
    "\xEF\xBF\xBD(nested deeper than 128 levels: not read)";
static_assert(kMaxNestingDepth == 128, "update kTooDeepMarker");

// One byte-level pass over JSON text: where UTF-8 is invalid, and where nesting first exceeds
// `limit` (std::string_view::npos when it does not). Strings and escapes are honoured.
struct ByteRange {
  std::size_t offset = 0;
  std::size_t length = 0;
};
struct TextScan {
  std::vector<ByteRange> invalid_utf8;  // each invalid sequence (maximal subpart, RFC 3629)
  std::size_t too_deep = std::string_view::npos;  // offset of the first too-deep '[' or '{'
};
TextScan ScanJsonText(std::string_view text, int limit = kMaxNestingDepth);

// `text` without a leading UTF-8 byte order mark (which editors on Windows and PowerShell's
// Out-File write; JSON parsers refuse it).
std::string_view WithoutBom(std::string_view text);

// Replaces each listed invalid UTF-8 sequence by U+FFFD.
std::string ReplaceInvalidUtf8(std::string_view text, const std::vector<ByteRange>& ranges);

// Line and column (1-based) of the 0-based byte `offset` of `text`.
core::SourceLocation LocationOfOffset(std::string_view text, std::size_t offset,
                                      std::string_view file);

// Where a JSON text comes from: a file, or a JSON string member of a file (Config's
// `configuration`, an event's `invokingEvent`), named by `pointer`.
struct JsonOrigin {
  std::string_view file;
  std::string pointer;  // empty: the text is the file itself
};

// Line and column (1-based) in the text of values, by JSON pointer: for an object member, where
// its key starts (where an editor should put the caret); for an array element or the root, where
// the value starts. The same shape as adapters::TemplatePositions.
using JsonPositions = std::map<std::string, std::pair<int, int>, std::less<>>;

// Which positions ParseJsonText records: those of values at most `depth` levels below the root
// (the root is depth 0), into `out`; with `wanted`, only those it accepts, asked with the value's
// key and its container's key ("" for an array element), so that a large document keeps the few
// it needs without a pointer built for every value.
struct PositionRequest {
  JsonPositions* out = nullptr;
  int depth = 0;
  std::function<bool(std::string_view parent_key, std::string_view key)> wanted;
};

// Parses JSON text for an adapter. Never throws. Syntax errors give one error diagnostic with
// line:col (in the file, or within the embedded string) and return false. Invalid UTF-8 and
// containers nested deeper than kMaxNestingDepth are reported (error, with position), replaced by
// U+FFFD text, and `*lossy` is set; parsing then goes on, so the rest of the snapshot loads.
// So is a key that one object repeats (JSON does not say which value counts): the member's value
// becomes kRepeatedKeyMarker, so a policy document that held it is not evaluated
// (MarkUnreadablePolicies), and where a resource or a list was expected, the adapter reports the
// wrong shape as it would any other.
// With `positions`, records where values start (lines are those of `text`; on a line that held
// invalid UTF-8, columns count U+FFFD's three bytes for each bad sequence).
bool ParseJsonText(std::string_view text, const JsonOrigin& origin, nlohmann::json* out,
                   core::Diagnostics* diagnostics, bool* lossy,
                   const PositionRequest& positions = {});

void AddDiagnostic(core::Diagnostics* out, core::DiagnosticSeverity severity,
                   core::SourceLocation location, std::string message);
core::SourceLocation PointerLocation(std::string_view file, std::string pointer,
                                     std::string resource_id = "");
// The same, with the line and column `positions` records for `pointer` or, when it holds none
// for it (a value deeper than was recorded, or not wanted), for its nearest ancestor that has
// one: a Terraform resource's attribute is located at its resource. None when `positions` is null.
core::SourceLocation PointerLocation(std::string_view file, std::string pointer,
                                     std::string resource_id, const JsonPositions* positions);
inline core::SourceLocation PointerLocation(std::string_view file, const std::string& pointer,
                                            const JsonPositions* positions) {
  return PointerLocation(file, pointer, "", positions);
}
using core::PointerToken;  // sdk/core/json_tree.h

// Whether `text` (a CloudFormation Fn::Sub string, or text made from one) holds a `${NAME}` for
// which `unsafe(NAME)` holds; an unclosed `${` ends the search.
template <typename Predicate>
bool HoldsVariable(const std::string& text, Predicate unsafe) {
  for (std::size_t open = text.find("${"); open != std::string::npos;
       open = text.find("${", open + 2)) {
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string::npos) return false;
    if (unsafe(std::string_view(text).substr(open + 2, close - open - 2))) return true;
  }
  return false;
}

// The string at `key`, or "" when absent or not a string.
std::string StringField(const nlohmann::json& object, std::string_view key);
// The first of `keys` that holds a string, or "".
std::string FirstStringField(const nlohmann::json& object,
                             std::initializer_list<std::string_view> keys);

struct Arn {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;  // e.g. "role/path/name"; keeps its colons
};
// arn:partition:service:region:account:resource; false when `text` is not shaped like one.
bool ParseArn(std::string_view text, Arn* arn);

// An empty normalized principal document (see sdk/model/resource.h) of `type`.
nlohmann::json EmptyPrincipalDocument(std::string_view type, std::string name, std::string arn,
                                      std::string path);

// True when any string or key in `value` holds U+FFFD.
bool ContainsReplacementChar(const nlohmann::json& value);

// After a lossy read: every policy document (inline, trust, managed default version) that holds
// U+FFFD is replaced by a text that does not parse, so the engine reports an ERROR for it instead
// of judging a document whose content was lost; one error diagnostic per such policy.
void MarkUnreadablePolicies(std::vector<model::Resource>* resources,
                            core::Diagnostics* diagnostics);

// Parses `text` (ParseJsonText), hands the document to `read`, and marks the policies a lossy
// read damaged (MarkUnreadablePolicies). The text-taking entry point of each JSON adapter.
// With `positions`, records where values start, as ParseJsonText does, before `read` runs.
template <typename Result, typename Read>
Result ReadJsonText(std::string_view text, std::string_view source_name, Read read,
                    const PositionRequest& positions = {}) {
  Result result;
  nlohmann::json root;
  bool lossy = false;
  if (!ParseJsonText(text, JsonOrigin{source_name, ""}, &root, &result.diagnostics, &lossy,
                     positions)) {
    return result;
  }
  Result read_result = read(root, source_name);
  result.resources = std::move(read_result.resources);
  for (auto& d : read_result.diagnostics) result.diagnostics.push_back(std::move(d));
  if (lossy) MarkUnreadablePolicies(&result.resources, &result.diagnostics);
  return result;
}

// "the text does not parse as JSON": the reason of a nlohmann parse_error without its prefix.
std::string ParseErrorReason(const std::exception& e);

}  // namespace kmsguard::adapters::internal
