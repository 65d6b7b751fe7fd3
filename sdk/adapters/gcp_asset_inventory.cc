#include "sdk/adapters/gcp_asset_inventory.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"
#include "sdk/gcp/hierarchy.h"

namespace kmsguard::adapters {
namespace {

using internal::AddDiagnostic;
using nlohmann::json;
using Severity = core::DiagnosticSeverity;

// simdjson element -> nlohmann value (the normalized document is a nlohmann value, as the IaC
// adapters' are). Depth is bounded by ParseJsonTree's limit.
json ToJson(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      json out = json::array();
      for (const simdjson::dom::element e : core::AsArray(element)) out.push_back(ToJson(e));
      return out;
    }
    case simdjson::dom::element_type::OBJECT: {
      json out = json::object();
      for (const simdjson::dom::key_value_pair m : core::AsObject(element)) {
        out[std::string(m.key)] = ToJson(m.value);
      }
      return out;
    }
    case simdjson::dom::element_type::INT64:
      return element.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return element.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return element.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING:
      return std::string(core::StringOf(element));
    case simdjson::dom::element_type::BOOL:
      return element.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      break;
  }
  return nullptr;
}

// The member `snake` or, failing that, `camel`; nullptr when neither is present.
const json* Field(const json& object, const char* snake, const char* camel) {
  if (const auto it = object.find(snake); it != object.end()) return &*it;
  if (const auto it = object.find(camel); it != object.end()) return &*it;
  return nullptr;
}

std::string KeyUsed(const json& object, const char* snake, const char* camel) {
  return object.contains(camel) && !object.contains(snake) ? camel : snake;
}

// Where a problem is: the file, the line, and a JSON pointer within the line's document.
struct Where {
  std::string_view file;
  int line = 0;
  core::SourceLocation At(std::string pointer) const {
    core::SourceLocation loc;
    loc.file = std::string(file);
    loc.line = line;
    loc.json_pointer = std::move(pointer);
    return loc;
  }
};

// Whether the resource data of `asset_type` is kept: what gcp::BuildInventory reads.
bool KeepsData(std::string_view asset_type) {
  return asset_type.starts_with("cloudresourcemanager.googleapis.com/") ||
         asset_type == "iam.googleapis.com/Role" ||
         asset_type.starts_with("cloudkms.googleapis.com/");
}

// The line as a nlohmann value, without the resource data ReadAsset would drop: a large export is
// mostly compute, storage and other data that the join never reads, so it is not converted.
json TrimmedAsset(simdjson::dom::element root) {
  if (!root.is_object()) return ToJson(root);
  std::string_view asset_type;
  simdjson::dom::element type;
  if (core::Member(root, "asset_type", &type) || core::Member(root, "assetType", &type)) {
    asset_type = core::StringOf(type);
  }
  json out = json::object();
  for (const simdjson::dom::key_value_pair m : core::AsObject(root)) {
    if (m.key != "resource" || !m.value.is_object() || KeepsData(asset_type)) {
      out[std::string(m.key)] = ToJson(m.value);
      continue;
    }
    json resource = json::object();
    simdjson::dom::element parent;
    if (core::Member(m.value, "parent", &parent)) resource["parent"] = ToJson(parent);
    out["resource"] = std::move(resource);
  }
  return out;
}

