// `aws iam get-account-authorization-details` -> resources.
//
// Real exports vary: boto3 and the CLI omit UserPolicyList when a user has no inline policy, lists
// may be null, policy documents are objects (CLI, boto3) or URL-encoded strings (the raw API). The
// reader keeps each entry as given (its text, minified), so that the engine reads it once into its
// compact form (model/iam_document.h) and one broken document is an error for its principal
// only; entries it cannot use are reported by JSON pointer while the rest load.
//
// Reading: JsonFramer (json_framer.h) cuts the export into entries without holding more than one;
// simdjson validates and parses each (core/json_tree.h). An entry simdjson refuses for its bytes
// (invalid UTF-8, nesting past the limit) is read the slow way, with the repair and markers of
// adapter_support.h, so that it costs only the policies that held the damage.
#include "sdk/adapters/authorization_details.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/json_framer.h"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"
#include "sdk/model/iam_document.h"

namespace kmsguard::adapters {

namespace {

constexpr char kSnapshotError[] = "snapshot_error";

enum class ListId { kOther = -1, kUsers, kGroups, kRoles, kPolicies };

struct ListInfo {
  std::string_view list;  // UserDetailList ...
  std::string_view type;  // model type
};
constexpr ListInfo kLists[] = {
    {"UserDetailList", model::kIamUser},
    {"GroupDetailList", model::kIamGroup},
    {"RoleDetailList", model::kIamRole},
    {"Policies", model::kIamManagedPolicy},
};

ListId ListFor(std::string_view key) {
  for (int i = 0; i < 4; ++i) {
    if (kLists[i].list == key) return static_cast<ListId>(i);
  }
  return ListId::kOther;
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

struct Arn {
  std::string partition;
  std::string account;
};

// arn:partition:service:region:account:resource; false when `text` is not shaped like one.
bool ParseArn(std::string_view text, Arn* arn) {
  internal::Arn parsed;
  if (!internal::ParseArn(text, &parsed)) return false;
  arn->partition = parsed.partition;
  arn->account = parsed.account;
  return true;
}

// The offset of the first number in JSON `text` (outside strings) too large for a double, or npos.
std::size_t OverflowingNumber(std::string_view text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    std::size_t end = i;
    while (end < text.size() && std::string_view("+-.0123456789eE").find(text[end]) !=
                                    std::string_view::npos) {
      ++end;
    }
    const std::string number(text.substr(i, end - i));
    errno = 0;
    const double value = std::strtod(number.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(value)) return i;
    i = end - 1;
  }
  return std::string_view::npos;
}

// Reads one export: entries are handed on as they are read, groups at the end (when every
// user's GroupList has been seen).
class ExportReader {
 public:
  ExportReader(std::string_view source_name, const ResourceSink& sink)
      : source_name_(source_name), sink_(sink) {}

  core::Diagnostics Read(const ByteSource& source) {
    internal::JsonFramer::Callbacks callbacks;
    callbacks.split = [](std::string_view key) { return ListFor(key) != ListId::kOther; };
    callbacks.array_seen = [this](std::string_view key) {
      if (ListFor(key) == ListId::kUsers) members_known_ = true;
    };
    callbacks.not_an_array = [this](std::string_view key, std::string_view type) {
      const std::string page = PageSuffix();
      if (ListFor(key) == ListId::kPolicies) {
        Report(&diagnostics_, core::DiagnosticSeverity::kWarning, source_name_, "/Policies",
               absl::StrCat("expected a list, got ", core::Sv(type), "; ignored", page));
      } else {
        Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_,
               absl::StrCat("/", core::Sv(key)),
               absl::StrCat("expected a list, got ", core::Sv(type), page));
      }
    };
    callbacks.root_not_object = [this](std::string_view type) {
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, "",
             absl::StrCat("expected the JSON object of get-account-authorization-details, got ",
                          core::Sv(type), PageSuffix()));
    };
    callbacks.element = [this](std::string_view key, std::size_t index, std::string_view text,
                               std::uint64_t offset) { Entry(ListFor(key), index, text, offset); };
    framer_ = std::make_unique<internal::JsonFramer>(source, std::move(callbacks));
    if (!framer_->Run()) {
      core::Diagnostic d;
      d.code = kSnapshotError;
      d.message = absl::StrCat("not valid JSON: ", framer_->error());
      d.location = framer_->LocationAt(framer_->error_offset(), source_name_);
      diagnostics_.push_back(std::move(d));
    }
    if (invalid_utf8_ > 1) {
      diagnostics_[first_invalid_diagnostic_].message = absl::StrCat(
          "invalid UTF-8 (and in ", invalid_utf8_ - 1,
          " more places); replaced by U+FFFD, and a policy document that held it is not "
          "evaluated");
    }
    for (model::Resource& group : groups_) {
      if (members_known_) {
        // The members go into the normalized shape; groups are few (IAM allows a few hundred).
        model::MaterializeDocument(&group);
        const auto it = members_.find(group.name);
        group.document["members"] =
            it == members_.end() ? nlohmann::json::array() : nlohmann::json(it->second);
      }
      sink_(std::move(group));
    }
    return std::move(diagnostics_);
  }

