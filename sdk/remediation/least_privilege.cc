#include "sdk/remediation/least_privilege.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/core/text.h"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/arn_pattern.h"
#include "sdk/iam/key_space.h"
#include "sdk/iam/policy_document.h"
#include "sdk/remediation/kms_actions.h"
#include "sdk/remediation/policy_text.h"

namespace kmsguard::remediation {

namespace {

using internal::PolicyMember;
using internal::PolicyValue;

// Policy elements in the order people write them; anything else follows in its own order.
constexpr std::string_view kStatementOrder[] = {"Sid",       "Effect",   "Principal",
                                                "NotPrincipal", "Action", "NotAction",
                                                "Resource",  "NotResource", "Condition"};
constexpr std::string_view kDocumentOrder[] = {"Version", "Id", "Statement"};

// `members` with the keys of `order` first, in that order, then the others as they were.
template <std::size_t N>
std::vector<PolicyMember> Reordered(std::vector<PolicyMember> members,
                                    const std::string_view (&order)[N]) {
  std::vector<PolicyMember> out;
  out.reserve(members.size());
  std::vector<bool> taken(members.size(), false);
  for (std::string_view key : order) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (!taken[i] && members[i].key == key) {
        out.push_back(std::move(members[i]));
        taken[i] = true;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!taken[i]) out.push_back(std::move(members[i]));
  }
  return out;
}

// Replaces the value of `key`, or appends the member when there is none.
void SetMember(std::vector<PolicyMember>* members, std::string_view key, PolicyValue value) {
  for (PolicyMember& member : *members) {
    if (member.key == key) {
      member.value = std::move(value);
      return;
    }
  }
  members->push_back({key, std::move(value)});
}

void EraseMember(std::vector<PolicyMember>* members, std::string_view key) {
  members->erase(std::remove_if(members->begin(), members->end(),
                                [&](const PolicyMember& m) { return m.key == key; }),
                 members->end());
}

const PolicyMember* FindMember(const std::vector<PolicyMember>& members, std::string_view key) {
  for (const PolicyMember& member : members) {
    if (member.key == key) return &member;
  }
  return nullptr;
}

// The document as written: the object itself (its keys written sorted, as nlohmann kept the
// object form), or the object that JSON or URL-encoded text holds (its keys as written; `tree`
// keeps it alive).
struct RawDocument {
  std::shared_ptr<const core::JsonTree> tree;
  simdjson::dom::element object;
  bool sorted_keys = false;
};

absl::StatusOr<RawDocument> ReadRawDocument(simdjson::dom::element value) {
  if (value.is_object()) return RawDocument{nullptr, value, true};
  if (!value.is_string()) return absl::InvalidArgumentError("not a policy document");
  std::string decoded;
  absl::StatusOr<std::string_view> json_text = iam::PolicyJsonText(core::StringOf(value), &decoded);
  if (!json_text.ok()) return json_text.status();
  core::JsonTreeResult parsed = core::ParseJsonTree(*json_text);
  if (parsed.tree == nullptr || !parsed.tree->root().is_object()) {
    return absl::InvalidArgumentError("the policy document is not a JSON object");
  }
  RawDocument raw{std::move(parsed.tree), {}, false};
  raw.object = raw.tree->root();
  return raw;
}

void AddUnique(std::vector<std::string>* list, std::string_view value) {
  for (const std::string& item : *list) {
    if (absl::EqualsIgnoreCase(item, absl::string_view(value.data(), value.size()))) return;  // action names are case-insensitive
  }
  list->emplace_back(value);
}

// A list without repeats (action names compare case-insensitively), linear in the number added:
// a statement may list a hundred thousand actions.
class UniqueList {
 public:
  void Add(std::string_view value) {
    if (seen_.insert(absl::AsciiStrToLower(absl::string_view(value.data(), value.size()))).second) {
      items_.emplace_back(value);
    }
  }
  const std::vector<std::string>& items() const { return items_; }
  std::vector<std::string> Take() { return std::move(items_); }

