// `aws iam get-account-authorization-details` -> normalized principals.
//
// Real exports vary: boto3 and the CLI omit UserPolicyList when a user has no inline policy, lists
// may be null, policy documents are objects (CLI, boto3) or URL-encoded strings (the raw API). The
// adapter keeps documents as given (the engine parses them, so one broken document is an error for
// its principal only) and reports entries it cannot use by JSON pointer while loading the rest.
#include "sdk/adapters/authorization_details.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/adapters/adapter_support.h"

namespace kmsguard::adapters {

namespace {

constexpr char kSnapshotError[] = "snapshot_error";

// Per principal type: the export's list and field names.
struct PrincipalKind {
  std::string_view type;         // model type
  std::string_view list;         // UserDetailList ...
  std::string_view name_key;     // UserName ...
  std::string_view policy_list;  // UserPolicyList ...
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "UserDetailList", "UserName", "UserPolicyList"},
    {model::kIamGroup, "GroupDetailList", "GroupName", "GroupPolicyList"},
    {model::kIamRole, "RoleDetailList", "RoleName", "RolePolicyList"},
};

const PrincipalKind* KindFor(std::string_view type) {
  for (const PrincipalKind& kind : kKinds) {
    if (kind.type == type) return &kind;
  }
  return nullptr;
}

std::string StringField(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Arn {
  std::string partition;
  std::string account;
  std::string resource;  // "role/path/name"
};

// arn:partition:service:region:account:resource; false when `text` is not shaped like one.
bool ParseArn(std::string_view text, Arn* arn) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; parts.size() < 5;) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
    if (parts.size() == 5) parts.push_back(text.substr(start));  // the resource keeps its colons
  }
  if (parts[0] != "arn" || parts[1].empty()) return false;
  arn->partition = std::string(parts[1]);
  arn->account = std::string(parts[4]);
  arn->resource = std::string(parts[5]);
  return true;
}

void Report(core::Diagnostics* out, core::DiagnosticSeverity severity, std::string_view file,
            std::string pointer, std::string message) {
  core::Diagnostic d;
  d.severity = severity;
  d.code = kSnapshotError;
  d.message = std::move(message);
  d.location.file = std::string(file);
  d.location.json_pointer = std::move(pointer);
  out->push_back(std::move(d));
}