// Normalizes an IAM Policy object (`pointer` is its place in the source). Bindings that cannot be
// read are diagnostics and "problems" entries; the others are kept.
json NormalizePolicy(const json& policy, const std::string& pointer, const Where& where,
                     core::Diagnostics* diagnostics, bool binding_sources = false) {
  json out = {{"bindings", json::array()}};
  json problems = json::array();
  auto problem = [&](const std::string& at, const std::string& message) {
    AddDiagnostic(diagnostics, Severity::kError, where.At(at), message);
    problems.push_back(absl::StrCat(at, ": ", message));
  };
  if (const auto v = policy.find("version"); v != policy.end() && v->is_number_integer()) {
    out["version"] = v->get<std::int64_t>();
  }
  const auto bindings = policy.find("bindings");
  if (bindings != policy.end() && !bindings->is_null() && !bindings->is_array()) {
    problem(pointer + "/bindings", "bindings is not a list");
  } else if (bindings != policy.end() && bindings->is_array()) {
    for (std::size_t i = 0; i < bindings->size(); ++i) {
      const json& b = (*bindings)[i];
      const std::string at = absl::StrCat(pointer, "/bindings/", i);
      if (!b.is_object()) {
        problem(at, "a binding is not an object");
        continue;
      }
      const auto role = b.find("role");
      if (role == b.end() || !role->is_string() || role->get<std::string>().empty()) {
        problem(at + "/role", "a binding needs a role (a non-empty string)");
        continue;
      }
      const auto members = b.find("members");
      if (members == b.end() || !members->is_array()) {
        problem(at + "/members", "a binding needs a list of members");
        continue;
      }
      json binding = {{"role", *role}, {"members", json::array()}};
      bool readable = true;
      for (std::size_t m = 0; m < members->size(); ++m) {
        if (!(*members)[m].is_string()) {
          problem(absl::StrCat(at, "/members/", m), "a member is not a string");
          readable = false;
          break;
        }
        binding["members"].push_back((*members)[m]);
      }
      if (!readable) continue;
      if (const auto c = b.find("condition"); c != b.end() && !c->is_null()) {
        if (!c->is_object()) {
          problem(at + "/condition", "a condition is not an object");
          continue;
        }
        json condition = json::object();
        for (const char* key : {"title", "description", "expression"}) {
          if (const auto f = c->find(key); f != c->end() && f->is_string()) condition[key] = *f;
        }
        binding["condition"] = std::move(condition);
      }
      // The binding's own place in the file, when the policy is not the whole of a line: a
      // finding names it (gcp::Binding::source).
      if (binding_sources) binding["source"] = {{"json_pointer", at}};
      out["bindings"].push_back(std::move(binding));
    }
  }
  if (!problems.empty()) out["problems"] = std::move(problems);
  return out;
}

// The project a CAI name holds ("projects/X/..." after the service), or "".
std::string ProjectOf(std::string_view name) {
  const std::size_t at = name.find("/projects/");
  const std::size_t start = at == std::string_view::npos
                                ? (name.starts_with("projects/") ? 9 : std::string_view::npos)
                                : at + 10;
  if (start == std::string_view::npos) return {};
  return std::string(name.substr(start, name.find('/', start) - start));
}

// A KMS asset's location ("…/locations/us/…"), or "global".
std::string RegionOf(std::string_view name) {
  const std::size_t at = name.find("/locations/");
  if (at == std::string_view::npos) return "global";
  const std::size_t start = at + 11;
  return std::string(name.substr(start, name.find('/', start) - start));
}

model::Resource MakeResource(std::string name, std::string asset_type, json document,
                             const Where& where) {
  model::Resource r;
  r.provider = "gcp";
  r.id = name;
  r.type = std::move(asset_type);
  r.account = ProjectOf(name);
  r.region = RegionOf(name);
  r.name = name.substr(name.rfind('/') + 1);
  r.document = std::move(document);
  r.source = where.At("");
  return r;
}