 private:
  // Pointers are within their own document; a later page of a concatenated file says which.
  std::string PageSuffix() const {
    const int document = framer_->document();
    return document <= 0 ? "" : absl::StrCat(" (document ", document + 1, ")");
  }

  void Entry(ListId list, std::size_t index, std::string_view text, std::uint64_t offset) {
    const ListInfo& info = kLists[static_cast<int>(list)];
    std::string pointer = absl::StrCat("/", core::Sv(info.list), "/", index);
    const int line = framer_->document() > 0 ? framer_->LocationAt(offset, "").line : 0;
    // Minified: what travels to the plugin and what the engine reads is the entry without its
    // layout. simdjson's minifier keeps strings byte for byte.
    minified_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::size_t length = 0;
    if (simdjson::minify(text.data(), text.size(), minified_.data(), length) != simdjson::SUCCESS) {
      length = 0;
    }
    std::string entry_text(minified_.data(), length);
    entry_text.reserve(length + simdjson::SIMDJSON_PADDING);
    core::JsonTreeResult parsed = core::ParseJsonTree(entry_text, kEntryDepth);
    if (parsed.error == core::JsonTreeError::kRepeatedKey) {
      // A repeated key would silently keep one of the values (a second, empty UserPolicyList
      // hides the first): the entry is reported instead of judged.
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, std::move(pointer),
             absl::StrCat("an object in this entry repeats the key \"", parsed.repeated_key,
                          "\": which value counts is undefined; entry skipped", PageSuffix()));
      return;
    }
    model::Resource resource;
    if (parsed.tree == nullptr) {
      if (!ReadDamagedEntry(info, text, offset, pointer, &resource)) return;
    } else if (!FromTree(info, std::move(parsed.tree), std::move(entry_text), pointer,
                         &resource)) {
      return;
    }
    resource.source.file = std::string(source_name_);
    resource.source.json_pointer = std::move(pointer);
    resource.source.resource_id = resource.id;
    resource.source.line = line;
    Deliver(std::move(resource));
  }

  // An entry simdjson parsed. False (with a diagnostic) when it cannot be used.
  bool FromTree(const ListInfo& info, std::shared_ptr<const core::JsonTree> tree,
                std::string text, const std::string& pointer, model::Resource* resource) {
    const simdjson::dom::element root = tree->root();
    if (!root.is_object()) {
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, pointer,
             absl::StrCat("expected an object, got ", core::Sv(core::TypeName(root)),
                          "; entry skipped"));
      return false;
    }
    simdjson::dom::element arn_value;
    const std::string arn_text = core::Member(root, "Arn", &arn_value)
                                     ? std::string(core::StringOf(arn_value))
                                     : std::string();
    if (arn_text.empty()) {
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, pointer,
             "entry has no \"Arn\" string; entry skipped");
      return false;
    }
    const model::IamDocument document = model::ReadIamDocument(info.type, tree);
    resource->id = arn_text;
    resource->type = std::string(info.type);
    resource->name = document.name;
    Arn arn;
    if (ParseArn(arn_text, &arn)) {
      resource->partition = arn.partition;
      // AWS managed policies ("arn:aws:iam::aws:policy/...") belong to no account.
      if (!(info.type == model::kIamManagedPolicy && document.aws_managed)) {
        resource->account = arn.account;
      }
    } else {
      Report(&diagnostics_, core::DiagnosticSeverity::kWarning, source_name_, pointer + "/Arn",
             absl::StrCat("\"", arn_text, "\" is not an ARN; partition and account unknown"));
    }
    if (info.type == model::kIamManagedPolicy && !document.document &&
        !document.document_problem.empty()) {
      // Still emitted: the rule reports an ERROR for it rather than nothing.
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_,
             pointer + "/PolicyVersionList",
             absl::StrCat("managed policy ", resource->name, " ", document.document_problem));
    }
    if (info.type == model::kIamUser) {
      for (const std::string& group : document.group_memberships) {
        members_[group].push_back(resource->name);
      }
    }
    resource->document_text = std::move(text);
    resource->document_tree = std::move(tree);
    return true;
  }

  // An entry whose bytes simdjson refused: invalid UTF-8 is replaced by U+FFFD and nesting past
  // the limit by a marker (both reported once per file, with their position), the entry is read
  // with nlohmann, and every policy document that held the damage becomes unreadable, so it is
  // an ERROR of its principal and the rest of the principal is judged. Text that is not JSON is
  // one error for this entry; the next entries are read.
  bool ReadDamagedEntry(const ListInfo& info, std::string_view text, std::uint64_t offset,
                        const std::string& pointer, model::Resource* resource) {
    const internal::TextScan scan = internal::ScanJsonText(text, kEntryDepth);
    if (!scan.invalid_utf8.empty()) {
      if (invalid_utf8_ == 0) {
        first_invalid_diagnostic_ = diagnostics_.size();
        internal::AddDiagnostic(
            &diagnostics_, core::DiagnosticSeverity::kError,
            framer_->LocationAt(offset + scan.invalid_utf8.front().offset, source_name_),
            "invalid UTF-8; replaced by U+FFFD, and a policy document that held it is not "
            "evaluated");
      }
      invalid_utf8_ += static_cast<int>(scan.invalid_utf8.size());
    }
    if (scan.too_deep != std::string_view::npos && !deep_reported_) {
      deep_reported_ = true;
      internal::AddDiagnostic(&diagnostics_, core::DiagnosticSeverity::kError,
                              framer_->LocationAt(offset + scan.too_deep, source_name_),
                              absl::StrCat("nesting deeper than ", internal::kMaxNestingDepth,
                                           " levels; that part is not read, and a policy "
                                           "document that held it is not evaluated"));
    }
    const std::string repaired = internal::ReplaceInvalidUtf8(text, scan.invalid_utf8);
    nlohmann::json entry;
    core::Diagnostics ignored;  // what the reader says was reported above, in file terms
    bool lossy = false;
    if (scan.invalid_utf8.empty() && scan.too_deep == std::string_view::npos) {
      // Neither damage: the text is not JSON. Say where, in the file.
      try {
        entry = nlohmann::json::parse(repaired);
      } catch (const nlohmann::json::parse_error& e) {
        core::Diagnostic d;
        d.code = kSnapshotError;
        d.message = absl::StrCat("not valid JSON: ", internal::ParseErrorReason(e),
                                 "; entry skipped", PageSuffix());
        const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        d.location = framer_->LocationAt(offset + at, source_name_);
        d.location.json_pointer = pointer;
        diagnostics_.push_back(std::move(d));
        return false;
      } catch (const nlohmann::json::exception& e) {
        // A number too large for a double (1e999999): nlohmann says so without a position; the
        // number is found in the text, so the error points at it.
        core::Diagnostic d;
        d.code = kSnapshotError;
        d.message = absl::StrCat("not valid JSON: ", internal::ParseErrorReason(e), "; entry skipped",
                                 PageSuffix());
        const std::size_t at = OverflowingNumber(text);
        if (at != std::string_view::npos) {
          d.location = framer_->LocationAt(offset + at, source_name_);
        } else {
          d.location.file = std::string(source_name_);
        }
        d.location.json_pointer = pointer;
        diagnostics_.push_back(std::move(d));
        return false;
      }
    } else if (!internal::ParseJsonText(repaired, internal::JsonOrigin{source_name_, ""}, &entry,
                                        &ignored, &lossy)) {
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, pointer,
             absl::StrCat("the entry could not be read after repair; entry skipped", PageSuffix()));
      return false;
    }
    const std::string dumped = core::DumpJson(entry);
    core::JsonTreeResult parsed = core::ParseJsonTree(dumped);
    if (parsed.tree == nullptr) {
      Report(&diagnostics_, core::DiagnosticSeverity::kError, source_name_, pointer,
             absl::StrCat("the entry could not be read (", parsed.message, "); entry skipped",
                          PageSuffix()));
      return false;
    }
    if (!FromTree(info, std::move(parsed.tree), dumped, pointer, resource)) return false;
    // The damaged policies, in the normalized shape, made unreadable.
    model::MaterializeDocument(resource);
    std::vector<model::Resource> one;
    one.push_back(std::move(*resource));
    one.front().source.file = std::string(source_name_);
    one.front().source.json_pointer = pointer;
    one.front().source.resource_id = one.front().id;
    internal::MarkUnreadablePolicies(&one, &diagnostics_);
    *resource = std::move(one.front());
    return true;
  }

  void Deliver(model::Resource resource) {
    if (resource.type == model::kIamGroup) {
      groups_.push_back(std::move(resource));
      return;
    }
    sink_(std::move(resource));
  }

  // An entry is the third level of the file (root object, list, entry): the depth limit of the
  // file, counted from the entry.
  static constexpr std::size_t kEntryDepth = internal::kMaxNestingDepth - 2;

  std::string_view source_name_;
  const ResourceSink& sink_;
  std::unique_ptr<internal::JsonFramer> framer_;
  core::Diagnostics diagnostics_;
  std::string minified_;
  bool members_known_ = false;
  std::map<std::string, std::vector<std::string>, std::less<>> members_;
  // Groups wait for the end of the input, where every user's GroupList has been seen. IAM allows
  // at most a few hundred groups per account, so this holds little.
  std::vector<model::Resource> groups_;
  int invalid_utf8_ = 0;
  std::size_t first_invalid_diagnostic_ = 0;
  bool deep_reported_ = false;
};

}  // namespace