// nlohmann reports a 1-based byte index of the last character read; editors want line:column.
core::SourceLocation LocationOfByte(std::string_view text, std::size_t byte,
                                    std::string_view file) {
  core::SourceLocation loc;
  loc.file = std::string(file);
  loc.line = 1;
  const std::size_t offset = byte == 0 ? 0 : std::min(byte - 1, text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      line_start = i + 1;
    }
  }
  loc.column = static_cast<int>(offset - line_start) + 1;
  return loc;
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> the
// part after the position, which the location already carries.
std::string ParseErrorText(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  if (const std::size_t at = what.find("] "); at != std::string_view::npos)
    what.remove_prefix(at + 2);
  if (what.rfind("parse error at line", 0) == 0) {
    if (const std::size_t colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

nlohmann::json NormalizeExportEntry(const PrincipalKind* kind, const nlohmann::json& entry) {
  nlohmann::json out = nlohmann::json::object();
  const std::string arn = StringField(entry, "Arn");
  std::string name = kind ? StringField(entry, kind->name_key) : std::string();
  if (name.empty() && !arn.empty()) name = arn.substr(arn.rfind('/') + 1);
  out["name"] = name;
  out["arn"] = arn;
  out["path"] = StringField(entry, "Path");

  // Inline policies. An entry that is not shaped as expected is passed on as is, so that the
  // engine reports it (by pointer) for this principal instead of it silently disappearing.
  nlohmann::json inline_policies = nlohmann::json::array();
  for (const PrincipalKind& k : kKinds) {
    if (kind != nullptr && &k != kind) continue;
    const auto list = entry.find(k.policy_list);
    if (list == entry.end() || list->is_null()) continue;
    if (!list->is_array()) {
      inline_policies = *list;
      break;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const nlohmann::json& policy = (*list)[i];
      if (!policy.is_object()) {
        inline_policies.push_back(policy);
        continue;
      }
      nlohmann::json normalized = {{"name", StringField(policy, "PolicyName")}};
      if (const auto doc = policy.find("PolicyDocument"); doc != policy.end()) {
        normalized["document"] = *doc;
        // Errors name the place in the user's file, not in the normalized shape.
        normalized["source_pointer"] = absl::StrCat("/", std::string(k.policy_list), "/", i, "/PolicyDocument");
      }
      inline_policies.push_back(std::move(normalized));
    }
  }
  out["inline_policies"] = std::move(inline_policies);

  nlohmann::json attached = nlohmann::json::array();
  if (const auto list = entry.find("AttachedManagedPolicies");
      list != entry.end() && list->is_array()) {
    for (const nlohmann::json& policy : *list) {
      if (!policy.is_object()) continue;
      attached.push_back(
          {{"name", StringField(policy, "PolicyName")}, {"arn", StringField(policy, "PolicyArn")}});
    }
  }
  out["attached_managed_policies"] = std::move(attached);

  const std::string_view type = kind ? kind->type : std::string_view();
  if (type == model::kIamUser) {
    nlohmann::json groups = nlohmann::json::array();
    if (const auto list = entry.find("GroupList"); list != entry.end() && list->is_array()) {
      for (const nlohmann::json& group : *list) {
        if (group.is_string()) groups.push_back(group);
      }
    }
    out["group_memberships"] = std::move(groups);
  } else if (type == model::kIamRole) {
    if (const auto trust = entry.find("AssumeRolePolicyDocument"); trust != entry.end()) {
      out["trust_policy"] = *trust;
    }
  }
  return out;
}

// A `Policies` entry -> the managed-policy shape of sdk/model/resource.h. The document is the
// version flagged IsDefaultVersion, else the one whose VersionId is DefaultVersionId; when there is
// none, "document" is left out and `*problem` says why (the engine then reports an ERROR).
nlohmann::json NormalizeManagedPolicy(const nlohmann::json& entry, std::string* problem) {
  nlohmann::json out = nlohmann::json::object();
  const std::string arn = StringField(entry, "Arn");
  std::string name = StringField(entry, "PolicyName");
  if (name.empty() && !arn.empty()) name = arn.substr(arn.rfind('/') + 1);
  out["name"] = name;
  out["arn"] = arn;
  out["path"] = StringField(entry, "Path");
  Arn parsed;
  out["aws_managed"] =
      ParseArn(arn, &parsed) &&
      arn.rfind(absl::StrCat("arn:", parsed.partition, ":iam::aws:policy/"), 0) == 0;
  const auto count = [&entry](std::string_view key) -> std::int64_t {
    const auto it = entry.find(key);
    return it != entry.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  out["attachment_count"] = count("AttachmentCount");
  out["permissions_boundary_usage_count"] = count("PermissionsBoundaryUsageCount");

  const std::string default_id = StringField(entry, "DefaultVersionId");
  const auto versions = entry.find("PolicyVersionList");
  const nlohmann::json* chosen = nullptr;
  std::vector<std::string> flagged;  // VersionIds marked IsDefaultVersion
  if (versions != entry.end() && versions->is_array()) {
    for (const nlohmann::json& version : *versions) {
      if (!version.is_object()) continue;
      if (const auto flag = version.find("IsDefaultVersion");
          flag != version.end() && flag->is_boolean() && flag->get<bool>()) {
        flagged.push_back(StringField(version, "VersionId"));
        if (chosen == nullptr) chosen = &version;
      }
    }
    // An export that names two default versions cannot say which one is in force: judging either
    // could PASS a policy whose real default grants every key.
    const bool contradicts =
        flagged.size() > 1 || (flagged.size() == 1 && !default_id.empty() && flagged[0] != default_id);
    if (contradicts) {
      *problem = absl::StrCat("the export contradicts itself about the default version: ",
                              "IsDefaultVersion is true on ", absl::StrJoin(flagged, ", "),
                              default_id.empty() ? "" : absl::StrCat("; DefaultVersionId is ", default_id));
      out["default_version_id"] = default_id;
      out["document_problem"] = *problem;
      return out;
    }
    for (const nlohmann::json& version : *versions) {
      if (chosen != nullptr || default_id.empty()) break;
      if (version.is_object() && StringField(version, "VersionId") == default_id) chosen = &version;
    }
  }
  out["default_version_id"] = chosen ? StringField(*chosen, "VersionId") : default_id;
  if (chosen != nullptr && chosen->contains("Document") && !(*chosen)["Document"].is_null()) {
    out["document"] = (*chosen)["Document"];
  } else if (versions == entry.end() || versions->is_null()) {
    *problem =
        "has no \"PolicyVersionList\": the default version's document is not in the "
        "snapshot";
  } else if (!versions->is_array()) {
    *problem = absl::StrCat("\"PolicyVersionList\" is ", versions->type_name(), ", not a list");
  } else if (chosen == nullptr) {
    *problem = absl::StrCat(
        "no entry of \"PolicyVersionList\" is the default version (IsDefaultVersion true",
        default_id.empty() ? "" : absl::StrCat(" or VersionId \"", default_id, "\""), ")");
  } else {
    *problem = absl::StrCat("the default version \"", StringField(*chosen, "VersionId"),
                            "\" has no \"Document\"");
  }
  if (!problem->empty()) out["document_problem"] = *problem;
  return out;
}

}  // namespace

nlohmann::json NormalizePrincipalDocument(std::string_view type, const nlohmann::json& document) {
  // Not an object: returned unchanged, so the engine reports "/: not an object" for it.
  if (!document.is_object()) return document;
  if (type == model::kIamManagedPolicy) {
    // A `Policies` entry has PolicyVersionList; the normalized shape has none.
    if (!document.contains("PolicyVersionList")) return document;
    std::string problem;
    return NormalizeManagedPolicy(document, &problem);
  }
  if (document.contains("inline_policies")) return document;
  return NormalizeExportEntry(KindFor(type), document);
}

namespace {

// One UserDetailList/GroupDetailList/RoleDetailList entry at `pointer` -> a resource; false (with a
// diagnostic) when the entry cannot be used.
bool PrincipalFromEntry(const PrincipalKind& kind, const nlohmann::json& entry, std::string pointer,
                        std::string_view source_name, core::Diagnostics* diagnostics,
                        model::Resource* resource) {
  if (!entry.is_object()) {
    Report(diagnostics, core::DiagnosticSeverity::kError, source_name, std::move(pointer),
           absl::StrCat("expected an object, got ", entry.type_name(), "; entry skipped"));
    return false;
  }
  const std::string arn_text = StringField(entry, "Arn");
  if (arn_text.empty()) {
    Report(diagnostics, core::DiagnosticSeverity::kError, source_name, std::move(pointer),
           "entry has no \"Arn\" string; entry skipped");
    return false;
  }
  resource->id = arn_text;
  resource->type = std::string(kind.type);
  if (Arn arn; ParseArn(arn_text, &arn)) {
    resource->partition = arn.partition;
    resource->account = arn.account;
  } else {
    Report(diagnostics, core::DiagnosticSeverity::kWarning, source_name, pointer + "/Arn",
           absl::StrCat("\"", arn_text, "\" is not an ARN; partition and account unknown"));
  }
  resource->document = NormalizeExportEntry(&kind, entry);
  resource->name = resource->document["name"].get<std::string>();
  resource->source.file = std::string(source_name);
  resource->source.json_pointer = std::move(pointer);
  resource->source.resource_id = arn_text;
  return true;
}

// One Policies entry at `pointer` -> an AWS::IAM::Policy resource; false (with a diagnostic) when
// the entry cannot be used.
bool ManagedPolicyFromEntry(const nlohmann::json& entry, std::string pointer,
                            std::string_view source_name, core::Diagnostics* diagnostics,
                            model::Resource* resource) {
  if (!entry.is_object()) {
    Report(diagnostics, core::DiagnosticSeverity::kError, source_name, std::move(pointer),
           absl::StrCat("expected an object, got ", entry.type_name(), "; entry skipped"));
    return false;
  }
  const std::string arn_text = StringField(entry, "Arn");
  if (arn_text.empty()) {
    Report(diagnostics, core::DiagnosticSeverity::kError, source_name, std::move(pointer),
           "entry has no \"Arn\" string; entry skipped");
    return false;
  }
  resource->id = arn_text;
  resource->type = model::kIamManagedPolicy;
  std::string problem;
  resource->document = NormalizeManagedPolicy(entry, &problem);
  resource->name = resource->document["name"].get<std::string>();
  if (Arn arn; ParseArn(arn_text, &arn)) {
    resource->partition = arn.partition;
    // AWS managed policies ("arn:aws:iam::aws:policy/...") belong to no account.
    if (!resource->document["aws_managed"].get<bool>()) resource->account = arn.account;
  } else {
    Report(diagnostics, core::DiagnosticSeverity::kWarning, source_name, pointer + "/Arn",
           absl::StrCat("\"", arn_text, "\" is not an ARN; partition and account unknown"));
  }
  if (!problem.empty()) {
    // Still emitted: the rule reports an ERROR for it rather than nothing.
    Report(diagnostics, core::DiagnosticSeverity::kError, source_name,
           pointer + "/PolicyVersionList",
           absl::StrCat("managed policy ", resource->name, " ", problem));
  }
  resource->source.file = std::string(source_name);
  resource->source.json_pointer = std::move(pointer);
  resource->source.resource_id = arn_text;
  return true;
}

}  // namespace

AdapterResult ReadAuthorizationDetails(std::string_view json_text, std::string_view source_name) {
  AdapterResult result;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::parse_error& e) {
    core::Diagnostic d;
    d.code = kSnapshotError;
    d.message = absl::StrCat("not valid JSON: ", ParseErrorText(e));
    d.location = LocationOfByte(json_text, e.byte, source_name);
    result.diagnostics.push_back(std::move(d));
    return result;
  } catch (const nlohmann::json::exception& e) {
    // A number too large for a double (1e999999) is out_of_range, not parse_error: it must
    // cost this file only, never the scan.
    Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, "",
           absl::StrCat("not valid JSON: ", internal::ParseErrorReason(e)));
    return result;
  }
  if (!root.is_object()) {
    Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, "",
           absl::StrCat("expected the JSON object of get-account-authorization-details, got ",
                        root.type_name()));
    return result;
  }
  const auto policies = root.find("Policies");
  if (policies != root.end() && !policies->is_null() && !policies->is_array()) {
    Report(&result.diagnostics, core::DiagnosticSeverity::kWarning, source_name, "/Policies",
           absl::StrCat("expected a list, got ", policies->type_name(), "; ignored"));
  }

  // Group members come from the users' GroupList; only known when the user list is present.
  const auto users = root.find("UserDetailList");
  const bool members_known = users != root.end() && users->is_array();
  std::map<std::string, std::vector<std::string>, std::less<>> members;

  for (const PrincipalKind& kind : kKinds) {
    const auto list = root.find(kind.list);
    if (list == root.end() || list->is_null()) continue;
    const std::string list_pointer = "/" + std::string(kind.list);
    if (!list->is_array()) {
      Report(&result.diagnostics, core::DiagnosticSeverity::kError, source_name, list_pointer,
             absl::StrCat("expected a list, got ", list->type_name()));
      continue;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      model::Resource resource;
      if (!PrincipalFromEntry(kind, (*list)[i], absl::StrCat(list_pointer, "/", i), source_name,
                              &result.diagnostics, &resource)) {
        continue;
      }
      if (kind.type == model::kIamUser) {
        for (const nlohmann::json& group : resource.document["group_memberships"]) {
          members[group.get<std::string>()].push_back(resource.name);
        }
      }
      result.resources.push_back(std::move(resource));
    }
  }

  // Managed policies: one resource each, for the managed-policy rules (KMS.1).
  for (std::size_t i = 0; policies != root.end() && policies->is_array() && i < policies->size();
       ++i) {
    model::Resource resource;
    if (ManagedPolicyFromEntry((*policies)[i], absl::StrCat("/Policies/", i), source_name,
                               &result.diagnostics, &resource)) {
      result.resources.push_back(std::move(resource));
    }
  }

  if (members_known) {
    for (model::Resource& resource : result.resources) {
      if (resource.type != model::kIamGroup) continue;
      const auto it = members.find(resource.name);
      resource.document["members"] =
          it == members.end() ? nlohmann::json::array() : nlohmann::json(it->second);
    }
  }
  return result;
}