// One line of an export, parsed. Adds the resource, or a diagnostic when it is not an asset.
void ReadAsset(const json& root, const Where& where, AdapterResult* result) {
  if (!root.is_object()) {
    AddDiagnostic(&result->diagnostics, Severity::kError, where.At(""),
                  "a Cloud Asset Inventory line is a JSON object (one asset per line)");
    return;
  }
  const json* name = Field(root, "name", "name");
  const json* type = Field(root, "asset_type", "assetType");
  if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
    AddDiagnostic(&result->diagnostics, Severity::kError, where.At("/name"),
                  "an asset needs a name (a non-empty string)");
    return;
  }
  if (type == nullptr || !type->is_string() || type->get<std::string>().empty()) {
    AddDiagnostic(&result->diagnostics, Severity::kError,
                  where.At("/" + KeyUsed(root, "asset_type", "assetType")),
                  "an asset needs an asset_type (a non-empty string)");
    return;
  }
  const std::string asset_type = type->get<std::string>();
  json document = {{"name", *name}, {"asset_type", asset_type}};
  if (const json* ancestors = Field(root, "ancestors", "ancestors");
      ancestors && !ancestors->is_null()) {
    bool ok = ancestors->is_array();
    for (std::size_t i = 0; ok && i < ancestors->size(); ++i) ok = (*ancestors)[i].is_string();
    if (ok) {
      document["ancestors"] = *ancestors;
    } else {
      AddDiagnostic(&result->diagnostics, Severity::kError, where.At("/ancestors"),
                    "ancestors is not a list of strings (the asset loads without it)");
    }
  }
  if (const json* t = Field(root, "update_time", "updateTime"); t && t->is_string()) {
    document["update_time"] = *t;
  }
  if (const json* policy = Field(root, "iam_policy", "iamPolicy"); policy && !policy->is_null()) {
    const std::string pointer = "/" + KeyUsed(root, "iam_policy", "iamPolicy");
    if (policy->is_object()) {
      document["iam_policy"] = NormalizePolicy(*policy, pointer, where, &result->diagnostics);
    } else {
      AddDiagnostic(&result->diagnostics, Severity::kError, where.At(pointer),
                    "iam_policy is not an object");
      document["iam_policy"] = {{"bindings", json::array()},
                                {"problems", {pointer + ": not an object"}}};
    }
  }
  const json* resource = Field(root, "resource", "resource");
  if (resource != nullptr && !resource->is_null() && !resource->is_object()) {
    AddDiagnostic(&result->diagnostics, Severity::kError, where.At("/resource"),
                  "resource is not an object (the asset loads without it)");
  } else if (resource != nullptr && resource->is_object()) {
    json kept = json::object();
    if (const auto p = resource->find("parent"); p != resource->end() && p->is_string()) {
      kept["parent"] = *p;
    }
    if (const auto d = resource->find("data");
        d != resource->end() && d->is_object() && KeepsData(asset_type)) {
      kept["data"] = *d;
    }
    document["resource"] = std::move(kept);
  }
  result->resources.push_back(
      MakeResource(name->get<std::string>(), asset_type, std::move(document), where));
}

// A line that simdjson refused: nlohmann names the position (line:col within the file), and a
// lossy read (invalid UTF-8, a repeated key) still loads, with its policy marked incomplete.
void ReadBrokenLine(std::string_view line, const Where& where, AdapterResult* result) {
  core::Diagnostics diagnostics;
  json root;
  bool lossy = false;
  const bool parsed = internal::ParseJsonText(line, internal::JsonOrigin{where.file, ""}, &root,
                                              &diagnostics, &lossy);
  for (core::Diagnostic& d : diagnostics) {
    d.location.line = d.location.line > 0 ? d.location.line - 1 + where.line : where.line;
    d.message = absl::StrCat("Cloud Asset Inventory line ", where.line, ": ", d.message);
    result->diagnostics.push_back(std::move(d));
  }
  if (!parsed) return;
  const std::size_t before = result->resources.size();
  ReadAsset(root, where, result);
  if (lossy && result->resources.size() > before) {
    json& document = result->resources.back().document;
    if (document.contains("iam_policy")) {
      document["iam_policy"]["problems"].push_back(
          "the line was read with replacements (invalid UTF-8 or a repeated key)");
    }
  }
}

// The results of `gcloud asset search-all-iam-policies --format=json`: the list itself, or the
// REST response's "results" (with the pointer of the list); nullptr for any other shape.
const json* SearchResultsOf(const json& root, std::string* pointer) {
  if (root.is_array()) {
    pointer->clear();
    return &root;
  }
  if (!root.is_object()) return nullptr;
  const auto results = root.find("results");
  if (results == root.end() || !results->is_array()) return nullptr;
  *pointer = "/results";
  return &*results;
}

bool IsSearchResult(const json& element) {
  if (!element.is_object()) return false;
  const auto resource = element.find("resource");
  const auto policy = element.find("policy");
  return resource != element.end() && resource->is_string() && policy != element.end() &&
         policy->is_object();
}

// Reads the search results of one file (pointers are within it; lines come from `positions`).
class SearchResultReader {
 public:
  SearchResultReader(std::string_view file, const internal::JsonPositions* positions)
      : file_(file), positions_(positions) {}

