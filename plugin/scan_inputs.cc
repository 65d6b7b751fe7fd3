// Step 1 of `kmsguard scan` (plugin/scan_inputs.h): each FILE read once into resources or kept
// open to be streamed, duplicates across files found, and problems reported where they are.
#include "plugin/scan_inputs.h"

#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"
#include "sdk/adapters/gcp_asset_inventory.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/core/digest.h"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"
#include "sdk/gcp/hierarchy.h"
#include "sdk/model/iam_document.h"

namespace kmsguard::plugin {

namespace {

// The name of standard input (FILE "-") in diagnostics and in the findings' source locations.
constexpr char kStdinName[] = "<stdin>";

// While a progress line is drawn on stderr, problems go through it, so that each stands on its
// own line (one scan per process: set by RunScan for the scan's duration).
ScanProgress* active_progress = nullptr;

}  // namespace

void ReportProblemsThrough(ScanProgress* progress) { active_progress = progress; }

void ReportProblem(const core::Diagnostic& diagnostic, std::string_view source_text) {
  if (active_progress == nullptr) {
    PrintDiagnostic(std::cerr, diagnostic, source_text);
    return;
  }
  std::ostringstream text;
  PrintDiagnostic(text, diagnostic, source_text);
  active_progress->Write(text.str());
}

void ReportProblem(std::string code, std::string message, core::SourceLocation location) {
  core::Diagnostic diagnostic;
  diagnostic.code = std::move(code);
  diagnostic.message = std::move(message);
  diagnostic.location = std::move(location);
  ReportProblem(diagnostic);
}

namespace {

// The same resource twice (an export given twice, overlapping pages, an account in two formats)
// would double its findings and its place in the counts: the first one is kept. An identical
// later copy is a warning; a copy whose document differs (two exports taken at different times)
// is an error, since which one is right is not known and the ignored one may be the one that
// grants. The index grows by one entry per resource, also for streamed files.
// The document without where its parts were read (policy entries' "source_pointer" and "source"
// differ between two files holding the same principal), for comparing two copies.
nlohmann::json WithoutSources(nlohmann::json value) {
  if (value.is_object()) {
    if (value.contains("document")) {
      value.erase("source_pointer");
      value.erase("source");
    }
    for (auto& [key, child] : value.items()) child = WithoutSources(std::move(child));
  } else if (value.is_array()) {
    for (auto& child : value) child = WithoutSources(std::move(child));
  }
  return value;
}

// What decides whether two copies of a resource say the same: its document as the rules read
// it, without where its parts were read. For an export entry (read with simdjson), the fields
// the rules use, each as compact JSON text, so that fields the rules do not read (RoleLastUsed,
// CreateDate) and the layout of the file do not make two copies differ.
std::string ComparableDocument(const model::Resource& resource) {
  if (resource.document_tree == nullptr) {
    // `replace`: a dump never throws here, whatever bytes a string holds.
    return core::DumpJson(WithoutSources(resource.document));
  }
  const model::IamDocument document = model::ReadIamDocument(resource.type, resource.document_tree);
  std::string out;
  const auto add = [&out](std::string_view label, std::string_view text) {
    absl::StrAppend(&out, core::Sv(label), "\x1f", text.size(), ":", core::Sv(text), "\x1e");
  };
  const auto add_element = [&add](std::string_view label,
                                  const std::optional<simdjson::dom::element>& element) {
    std::string encoded = "<none>";
    if (element) {
      encoded.clear();
      core::AppendCanonicalKey(*element, &encoded);  // equal exactly when the JSON is equal
    }
    add(label, encoded);
  };
  add("name", document.name);
  add("arn", document.arn);
  add("path", document.path);
  add("inline_policies", document.inline_policies_problem);
  for (const model::InlinePolicy& policy : document.inline_policies) {
    add("policy", policy.name);
    add_element("document", policy.is_object ? policy.document : policy.entry);
  }
  for (const auto& attached : document.attached_managed_policies) {
    add("attached", absl::StrCat(attached.name, " ", attached.arn));
  }
  for (const std::string& group : document.group_memberships) add("group", group);
  for (const std::string& member : document.members) add("member", member);
  add_element("trust_policy", document.trust_policy);
  add("aws_managed", document.aws_managed ? "true" : "false");
  add("counts",
      absl::StrCat(document.attachment_count, " ", document.permissions_boundary_usage_count));
  add("default_version_id", document.default_version_id);
  add_element("default_version", document.document);
  add("document_problem", document.document_problem);
  return out;
}

bool FirstTime(Inputs& inputs, const model::Resource& resource, std::size_t file) {
  // A Cloud Asset Inventory asset comes once per content type (`--content-type=iam-policy` and
  // `=resource` name the same project): each is its own part of the picture BuildInventory joins.
  const char* part =
      resource.provider != "gcp"
          ? ""
          : (model::DocumentJson(resource).contains("iam_policy") ? " iam_policy" : " resource");
  // Ids in their canonical form: one Azure vault exported with its id in two cases is one
  // resource (and one finding uid: the evaluator names findings by the same form).
  const core::Sha256Digest digest = core::Sha256(
      model::CanonicalId(resource.provider, absl::StrCat(resource.type, " ", resource.id, part)));
  ResourceKey key;
  std::copy_n(digest.begin(), key.size(), key.begin());
  // The content in the same form: Azure names, ids and permissions are case-insensitive, and a
  // copy that differs only in case says the same.
  const core::Sha256Digest document =
      core::Sha256(model::CanonicalId(resource.provider, ComparableDocument(resource)));
  Inputs::FirstCopy copy{static_cast<std::uint32_t>(file), {}};
  std::copy_n(document.begin(), copy.content.size(), copy.content.begin());
  const auto [first, inserted] = inputs.first_seen.emplace(key, copy);
  if (inserted) return true;
  // A Google Cloud allow policy that says something else is another part of one policy, not a
  // copy: a plan's google_project_iam_member adds a member to the live policy an export shows,
  // and two plans may each add their own. gcp::BuildInventory joins every policy on a scope into
  // one (the union of their bindings, as it does for two spellings of the scope's name), and the
  // rules judge the scope once. Only an identical copy (the same export twice) is dropped.
  if (std::string_view(part) == " iam_policy" && first->second.content != copy.content) {
    return true;
  }
  // Only copies read in the same format are compared: two formats write the same policy
  // differently (an object here, URL-encoded text there).
  const bool differs = first->second.content != copy.content &&
                       inputs.formats[first->second.file] == inputs.formats[file];
  core::Diagnostic duplicate;
  duplicate.severity =
      differs ? core::DiagnosticSeverity::kError : core::DiagnosticSeverity::kWarning;
  duplicate.code = "duplicate_resource";
  const std::string& where = inputs.files[first->second.file];
  const std::string earlier =
      first->second.file == file ? "earlier in this file" : absl::StrCat("in ", where);
  duplicate.message =
      differs ? absl::StrCat(resource.type, " ", resource.id,
                             " appears again with a different document (the copy ", earlier,
                             " is the one evaluated); this copy is ignored: scan one snapshot "
                             "of an account at a time")
              : absl::StrCat(resource.type, " ", resource.id,
                             first->second.file == file
                                 ? " appears earlier in this file"
                                 : absl::StrCat(" was already read from ", where),
                             "; this copy is ignored");
  duplicate.location = resource.source;
  ReportProblem(duplicate);
  if (differs) ++inputs.problems;
  return false;
}

// Where the first NUL byte of `text` is, or npos: JSON, YAML and gzip never hold one (UTF-16 and
// UTF-32 text do, and are named as such by ReadSnapshot from their byte order mark).
std::size_t FirstNul(std::string_view text) {
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
      text.starts_with(std::string_view("\x00\x00\xFE\xFF", 4))) {
    return std::string_view::npos;
  }
  return text.find('\0');
}

}  // namespace

