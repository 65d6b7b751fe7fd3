#include "sdk/remediation/least_privilege.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/arn_pattern.h"
#include "sdk/iam/key_space.h"
#include "sdk/iam/policy_document.h"
#include "sdk/remediation/kms_actions.h"

namespace kmsguard::remediation {

namespace {

using OrderedJson = nlohmann::ordered_json;

// Policy elements in the order people write them; anything else follows in its own order.
constexpr std::string_view kStatementOrder[] = {"Sid",       "Effect",   "Principal",
                                                "NotPrincipal", "Action", "NotAction",
                                                "Resource",  "NotResource", "Condition"};
constexpr std::string_view kDocumentOrder[] = {"Version", "Id", "Statement"};

template <std::size_t N>
OrderedJson Reordered(const OrderedJson& object, const std::string_view (&order)[N]) {
  OrderedJson out = OrderedJson::object();
  for (std::string_view key : order) {
    if (auto it = object.find(std::string(key)); it != object.end()) out[std::string(key)] = *it;
  }
  for (const auto& [key, value] : object.items()) {
    if (!out.contains(key)) out[key] = value;
  }
  return out;
}

// The document as JSON with its keys in written order when it came as text.
absl::StatusOr<OrderedJson> RawDocument(const nlohmann::json& value) {
  if (value.is_object()) return OrderedJson::parse(value.dump());
  if (!value.is_string()) return absl::InvalidArgumentError("not a policy document");
  const std::string& text = value.get_ref<const std::string&>();
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  std::string json_text = text;
  // As ParsePolicyText: JSON text is taken as is, anything else is URL-encoded JSON.
  if (first == std::string::npos || text[first] != '{') {
    absl::StatusOr<std::string> decoded = iam::PercentDecode(text);
    if (!decoded.ok()) return decoded.status();
    json_text = *std::move(decoded);
  }
  OrderedJson parsed = OrderedJson::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError("the policy document is not a JSON object");
  }
  return parsed;
}

// An element as JSON with its object keys sorted at every level: what RawDocument gives for a
// document that arrived as an object (nlohmann keeps object keys sorted).
OrderedJson SortedJson(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      OrderedJson out = OrderedJson::array();
      for (simdjson::dom::element item : core::AsArray(element)) out.push_back(SortedJson(item));
      return out;
    }
    case simdjson::dom::element_type::OBJECT: {
      std::vector<std::pair<std::string_view, simdjson::dom::element>> members;
      for (simdjson::dom::key_value_pair member : core::AsObject(element)) {
        members.emplace_back(member.key, member.value);
      }
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      OrderedJson out = OrderedJson::object();
      for (const auto& [key, value] : members) out[std::string(key)] = SortedJson(value);
      return out;
    }
    case simdjson::dom::element_type::STRING:
      return std::string(core::StringOf(element));
    case simdjson::dom::element_type::INT64:
      return element.get_int64().value();
    case simdjson::dom::element_type::UINT64:
      return element.get_uint64().value();
    case simdjson::dom::element_type::DOUBLE:
      return element.get_double().value();
    case simdjson::dom::element_type::BOOL:
      return element.get_bool().value();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

// The document as given (RawDocument), from a simdjson element.
absl::StatusOr<OrderedJson> RawDocument(simdjson::dom::element value) {
  if (value.is_object()) return SortedJson(value);
  if (!value.is_string()) return absl::InvalidArgumentError("not a policy document");
  return RawDocument(nlohmann::json(std::string(core::StringOf(value))));
}

std::vector<std::string> AsList(const OrderedJson& element) {
  std::vector<std::string> out;
  if (element.is_string()) out.push_back(element.get<std::string>());
  if (element.is_array()) {
    for (const OrderedJson& item : element) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
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
std::string StatementLabel(const OrderedJson& statement, int index) {
  std::string label = absl::StrCat("statement ", index);
  if (auto sid = statement.find("Sid"); sid != statement.end() && sid->is_string() &&
                                        !sid->get<std::string>().empty()) {
    absl::StrAppend(&label, " (Sid \"", sid->get<std::string>(), "\")");
  }
  return label;
}

// IAM accepts only ASCII letters and digits in a Sid, unique within the policy.
std::string UniqueSid(const OrderedJson& statement, std::set<std::string>* sids) {
  std::string base;
  if (auto sid = statement.find("Sid"); sid != statement.end() && sid->is_string()) {
    for (char c : sid->get<std::string>()) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) base += c;
    }
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

// Splits one granting statement: `granted` are the query actions it grants on the scope.
std::vector<OrderedJson> SplitStatement(const OrderedJson& statement, int index,
                                        const std::vector<std::string>& granted, Rewrite* rw) {
  const std::vector<std::string>& blocked = rw->query->actions;
  const std::string label = StatementLabel(statement, index);
  OrderedJson kept = statement;
  bool keep = true;
  std::string kept_change;
  if (statement.contains("NotAction")) {
    std::vector<std::string> patterns = AsList(statement["NotAction"]);
    std::vector<std::string> added;
    for (const std::string& action : blocked) {
      const bool excluded = std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) {
        return iam::ActionGlobMatches(p, action);
      });
      if (!excluded) added.push_back(action);
    }
    for (const std::string& action : added) patterns.push_back(action);
    kept["NotAction"] = patterns;
    kept_change = absl::StrCat("its NotAction now also lists ", absl::StrJoin(added, ", "),
                               ", so every other action stays allowed as before");
  } else {
    UniqueList kept_actions;
    bool every_action = false;
    for (const std::string& pattern : AsList(statement.value("Action", OrderedJson()))) {
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
      kept.erase("Action");
      kept["NotAction"] = blocked;
      kept_change = absl::StrCat("\"*\" became NotAction ", Quoted(blocked),
                                 ", so every other action stays allowed as before");
    } else if (actions.empty()) {
      keep = false;
    } else {
      kept["Action"] = actions;
      kept_change = actions.size() <= 6
                        ? absl::StrCat("its other actions (", absl::StrJoin(actions, ", "),
                                       ") keep their Resource")
                        : absl::StrCat("its ", actions.size(), " other actions keep their Resource");
    }
  }

  for (const std::string& action : granted) AddUnique(&rw->out->actions, action);
  OrderedJson scoped = OrderedJson::object();
  scoped["Sid"] = UniqueSid(statement, &rw->sids);
  scoped["Effect"] = "Allow";
  scoped["Action"] = granted;
  scoped["Resource"] = *rw->keys;
  if (statement.contains("Condition")) scoped["Condition"] = statement["Condition"];

  std::string change = absl::StrCat(label, " allowed ", absl::StrJoin(granted, ", "),
                                     " on every key: now allowed only on ",
                                     absl::StrJoin(*rw->keys, ", "), " (new statement \"",
                                     scoped["Sid"].get<std::string>(), "\")");
  absl::StrAppend(&change, keep ? "; " + kept_change : "; it had no other action, so it is gone",
                  statement.contains("Condition") ? "; its Condition is kept" : "", ".");
  rw->out->changes.push_back(std::move(change));

  std::vector<OrderedJson> result;
  if (keep) result.push_back(Reordered(kept, kStatementOrder));
  result.push_back(std::move(scoped));
  return result;
}

OrderedJson Assemble(const OrderedJson& raw, const OrderedJson& statements) {
  OrderedJson doc = raw;
  doc["Statement"] = statements;
  return Reordered(doc, kDocumentOrder);
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

// One statement of the rewritten document on its own, as a document of the original's version,
// parsed by the same reader as any policy.
absl::StatusOr<iam::Statement> ParseStatement(const OrderedJson& statement,
                                              const std::string& version) {
  OrderedJson wrapper = OrderedJson::object();
  if (!version.empty()) wrapper["Version"] = version;
  wrapper["Statement"] = OrderedJson::array({statement});
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyText(wrapper.dump());
  if (!parsed.ok()) return parsed.status();
  if (parsed->statements.size() != 1) return absl::InternalError("a statement went missing");
  return std::move(parsed->statements.front());
}

// ReplaceBroadGrant, given the document parsed (`parsed`, whose verdict under `query` is
// `verdict` and grants) and as written (`raw`). The statements are kept parsed beside their JSON,
// so a round re-reads only the statements it wrote: linear in the size of the document.
absl::StatusOr<PolicyReplacement> RewriteDocument(const iam::PolicyDocument& parsed,
                                                  const iam::GrantVerdict& verdict,
                                                  OrderedJson raw, const iam::GrantQuery& query,
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

  OrderedJson written = raw["Statement"];
  if (written.is_object()) written = OrderedJson::array({written});
  if (written.size() != parsed.statements.size()) {
    return absl::InternalError("the document's statements could not be matched to their text");
  }
  // The current statements: as written, parsed, and each one's index in the original document
  // (for the change lines; -1 for new ones).
  std::vector<OrderedJson> statements;
  iam::PolicyDocument current;
  current.version = parsed.version;
  std::vector<int> origin;
  for (std::size_t i = 0; i < written.size(); ++i) {
    statements.push_back(std::move(written[i]));
    current.statements.push_back(parsed.statements[i]);
    origin.push_back(static_cast<int>(i));
  }
  Rewrite rw{&query, &out.key_arns, {}, &out};
  for (const OrderedJson& st : statements) {
    if (auto sid = st.find("Sid"); sid != st.end() && sid->is_string()) rw.sids.insert(*sid);
  }

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
    std::vector<OrderedJson> next;
    iam::PolicyDocument next_document;
    next_document.version = current.version;
    std::vector<int> next_origin;
    for (std::size_t i = 0; i < statements.size(); ++i) {
      const auto it = granted_by.find(static_cast<int>(i));
      if (it == granted_by.end()) {
        next.push_back(std::move(statements[i]));
        next_document.statements.push_back(std::move(current.statements[i]));
        next_origin.push_back(origin[i]);
        continue;
      }
      std::vector<OrderedJson> split = SplitStatement(statements[i], origin[i], it->second, &rw);
      // The first part is the narrowed original when it kept any action.
      for (std::size_t k = 0; k < split.size(); ++k) {
        const bool is_new = k + 1 == split.size();
        absl::StatusOr<iam::Statement> part = ParseStatement(split[k], current.version);
        if (!part.ok()) {
          return absl::InternalError(
              absl::StrCat("the rewritten policy does not parse: ", part.status().message()));
        }
        next.push_back(std::move(split[k]));
        next_document.statements.push_back(*std::move(part));
        next_origin.push_back(is_new ? -1 : origin[i]);
      }
    }
    // Positions are the statements' indexes in the rewritten document.
    for (std::size_t i = 0; i < next_document.statements.size(); ++i) {
      next_document.statements[i].index = static_cast<int>(i);
    }
    statements = std::move(next);
    current = std::move(next_document);
    origin = std::move(next_origin);
  }
  OrderedJson all = OrderedJson::array();
  for (OrderedJson& st : statements) all.push_back(std::move(st));
  out.document = Assemble(raw, all);
  return out;
}

}  // namespace

absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const nlohmann::json& document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys) {
  absl::StatusOr<iam::PolicyDocument> parsed = iam::ParsePolicyDocument(document);
  if (!parsed.ok()) return parsed.status();
  if (parsed->is_resource_policy) {
    return absl::InvalidArgumentError("a resource-based policy (it names a Principal)");
  }
  const iam::GrantVerdict verdict = iam::AnalyzeGrant(*parsed, query);
  if (!verdict.granted) {
    return absl::FailedPreconditionError("the policy does not grant the actions: nothing to fix");
  }
  absl::StatusOr<OrderedJson> raw = RawDocument(document);
  if (!raw.ok()) return raw.status();
  return RewriteDocument(*parsed, verdict, *std::move(raw), query, known_keys);
}

absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const iam::AnalyzedPolicy& policy,
                                                    simdjson::dom::element document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys) {
  if (!policy.document().ok()) return policy.document().status();
  if (policy.document()->is_resource_policy) {
    return absl::InvalidArgumentError("a resource-based policy (it names a Principal)");
  }
  if (!policy.Verdict(query).granted) {
    return absl::FailedPreconditionError("the policy does not grant the actions: nothing to fix");
  }
  absl::StatusOr<OrderedJson> raw = RawDocument(document);
  if (!raw.ok()) return raw.status();
  return RewriteDocument(*policy.document(), policy.Verdict(query), *std::move(raw), query,
                         known_keys);
}

}  // namespace kmsguard::remediation