  AdapterResult Read(const json& root) {
    std::string list_pointer;
    const json* results = SearchResultsOf(root, &list_pointer);
    if (results == nullptr) {
      AddDiagnostic(&result_.diagnostics, Severity::kError, Located(""),
                    absl::StrCat("expected `gcloud asset search-all-iam-policies --format=json` "
                                 "output (a JSON list of IAM policy search results, or a REST "
                                 "response with \"results\"), got ",
                                 root.type_name()));
      return std::move(result_);
    }
    for (std::size_t i = 0; i < results->size(); ++i) {
      ReadResult((*results)[i], absl::StrCat(list_pointer, "/", i));
    }
    if (unordered_folders_ > 0) {
      AddDiagnostic(
          &result_.diagnostics, Severity::kWarning, Located(first_unordered_),
          absl::StrCat(unordered_folders_,
                       unordered_folders_ == 1 ? " result lists" : " results list",
                       " more than one folder, in an order the API does not document: no "
                       "ancestry is derived for ",
                       unordered_folders_ == 1 ? "it" : "them",
                       " (scan a Cloud Asset Inventory `resource` export with it for the folder "
                       "chain); the first is here"));
    }
    if (!filtered_.empty()) {
      AddDiagnostic(&result_.diagnostics, Severity::kWarning, Located(filtered_),
                    "the search was filtered by permissions (explanation.matchedPermissions): "
                    "each policy holds only the bindings that matched the query, so a rule that "
                    "asks about other permissions sees only these; the first such result is here");
    }
    return std::move(result_);
  }

 private:
  // Line and column where positions were recorded (a result and its members); deeper, the line
  // of the result being read.
  core::SourceLocation Located(const std::string& pointer) const {
    core::SourceLocation at = internal::PointerLocation(file_, pointer, positions_);
    if (at.line == 0) at.line = element_line_;
    return at;
  }

  void Error(const std::string& pointer, std::string message) {
    AddDiagnostic(&result_.diagnostics, Severity::kError, Located(pointer), std::move(message));
  }

  // An optional string member; false (and an error) when present with another type.
  bool OptionalString(const json& element, const std::string& at, const char* key,
                      std::string* out) {
    const auto it = element.find(key);
    if (it == element.end() || it->is_null()) return true;
    if (it->is_string()) {
      *out = it->get<std::string>();
      return true;
    }
    Error(absl::StrCat(at, "/", key),
          absl::StrCat(key, " is not a string (the result loads without ancestors)"));
    return false;
  }

  // ancestors as a CAI export writes them, nearest first: the resource itself when it is a
  // project, folder or organization, else its project; its folder; its organization. Null when
  // that chain cannot be known: no organization (none, or output from before the field existed:
  // proto3 JSON leaves an empty field out, so the two look alike), several folders, a field of the
  // wrong type.
  json Ancestors(const json& element, const std::string& at, const gcp::Scope& self) {
    std::string project;
    std::string organization;
    bool ok = OptionalString(element, at, "project", &project);
    ok = OptionalString(element, at, "organization", &organization) && ok;
    std::vector<std::string> folders;
    if (const auto f = element.find("folders"); f != element.end() && !f->is_null()) {
      bool strings = f->is_array();
      for (std::size_t i = 0; strings && i < f->size(); ++i) strings = (*f)[i].is_string();
      if (!strings) {
        Error(at + "/folders",
              "folders is not a list of strings (the result loads without "
              "ancestors)");
        ok = false;
      } else {
        for (const json& folder : *f) {
          const gcp::Scope scope = gcp::ParseScope(folder.get<std::string>());
          if (scope.name != self.name) folders.push_back(scope.name);
        }
      }
    }
    if (!ok || organization.empty()) return json();
    if (folders.size() > 1) {
      if (unordered_folders_++ == 0) first_unordered_ = at + "/folders";
      return json();
    }
    json chain = json::array();
    const bool container = self.kind == gcp::ScopeKind::kOrganization ||
                           self.kind == gcp::ScopeKind::kFolder ||
                           self.kind == gcp::ScopeKind::kProject;
    // A project result's `project` is the project itself, by number: written so, the chain also
    // joins the id the result is named by to that number (Hierarchy::AddAncestors).
    if (container) {
      chain.push_back(self.kind == gcp::ScopeKind::kProject && !project.empty()
                          ? gcp::ParseScope(project).name
                          : self.name);
    }
    if (!project.empty() && self.kind != gcp::ScopeKind::kProject &&
        self.kind != gcp::ScopeKind::kFolder && self.kind != gcp::ScopeKind::kOrganization) {
      chain.push_back(project);
    }
    if (!folders.empty()) chain.push_back(folders[0]);
    if (organization != self.name) chain.push_back(organization);
    return chain;
  }