nlohmann::json NormalizePrincipalDocument(std::string_view type, const nlohmann::json& document) {
  // Not an object: returned unchanged, so the engine reports "/: not an object" for it.
  if (!document.is_object()) return document;
  const core::JsonTreeResult parsed = core::ParseJsonTree(core::DumpJson(document));
  if (parsed.tree == nullptr) return document;
  return model::ToNormalizedJson(type, model::ReadIamDocument(type, parsed.tree));
}

core::Diagnostics StreamAuthorizationDetails(const ByteSource& source, std::string_view source_name,
                                             const ResourceSink& sink) {
  ExportReader reader(source_name, sink);
  return reader.Read(source);
}

AdapterResult ReadAuthorizationDetails(std::string_view json_text, std::string_view source_name) {
  AdapterResult result;
  std::size_t at = 0;
  result.diagnostics = StreamAuthorizationDetails(
      [&](char* buffer, std::size_t size) {
        const std::size_t n = std::min(size, json_text.size() - at);
        std::memcpy(buffer, json_text.data() + at, n);
        at += n;
        return n;
      },
      source_name, [&](model::Resource resource) { result.resources.push_back(std::move(resource)); });
  // In the export's list order (users, groups, roles, managed policies), whatever order the
  // lists have in the text and although the streaming reader hands groups on last.
  const auto rank = [](const model::Resource& r) {
    for (int i = 0; i < 4; ++i) {
      if (kLists[i].type == r.type) return i;
    }
    return 4;
  };
  std::stable_sort(result.resources.begin(), result.resources.end(),
                   [&rank](const model::Resource& a, const model::Resource& b) {
                     return rank(a) < rank(b);
                   });
  return result;
}

}  // namespace kmsguard::adapters