 private:
  std::vector<std::string> items_;
  absl::flat_hash_set<std::string> seen_;
};

bool HasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

// "*", "**", "*:*": patterns that match every action, whose rest only NotAction can express.
bool MatchesEveryAction(std::string_view pattern) {
  const std::size_t colon = pattern.find(':');
  const auto stars = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of('*') == std::string_view::npos;
  };
  if (colon == std::string_view::npos) return stars(pattern);
  return stars(pattern.substr(0, colon)) && stars(pattern.substr(colon + 1));
}

bool IsKmsPattern(std::string_view pattern) {
  return pattern.size() > 4 && absl::AsciiStrToLower(std::string(pattern.substr(0, 4))) == "kms:";
}

std::string Quoted(const std::vector<std::string>& items) {
  return absl::StrCat("\"", absl::StrJoin(items, "\", \""), "\"");
}

// "statement 2 (Sid \"Broad\")" — the 0-based position, as evidence reports it.
std::string StatementLabel(const iam::Statement& statement, int index) {
  std::string label = absl::StrCat("statement ", index);
  if (!statement.sid.empty()) absl::StrAppend(&label, " (Sid \"", statement.sid, "\")");
  return label;
}

// IAM accepts only ASCII letters and digits in a Sid, unique within the policy.
std::string UniqueSid(const iam::Statement& statement, std::set<std::string>* sids) {
  std::string base;
  for (char c : statement.sid) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) base += c;
  }
  base = base.empty() ? "KmsScopedToKeys" : base + "ScopedToKeys";
  std::string sid = base;
  for (int n = 2; sids->count(sid) > 0; ++n) sid = absl::StrCat(base, n);
  sids->insert(sid);
  return sid;
}

bool IsKeyArn(const iam::KeyLanguage& keys, std::string_view text) {
  int state = keys.start();
  for (char c : text) {
    state = keys.Next(state, c);
    if (state < 0) return false;
  }
  return keys.Accepting(state);
}

struct Rewrite {
  const iam::GrantQuery* query;
  const std::vector<std::string>* keys;
  std::set<std::string> sids;
  PolicyReplacement* out;
};

// One statement of the rewritten document as it will be written.
struct WrittenStatement {
  PolicyValue text;
  int origin;  // its index in the original document, for the change lines; -1 for a new one
};

// A statement a split makes: as written, and as the engine reads it. The two are made together
// (the parsed form is what ParsePolicyDocument gives for the text), so a round of the rewrite
// re-decides the document without writing or re-reading any text.
struct StatementPart {
  WrittenStatement written;
  iam::Statement parsed;
};

