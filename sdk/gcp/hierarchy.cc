#include "sdk/gcp/hierarchy.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::gcp {
namespace {

using core::Sv;

constexpr std::string_view kResourceManager = "cloudresourcemanager.googleapis.com";
constexpr std::string_view kCloudKms = "cloudkms.googleapis.com";
// Ancestry deeper than this is a loop in the input (folders nest at most 10 levels).
constexpr int kMaxDepth = 64;

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

bool NonEmpty(const std::vector<std::string_view>& parts) {
  return std::none_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); });
}

}  // namespace

std::string_view ScopeKindName(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kOrganization:
      return "organization";
    case ScopeKind::kFolder:
      return "folder";
    case ScopeKind::kProject:
      return "project";
    case ScopeKind::kKeyRing:
      return "keyRing";
    case ScopeKind::kCryptoKey:
      return "cryptoKey";
    case ScopeKind::kOther:
      break;
  }
  return "other";
}

Scope ParseScope(std::string_view name) {
  Scope out;
  out.name = std::string(name);
  std::string_view relative = name;
  std::string_view service;
  if (name.starts_with("//")) {
    const std::size_t slash = name.find('/', 2);
    if (slash == std::string_view::npos) return out;
    service = name.substr(2, slash - 2);
    relative = name.substr(slash + 1);
  }
  const std::vector<std::string_view> parts = Split(relative);
  if (!NonEmpty(parts)) return out;
  const bool container_service = service.empty() || service == kResourceManager;
  const bool kms_service = service.empty() || service == kCloudKms;
  if (parts.size() == 2 && container_service) {
    if (parts[0] == "organizations") out.kind = ScopeKind::kOrganization;
    if (parts[0] == "folders") out.kind = ScopeKind::kFolder;
    if (parts[0] == "projects") out.kind = ScopeKind::kProject;
  } else if (kms_service && parts.size() >= 6 && parts[0] == "projects" &&
             parts[2] == "locations" && parts[4] == "keyRings") {
    if (parts.size() == 6) out.kind = ScopeKind::kKeyRing;
    if (parts.size() == 8 && parts[6] == "cryptoKeys") out.kind = ScopeKind::kCryptoKey;
  }
  if (out.kind != ScopeKind::kOther) out.name = std::string(relative);
  return out;
}

std::string MalformedScope(const Scope& scope) {
  if (scope.kind == ScopeKind::kOther) return "";
  const std::vector<std::string_view> parts = Split(scope.name);
  if (scope.kind == ScopeKind::kOrganization || scope.kind == ScopeKind::kFolder) {
    return AllDigits(parts[1]) ? "" : absl::StrCat(core::Sv(parts[0]), " are named by number");
  }
  std::string_view project = parts[1];
  if (const std::size_t colon = project.rfind(':'); colon != std::string_view::npos) {
    project = project.substr(colon + 1);  // a legacy domain-scoped project: "example.com:p"
  }
  const auto lower_digit_hyphen = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  };
  // (New ids have at least 6 characters; shorter ones are not refused, as examples use them.)
  const bool id = !project.empty() && project.size() <= 30 && project.front() >= 'a' &&
                  project.front() <= 'z' && project.back() != '-' &&
                  std::all_of(project.begin(), project.end(), lower_digit_hyphen);
  if (!AllDigits(parts[1]) && !id) {
    return "a project is named by its number or its id (at most 30 lowercase letters, digits and "
           "hyphens, starting with a letter)";
  }
  const auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  for (std::size_t i = 5; i < parts.size(); i += 2) {
    if (parts[i].size() > 63 || !std::all_of(parts[i].begin(), parts[i].end(), name_char)) {
      return "a key ring or key name is 1 to 63 letters, digits, underscores and hyphens";
    }
  }
  return "";
}

void Hierarchy::SetParent(std::string_view child, std::string_view parent, bool authoritative) {
  const Scope c = ParseScope(child);
  const Scope p = ParseScope(parent);
  if (c.kind == ScopeKind::kOther || p.kind == ScopeKind::kOther) return;
  auto [it, inserted] = parents_.try_emplace(c.name, Parent{p.name, authoritative});
  if (inserted || it->second.name == p.name) {
    it->second.authoritative = it->second.authoritative || authoritative;
    return;
  }
  const bool replace = authoritative && !it->second.authoritative;
  conflicts_.push_back(absl::StrCat(c.name, ": parent ", replace ? p.name : it->second.name,
                                    " (kept), not ", replace ? it->second.name : p.name));
  if (replace) it->second = Parent{p.name, true};
}

void Hierarchy::AddProject(std::string_view id, std::string_view number) {
  if (id.empty() || number.empty() || id == number) return;
  aliases_.insert_or_assign(std::string(id), std::string(number));
  aliases_.insert_or_assign(std::string(number), std::string(id));
}

void Hierarchy::MarkRoot(std::string_view project) { roots_.insert(ParseScope(project).name); }

