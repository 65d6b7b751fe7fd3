#include "sdk/adapters/adapter_support.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/core/text.h"

namespace kmsguard::adapters::internal {

namespace {

std::string PositionText(const core::SourceLocation& where) {
  return absl::StrCat("line ", where.line, ", column ", where.column);
}

// Where an error at `offset` of `text` is, for the origin: line:col of the file itself, or the
// string member's pointer (the position inside the string goes into the message).
core::SourceLocation OriginLocation(std::string_view text, std::size_t offset,
                                    const JsonOrigin& origin, std::string* inner) {
  const core::SourceLocation at = LocationOfOffset(text, offset, origin.file);
  if (origin.pointer.empty()) return at;
  *inner = absl::StrCat(" (", PositionText(at), " of the JSON text in this string)");
  return PointerLocation(origin.file, origin.pointer);
}

}  // namespace

TextScan ScanJsonText(std::string_view text, int limit) {
  TextScan scan;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::size_t bad = 0;
      const std::size_t n = core::Utf8SequenceLength(text, i, &bad);
      if (n == 0) {
        scan.invalid_utf8.push_back({i, bad});
        i += bad;
      } else {
        i += n;
      }
      escaped = false;
      continue;
    }
    ++i;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit && scan.too_deep == std::string_view::npos) scan.too_deep = i - 1;
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
  return scan;
}

std::string ReplaceInvalidUtf8(std::string_view text, const std::vector<ByteRange>& ranges) {
  std::string out;
  out.reserve(text.size() + ranges.size() * 2);
  std::size_t at = 0;
  for (const ByteRange& r : ranges) {
    out.append(text.substr(at, r.offset - at));
    out.append(kReplacementChar);
    at = r.offset + r.length;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

core::SourceLocation LocationOfOffset(std::string_view text, std::size_t offset,
                                      std::string_view file) {
  core::SourceLocation loc;
  loc.file = std::string(file);
  offset = std::min(offset, text.size());
  loc.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t start =
      line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  loc.column = static_cast<int>(offset - start) + 1;
  return loc;
}

std::string ParseErrorReason(const std::exception& e) {
  std::string_view what = e.what();
  if (const std::size_t at = what.find("] "); at != std::string_view::npos)
    what.remove_prefix(at + 2);
  if (what.rfind("parse error at line", 0) == 0 || what.rfind("parse error at", 0) == 0) {
    if (const std::size_t colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

bool ParseJsonText(std::string_view text, const JsonOrigin& origin, nlohmann::json* out,
                   core::Diagnostics* diagnostics, bool* lossy) {
  const TextScan scan = ScanJsonText(text);
  std::string sanitized;
  std::string_view input = text;
  if (!scan.invalid_utf8.empty()) {
    std::string inner;
    core::SourceLocation where =
        OriginLocation(text, scan.invalid_utf8.front().offset, origin, &inner);
    AddDiagnostic(
        diagnostics, core::DiagnosticSeverity::kError, std::move(where),
        absl::StrCat("invalid UTF-8", inner,
                     scan.invalid_utf8.size() > 1
                         ? absl::StrCat(" (and in ", scan.invalid_utf8.size() - 1, " more places)")
                         : "",
                     "; replaced by U+FFFD, and a policy document that held it is not evaluated"));
    sanitized = ReplaceInvalidUtf8(text, scan.invalid_utf8);
    input = sanitized;
    *lossy = true;
  }
  if (scan.too_deep != std::string_view::npos) {
    std::string inner;
    core::SourceLocation where = OriginLocation(text, scan.too_deep, origin, &inner);
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError, std::move(where),
                  absl::StrCat("nesting deeper than ", kMaxNestingDepth, " levels", inner,
                               "; that part is not read, and a policy document that held it is "
                               "not evaluated"));
    *lossy = true;
  }

  // Containers at callback depth >= limit (the root is depth 0) are replaced by a marker string;
  // what they hold is discarded as it is parsed, so nothing deep is ever built.
  const bool limit_depth = scan.too_deep != std::string_view::npos;
  const nlohmann::json::parser_callback_t keep_shallow = [](int depth,
                                                            nlohmann::json::parse_event_t event,
                                                            nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start) {
      return depth <= kMaxNestingDepth;
    }
    if ((event == Event::object_end || event == Event::array_end) && depth == kMaxNestingDepth) {
      parsed = kTooDeepMarker;
    }
    return true;
  };
  try {
    *out = limit_depth ? nlohmann::json::parse(input.begin(), input.end(), keep_shallow)
                       : nlohmann::json::parse(input.begin(), input.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string inner;
    // nlohmann's byte is 1-based and points at the last character read.
    core::SourceLocation where =
        OriginLocation(input, e.byte == 0 ? 0 : e.byte - 1, origin, &inner);
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError, std::move(where),
                  absl::StrCat("not valid JSON", inner, ": ", ParseErrorReason(e)));
    return false;
  } catch (const std::exception& e) {
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError,
                  PointerLocation(origin.file, origin.pointer),
                  absl::StrCat("could not be read: ", ParseErrorReason(e)));
    return false;
  }
  return true;
}

void AddDiagnostic(core::Diagnostics* out, core::DiagnosticSeverity severity,
                   core::SourceLocation location, std::string message) {
  core::Diagnostic d;
  d.severity = severity;
  d.code = kSnapshotError;
  d.message = std::move(message);
  d.location = std::move(location);
  out->push_back(std::move(d));
}

core::SourceLocation PointerLocation(std::string_view file, std::string pointer,
                                     std::string resource_id) {
  core::SourceLocation loc;
  loc.file = std::string(file);
  loc.json_pointer = std::move(pointer);
  loc.resource_id = std::move(resource_id);
  return loc;
}

std::string PointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string StringField(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string FirstStringField(const nlohmann::json& object,
                             std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    std::string value = StringField(object, key);
    if (!value.empty()) return value;
  }
  return "";
}

bool ParseArn(std::string_view text, Arn* arn) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() < 5) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts[0] != "arn" || parts[1].empty()) return false;
  arn->partition = std::string(parts[1]);
  arn->service = std::string(parts[2]);
  arn->region = std::string(parts[3]);
  arn->account = std::string(parts[4]);
  arn->resource = std::string(text.substr(start));
  return true;
}