namespace {

// Reads a ByteSource in chunks for nlohmann's lexer, which pulls one character at a time through
// ChunkIterator. Invalid UTF-8 is replaced by U+FFFD chunk by chunk (a sequence cut by the chunk
// boundary is carried over) so that one bad byte costs its policy, not the rest of the file; lines
// are counted as chunks are dropped so that any position of the current chunk has a line:column.
class ChunkReader {
 public:
  ChunkReader(const ByteSource& source, std::string_view file, core::Diagnostics* diagnostics)
      : source_(source), file_(file), diagnostics_(diagnostics) {}

  bool AtEnd() { return pos_ == buffer_.size() && !Refill(); }
  const char& Current() const { return buffer_[pos_]; }
  void Advance() { ++pos_; }
  std::uint64_t Offset() const { return base_ + pos_; }
  bool lossy() const { return invalid_utf8_ > 0; }

  // Line and column of `offset`, which must lie in the current chunk or at its end. Lines are
  // counted from a cursor that only moves forward, so asking in order costs one pass in all.
  core::SourceLocation LocationAt(std::uint64_t offset) {
    const std::size_t in_chunk = static_cast<std::size_t>(
        std::min<std::uint64_t>(offset - std::min(offset, base_), buffer_.size()));
    if (in_chunk < cursor_) {
      cursor_ = 0;
      cursor_lines_ = lines_before_;
      cursor_line_start_ = line_start_before_;
    }
    for (const char* p = buffer_.data() + cursor_, *end = buffer_.data() + in_chunk;
         (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
         nullptr;
         ++p) {
      ++cursor_lines_;
      cursor_line_start_ = base_ + static_cast<std::uint64_t>(p - buffer_.data()) + 1;
    }
    cursor_ = in_chunk;
    core::SourceLocation loc;
    loc.file = std::string(file_);
    loc.line = static_cast<int>(1 + cursor_lines_);
    loc.column = static_cast<int>(base_ + in_chunk - cursor_line_start_) + 1;
    return loc;
  }

  // Skips whitespace; false at the end of the input.
  bool SkipWhitespace() {
    while (!AtEnd()) {
      const char c = Current();
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return true;
      Advance();
    }
    return false;
  }

  // After the input: how many more invalid sequences there were than the one reported.
  void Finish() {
    if (invalid_utf8_ > 1) {
      (*diagnostics_)[first_invalid_diagnostic_].message = absl::StrCat(
          "invalid UTF-8 (and in ", invalid_utf8_ - 1,
          " more places); replaced by U+FFFD, and a policy document that held it is not evaluated");
    }
  }

 private:
  static constexpr std::size_t kChunkBytes = 1 << 20;

  bool Refill() {
    if (eof_) return false;
    LocationAt(base_ + buffer_.size());  // count the lines of the chunk being dropped
    lines_before_ = cursor_lines_;
    line_start_before_ = cursor_line_start_;
    cursor_ = 0;
    base_ += buffer_.size();
    pos_ = 0;
    while (true) {
      buffer_.swap(carry_);
      carry_.clear();
      const std::size_t kept = buffer_.size();
      buffer_.resize(kept + kChunkBytes);
      const std::size_t n = source_(buffer_.data() + kept, kChunkBytes);
      buffer_.resize(kept + n);
      if (n == 0) {
        eof_ = true;
      } else {
        CarryIncompleteSequence();
      }
      if (!buffer_.empty()) break;
      if (eof_) return false;
    }
    RepairUtf8();
    return true;
  }

  // A multi-byte sequence cut at the end of the chunk waits for the rest in the next one.
  void CarryIncompleteSequence() {
    std::size_t j = buffer_.size();
    int continuation = 0;
    while (j > 0 && continuation < 3 && (static_cast<unsigned char>(buffer_[j - 1]) & 0xC0) == 0x80) {
      --j;
      ++continuation;
    }
    if (j == 0) return;
    const auto lead = static_cast<unsigned char>(buffer_[j - 1]);
    const int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > continuation + 1) {
      carry_.assign(buffer_, j - 1, std::string::npos);
      buffer_.resize(j - 1);
    }
  }