void Hierarchy::AddAncestors(std::string_view asset_name,
                             const std::vector<std::string>& ancestors) {
  const Scope asset = ParseScope(asset_name);
  if (ancestors.empty()) return;
  if (asset.kind == ScopeKind::kKeyRing || asset.kind == ScopeKind::kCryptoKey) {
    const std::vector<std::string_view> parts = Split(asset.name);
    for (const std::string& a : ancestors) {
      const Scope s = ParseScope(a);
      if (s.kind != ScopeKind::kProject) continue;
      const std::string_view number = std::string_view(s.name).substr(9);
      if (AllDigits(number) && !AllDigits(parts[1])) AddProject(parts[1], number);
      break;
    }
  } else if (asset.kind == ScopeKind::kProject) {
    // A project's ancestors start with itself: a project named by id whose first ancestor is
    // "projects/NUMBER" has that number (a search result names a project by id, and its
    // `project` by number).
    const std::string_view id = std::string_view(asset.name).substr(9);
    const Scope first = ParseScope(ancestors.front());
    if (first.kind == ScopeKind::kProject && !AllDigits(id)) {
      const std::string_view number = std::string_view(first.name).substr(9);
      if (AllDigits(number)) AddProject(id, number);
    }
  }
  for (std::size_t i = 0; i + 1 < ancestors.size(); ++i) {
    SetParent(ancestors[i], ancestors[i + 1], /*authoritative=*/false);
  }
  if (ParseScope(ancestors.back()).kind == ScopeKind::kProject) MarkRoot(ancestors.back());
}

void Hierarchy::AddKmsResource(std::string_view name) {
  const Scope s = ParseScope(name);
  if (s.kind == ScopeKind::kKeyRing || s.kind == ScopeKind::kCryptoKey) {
    kms_resources_.insert(s.name);
  }
}

std::string Hierarchy::Canonical(std::string_view name) const {
  const Scope s = ParseScope(name);
  switch (s.kind) {
    case ScopeKind::kOther:
    case ScopeKind::kOrganization:
    case ScopeKind::kFolder:
      return s.name;
    case ScopeKind::kProject: {
      const std::string_view project = std::string_view(s.name).substr(9);
      if (AllDigits(project)) return s.name;
      const auto it = aliases_.find(Sv(project));
      return it == aliases_.end() ? s.name : absl::StrCat("projects/", it->second);
    }
    case ScopeKind::kKeyRing:
    case ScopeKind::kCryptoKey: {
      const std::vector<std::string_view> parts = Split(s.name);
      if (!AllDigits(parts[1])) return s.name;
      const auto it = aliases_.find(Sv(parts[1]));
      if (it == aliases_.end()) return s.name;
      return absl::StrCat("projects/", it->second,
                          Sv(std::string_view(s.name).substr(9 + parts[1].size())));
    }
  }
  return s.name;
}

Hierarchy::Ancestry Hierarchy::AncestryOf(std::string_view name) const {
  Ancestry out;
  Scope current = ParseScope(name);
  current.name = Canonical(current.name);
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    out.scopes.push_back(current);
    std::string next;
    switch (current.kind) {
      case ScopeKind::kOther:
        out.gap = absl::StrCat(current.name,
                               " is not an organization, folder, project, key ring "
                               "or key");
        return out;
      case ScopeKind::kOrganization:
        out.complete = true;
        return out;
      case ScopeKind::kCryptoKey:
        next = current.name.substr(0, current.name.rfind("/cryptoKeys/"));
        break;
      case ScopeKind::kKeyRing:
        next = current.name.substr(0, current.name.find("/locations/"));
        break;
      case ScopeKind::kFolder:
      case ScopeKind::kProject: {
        // A project may have been recorded under its other spelling (id or number).
        std::string other;
        if (current.kind == ScopeKind::kProject) {
          const auto alias = aliases_.find(Sv(std::string_view(current.name).substr(9)));
          if (alias != aliases_.end()) other = absl::StrCat("projects/", alias->second);
        }
        auto it = parents_.find(current.name);
        if (it == parents_.end() && !other.empty()) it = parents_.find(other);
        if (it == parents_.end()) {
          const bool root =
              roots_.contains(current.name) || (!other.empty() && roots_.contains(other));
          out.complete = root;
          if (!root) out.gap = absl::StrCat("the parent of ", current.name, " was not seen");
          return out;
        }
        next = it->second.name;
        break;
      }
    }
    current = ParseScope(next);
    current.name = Canonical(current.name);
  }
  out.complete = false;
  out.gap = absl::StrCat("the ancestry of ", Sv(name), " loops or is deeper than ", kMaxDepth);
  return out;
}

std::vector<std::string> Hierarchy::KeysBelow(std::string_view scope) const {
  const std::string target = Canonical(scope);
  std::set<std::string> keys;
  for (const std::string& resource : kms_resources_) {
    if (ParseScope(resource).kind != ScopeKind::kCryptoKey) continue;
    const Ancestry ancestry = AncestryOf(resource);
    for (const Scope& s : ancestry.scopes) {
      if (s.name == target) {
        keys.insert(ancestry.scopes.front().name);
        break;
      }
    }
  }
  return {keys.begin(), keys.end()};
}

}  // namespace kmsguard::gcp