  void ReadResult(const json& element, const std::string& at) {
    element_line_ = 0;
    element_line_ = Located(at).line;
    if (!element.is_object()) {
      Error(at, absl::StrCat("an IAM policy search result is an object, got ", element.type_name(),
                             "; skipped"));
      return;
    }
    const auto resource = element.find("resource");
    if (resource == element.end() || !resource->is_string() ||
        resource->get<std::string>().empty()) {
      Error(at + "/resource", "a search result needs a resource (a non-empty string); skipped");
      return;
    }
    const auto type = element.find("assetType");
    if (type == element.end() || !type->is_string() || type->get<std::string>().empty()) {
      Error(at + "/assetType", "a search result needs an assetType (a non-empty string); skipped");
      return;
    }
    const std::string name = resource->get<std::string>();
    const std::string asset_type = type->get<std::string>();
    const Where where{file_, element_line_};
    json document = {{"name", name}, {"asset_type", asset_type}};
    if (json ancestors = Ancestors(element, at, gcp::ParseScope(name)); !ancestors.is_null()) {
      document["ancestors"] = std::move(ancestors);
    }
    const auto policy = element.find("policy");
    if (policy != element.end() && policy->is_object()) {
      document["iam_policy"] = NormalizePolicy(*policy, at + "/policy", where, &result_.diagnostics,
                                               /*binding_sources=*/true);
    } else {
      Error(at + "/policy", "a search result needs a policy (an object)");
      document["iam_policy"] = {{"bindings", json::array()},
                                {"problems", {at + "/policy: not an object"}}};
    }
    if (const auto e = element.find("explanation"); filtered_.empty() && e != element.end() &&
                                                    e->is_object() &&
                                                    e->contains("matchedPermissions")) {
      filtered_ = at + "/explanation";
    }
    model::Resource r = MakeResource(name, asset_type, std::move(document), where);
    r.source = Located(at);
    result_.resources.push_back(std::move(r));
  }

  std::string_view file_;
  const internal::JsonPositions* positions_;
  AdapterResult result_;
  int unordered_folders_ = 0;
  std::string first_unordered_;
  std::string filtered_;  // the first result with explanation.matchedPermissions
  int element_line_ = 0;  // of the result being read
};

}  // namespace

bool LooksLikeIamPolicySearch(const nlohmann::json& root) {
  std::string pointer;
  const json* results = SearchResultsOf(root, &pointer);
  return results != nullptr && !results->empty() && IsSearchResult(results->front());
}

AdapterResult ReadIamPolicySearch(std::string_view text, std::string_view source_name) {
  text = internal::WithoutBom(text);
  AdapterResult result;
  json root;
  bool lossy = false;
  internal::JsonPositions positions;
  if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root,
                               &result.diagnostics, &lossy,
                               internal::PositionRequest{&positions, 3, {}})) {
    return result;
  }
  AdapterResult read = SearchResultReader(source_name, &positions).Read(root);
  for (core::Diagnostic& d : read.diagnostics) result.diagnostics.push_back(std::move(d));
  result.resources = std::move(read.resources);
  if (lossy) {
    for (model::Resource& r : result.resources) {
      r.document["iam_policy"]["problems"].push_back(
          "the file was read with replacements (invalid UTF-8 or a repeated key)");
    }
  }
  return result;
}

bool LooksLikeAssetInventoryExport(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      const core::JsonTreeResult parsed = core::ParseJsonTree(line);
      if (!parsed.tree) return false;
      simdjson::dom::element name;
      simdjson::dom::element type;
      return core::Member(parsed.tree->root(), "name", &name) && name.is_string() &&
             (core::Member(parsed.tree->root(), "asset_type", &type) ||
              core::Member(parsed.tree->root(), "assetType", &type)) &&
             type.is_string();
    }
    start = end + 1;
  }
  return false;
}