  void RepairUtf8() {
    if (std::all_of(buffer_.begin(), buffer_.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      return;
    }
    const internal::TextScan scan =
        internal::ScanJsonText(buffer_, std::numeric_limits<int>::max());
    if (scan.invalid_utf8.empty()) return;
    if (invalid_utf8_ == 0) {
      first_invalid_diagnostic_ = diagnostics_->size();
      internal::AddDiagnostic(
          diagnostics_, core::DiagnosticSeverity::kError,
          LocationAt(base_ + scan.invalid_utf8.front().offset),
          "invalid UTF-8; replaced by U+FFFD, and a policy document that held it is not evaluated");
    }
    invalid_utf8_ += static_cast<int>(scan.invalid_utf8.size());
    buffer_ = internal::ReplaceInvalidUtf8(buffer_, scan.invalid_utf8);
  }

  const ByteSource& source_;
  std::string_view file_;
  core::Diagnostics* diagnostics_;
  std::string buffer_;  // what the lexer reads
  std::string carry_;
  std::size_t pos_ = 0;
  std::uint64_t base_ = 0;  // offset of buffer_[0] in the (repaired) input
  std::uint64_t lines_before_ = 0;
  std::uint64_t line_start_before_ = 0;
  std::size_t cursor_ = 0;  // LocationAt's position in buffer_, and the lines before it
  std::uint64_t cursor_lines_ = 0;
  std::uint64_t cursor_line_start_ = 0;
  bool eof_ = false;
  int invalid_utf8_ = 0;
  std::size_t first_invalid_diagnostic_ = 0;
};

// The input iterator nlohmann's lexer reads through; all copies share the reader.
class ChunkIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  ChunkIterator() = default;
  explicit ChunkIterator(ChunkReader* reader) : reader_(reader) {}
  reference operator*() const { return reader_->Current(); }
  ChunkIterator& operator++() {
    reader_->Advance();
    return *this;
  }
  ChunkIterator operator++(int) {
    ChunkIterator before = *this;
    reader_->Advance();
    return before;
  }
  bool operator==(const ChunkIterator& other) const { return Done() == other.Done(); }
  bool operator!=(const ChunkIterator& other) const { return !(*this == other); }