nlohmann::json EmptyPrincipalDocument(std::string_view type, std::string name, std::string arn,
                                      std::string path) {
  nlohmann::json doc = {{"name", std::move(name)},
                        {"arn", std::move(arn)},
                        {"path", std::move(path)},
                        {"inline_policies", nlohmann::json::array()},
                        {"attached_managed_policies", nlohmann::json::array()}};
  if (type == model::kIamUser) doc["group_memberships"] = nlohmann::json::array();
  return doc;
}

bool ContainsReplacementChar(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get_ref<const std::string&>().find(kReplacementChar) != std::string::npos;
  }
  if (value.is_array()) {
    return std::any_of(value.begin(), value.end(),
                       [](const nlohmann::json& v) { return ContainsReplacementChar(v); });
  }
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (key.find(kReplacementChar) != std::string::npos || ContainsReplacementChar(v)) {
        return true;
      }
    }
  }
  return false;
}

void MarkUnreadablePolicies(std::vector<model::Resource>* resources,
                            core::Diagnostics* diagnostics) {
  constexpr char kUnreadable[] =
      "<unreadable: this policy document held invalid UTF-8 or nesting deeper than 128 levels>";
  for (model::Resource& resource : *resources) {
    nlohmann::json& doc = resource.document;
    if (!doc.is_object()) continue;
    const auto mark = [&](nlohmann::json* policy, const std::string& what) {
      if (!ContainsReplacementChar(*policy)) return;
      *policy = kUnreadable;
      core::SourceLocation where = resource.source;
      if (where.resource_id.empty()) where.resource_id = resource.id;
      AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError, std::move(where),
                    absl::StrCat(what, " of ", resource.type, " ", resource.name,
                                 " lost content while reading (see above); it is not evaluated"));
    };
    if (auto it = doc.find("inline_policies"); it != doc.end() && it->is_array()) {
      for (nlohmann::json& policy : *it) {
        if (!policy.is_object()) continue;
        if (auto d = policy.find("document"); d != policy.end()) {
          mark(&*d, absl::StrCat("inline policy \"", StringField(policy, "name"), "\""));
        }
      }
    }
    if (auto it = doc.find("trust_policy"); it != doc.end()) mark(&*it, "the trust policy");
    if (resource.type == model::kIamManagedPolicy) {
      if (auto it = doc.find("document"); it != doc.end()) mark(&*it, "the policy document");
    }
  }
}

}  // namespace kmsguard::adapters::internal
