#include "sdk/iam/grant_analysis.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/iam/action_glob.h"
#include "sdk/iam/arn_pattern.h"
#include "sdk/iam/key_space.h"
#include "sdk/iam/request_decision.h"

namespace kmsguard::iam {
namespace {

// A counterexample key for people: a segment fixed to a policy variable's value is held by an
// internal symbol, written out here as "${...}" (one specific value the policy names). The key is
// built by the search (canary regions such as xq-kmsguard-7, account 918273645012), never read
// from the input, and says so: a reader must not go looking for it (issue 18).
std::string ShownKey(const std::string& key) {
  std::string out = "the made-up key ";
  for (const char c : key) {
    if (c == kVariableSymbol) {
      out += "${...}";
    } else {
      out += c;
    }
  }
  return out;
}

// A statement with its resource patterns compiled (CompiledPattern: once per thread and text).
struct CompiledStatement {
  const Statement* statement;
  std::vector<const ArnPattern*> patterns;
};

// Patterns repeat across the statements and principals of a scan; each is compiled once per
// thread. The memo is emptied only when AnalyzeGrant starts, so the pointers a call holds stay
// valid for the whole call.
absl::flat_hash_map<std::string, std::unique_ptr<ArnPattern>>& PatternMemo() {
  thread_local absl::flat_hash_map<std::string, std::unique_ptr<ArnPattern>> memo;
  return memo;
}

const ArnPattern* CompiledPattern(const std::string& text, bool variables) {
  auto& memo = PatternMemo();
  std::string key;
  key.reserve(text.size() + 1);
  key += variables ? 'v' : 'l';
  key += text;
  auto it = memo.find(key);
  if (it == memo.end()) {
    it = memo.emplace(std::move(key), std::make_unique<ArnPattern>(CompileArnPattern(text, variables)))
             .first;
  }
  return it->second.get();
}

// One scope of keys (every key, one account's, one region's) in the two region grammars
// (key_space.h): `allow` holds the regions the partition has, `open` any region name. ReachOf
// says which test uses which. The two are one language when the region is fixed or the partition
// unknown.
struct Scope {
  std::shared_ptr<const KeyLanguage> allow;
  std::shared_ptr<const KeyLanguage> open;
};

// Languages are not free to build (a few hundred states of 1 KB each; the partition's region trie
// makes an every-key language about 270), and policies of a scan share a handful of scopes: each
// is memoized with both its languages, under one key. A call holds the scopes it uses by
// shared_ptr, so emptying the memo never frees a language in use (it once did, mid-call: a fuzzer
// found the use after free), and the memo stays small.
Scope CachedScope(const std::string& partition, const std::optional<std::string>& region,
                  const std::optional<std::string>& account) {
  thread_local absl::flat_hash_map<std::string, Scope> memo;
  std::string key = absl::StrCat(partition, "|", region ? "r" + *region : "-", "|",
                                 account ? "a" + *account : "-");
  auto it = memo.find(key);
  if (it == memo.end()) {
    if (memo.size() >= 32) memo.clear();
    const auto build = [&](RegionGrammar regions) {
      return std::make_shared<const KeyLanguage>(KeyLanguage::Build(partition, region, account, regions));
    };
    it = memo.emplace(std::move(key), Scope{build(RegionGrammar::kPartition), build(RegionGrammar::kOpen)})
             .first;
  }
  return it->second;
}

// Coverage is a search; identical pattern sets recur across principals, so results are memoized.
// Whether a union covers the language does not depend on the order of its patterns or on
// repeats, so the set is put in one order first: statements that list the same patterns in
// another order (or several statements naming one pattern) share a search.
CoverageResult CachedCovers(const KeyLanguage& language, const std::vector<const ArnPattern*>& patterns) {
  for (const ArnPattern* p : patterns) {
    if (p->is_star) return {true, false, "", 0};
  }
  std::vector<const ArnPattern*> set = patterns;
  const auto variables = [](const ArnPattern* p) { return p->tokens.size() != p->text.size(); };
  std::sort(set.begin(), set.end(), [&](const ArnPattern* a, const ArnPattern* b) {
    return a->text != b->text ? a->text < b->text : variables(a) < variables(b);
  });
  set.erase(std::unique(set.begin(), set.end(),
                        [&](const ArnPattern* a, const ArnPattern* b) {
                          return a->text == b->text && variables(a) == variables(b);
                        }),
            set.end());
  thread_local absl::flat_hash_map<std::string, CoverageResult> cache;
  std::string key = language.description();
  for (const ArnPattern* p : set) {
    key += '\0';
    key += p->text;
    key += variables(p) ? 'v' : 'l';  // variables substituted or not
  }
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  if (cache.size() > 8192) cache.clear();
  CoverageResult result = Covers(language, set);
  cache.emplace(std::move(key), result);
  return result;
}

bool CachedIntersects(const KeyLanguage& language, const ArnPattern& pattern) {
  if (pattern.is_star) return true;
  // A pattern without wildcards or variables names one string: it meets the language exactly
  // when the language's automaton accepts that string (no search, no memo: policies of thousands
  // of concrete key ARNs each name their own).
  if (!pattern.has_wildcard && pattern.tokens.size() == pattern.text.size()) {
    int state = language.start();
    for (const char c : pattern.text) {
      state = language.Next(state, c);
      if (state < 0) return false;
    }
    return language.Accepting(state);
  }
  thread_local absl::flat_hash_map<std::string, bool> cache;
  std::string key = language.description();
  key += '\0';
  key += pattern.text;
  key += pattern.tokens.size() == pattern.text.size() ? 'l' : 'v';
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  if (cache.size() > 8192) cache.clear();
  const bool result = Intersects(language, pattern);
  cache.emplace(std::move(key), result);
  return result;
}

StatementRole RoleOf(const CompiledStatement& cs, std::string_view action, std::string why) {
  const Statement& st = *cs.statement;
  StatementRole role;
  role.statement = &st;
  role.statement_index = st.index;
  for (const std::string& pattern : st.actions) {
    if (st.not_action || ActionGlobMatches(pattern, action)) role.action_patterns.push_back(pattern);
  }
  role.why = std::move(why);
  return role;
}

std::string Quoted(const std::vector<std::string>& items) {
  return "[\"" + absl::StrJoin(items, "\", \"") + "\"]";
}

struct Reach {
  bool reached = false;
  std::vector<StatementRole> roles;  // the statements that make up the reach
  std::string why;
};

// Does the union of `statements` reach an arbitrary key of `scope`? A Resource statement
// contributes its patterns to a union that must cover the scope; a NotResource statement
// reaches it unless its patterns cover the whole scope ("IAM JSON policy elements:
// NotResource": it applies to everything not listed). Which grammar of regions: see Scope.
Reach ReachOf(const std::vector<const CompiledStatement*>& statements, const Scope& scope,
              std::string_view action) {
  Reach reach;
  const bool is_deny = !statements.empty() && statements.front()->statement->effect == Effect::kDeny;
  // Each test is judged over the grammar that errs toward reporting (Scope): a Resource union
  // reaches when it covers the language, so an Allow's is judged over the partition's regions and
  // a Deny's over any region; a NotResource statement reaches when its patterns leave a key out,
  // so an Allow's is judged over any region and a Deny's over the partition's regions (a Deny on
  // everything but `??-*-?` denies no key that exists).
  const KeyLanguage& language = is_deny ? *scope.open : *scope.allow;
  const KeyLanguage& outside = is_deny ? *scope.allow : *scope.open;
  std::vector<const ArnPattern*> union_patterns;
  std::vector<const CompiledStatement*> resource_statements;
  for (const CompiledStatement* cs : statements) {
    if (!cs->statement->has_resource_element) continue;  // grants nothing
    if (cs->statement->not_resource) {
      CoverageResult cov = CachedCovers(outside, cs->patterns);
      // Undecided (search budget spent): an Allow is assumed to reach, a Deny not to cancel.
      if (!cov.covered && !cs->patterns.empty() && !(is_deny && cov.exhausted)) {
        reach.reached = true;
        const std::string listed = Quoted(cs->statement->resources);
        std::string why;
        if (cov.exhausted) {
          why = absl::StrCat("NotResource ", listed,
                             " is too complex to decide within the search budget; assumed not to "
                             "exclude ", outside.description());
        } else if (is_deny) {
          why = absl::StrCat("NotResource ", listed, " does not exempt ", outside.description(),
                             " from the Deny; e.g. ", ShownKey(cov.counterexample), " is denied");
        } else {
          why = absl::StrCat("NotResource ", listed, " does not exclude ", outside.description(),
                             "; e.g. ", ShownKey(cov.counterexample), " is left in");
        }
        reach.roles.push_back(RoleOf(*cs, action, std::move(why)));
      }
    } else {
      resource_statements.push_back(cs);
      for (const ArnPattern* p : cs->patterns) union_patterns.push_back(p);
    }
  }
  if (reach.reached) {
    reach.why = reach.roles.front().why;
    return reach;
  }
  CoverageResult cov = CachedCovers(language, union_patterns);
  if ((cov.covered || (cov.exhausted && !is_deny)) && !union_patterns.empty()) {
    reach.reached = true;
    for (const CompiledStatement* cs : resource_statements) {
      bool contributes = false;
      for (const ArnPattern* p : cs->patterns) contributes |= CachedIntersects(language, *p);
      if (!contributes) continue;
      reach.roles.push_back(RoleOf(*cs, action,
                                   absl::StrCat("Resource ", Quoted(cs->statement->resources),
                                                " matches keys of ", language.description())));
      // Which patterns reach the scope alone: a message then names "*", not the narrower
      // pattern listed beside it (one pattern alone is the union already).
      if (cov.covered && union_patterns.size() > 1) {
        for (const ArnPattern* p : cs->patterns) {
          if (CachedCovers(language, {p}).covered) reach.roles.back().reaching_patterns.push_back(p->text);
        }
      }
    }
    reach.why = absl::StrCat(reach.roles.size() > 1 ? "together, the Resource patterns of "
                                                     : "the Resource patterns of ",
                             reach.roles.size(), reach.roles.size() > 1 ? " statements" : " statement",
                             " cover ", language.description());
    if (cov.exhausted) {
      reach.why = absl::StrCat("the Resource patterns are too complex to decide within the search "
                               "budget; assumed to cover ", language.description());
    }
    return reach;
  }
  reach.why = union_patterns.empty() && statements.empty()
                  ? "no statement applies"
                  : cov.exhausted
                        ? absl::StrCat("too complex to decide within the search budget; a Deny is "
                                       "assumed not to reach ", language.description())
                        : absl::StrCat("not ", language.description(), ": e.g. ", ShownKey(cov.counterexample),
                                       " is not reached");
  return reach;
}

// The account and region scopes that the Resource patterns of `statements` name, as names: a
// document may name thousands of accounts, so each scope's languages are built when it is tried
// and let go after (one scope at a time is held).
struct ScopeName {
  std::optional<std::string> region, account;
};

std::vector<ScopeName> NarrowScopes(const std::vector<const CompiledStatement*>& statements) {
  std::vector<ScopeName> scopes;
  absl::flat_hash_set<std::string> seen;
  auto is_literal = [](const std::string& s) {
    return !s.empty() && s.find_first_of("*?") == std::string::npos;
  };
  for (const CompiledStatement* cs : statements) {
    if (cs->statement->not_resource) continue;
    for (const ArnPattern* p : cs->patterns) {
      const std::vector<std::string> segments = ArnPatternSegments(*p);
      if (segments.size() < 6) continue;
      if (is_literal(segments[4]) && seen.insert("a" + segments[4]).second) {
        scopes.push_back({std::nullopt, segments[4]});
      }
      if (is_literal(segments[3]) && seen.insert("r" + segments[3]).second) {
        scopes.push_back({segments[3], std::nullopt});
      }
    }
  }
  return scopes;
}

bool HasCondition(const CompiledStatement* cs) { return !cs->statement->conditions.empty(); }

}  // namespace

GrantVerdict AnalyzeGrant(const PolicyDocument& document, const GrantQuery& query) {
  GrantVerdict verdict;
  if (document.is_resource_policy) {
    for (const std::string& action : query.actions) {
      ActionVerdict av;
      av.action = action;
      av.why = "the document has a Principal element: it is a resource-based policy and is not "
               "evaluated as an identity policy";
      verdict.actions.push_back(std::move(av));
    }
    return verdict;
  }
  const std::string partition = query.partition.empty() ? "aws" : query.partition;
  const bool variables = document.SupportsPolicyVariables();
  if (PatternMemo().size() > 65536) PatternMemo().clear();  // no pointer into it is held now
  std::vector<CompiledStatement> compiled;
  compiled.reserve(document.statements.size());
  for (const Statement& st : document.statements) {
    CompiledStatement cs{&st, {}};
    cs.patterns.reserve(st.resources.size());
    for (const std::string& r : st.resources) cs.patterns.push_back(CompiledPattern(r, variables));
    compiled.push_back(std::move(cs));
  }
  const Scope every_key = CachedScope(partition, std::nullopt, std::nullopt);

  bool all_conditional = true;
  for (const std::string& action : query.actions) {
    ActionVerdict av;
    av.action = action;
    std::vector<const CompiledStatement*> allows, unconditional_allows, denies;
    for (const CompiledStatement& cs : compiled) {
      if (!StatementCoversAction(*cs.statement, action)) continue;
      if (cs.statement->effect == Effect::kAllow) {
        allows.push_back(&cs);
        if (!HasCondition(&cs)) unconditional_allows.push_back(&cs);
      } else if (!HasCondition(&cs) || query.honor_conditional_deny) {
        denies.push_back(&cs);
      } else {
        av.ignored_denies.push_back(RoleOf(
            cs, action, "its Condition is set aside: a conditional Deny does not cancel grants"));
      }
    }
    for (const CompiledStatement* cs : allows) av.allows.push_back(RoleOf(*cs, action, ""));
    for (const CompiledStatement* cs : denies) av.denies.push_back(RoleOf(*cs, action, ""));
    // Whether the denies cancel, said on each of them once the scope loop is done.
    std::string deny_why;

    std::vector<ScopeName> scopes = {ScopeName{}};
    if (query.scope == KeyScope::kAccountOrRegionWide) {
      // Grants on every key belong to the every-key tier.
      if (Reach all = ReachOf(allows, every_key, action); all.reached) {
        const Reach denied_all = ReachOf(denies, every_key, action);
        if (!denied_all.reached) {
          av.why = "granted on every KMS key (reported by the every-key rule, not this tier)";
          av.left_to_every_key_tier = true;
        } else {
          // A Deny on every key cancels every narrower grant too.
          av.why =
              absl::StrCat(action, " is allowed but an explicit Deny cancels it: ", denied_all.why);
          for (StatementRole& role : av.denies) {
            role.why = absl::StrCat("cancels the grant of ", action, ": ", denied_all.why);
          }
        }
        verdict.actions.push_back(std::move(av));
        continue;
      }
      scopes = NarrowScopes(allows);
    }
    // Stays when no scope is tried: the strict tier found no account or region to test.
    av.why = allows.empty() ? "no Allow statement covers " + action
                            : absl::StrCat(action,
                                           ": the Resource patterns name no single account or "
                                           "region, and do not reach every key");
    for (const ScopeName& name : scopes) {
      const Scope scope = name.region || name.account
                              ? CachedScope(partition, name.region, name.account)
                              : every_key;
      Reach allowed = ReachOf(allows, scope, action);
      if (!allowed.reached) {
        if (!allows.empty()) av.why = action + ": " + allowed.why;
        continue;
      }
      Reach denied = ReachOf(denies, scope, action);
      if (denied.reached) {
        av.why = absl::StrCat(action, " is allowed but an explicit Deny cancels it: ", denied.why);
        deny_why = absl::StrCat("cancels the grant of ", action, ": ", denied.why);
        continue;
      }
      if (!denies.empty()) {
        deny_why = absl::StrCat("does not cancel the grant of ", action, ": ", denied.why);
      }
      av.granted = true;
      av.grants = std::move(allowed.roles);
      av.conditional = !ReachOf(unconditional_allows, scope, action).reached;
      av.why = absl::StrCat(action, ": ", allowed.why,
                            av.conditional ? " (only under the statements' Condition)" : "",
                            denies.empty() ? "" : "; the Deny statements do not cover it");
      break;
    }
    if (av.granted) {
      verdict.granted = true;
      all_conditional &= av.conditional;
    }
    for (StatementRole& role : av.denies) role.why = deny_why;
    verdict.actions.push_back(std::move(av));
  }
  verdict.conditional = verdict.granted && all_conditional;
  return verdict;
}

}  // namespace kmsguard::iam