// Splits one granting statement (`statement`, written as `text`): `granted` are the query actions
// it grants on the scope. The first part is the statement narrowed, when it keeps any action; the
// last is the new statement scoped to the keys.
std::vector<StatementPart> SplitStatement(const PolicyValue& text, const iam::Statement& statement,
                                          int index, const std::vector<std::string>& granted,
                                          Rewrite* rw) {
  const std::vector<std::string>& blocked = rw->query->actions;
  const std::string label = StatementLabel(statement, index);
  std::vector<PolicyMember> kept = text.Members();
  iam::Statement kept_parsed = statement;
  bool keep = true;
  std::string kept_change;
  if (statement.not_action) {
    std::vector<std::string> patterns = statement.actions;
    std::vector<std::string> added;
    for (const std::string& action : blocked) {
      const bool excluded = std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) {
        return iam::ActionGlobMatches(p, action);
      });
      if (!excluded) added.push_back(action);
    }
    for (const std::string& action : added) patterns.push_back(action);
    kept_parsed.actions = patterns;
    SetMember(&kept, "NotAction", PolicyValue::Strings(std::move(patterns)));
    kept_change = absl::StrCat("its NotAction now also lists ", absl::StrJoin(added, ", "),
                               ", so every other action stays allowed as before");
  } else {
    UniqueList kept_actions;
    bool every_action = false;
    for (const std::string& pattern : statement.actions) {
      const bool covers_blocked = std::any_of(blocked.begin(), blocked.end(), [&](const auto& a) {
        return iam::ActionGlobMatches(pattern, a);
      });
      if (!covers_blocked) {
        kept_actions.Add(pattern);
        continue;
      }
      if (!HasWildcard(pattern)) continue;  // it names a blocked action
      if (MatchesEveryAction(pattern)) {
        every_action = true;
        continue;
      }
      int expanded = 0;
      for (std::string_view action : KmsActionNames()) {
        if (!iam::ActionGlobMatches(pattern, action)) continue;
        const bool is_blocked = std::any_of(blocked.begin(), blocked.end(), [&](const auto& a) {
          return absl::EqualsIgnoreCase(a, absl::string_view(action.data(), action.size()));
        });
        if (is_blocked) continue;
        kept_actions.Add(action);
        ++expanded;
      }
      std::string note =
          expanded == 0
              ? absl::StrCat("In ", label, ", \"", pattern,
                             "\" was removed: it covers no KMS action other than blocked ones")
              : absl::StrCat("In ", label, ", \"", pattern, "\" was replaced by the ", expanded,
                             " other KMS actions it covers (the list of KMS actions kmsguard "
                             "knows); KMS actions AWS adds later are not included");
      absl::StrAppend(&note, IsKmsPattern(pattern)
                                 ? "."
                                 : absl::StrCat("; the actions of other services that \"", pattern,
                                                "\" may also match are not kept: add back any "
                                                "you need."));
      rw->out->notes.push_back(std::move(note));
    }
    std::vector<std::string> actions = kept_actions.Take();
    if (every_action) {
      // Every action but the blocked ones: exactly what NotAction says.
      EraseMember(&kept, "Action");
      SetMember(&kept, "NotAction", PolicyValue::Strings(blocked));
      kept_parsed.not_action = true;
      kept_parsed.actions = blocked;
      kept_change = absl::StrCat("\"*\" became NotAction ", Quoted(blocked),
                                 ", so every other action stays allowed as before");
    } else if (actions.empty()) {
      keep = false;
    } else {
      kept_change = actions.size() <= 6
                        ? absl::StrCat("its other actions (", absl::StrJoin(actions, ", "),
                                       ") keep their Resource")
                        : absl::StrCat("its ", actions.size(), " other actions keep their Resource");
      kept_parsed.actions = actions;
      SetMember(&kept, "Action", PolicyValue::Strings(std::move(actions)));
    }
  }

  for (const std::string& action : granted) AddUnique(&rw->out->actions, action);
  const PolicyMember* condition = FindMember(kept, "Condition");
  iam::Statement scoped_parsed;
  scoped_parsed.sid = UniqueSid(statement, &rw->sids);
  scoped_parsed.effect = iam::Effect::kAllow;
  scoped_parsed.actions = granted;
  scoped_parsed.has_resource_element = true;
  scoped_parsed.resources = *rw->keys;
  scoped_parsed.conditions = statement.conditions;
  std::vector<PolicyMember> scoped;
  scoped.push_back({"Sid", PolicyValue::String(scoped_parsed.sid)});
  scoped.push_back({"Effect", PolicyValue::String("Allow")});
  scoped.push_back({"Action", PolicyValue::Strings(granted)});
  scoped.push_back({"Resource", PolicyValue::Strings(*rw->keys)});
  if (condition != nullptr) scoped.push_back({"Condition", condition->value});

  std::string change = absl::StrCat(label, " allowed ", absl::StrJoin(granted, ", "),
                                     " on every key: now allowed only on ",
                                     absl::StrJoin(*rw->keys, ", "), " (new statement \"",
                                     scoped_parsed.sid, "\")");
  absl::StrAppend(&change, keep ? "; " + kept_change : "; it had no other action, so it is gone",
                  condition != nullptr ? "; its Condition is kept" : "", ".");
  rw->out->changes.push_back(std::move(change));

  std::vector<StatementPart> result;
  if (keep) {
    result.push_back({{PolicyValue::Object(Reordered(std::move(kept), kStatementOrder)), index},
                      std::move(kept_parsed)});
  }
  result.push_back({{PolicyValue::Object(std::move(scoped)), -1}, std::move(scoped_parsed)});
  return result;
}

}  // namespace

std::string KeyPlaceholder(std::string_view partition) {
  return absl::StrCat("arn:", partition.empty() ? "aws" : std::string(partition),
                      ":kms:REGION:ACCOUNT:key/KEY_ID");
}

std::vector<std::string> NamedKeyArns(const nlohmann::json& document, std::string_view partition) {
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyDocument(document);
  if (!parsed.ok()) return {};
  return NamedKeyArns(*parsed, partition);
}