 private:
  bool Done() const { return reader_ == nullptr || reader_->AtEnd(); }
  ChunkReader* reader_ = nullptr;
};

enum class ListId { kOther = -1, kUsers, kGroups, kRoles, kPolicies };

ListId ListFor(std::string_view key) {
  for (int i = 0; i < 3; ++i) {
    if (kKinds[i].list == key) return static_cast<ListId>(i);
  }
  return key == "Policies" ? ListId::kPolicies : ListId::kOther;
}

// SAX handler for one top-level JSON object of an export. Only the entry being read is built as a
// DOM; other members of the root (IsTruncated, Marker, unknown keys) are skipped as they stream by.
class GaadSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  using Json = nlohmann::json;
  struct Handler {
    // A complete entry of `list`, its index in that list; `duplicate_key` is the first key that
    // one object inside it repeats (empty when none).
    std::function<void(ListId list, std::size_t index, Json entry,
                       const std::string& duplicate_key)>
        entry;
    // A list member that is not a list (`value` is what it is instead), or the root not an object.
    std::function<void(ListId list, const Json& value)> not_a_list;
    std::function<void(const char* root_type)> root_not_object;
    std::function<void()> list_seen;  // UserDetailList present as a list
    std::function<void()> too_deep;   // nesting past the limit at the current position
    std::function<void()> entry_start;  // a list entry begins at the current position
  };
  explicit GaadSax(Handler handler) : handler_(std::move(handler)) {}

