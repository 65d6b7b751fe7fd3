// AWS Config configuration items -> normalized principals and managed policies.
//
// The three shapes differ in key spelling (`ARN`/`awsAccountId` in files and events, `arn`/
// `accountId` in API responses; the RDK examples mix them) and in whether `configuration` is an
// object or JSON text, so every key is read under both spellings. Policy documents inside are
// URL-encoded JSON text; they are kept as given, and the engine decodes and parses them, so one
// broken document is an ERROR for its resource only.
#include "sdk/adapters/config.h"

#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/core/json_text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::FirstStringField;
using internal::PointerLocation;
using internal::StringField;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// Per principal type: the configuration's list and name keys.
struct PrincipalKind {
  const char* type;
  const char* name_key;
  const char* policy_list;
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "userName", "userPolicyList"},
    {model::kIamGroup, "groupName", "groupPolicyList"},
    {model::kIamRole, "roleName", "rolePolicyList"},
};

const PrincipalKind* KindFor(std::string_view type) {
  for (const PrincipalKind& kind : kKinds) {
    if (kind.type == type) return &kind;
  }
  return nullptr;
}

// One configuration item found in the input, with where it is.
struct Item {
  const Json* value;
  std::string pointer;
};

class ConfigReader {
 public:
  explicit ConfigReader(std::string_view file) : file_(file) {}