std::string ParseAttachedPolicy(std::string_view value, AttachedPolicy* out) {
  const std::size_t equals = value.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == value.size()) {
    return absl::StrCat("expected RESOURCE=FILE, got \"", core::ValidUtf8(value), "\"");
  }
  const std::string_view resource = value.substr(0, equals);
  if (gcp::ParseScope(resource).kind == gcp::ScopeKind::kOther) {
    return absl::StrCat(
        "RESOURCE is where the policy is attached: organizations/N, folders/N, projects/P, "
        "projects/P/locations/L/keyRings/R or projects/P/locations/L/keyRings/R/cryptoKeys/K "
        "(or their Cloud Asset Inventory full names, //cloudresourcemanager.googleapis.com/… "
        "and //cloudkms.googleapis.com/…); got \"",
        core::ValidUtf8(resource), "\"");
  }
  if (const std::string malformed = gcp::MalformedScope(gcp::ParseScope(resource));
      !malformed.empty()) {
    return absl::StrCat("RESOURCE \"", core::ValidUtf8(resource),
                        "\" names no resource: ", malformed);
  }
  out->resource = std::string(resource);
  out->file = std::string(value.substr(equals + 1));
  return "";
}

Inputs ReadInputs(const std::vector<std::string>& given_files, adapters::InputFormat format,
                  const adapters::CloudFormationParameters& parameters, std::size_t max_whole_bytes,
                  const std::vector<AttachedPolicy>& policies) {
  std::vector<std::string> files = given_files;
  Inputs inputs;
  inputs.attached_to.assign(files.size(), "");
  for (const AttachedPolicy& policy : policies) {
    files.push_back(policy.file);
    inputs.attached_to.push_back(policy.resource);
  }
  inputs.files = files;
  inputs.formats.assign(files.size(), format);
  inputs.streams.resize(files.size());
  bool read_stdin = false;
  for (std::size_t index = 0; index < files.size(); ++index) {
    // A --gcp-policy file is read whole, as get-iam-policy output, whatever --input-format says:
    // it is in no format the content could name.
    const std::string& attached_to = inputs.attached_to[index];
    const bool attached = !attached_to.empty();
    // What diagnostics and findings call the input: "-" is named "<stdin>".
    const bool is_stdin = files[index] == InputFile::kStandardInput;
    if (is_stdin) inputs.files[index] = kStdinName;
    const std::string& path = inputs.files[index];
    core::SourceLocation where;
    where.file = path;
    if (is_stdin && read_stdin) {
      ReportProblem("snapshot_read_error",
                    "standard input (\"-\") is given more than once; it is read once", where);
      ++inputs.problems;
      continue;
    }
    read_stdin = read_stdin || is_stdin;
    if (is_stdin && isatty(STDIN_FILENO) == 1) {
      std::cerr << "kmsguard scan: reading a snapshot from standard input (the terminal); end it "
                   "with Ctrl-D\n";
    }
    auto file = std::make_unique<InputFile>(files[index]);
    const std::string_view prefix = file->prefix();
    if (prefix.empty() && !file->status().ok()) {
      ReportProblem("snapshot_read_error", std::string(file->status().message()), where);
      ++inputs.problems;
      continue;
    }
    // Binary data is said to be so after its first bytes, not after reading all of it
    // (/dev/zero, /dev/urandom).
    if (const std::size_t nul = FirstNul(prefix); nul != std::string_view::npos) {
      core::Diagnostic binary;
      binary.code = "snapshot_read_error";
      binary.message =
          absl::StrCat(file->compressed() ? "the decompressed data holds" : "the file holds",
                       " a NUL byte: binary data, not JSON, YAML or gzip; nothing read from it");
      binary.location = where;
      const std::string_view before = prefix.substr(0, nul);
      binary.location.line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      const std::size_t line_start = before.rfind('\n');
      binary.location.column =
          static_cast<int>(line_start == std::string_view::npos ? nul : nul - line_start - 1) + 1;
      ReportProblem(binary);
      ++inputs.problems;
      continue;
    }
    adapters::InputFormat detected = attached ? adapters::InputFormat::kAuto : format;
    if (detected == adapters::InputFormat::kAuto && !attached) {
      const std::size_t first = prefix.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (first != std::string_view::npos && prefix[first] == '{' &&
          adapters::DetectInputFormat(prefix) == adapters::InputFormat::kAuthorizationDetails) {
        detected = adapters::InputFormat::kAuthorizationDetails;
      }
    }
    if (detected == adapters::InputFormat::kAuthorizationDetails) {
      inputs.formats[index] = detected;
      inputs.streams[index] = std::move(file);
      inputs.streamed_files.push_back(index);
      continue;
    }
    absl::StatusOr<std::string> text = file->ReadAll(max_whole_bytes);
    if (!text.ok()) {
      ReportProblem("snapshot_read_error", std::string(text.status().message()), where);
      ++inputs.problems;
      continue;
    }
    if (const absl::Status status = file->status(); !status.ok()) {
      // Reported, and what could be read is still read: a gzip file missing only its trailer
      // (its check sums) holds all of its content.
      ReportProblem("snapshot_read_error", std::string(status.message()), where);
      ++inputs.problems;
    }
    // Judged once, on the whole text, when the first bytes did not decide.
    if (detected == adapters::InputFormat::kAuto && !attached) {
      detected = adapters::DetectInputFormat(*text);
    }
    inputs.formats[index] = detected;
    adapters::AdapterResult read =
        !attached ? adapters::ReadSnapshot(
                        *text, path, detected == adapters::InputFormat::kAuto ? format : detected,
                        parameters)
                  : adapters::ReadGcloudIamPolicy(*text, path, attached_to);
    for (const auto& diagnostic : read.diagnostics) {
      ReportProblem(diagnostic, *text);
      if (diagnostic.severity == core::DiagnosticSeverity::kError) ++inputs.problems;
    }
    for (auto& resource : read.resources) {
      if (FirstTime(inputs, resource, index)) inputs.resources.push_back(std::move(resource));
    }
  }
  return inputs;
}