  bool null() override { return Value(Json()); }
  bool boolean(bool v) override { return Value(Json(v)); }
  bool number_integer(number_integer_t v) override { return Value(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Value(Json(v)); }
  bool string(string_t& v) override { return Value(Json(std::move(v))); }
  bool binary(binary_t&) override { return Value(Json()); }
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& key) override {
    if (skip_ > 0) return true;
    if (depth_ == 1) {
      list_ = ListFor(key);
    } else {
      // A repeated key would silently keep the last value (a second, empty UserPolicyList hides
      // the first): the entry is reported instead of judged.
      if (duplicate_key_.empty() && !stack_.empty() && stack_.back()->is_object() &&
          stack_.back()->contains(key)) {
        duplicate_key_ = key;
      }
      key_ = std::move(key);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = e.what();
    if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e)) {
      error_byte_ = parse->byte;
    }
    return false;
  }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t error_byte() const { return error_byte_; }

 private:
  // Puts a value where the DOM under construction expects it.
  void Put(Json value) {
    if (stack_.empty()) {
      element_ = std::move(value);
    } else if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(value));
    } else {
      (*stack_.back())[key_] = std::move(value);
    }
  }

  Json* PutContainer(Json value) {
    if (stack_.empty()) {
      element_ = std::move(value);
      return &element_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(value));
      return &stack_.back()->back();
    }
    Json& slot = (*stack_.back())[key_];
    slot = std::move(value);
    return &slot;
  }

  bool Value(Json value) {
    if (skip_ > 0) return true;
    if (depth_ == 0) {
      handler_.root_not_object(value.type_name());
      return false;
    }
    if (depth_ == 1) {  // a member of the root
      if (list_ != ListId::kOther && !value.is_null()) handler_.not_a_list(list_, value);
      return true;
    }
    if (depth_ == 2 && stack_.empty()) {  // a list entry that is not a container
      handler_.entry_start();
      handler_.entry(list_, index_++, std::move(value), duplicate_key_);
      duplicate_key_.clear();
      return true;
    }
    Put(std::move(value));
    return true;
  }

  bool Open(Json container) {
    ++depth_;
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 1) {
      if (!container.is_object()) {
        handler_.root_not_object(container.type_name());
        return false;
      }
      return true;
    }
    if (depth_ == 2) {
      if (list_ == ListId::kOther) {
        skip_ = 1;
      } else if (!container.is_array()) {
        handler_.not_a_list(list_, container);
        skip_ = 1;
      } else {
        if (list_ == ListId::kUsers) handler_.list_seen();
        index_ = 0;
      }
      return true;
    }
    if (depth_ > internal::kMaxNestingDepth) {
      // What is nested past the limit is not built; a marker stands in for it.
      handler_.too_deep();
      Put(internal::kTooDeepMarker);
      skip_ = 1;
      return true;
    }
    if (depth_ == 3) handler_.entry_start();
    stack_.push_back(PutContainer(std::move(container)));
    return true;
  }

  bool Close() {
    --depth_;
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (depth_ < 2) return true;  // a list, or the root, ended
    stack_.pop_back();
    if (depth_ == 2) {
      handler_.entry(list_, index_++, std::move(element_), duplicate_key_);
      duplicate_key_.clear();
    }
    return true;
  }

  Handler handler_;
  std::string duplicate_key_;  // the first key repeated inside the current entry
  int depth_ = 0;     // open containers; the root object is depth 1
  int skip_ = 0;      // > 0: inside a container that is not read
  ListId list_ = ListId::kOther;
  std::size_t index_ = 0;
  std::string key_;
  Json element_;
  std::vector<Json*> stack_;
  std::string error_;
  std::size_t error_byte_ = 0;
};

}  // namespace