std::vector<std::string> NamedKeyArns(const iam::PolicyDocument& document,
                                      std::string_view partition) {
  std::vector<std::string> out;
  if (document.is_resource_policy) return out;
  // Building the language is not free and failing principals of one scan share a partition.
  thread_local std::map<std::string, iam::KeyLanguage> languages;
  const std::string name(partition.empty() ? "aws" : partition);
  auto it = languages.find(name);
  if (it == languages.end()) {
    if (languages.size() >= 16) languages.clear();  // partitions come from input ARNs
    it = languages.emplace(name, iam::KeyLanguage::Build(name)).first;
  }
  const iam::KeyLanguage& keys = it->second;
  absl::flat_hash_set<std::string_view> seen;  // a policy may name thousands of keys
  for (const iam::Statement& st : document.statements) {
    // A NotResource list names keys the statement leaves out, not keys the principal uses.
    if (st.effect != iam::Effect::kAllow || st.not_resource) continue;
    for (const std::string& resource : st.resources) {
      if (HasWildcard(resource) || absl::StrContains(resource, "${")) continue;
      if (IsKeyArn(keys, resource) && seen.insert(resource).second) out.push_back(resource);
    }
  }
  return out;
}

namespace {

// ReplaceBroadGrant, given the document parsed (`parsed`, whose verdict under `query` is
// `verdict` and grants) and as written (`raw`). Each round re-decides the parsed statements; the
// text is written once, at the end: linear in the size of the document.
absl::StatusOr<PolicyReplacement> RewriteDocument(const iam::PolicyDocument& parsed,
                                                  const iam::GrantVerdict& verdict,
                                                  const RawDocument& raw,
                                                  const iam::GrantQuery& query,
                                                  const std::vector<std::string>& known_keys) {
  PolicyReplacement out;
  out.key_arns = NamedKeyArns(parsed, query.partition);
  {
    absl::flat_hash_set<std::string> seen(out.key_arns.begin(), out.key_arns.end());
    for (const std::string& key : known_keys) {
      if (seen.insert(key).second) out.key_arns.push_back(key);
    }
  }
  if (out.key_arns.empty()) {
    out.key_arns.push_back(KeyPlaceholder(query.partition));
    out.uses_placeholder = true;
  }

  std::vector<simdjson::dom::element> written;
  if (simdjson::dom::element list; raw.object["Statement"].get(list) == simdjson::SUCCESS) {
    if (list.is_array()) {
      for (simdjson::dom::element item : core::AsArray(list)) written.push_back(item);
    } else {
      written.push_back(list);
    }
  }
  if (written.size() != parsed.statements.size()) {
    return absl::InternalError("the document's statements could not be matched to their text");
  }
  // The current statements as written (`statements`) and parsed (`current`), position for
  // position. A statement the rewrite does not touch stays the original's element.
  std::vector<WrittenStatement> statements;
  statements.reserve(written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    statements.push_back({PolicyValue::Element(written[i], raw.sorted_keys), static_cast<int>(i)});
  }
  iam::PolicyDocument current = parsed;
  Rewrite rw{&query, &out.key_arns, {}, &out};
  for (const iam::Statement& st : parsed.statements) rw.sids.insert(st.sid);

  // Each round rewrites the statements the verdict names; a union of statements that reaches
  // every key only together, or a second statement the first one shadowed in the verdict, is
  // found in the next round. A scoped statement names concrete keys and can never reach every
  // key, so each round leaves fewer granting statements and the loop ends. The first round's
  // verdict is the one the engine already has.
  std::optional<iam::GrantVerdict> later;
  for (std::size_t round = 0;; ++round) {
    if (round > 0) later = iam::AnalyzeGrant(current, query);
    const iam::GrantVerdict& now = round == 0 ? verdict : *later;
    if (!now.granted) break;
    std::map<int, std::vector<std::string>> granted_by;
    for (const iam::ActionVerdict& action : now.actions) {
      if (!action.granted) continue;
      for (const iam::StatementRole& role : action.grants) {
        // A statement that names only concrete ARNs takes part in the reach (its keys are among
        // the keys reached) but never makes it "every key": no finite list of keys covers them
        // all. It already is least privilege; rewriting it would only add a copy scoped to every
        // named key, for each such statement (quadratic in a policy of thousands of them).
        if (!role.not_resource() && std::none_of(role.resource_patterns().begin(),
                                                 role.resource_patterns().end(), [](const auto& r) {
                                                   return HasWildcard(r) ||
                                                          r.find("${") != std::string::npos;
                                                 })) {
          continue;
        }
        AddUnique(&granted_by[role.statement_index], action.action);
      }
    }
    if (granted_by.empty() || round > statements.size()) {
      return absl::InternalError("the rewritten policy still grants the actions on every key");
    }
    std::vector<WrittenStatement> next;
    iam::PolicyDocument next_document;
    next_document.version = current.version;
    for (std::size_t i = 0; i < statements.size(); ++i) {
      const auto it = granted_by.find(static_cast<int>(i));
      if (it == granted_by.end()) {
        next.push_back(std::move(statements[i]));
        next_document.statements.push_back(std::move(current.statements[i]));
        continue;
      }
      for (StatementPart& part : SplitStatement(statements[i].text, current.statements[i],
                                                statements[i].origin, it->second, &rw)) {
        next_document.statements.push_back(std::move(part.parsed));
        next.push_back(std::move(part.written));
      }
    }
    // Positions are the statements' indexes in the rewritten document.
    for (std::size_t i = 0; i < next_document.statements.size(); ++i) {
      next_document.statements[i].index = static_cast<int>(i);
    }
    statements = std::move(next);
    current = std::move(next_document);
  }

  // The document: Version, Id and Statement first, then any other member as it was.
  std::vector<PolicyMember> members;
  for (const auto& [key, value] : internal::ObjectMembers(raw.object, raw.sorted_keys)) {
    if (key != "Statement") members.push_back({key, PolicyValue::Element(value, raw.sorted_keys)});
  }
  std::vector<PolicyValue> list;
  list.reserve(statements.size());
  for (WrittenStatement& st : statements) list.push_back(std::move(st.text));
  members.push_back({"Statement", PolicyValue::Array(std::move(list))});
  const PolicyValue document = PolicyValue::Object(Reordered(std::move(members), kDocumentOrder));
  internal::AppendJson(document, &out.document_json);
  internal::AppendHcl(document, 2, &out.document_hcl);
  out.document_shell = core::ShellQuote(out.document_json);
  return out;
}

// The shared start of both ReplaceBroadGrant forms.
absl::Status CheckFixable(const iam::PolicyDocument& document, const iam::GrantVerdict& verdict) {
  if (document.is_resource_policy) {
    return absl::InvalidArgumentError("a resource-based policy (it names a Principal)");
  }
  if (!verdict.granted) {
    return absl::FailedPreconditionError("the policy does not grant the actions: nothing to fix");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const nlohmann::json& document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys) {
  // The same path as a document the engine read: its text through simdjson.
  const core::JsonTreeResult tree = core::ParseJsonTree(core::DumpJson(document));
  if (tree.tree == nullptr) return absl::InvalidArgumentError("not a policy document");
  const simdjson::dom::element element = tree.tree->root();
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyDocument(element);
  if (!parsed.ok()) return parsed.status();
  const iam::GrantVerdict verdict = iam::AnalyzeGrant(*parsed, query);
  if (absl::Status fixable = CheckFixable(*parsed, verdict); !fixable.ok()) return fixable;
  absl::StatusOr<RawDocument> raw = ReadRawDocument(element);
  if (!raw.ok()) return raw.status();
  return RewriteDocument(*parsed, verdict, *raw, query, known_keys);
}

absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const iam::AnalyzedPolicy& policy,
                                                    simdjson::dom::element document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys) {
  if (!policy.document().ok()) return policy.document().status();
  const iam::GrantVerdict& verdict = policy.Verdict(query);
  if (absl::Status fixable = CheckFixable(*policy.document(), verdict); !fixable.ok()) {
    return fixable;
  }
  absl::StatusOr<RawDocument> raw = ReadRawDocument(document);
  if (!raw.ok()) return raw.status();
  return RewriteDocument(*policy.document(), verdict, *raw, query, known_keys);
}

}  // namespace kmsguard::remediation