void ProduceResources(Inputs& inputs, ScanProgress& progress,
                      const client::PluginClient::Send& send) {
  for (const auto& resource : inputs.resources) {
    if (!send(resource)) return;
    progress.AddResource();
  }
  for (const std::size_t index : inputs.streamed_files) {
    const std::string& path = inputs.files[index];
    InputFile& file = *inputs.streams[index];
    bool sending = true;
    std::uint64_t counted = 0;  // of file.raw_bytes_read(), given to the progress line
    const core::Diagnostics diagnostics = adapters::StreamAuthorizationDetails(
        [&](char* buffer, std::size_t size) -> std::size_t {
          if (!sending) return 0;  // the scan failed: stop reading
          const std::size_t n = file.Read(buffer, size);
          progress.AddBytes(file.raw_bytes_read() - counted);
          counted = file.raw_bytes_read();
          return n;
        },
        path,
        [&](model::Resource resource) {
          if (sending && FirstTime(inputs, resource, index)) {
            sending = send(resource);
            progress.AddResource();
          }
        });
    // When the scan failed, reading stopped part way: the "truncated" error that follows is
    // not the file's fault, and the scan's own failure is what gets reported.
    if (!sending) return;
    for (const auto& diagnostic : diagnostics) {
      ReportProblem(diagnostic);
      if (diagnostic.severity == core::DiagnosticSeverity::kError) ++inputs.problems;
    }
    if (const absl::Status status = file.status(); !status.ok()) {
      core::SourceLocation location;
      location.file = path;
      ReportProblem("snapshot_read_error", std::string(status.message()), location);
      ++inputs.problems;
    }
    inputs.streams[index].reset();  // closed as soon as it is read
  }
}

}  // namespace kmsguard::plugin