bool LooksLikeIamPolicy(std::string_view text) {
  const core::JsonTreeResult parsed = core::ParseJsonTree(text);
  if (!parsed.tree || !parsed.tree->root().is_object()) return false;
  bool bindings = false;
  bool has_bindings = false;
  bool etag = false;
  for (const simdjson::dom::key_value_pair m : core::AsObject(parsed.tree->root())) {
    if (m.key == "bindings") {
      has_bindings = true;
      bindings = m.value.is_array();
    } else if (m.key == "etag") {
      etag = m.value.is_string();
    } else if (m.key != "version" && m.key != "auditConfigs") {
      return false;
    }
  }
  // A policy with no binding prints as {"etag": "ACAB"} (bindings left out, as proto3 JSON does).
  return has_bindings ? bindings : etag;
}

AdapterResult ReadAssetInventoryExport(std::string_view text, std::string_view source_name) {
  AdapterResult result;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Where where{source_name, line_number};
    const core::JsonTreeResult parsed = core::ParseJsonTree(line, internal::kMaxNestingDepth);
    if (!parsed.tree) {
      ReadBrokenLine(line, where, &result);
      continue;
    }
    ReadAsset(TrimmedAsset(parsed.tree->root()), where, &result);
  }
  return result;
}

AdapterResult ReadGcloudIamPolicy(std::string_view text, std::string_view source_name,
                                  std::string_view attached_to) {
  AdapterResult result;
  text = internal::WithoutBom(text);
  json root;
  bool lossy = false;
  if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root,
                               &result.diagnostics, &lossy)) {
    return result;
  }
  const Where where{source_name, 0};
  if (!root.is_object()) {
    AddDiagnostic(&result.diagnostics, Severity::kError, where.At(""),
                  "an IAM policy is a JSON object (get-iam-policy --format=json)");
    return result;
  }
  // Another JSON object (a CAI asset, a Terraform plan) would otherwise read as a policy without
  // bindings, that is, one that grants nothing.
  for (const auto& [key, value] : root.items()) {
    if (key == "version" || key == "etag" || key == "bindings" || key == "auditConfigs") continue;
    AddDiagnostic(&result.diagnostics, Severity::kError, where.At("/" + core::PointerToken(key)),
                  absl::StrCat("not `gcloud … get-iam-policy --format=json` output: an IAM policy "
                               "holds only version, etag, bindings and auditConfigs, not \"",
                               core::ValidUtf8(key), "\"; nothing read from the file"));
    return result;
  }
  const gcp::Scope scope = gcp::ParseScope(attached_to);
  std::string name;
  std::string asset_type;
  switch (scope.kind) {
    case gcp::ScopeKind::kOrganization:
    case gcp::ScopeKind::kFolder:
    case gcp::ScopeKind::kProject: {
      name = absl::StrCat("//cloudresourcemanager.googleapis.com/", scope.name);
      const char* kinds[] = {"Organization", "Folder", "Project"};
      asset_type =
          absl::StrCat("cloudresourcemanager.googleapis.com/", kinds[static_cast<int>(scope.kind)]);
      break;
    }
    case gcp::ScopeKind::kKeyRing:
    case gcp::ScopeKind::kCryptoKey:
      name = absl::StrCat("//cloudkms.googleapis.com/", scope.name);
      asset_type = scope.kind == gcp::ScopeKind::kKeyRing ? "cloudkms.googleapis.com/KeyRing"
                                                          : "cloudkms.googleapis.com/CryptoKey";
      break;
    case gcp::ScopeKind::kOther:
      name = attached_to.empty() ? absl::StrCat("<unattached policy: ", core::Sv(source_name), ">")
                                 : std::string(attached_to);
      asset_type = "iam.googleapis.com/Policy";
      AddDiagnostic(&result.diagnostics, Severity::kWarning, where.At(""),
                    attached_to.empty()
                        ? std::string("the resource the policy is attached to was not given: its "
                                      "bindings cannot be placed in the hierarchy")
                        : absl::StrCat("'", core::Sv(attached_to),
                                       "' is not an organization, folder, project, key ring or "
                                       "key: the policy's bindings cannot be placed in the "
                                       "hierarchy"));
      break;
  }
  json document = {{"name", name},
                   {"asset_type", asset_type},
                   {"iam_policy", NormalizePolicy(root, "", where, &result.diagnostics,
                                                  /*binding_sources=*/true)}};
  if (lossy) {
    document["iam_policy"]["problems"].push_back(
        "the file was read with replacements (invalid UTF-8 or a repeated key)");
  }
  result.resources.push_back(MakeResource(name, asset_type, std::move(document), where));
  return result;
}

}  // namespace kmsguard::adapters
