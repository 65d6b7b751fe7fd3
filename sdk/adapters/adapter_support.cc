#include "sdk/adapters/adapter_support.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <stdexcept>
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

// nlohmann's lexer pulls characters through this iterator. Every copy shares one cursor, so the
// SAX handler can tell how far the lexer has read: just past the current event's token (one
// character more after a number, which the lexer reads past to find its end).
class CursorIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CursorIterator() = default;
  CursorIterator(const char** cursor, const char* end) : cursor_(cursor), end_(end) {}
  reference operator*() const { return **cursor_; }
  CursorIterator& operator++() {
    ++*cursor_;
    return *this;
  }
  CursorIterator operator++(int) {
    CursorIterator before = *this;
    ++*cursor_;
    return before;
  }
  bool operator==(const CursorIterator& other) const { return Done() == other.Done(); }
  bool operator!=(const CursorIterator& other) const { return !(*this == other); }

 private:
  bool Done() const { return cursor_ == nullptr || *cursor_ == end_; }
  const char** cursor_ = nullptr;
  const char* end_ = nullptr;
};

// Builds the document for ParseJsonText from nlohmann's SAX events, as nlohmann::json::parse does,
// and meanwhile keeps the path to the current value (to name it by JSON pointer), records
// positions and cuts off containers nested too deep. (Not a parser callback: nlohmann's callback
// parser scans the whole enclosing array each time an object in it ends, quadratic in its size.)
class DocumentSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  using Json = nlohmann::json;

  DocumentSax(Json* root, std::string_view input, const char* const* cursor,
              const PositionRequest& positions)
      : root_(root), input_(input), cursor_(cursor), positions_(positions) {}

  // nlohmann's byte of a syntax error (1-based: the last character read), and its message.
  std::size_t error_byte() const { return error_byte_; }
  const std::string& error() const { return error_; }

  // A key that one object repeats: where it starts the second time, its pointer, the key.
  struct Repeat {
    std::size_t offset;
    std::string pointer;
    std::string key;
  };
  static constexpr std::size_t kMaxRepeatReports = 10;
  // The first kMaxRepeatReports keys repeated (each member's value is kRepeatedKeyMarker), and
  // how many there were in all.
  const std::vector<Repeat>& repeats() const { return repeats_; }
  std::size_t repeated_members() const { return repeated_members_; }

  bool null() override { return Scalar(nullptr); }
  bool boolean(bool value) override { return Scalar(value); }
  bool number_integer(number_integer_t value) override { return Scalar(value); }
  bool number_unsigned(number_unsigned_t value) override { return Scalar(value); }
  bool number_float(number_float_t value, const string_t&) override { return Scalar(value); }
  bool string(string_t& value) override { return Scalar(std::move(value)); }
  bool binary(binary_t&) override { return Scalar(Json()); }  // not in JSON text
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& key) override {
    if (skip_ == 0) {
      Frame& frame = frames_.back();
      const bool repeated =
          frame.value->contains(key) &&
          std::find(frame.repeated.begin(), frame.repeated.end(), key) == frame.repeated.end();
      frame.key = std::move(key);
      if (repeated) {
        frame.repeated.push_back(frame.key);
        if (repeats_.size() < kMaxRepeatReports) {
          repeats_.push_back({NextToken(), Pointer(), frame.key});
        }
        ++repeated_members_;
      }
      Record();
    }
    return Moved();
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_byte_ = position;  // nlohmann gives its parse_error's byte here
    error_ = e.what();
    return false;
  }

 private:
  struct Frame {
    Json* value;                        // the container being filled
    std::string key;                    // objects: the key of the current member
    std::vector<std::string> repeated;  // objects: the keys that came twice
  };

  // Where the token after the previous event starts: past whitespace and separators.
  std::size_t NextToken() const {
    const std::size_t at = input_.find_first_not_of(" \t\r\n,:", last_offset_);
    return at == std::string_view::npos ? input_.size() : at;
  }

  bool Moved() {
    last_offset_ = static_cast<std::size_t>(*cursor_ - input_.data());
    return true;
  }

  // Places a new value where the path points, and returns it.
  Json* Place(Json value) {
    if (frames_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    Frame& frame = frames_.back();
    if (frame.value->is_array()) {
      frame.value->push_back(std::move(value));
      return &frame.value->back();
    }
    Json& member = (*frame.value)[frame.key];
    member = std::move(value);
    return &member;
  }

  // A value was placed: its position is recorded (an object member's is its key's, recorded
  // with the key).
  void Placed() {
    if (frames_.empty() || frames_.back().value->is_array()) Record();
  }

  bool Scalar(Json value) {
    if (skip_ == 0) {
      Place(std::move(value));
      Placed();
    }
    return Moved();
  }

  bool Open(Json empty) {
    if (skip_ > 0 || frames_.size() >= static_cast<std::size_t>(kMaxNestingDepth)) {
      ++skip_;  // too deep: nothing below is built
    } else {
      Json* container = Place(std::move(empty));
      Placed();
      frames_.push_back(Frame{container, {}, {}});
    }
    return Moved();
  }

  bool Close() {
    if (skip_ > 0) {
      if (--skip_ == 0) Place(kTooDeepMarker);  // the outermost container cut off
    } else {
      // JSON leaves a repeated key to the reader (the first value or the last?): neither is read.
      for (const std::string& key : frames_.back().repeated) {
        (*frames_.back().value)[key] = kRepeatedKeyMarker;
      }
      frames_.pop_back();
    }
    return Moved();
  }

  // The pointer of the value last placed or keyed.
  std::string Pointer() const {
    std::string out;
    for (const Frame& f : frames_) {
      absl::StrAppend(
          &out, "/", f.value->is_array() ? absl::StrCat(f.value->size() - 1) : PointerToken(f.key));
    }
    return out;
  }

  // Records where the value last placed or keyed starts, when it is wanted.
  void Record() {
    if (positions_.out == nullptr || frames_.size() > static_cast<std::size_t>(positions_.depth)) {
      return;
    }
    if (positions_.wanted) {
      const auto key_of = [](const Frame& f) {
        return f.value->is_array() ? std::string_view() : std::string_view(f.key);
      };
      const std::size_t n = frames_.size();
      if (!positions_.wanted(n >= 2 ? key_of(frames_[n - 2]) : std::string_view(),
                             n >= 1 ? key_of(frames_[n - 1]) : std::string_view())) {
        return;
      }
    }
    const std::size_t offset = NextToken();
    // Offsets come in increasing order: lines are counted from where the last one left off.
    for (const char *p = input_.data() + line_cursor_, *end = input_.data() + offset;
         (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
         nullptr;
         ++p) {
      ++lines_;
      line_start_ = static_cast<std::size_t>(p - input_.data()) + 1;
    }
    line_cursor_ = offset;
    positions_.out->emplace(Pointer(), std::pair{static_cast<int>(lines_) + 1,
                                                 static_cast<int>(offset - line_start_) + 1});
  }

  Json* root_;
  std::string_view input_;
  const char* const* cursor_;
  const PositionRequest positions_;
  std::vector<Frame> frames_;
  int skip_ = 0;  // > 0: inside a container nested too deep, this many levels
  std::size_t last_offset_ = 0;
  std::size_t line_cursor_ = 0;
  std::size_t lines_ = 0;
  std::size_t line_start_ = 0;
  std::size_t error_byte_ = 0;
  std::string error_;
  std::vector<Repeat> repeats_;
  std::size_t repeated_members_ = 0;
};

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

std::string_view WithoutBom(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  return text;
}

bool ParseJsonText(std::string_view text, const JsonOrigin& origin, nlohmann::json* out,
                   core::Diagnostics* diagnostics, bool* lossy, const PositionRequest& positions) {
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

  const char* cursor = input.data();
  DocumentSax sax(out, input, &cursor, positions);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(CursorIterator(&cursor, input.data() + input.size()),
                                       CursorIterator(), &sax);
  } catch (const std::exception& e) {
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError,
                  PointerLocation(origin.file, origin.pointer),
                  absl::StrCat("could not be read: ", ParseErrorReason(e)));
    return false;
  }
  if (!parsed) {
    std::string inner;
    // nlohmann's byte is 1-based and points at the last character read: for a number too large
    // for a double, its last digit, so the caret goes back to where the number starts.
    std::size_t offset = sax.error_byte() == 0 ? 0 : sax.error_byte() - 1;
    if (sax.error().find("number overflow") != std::string::npos) {
      while (offset > 0 && offset <= input.size() &&
             std::string_view("0123456789+-.eE").find(input[offset - 1]) !=
                 std::string_view::npos) {
        --offset;
      }
    }
    core::SourceLocation where = OriginLocation(input, offset, origin, &inner);
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError, std::move(where),
                  absl::StrCat("not valid JSON", inner, ": ",
                               ParseErrorReason(std::runtime_error(sax.error()))));
    return false;
  }
  for (const DocumentSax::Repeat& repeat : sax.repeats()) {
    std::string inner;
    core::SourceLocation where = OriginLocation(input, repeat.offset, origin, &inner);
    where.json_pointer = absl::StrCat(origin.pointer, repeat.pointer);
    AddDiagnostic(diagnostics, core::DiagnosticSeverity::kError, std::move(where),
                  absl::StrCat("the key \"", repeat.key, "\" comes twice in one object", inner,
                               ": which value counts is undefined, so neither is read (a policy "
                               "document that held it is not evaluated)"));
  }
  if (sax.repeated_members() > sax.repeats().size()) {
    AddDiagnostic(
        diagnostics, core::DiagnosticSeverity::kError, PointerLocation(origin.file, origin.pointer),
        absl::StrCat(sax.repeated_members() - sax.repeats().size(),
                     " more keys come twice in one object; neither value of each is read"));
  }
  if (sax.repeated_members() > 0) *lossy = true;
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

core::SourceLocation PointerLocation(std::string_view file, std::string pointer,
                                     std::string resource_id, const JsonPositions* positions) {
  core::SourceLocation location = PointerLocation(file, pointer, std::move(resource_id));
  if (positions == nullptr) return location;
  std::string_view at = location.json_pointer;
  while (true) {
    if (const auto it = positions->find(at); it != positions->end()) {
      location.line = it->second.first;
      location.column = it->second.second;
      break;
    }
    if (at.empty()) break;
    at = at.substr(0, at.rfind('/'));
  }
  return location;
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
      "<unreadable: this policy document held invalid UTF-8, nesting deeper than 128 levels or "
      "a repeated key>";
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
    if (resource.type == model::kKmsKey) {
      if (auto it = doc.find("key_policy"); it != doc.end()) mark(&*it, "the key policy");
    }
  }
}

}  // namespace kmsguard::adapters::internal