core::Diagnostics StreamAuthorizationDetails(const ByteSource& source, std::string_view source_name,
                                             const ResourceSink& sink) {
  core::Diagnostics diagnostics;
  ChunkReader reader(source, source_name, &diagnostics);
  bool members_known = false;
  std::map<std::string, std::vector<std::string>, std::less<>> members;
  // Groups wait for the end of the input, where every user's GroupList has been seen. IAM allows
  // at most a few hundred groups per account, so this holds little.
  std::vector<model::Resource> groups;
  bool deep_reported = false;

  const auto deliver = [&](model::Resource resource) {
    if (reader.lossy() || deep_reported) {
      std::vector<model::Resource> one;
      one.push_back(std::move(resource));
      internal::MarkUnreadablePolicies(&one, &diagnostics);
      resource = std::move(one.front());
    }
    if (resource.type == model::kIamGroup) {
      groups.push_back(std::move(resource));
      return;
    }
    if (resource.type == model::kIamUser) {
      for (const nlohmann::json& group : resource.document["group_memberships"]) {
        members[group.get<std::string>()].push_back(resource.name);
      }
    }
    sink(std::move(resource));
  };

  for (int document = 0; reader.SkipWhitespace(); ++document) {
    const std::uint64_t start = reader.Offset();
    // Pointers are within their own document; a later page of a concatenated file says which.
    const std::string page = document == 0 ? "" : absl::StrCat(" (document ", document + 1, ")");
    GaadSax::Handler handler;
    int entry_line = 0;
    handler.entry_start = [&] {
      if (document > 0) entry_line = reader.LocationAt(reader.Offset() - 1).line;
    };
    handler.entry = [&](ListId list, std::size_t index, nlohmann::json entry,
                        const std::string& duplicate_key) {
      model::Resource resource;
      const std::string list_name =
          list == ListId::kPolicies ? "Policies" : std::string(kKinds[static_cast<int>(list)].list);
      std::string pointer = absl::StrCat("/", list_name, "/", index);
      if (!duplicate_key.empty()) {
        Report(&diagnostics, core::DiagnosticSeverity::kError, source_name, std::move(pointer),
               absl::StrCat("an object in this entry repeats the key \"", duplicate_key,
                            "\": which value counts is undefined; entry skipped", page));
        return;
      }
      const bool ok = list == ListId::kPolicies
                          ? ManagedPolicyFromEntry(entry, std::move(pointer), source_name,
                                                   &diagnostics, &resource)
                          : PrincipalFromEntry(kKinds[static_cast<int>(list)], entry,
                                               std::move(pointer), source_name, &diagnostics,
                                               &resource);
      if (ok) {
        if (document > 0) resource.source.line = entry_line;
        deliver(std::move(resource));
      }
    };
    handler.not_a_list = [&](ListId list, const nlohmann::json& value) {
      if (list == ListId::kPolicies) {
        Report(&diagnostics, core::DiagnosticSeverity::kWarning, source_name, "/Policies",
               absl::StrCat("expected a list, got ", value.type_name(), "; ignored", page));
      } else {
        Report(&diagnostics, core::DiagnosticSeverity::kError, source_name,
               "/" + std::string(kKinds[static_cast<int>(list)].list),
               absl::StrCat("expected a list, got ", value.type_name(), page));
      }
    };
    handler.root_not_object = [&](const char* type) {
      Report(&diagnostics, core::DiagnosticSeverity::kError, source_name, "",
             absl::StrCat("expected the JSON object of get-account-authorization-details, got ",
                          type, page));
    };
    handler.list_seen = [&] { members_known = true; };
    handler.too_deep = [&] {
      if (deep_reported) return;
      deep_reported = true;
      internal::AddDiagnostic(&diagnostics, core::DiagnosticSeverity::kError,
                              reader.LocationAt(reader.Offset() == 0 ? 0 : reader.Offset() - 1),
                              absl::StrCat("nesting deeper than ", internal::kMaxNestingDepth,
                                           " levels; that part is not read, and a policy "
                                           "document that held it is not evaluated"));
    };
    GaadSax sax(std::move(handler));
    bool parsed = false;
    try {
      parsed = nlohmann::json::sax_parse(ChunkIterator(&reader), ChunkIterator(), &sax,
                                         nlohmann::json::input_format_t::json, /*strict=*/false);
    } catch (const std::exception& e) {
      internal::AddDiagnostic(&diagnostics, core::DiagnosticSeverity::kError,
                              reader.LocationAt(reader.Offset()),
                              absl::StrCat("could not be read: ", e.what()));
      break;
    }
    if (sax.failed()) {
      // nlohmann's byte is 1-based and points at the last character read.
      const std::uint64_t at = start + (sax.error_byte() == 0 ? 0 : sax.error_byte() - 1);
      core::Diagnostic d;
      d.code = kSnapshotError;
      d.message = absl::StrCat("not valid JSON: ", internal::ParseErrorReason(
                                                       std::runtime_error(sax.error())));
      d.location = reader.LocationAt(std::min(at, reader.Offset()));
      diagnostics.push_back(std::move(d));
      break;
    }
    if (!parsed) break;  // the root is not an object: reported
  }
  reader.Finish();

  for (model::Resource& group : groups) {
    if (members_known) {
      const auto it = members.find(group.name);
      group.document["members"] =
          it == members.end() ? nlohmann::json::array() : nlohmann::json(it->second);
    }
    sink(std::move(group));
  }
  return diagnostics;
}

}  // namespace kmsguard::adapters