  AdapterResult Read(const Json& root) {
    CollectItems(root);
    std::map<std::string, std::size_t> newest;  // ARN -> index into resources_
    for (const Item& item : items_) ReadItem(item, &newest);
    if (items_.empty() && result_.diagnostics.empty()) {
      AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, ""),
                    "no configuration items in this document");
    } else if (iam_items_ == 0 && !other_types_.empty()) {
      AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, ""),
                    absl::StrCat("none of the ", items_.size(),
                                 " configuration items is an IAM user, group, role or policy "
                                 "(types: ",
                                 absl::StrJoin(other_types_, ", "), ")"));
    }
    for (const auto& [arn, count] : duplicates_) {
      const auto it = newest.find(arn);
      if (it != newest.end() && !resources_[it->second].gone.empty()) continue;  // said below
      AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, "", arn),
                    absl::StrCat(count + 1,
                                 " configuration items describe this resource; the "
                                 "newest is evaluated"));
    }
    ReportGone();
    FillGroupMembers();
    for (Entry& entry : resources_) {
      if (entry.gone.empty()) result_.resources.push_back(std::move(entry.resource));
    }
    if (lossy_) internal::MarkUnreadablePolicies(&result_.resources, &result_.diagnostics);
    return std::move(result_);
  }

 private:
  struct Entry {
    model::Resource resource;
    Json capture_time;
    // The configurationItemStatus of the newest item when it says the resource is gone
    // (ResourceDeleted, ResourceDeletedNotRecorded, ResourceNotRecorded): no finding then.
    std::string gone;
    std::string gone_pointer;
  };

  // At most this many resources are named one by one as gone; then a count.
  static constexpr int kMaxGoneReports = 10;

  // The shapes of docs/input-formats.md, outermost first.
  void CollectItems(const Json& root) {
    if (root.is_array()) {
      AddList(root, "");
      return;
    }
    if (!root.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, ""),
                    absl::StrCat("expected an object or a list of configuration items, got ",
                                 root.type_name()));
      return;
    }
    bool found = false;
    for (const char* key : {"configurationItems", "baseConfigurationItems"}) {
      if (auto it = root.find(key); it != root.end()) {
        found = true;
        const std::string pointer = absl::StrCat("/", key);
        if (it->is_array()) {
          AddList(*it, pointer);
        } else if (!it->is_null()) {
          AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, pointer),
                        absl::StrCat("expected a list, got ", it->type_name()));
        }
      }
    }
    if (found) return;
    if (auto it = root.find("invokingEvent"); it != root.end()) {
      ReadInvokingEvent(*it);
      return;
    }
    if (root.contains("configurationItem") || root.contains("messageType")) {
      ReadNotification(root, "", "");
      return;
    }
    if (root.contains("resourceType")) {
      items_.push_back({&root, ""});
      return;
    }
    AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, ""),
                  "not AWS Config data: none of configurationItems, baseConfigurationItems, "
                  "configurationItem, invokingEvent or resourceType is present");
  }

  void AddList(const Json& list, const std::string& pointer) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      items_.push_back({&list[i], absl::StrCat(pointer, "/", i)});
    }
  }

  // A rule invocation: `invokingEvent` is JSON text (or, from some test harnesses, an object).
  void ReadInvokingEvent(const Json& event) {
    const std::string pointer = "/invokingEvent";
    if (event.is_object()) {
      ReadNotification(event, pointer, "");
      return;
    }
    if (!event.is_string()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, pointer),
                    absl::StrCat("expected JSON text, got ", event.type_name()));
      return;
    }
    Json& parsed = owned_.emplace_back();
    if (!internal::ParseJsonText(event.get_ref<const std::string&>(),
                                 internal::JsonOrigin{file_, pointer}, &parsed,
                                 &result_.diagnostics, &lossy_)) {
      return;
    }
    ReadNotification(parsed, pointer, " in the invoking event");
  }

  // {"configurationItem": {...}, "messageType": ...}: the invoking event's content, also what
  // Config publishes to SNS.
  void ReadNotification(const Json& message, const std::string& pointer, const char* where) {
    if (!message.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, pointer),
                    absl::StrCat("expected an object", where, ", got ", message.type_name()));
      return;
    }
    const std::string type = StringField(message, "messageType");
    if (auto it = message.find("configurationItem"); it != message.end()) {
      // Past a JSON-text member (/invokingEvent) the pointer goes on inside the decoded text.
      items_.push_back({&*it, pointer + "/configurationItem"});
      return;
    }
    if (type == "OversizedConfigurationItemChangeNotification") {
      const Json& summary = message.value("configurationItemSummary", Json::object());
      AddDiagnostic(&result_.diagnostics, kError,
                    PointerLocation(file_, pointer, FirstStringField(summary, {"ARN", "arn"})),
                    absl::StrCat("the event", where,
                                 " is an oversized-item notification: it holds only a summary of ",
                                 StringField(summary, "resourceType"), " ",
                                 StringField(summary, "resourceName"),
                                 "; fetch the item (aws configservice "
                                 "get-resource-config-history) and scan that"));
      return;
    }
    if (type == "ScheduledNotification") {
      AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, pointer),
                    absl::StrCat("the event", where,
                                 " is a periodic (scheduled) notification: it holds no "
                                 "configuration item"));
      return;
    }
    AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, pointer),
                  absl::StrCat("no configurationItem", where,
                               type.empty() ? "" : absl::StrCat(" (messageType ", type, ")")));
  }

  void ReadItem(const Item& item, std::map<std::string, std::size_t>* newest) {
    const Json& ci = *item.value;
    if (!ci.is_object()) {
      AddDiagnostic(
          &result_.diagnostics, kError, PointerLocation(file_, item.pointer),
          absl::StrCat("expected a configuration item object, got ", ci.type_name(), "; skipped"));
      return;
    }
    const std::string type = StringField(ci, "resourceType");
    const PrincipalKind* kind = KindFor(type);
    if (kind == nullptr && type != model::kIamManagedPolicy) {
      if (type.empty()) {
        AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, item.pointer),
                      "configuration item without a \"resourceType\" string; skipped");
      } else {
        other_types_.insert(type);
      }
      return;
    }
    ++iam_items_;
    const std::string status = StringField(ci, "configurationItemStatus");
    if (status == "ResourceDeleted" || status == "ResourceDeletedNotRecorded" ||
        status == "ResourceNotRecorded") {
      // No configuration: the resource is gone, or Config no longer records it. It still takes
      // its place in the resource's history, so that an older recorded item is not evaluated
      // as if it were current (a deleted role would FAIL with its last policy).
      ReadGoneItem(item, ci, type, status, newest);
      return;
    }

    const Json* configuration = ConfigurationOf(ci, item.pointer);
    if (configuration == nullptr) return;
    std::string arn = FirstStringField(ci, {"ARN", "arn"});
    if (arn.empty()) arn = StringField(*configuration, "arn");
    if (arn.empty()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, item.pointer),
                    "configuration item without an \"ARN\" (or \"arn\") string; skipped");
      return;
    }

    model::Resource resource;
    resource.id = arn;
    resource.type = type;
    internal::Arn parsed;
    if (internal::ParseArn(arn, &parsed)) {
      resource.partition = parsed.partition;
      resource.account = parsed.account;
    } else {
      AddDiagnostic(&result_.diagnostics, kWarning,
                    PointerLocation(file_, item.pointer + "/ARN", arn),
                    absl::StrCat("\"", arn, "\" is not an ARN; partition and account unknown"));
    }
    if (resource.account.empty()) {
      resource.account = FirstStringField(ci, {"awsAccountId", "accountId"});
    }
    // AWS managed policies ("arn:aws:iam::aws:policy/...") belong to no account.
    if (resource.account == "aws") resource.account.clear();
    resource.source = PointerLocation(file_, item.pointer, arn);
    const std::string pointer = item.pointer + "/configuration";
    if (kind != nullptr) {
      resource.document = NormalizePrincipal(*kind, ci, *configuration, arn, pointer);
    } else {
      resource.document = NormalizeManagedPolicy(*configuration, arn, pointer);
    }
    resource.name = resource.document.value("name", "");

    // History and repeated snapshots: keep the newest item of each resource.
    Json capture_time = ci.value("configurationItemCaptureTime", Json());
    if (const std::string id_key = ResourceIdKey(ci); !id_key.empty()) {
      resource_ids_.emplace(id_key, arn);
      // A deletion item without an ARN, read earlier, is this resource's: keyed by ARN from now.
      if (const auto gone = gone_without_arn_.find(id_key); gone != gone_without_arn_.end()) {
        if (const auto at = newest->find(gone->second); at != newest->end()) {
          resources_[at->second].resource.id = arn;
          resources_[at->second].resource.source.resource_id = arn;
          if (!newest->contains(arn)) newest->emplace(arn, at->second);
          newest->erase(at);
        }
        gone_without_arn_.erase(gone);
      }
    }
    if (auto it = newest->find(arn); it != newest->end()) {
      ++duplicates_[arn];
      Entry& kept = resources_[it->second];
      const std::optional<absl::Time> mine = CaptureTime(capture_time);
      const std::optional<absl::Time> theirs = CaptureTime(kept.capture_time);
      if (mine && theirs && *mine != *theirs) {
        if (*mine > *theirs) {
          kept.resource = std::move(resource);
          kept.capture_time = std::move(capture_time);
          kept.gone.clear();  // recorded again after a deletion: the same ARN, re-created
        }
        return;
      }
      if (!kept.gone.empty()) {
        // A deletion and a configuration that cannot be ordered: the configuration is
        // evaluated (a finding that may be stale, rather than none that may be wrong), and the
        // choice is said.
        AddDiagnostic(
            &result_.diagnostics, kError, PointerLocation(file_, item.pointer, arn),
            absl::StrCat("this resource has a ", kept.gone,
                         " item and a configuration item whose "
                         "configurationItemCaptureTime (",
                         core::DumpJson(capture_time), " here, ", core::DumpJson(kept.capture_time),
                         " there) does not say which is newer; the configuration "
                         "is evaluated"));
        kept.resource = std::move(resource);
        kept.capture_time = std::move(capture_time);
        kept.gone.clear();
        return;
      }
      // Which item is newest cannot be told (a time that does not parse, or the same instant):
      // the first is kept, and if the two differ that choice is not made silently.
      if (kept.resource.document != resource.document) {
        AddDiagnostic(
            &result_.diagnostics, kError, PointerLocation(file_, item.pointer, arn),
            absl::StrCat("configuration items of this resource differ, and their "
                         "configurationItemCaptureTime (",
                         core::DumpJson(capture_time), " here, ", core::DumpJson(kept.capture_time),
                         " before) does not say which is newer; the first is "
                         "evaluated"));
      }
      return;
    }
    newest->emplace(arn, resources_.size());
    resources_.push_back({std::move(resource), std::move(capture_time), "", ""});
  }

  // "resourceType resourceId": how a deletion item without an ARN finds its resource.
  static std::string ResourceIdKey(const Json& ci) {
    const std::string id = StringField(ci, "resourceId");
    return id.empty() ? std::string() : absl::StrCat(StringField(ci, "resourceType"), " ", id);
  }

  // An item saying the resource is gone (or no longer recorded): the resource's newest state
  // when nothing newer is recorded. Deletion items usually keep the ARN; without one, the
  // resource id finds the resource's other items.
  void ReadGoneItem(const Item& item, const Json& ci, const std::string& type,
                    const std::string& status, std::map<std::string, std::size_t>* newest) {
    std::string arn = FirstStringField(ci, {"ARN", "arn"});
    if (arn.empty()) {
      if (const auto it = resource_ids_.find(ResourceIdKey(ci));
          !ResourceIdKey(ci).empty() && it != resource_ids_.end()) {
        arn = it->second;
      }
    }
    if (arn.empty()) {
      const std::string id = StringField(ci, "resourceId");
      if (id.empty()) return;             // nothing to match it with, and nothing to evaluate
      arn = absl::StrCat(type, " ", id);  // a key only: a later item may bring the ARN
      gone_without_arn_.emplace(ResourceIdKey(ci), arn);
    }
    Json capture_time = ci.value("configurationItemCaptureTime", Json());
    const auto it = newest->find(arn);
    if (it == newest->end()) {
      Entry entry;
      entry.resource.id = arn;
      entry.resource.type = type;
      entry.resource.name = StringField(ci, "resourceName");
      entry.resource.source = PointerLocation(file_, item.pointer, arn);
      entry.capture_time = std::move(capture_time);
      entry.gone = status;
      entry.gone_pointer = item.pointer;
      newest->emplace(arn, resources_.size());
      resources_.push_back(std::move(entry));
      return;
    }
    ++duplicates_[arn];
    Entry& kept = resources_[it->second];
    const std::optional<absl::Time> mine = CaptureTime(capture_time);
    const std::optional<absl::Time> theirs = CaptureTime(kept.capture_time);
    if (mine && theirs && *mine != *theirs) {
      if (*mine > *theirs) {
        kept.capture_time = std::move(capture_time);
        kept.gone = status;
        kept.gone_pointer = item.pointer;
      }
      return;
    }
    if (kept.gone.empty()) {
      AddDiagnostic(
          &result_.diagnostics, kError, PointerLocation(file_, item.pointer, arn),
          absl::StrCat("this resource has a ", status,
                       " item and a configuration item whose "
                       "configurationItemCaptureTime (",
                       core::DumpJson(capture_time), " here, ", core::DumpJson(kept.capture_time),
                       " there) does not say which is newer; the configuration is "
                       "evaluated"));
    }
  }

  // A resource whose newest item says it is gone has no finding: said once per resource (up to
  // kMaxGoneReports, then a count), so that its absence from the findings is not silent.
  void ReportGone() {
    int reported = 0;
    int more = 0;
    for (const Entry& entry : resources_) {
      if (entry.gone.empty()) continue;
      if (reported == kMaxGoneReports) {
        ++more;
        continue;
      }
      ++reported;
      const std::string& status = entry.gone;
      const std::string when =
          entry.capture_time.is_null()
              ? std::string()
              : absl::StrCat(" (",
                             entry.capture_time.is_string() ? entry.capture_time.get<std::string>()
                                                            : core::DumpJson(entry.capture_time),
                             ")");
      AddDiagnostic(
          &result_.diagnostics, kWarning,
          PointerLocation(file_, entry.gone_pointer, entry.resource.id),
          absl::StrCat(entry.resource.type, " ",
                       entry.resource.name.empty() ? entry.resource.id : entry.resource.name,
                       ": its newest configuration item", when, " is ", status,
                       status == "ResourceNotRecorded"
                           ? ": AWS Config no longer records it, so its current configuration is "
                             "unknown"
                           : ": the resource no longer exists",
                       "; it has no finding (an older recorded configuration is not evaluated)"));
    }
    if (more > 0) {
      AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, ""),
                    absl::StrCat(more,
                                 " more resources are deleted or no longer recorded in "
                                 "their newest configuration item; they have no finding"));
    }
  }

  // Capture times are RFC 3339 text (CLI, files: "2024-01-01T00:00:00.000Z") or epoch seconds
  // (raw API). Compared as instants, not as text ("...00Z" and "...00.000Z" are the same one).
  static std::optional<absl::Time> CaptureTime(const Json& value) {
    if (value.is_number()) {
      const double seconds = value.get<double>();
      if (!std::isfinite(seconds)) return std::nullopt;
      return absl::UnixEpoch() + absl::Seconds(seconds);  // saturates; a cast could overflow
    }
    if (!value.is_string()) return std::nullopt;
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &time, &error)) {
      return std::nullopt;
    }
    return time;
  }

  // The item's `configuration` as an object: given as one, or parsed from JSON text.
  const Json* ConfigurationOf(const Json& ci, const std::string& item_pointer) {
    const std::string pointer = item_pointer + "/configuration";
    const auto it = ci.find("configuration");
    if (it == ci.end() || it->is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, item_pointer),
                    "configuration item without \"configuration\"; skipped");
      return nullptr;
    }
    const Json* configuration = &*it;
    if (it->is_string()) {
      Json& parsed = owned_.emplace_back();
      if (!internal::ParseJsonText(it->get_ref<const std::string&>(),
                                   internal::JsonOrigin{file_, pointer}, &parsed,
                                   &result_.diagnostics, &lossy_)) {
        return nullptr;
      }
      configuration = &parsed;
    }
    if (!configuration->is_object()) {
      AddDiagnostic(
          &result_.diagnostics, kError, PointerLocation(file_, pointer),
          absl::StrCat("expected an object, got ", configuration->type_name(), "; item skipped"));
      return nullptr;
    }
    return configuration;
  }

  Json NormalizePrincipal(const PrincipalKind& kind, const Json& ci, const Json& c,
                          const std::string& arn, const std::string& pointer) {
    std::string name = StringField(c, kind.name_key);
    if (name.empty()) name = StringField(ci, "resourceName");
    if (name.empty()) name = arn.substr(arn.rfind('/') + 1);
    Json doc = internal::EmptyPrincipalDocument(kind.type, name, arn, StringField(c, "path"));

    if (auto list = c.find(kind.policy_list); list != c.end() && !list->is_null()) {
      const std::string list_pointer = absl::StrCat(pointer, "/", kind.policy_list);
      if (!list->is_array()) {
        doc["inline_policies"] = *list;  // the engine reports the wrong shape as an ERROR
      } else {
        for (std::size_t i = 0; i < list->size(); ++i) {
          AddInlinePolicy((*list)[i], absl::StrCat(list_pointer, "/", i), arn,
                          &doc["inline_policies"]);
        }
      }
    }
    if (auto list = c.find("attachedManagedPolicies"); list != c.end() && list->is_array()) {
      for (const Json& policy : *list) {
        if (!policy.is_object()) continue;
        doc["attached_managed_policies"].push_back({{"name", StringField(policy, "policyName")},
                                                    {"arn", StringField(policy, "policyArn")}});
      }
    }
    if (kind.type == model::kIamUser) {
      if (auto list = c.find("groupList"); list != c.end() && list->is_array()) {
        for (const Json& group : *list) {
          if (group.is_string()) doc["group_memberships"].push_back(group);
        }
      }
    } else if (kind.type == model::kIamRole) {
      if (auto trust = c.find("assumeRolePolicyDocument"); trust != c.end()) {
        doc["trust_policy"] = *trust;
      }
    }
    return doc;
  }

  // {"policyName", "policyDocument"} -> {"name", "document"}. A policyDocument that is a list is
  // not what Config records (it records URL-encoded text), but hand-made items (the AWS RDK
  // examples) have one: each element is then taken as one complete policy document, judged on
  // its own as separate inline policies are; a single element keeps the policy's name.
  void AddInlinePolicy(const Json& policy, const std::string& pointer, const std::string& arn,
                       Json* out) {
    if (!policy.is_object()) {
      out->push_back(policy);  // the engine reports it as an ERROR for this principal
      return;
    }
    const std::string name = StringField(policy, "policyName");
    const auto doc = policy.find("policyDocument");
    if (doc == policy.end() || !doc->is_array()) {
      Json entry = {{"name", name}};
      if (doc != policy.end()) entry["document"] = *doc;
      out->push_back(std::move(entry));
      return;
    }
    if (doc->empty()) {
      AddDiagnostic(&result_.diagnostics, kWarning,
                    PointerLocation(file_, pointer + "/policyDocument", arn),
                    absl::StrCat("policyDocument of \"", name,
                                 "\" is an empty list: no document to evaluate (ERROR)"));
      out->push_back({{"name", name}, {"document", *doc}});
      return;
    }
    AddDiagnostic(&result_.diagnostics, kWarning,
                  PointerLocation(file_, pointer + "/policyDocument", arn),
                  absl::StrCat("policyDocument of \"", name, "\" is a list of ", doc->size(),
                               doc->size() == 1 ? " document" : " documents",
                               ", not the URL-encoded text AWS Config records; each element is "
                               "evaluated as a policy document of its own"));
    for (std::size_t i = 0; i < doc->size(); ++i) {
      out->push_back({{"name", doc->size() == 1 ? name : absl::StrCat(name, "[", i, "]")},
                      {"document", (*doc)[i]}});
    }
  }

  // The shape the GAAD adapter gives a `Policies` entry (sdk/model/resource.h).
  Json NormalizeManagedPolicy(const Json& c, const std::string& arn, const std::string& pointer) {
    internal::Arn parsed;
    const bool aws_managed =
        internal::ParseArn(arn, &parsed) &&
        arn.rfind(absl::StrCat("arn:", parsed.partition, ":iam::aws:policy/"), 0) == 0;
    std::string name = StringField(c, "policyName");
    if (name.empty()) name = arn.substr(arn.rfind('/') + 1);
    const std::string default_version = StringField(c, "defaultVersionId");
    Json doc = {{"name", name},
                {"arn", arn},
                {"path", StringField(c, "path")},
                {"aws_managed", aws_managed}};
    const auto count = [&c](std::string_view key) -> std::int64_t {
      const auto it = c.find(key);
      return it != c.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    doc["attachment_count"] = count("attachmentCount");
    doc["permissions_boundary_usage_count"] = count("permissionsBoundaryUsageCount");
    // The default version: flagged isDefaultVersion, else the one defaultVersionId names.
    const Json* chosen = nullptr;
    const auto versions = c.find("policyVersionList");
    if (versions != c.end() && versions->is_array()) {
      for (const Json& version : *versions) {
        if (version.is_object() && version.value("isDefaultVersion", false) == true) {
          chosen = &version;
          break;
        }
      }
      for (const Json& version : *versions) {
        if (chosen != nullptr || default_version.empty()) break;
        if (version.is_object() && StringField(version, "versionId") == default_version) {
          chosen = &version;
        }
      }
    }
    doc["default_version_id"] = chosen ? StringField(*chosen, "versionId") : default_version;
    if (chosen != nullptr && chosen->contains("document") && !(*chosen)["document"].is_null()) {
      doc["document"] = (*chosen)["document"];
    } else {
      const std::string problem =
          versions == c.end() || !versions->is_array()
              ? std::string(
                    "has no \"policyVersionList\" list: the default version's document "
                    "is not in the item")
              : "no entry of \"policyVersionList\" is the default version with a document";
      doc["document_problem"] = problem;
      // Still emitted: the rule reports an ERROR for it rather than nothing.
      AddDiagnostic(&result_.diagnostics, kError,
                    PointerLocation(file_, pointer + "/policyVersionList", arn),
                    absl::StrCat("managed policy ", name, " ", problem));
    }
    return doc;
  }

  // As the GAAD adapter: group members are known when users were read.
  void FillGroupMembers() {
    std::map<std::string, std::vector<std::string>> members;
    bool users_read = false;
    for (const Entry& entry : resources_) {
      if (entry.resource.type != model::kIamUser || !entry.gone.empty()) continue;
      users_read = true;
      for (const Json& group : entry.resource.document["group_memberships"]) {
        members[group.get<std::string>()].push_back(entry.resource.name);
      }
    }
    if (!users_read) return;
    for (Entry& entry : resources_) {
      if (entry.resource.type != model::kIamGroup) continue;
      const auto it = members.find(entry.resource.name);
      entry.resource.document["members"] = it == members.end() ? Json::array() : Json(it->second);
    }
  }

  std::string_view file_;
  AdapterResult result_;
  std::vector<Item> items_;
  std::deque<Json> owned_;  // documents parsed from JSON text; items point into them
  std::vector<Entry> resources_;
  std::map<std::string, int> duplicates_;
  std::map<std::string, std::string> resource_ids_;      // "type id" -> ARN, of recorded items
  std::map<std::string, std::string> gone_without_arn_;  // "type id" -> key, of deletion items
  std::set<std::string> other_types_;
  int iam_items_ = 0;
  bool lossy_ = false;
};

}  // namespace

AdapterResult ReadConfigItemsJson(const nlohmann::json& root, std::string_view source_name) {
  return ConfigReader(source_name).Read(root);
}

AdapterResult ReadConfigItems(std::string_view json_text, std::string_view source_name) {
  return internal::ReadJsonText<AdapterResult>(json_text, source_name, ReadConfigItemsJson);
}

}  // namespace kmsguard::adapters
