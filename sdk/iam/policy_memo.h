// Policy documents parsed once and decided once per query, kept per thread by the document's
// canonical form (core::AppendCanonicalKey). Documents repeat: every rule evaluating a principal
// reads the same ones, the remediation reads them again, and accounts stamp one document onto many
// principals (infrastructure as code). What is memoized is exactly what ParsePolicyDocument and
// AnalyzeGrant return for that text, so memoizing changes no verdict.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sdk/core/json_tree.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_document.h"

namespace kmsguard::iam {

class AnalyzedPolicy {
 public:
  AnalyzedPolicy(std::string key, absl::StatusOr<PolicyDocument> document)
      : key_(std::move(key)), document_(std::move(document)) {}

  // The memo key: equal for two documents exactly when their JSON is equal.
  const std::string& key() const { return key_; }
  const absl::StatusOr<PolicyDocument>& document() const { return document_; }

  // AnalyzeGrant(*document(), query), computed on first use. The document must have parsed. The
  // verdict points into this object (StatementRole), so it lives as long as it. Not thread-safe:
  // an AnalyzedPolicy belongs to the thread that made it.
  const GrantVerdict& Verdict(const GrantQuery& query) const;
  // The same, for a caller that asks many documents one question: `query_key` must be
  // QueryKey(query).
  const GrantVerdict& Verdict(const GrantQuery& query, std::string_view query_key) const;

  // A value a later stage computes from this analysis alone (the remediation's named keys, the
  // engine's explanation lines), made by `make()` on first use under `key` and kept with the
  // analysis: a document stamped onto many principals pays for it once. Each stage prefixes its
  // keys with its own name, and one key always holds one type T. Not thread-safe, like Verdict.
  template <class T, class Make>
  const T& Derived(const std::string& key, Make&& make) const {
    for (const auto& [k, value] : derived_) {
      if (k == key) return *static_cast<const T*>(value.get());
    }
    auto value = std::make_shared<const T>(make());
    derived_.emplace_back(key, value);
    return *value;
  }

 private:
  std::string key_;
  absl::StatusOr<PolicyDocument> document_;
  mutable std::vector<std::pair<std::string, GrantVerdict>> verdicts_;  // by query
  mutable std::vector<std::pair<std::string, std::shared_ptr<const void>>> derived_;  // by key
};

// The analysis of `document` (an object, or JSON or URL-encoded JSON text, as ParsePolicyDocument
// takes it), from this thread's memo or made now.
std::shared_ptr<const AnalyzedPolicy> AnalyzePolicy(simdjson::dom::element document);

// The analyses of one resource's policy documents, each looked up in the thread's memo once. The
// rules and the remediation of a resource ask for the same documents several times (the inline
// rule, the account-wide tier, the rewrite), and the memo's key, the document's canonical form,
// costs about as much to build as a small document to parse. Documents are told apart by address:
// an element the resource's document holds, which stays where it is while the resource is
// evaluated. Belongs to one thread, like the memo.
class PolicyAnalyses {
 public:
  // AnalyzePolicy(document), made once per `document` object.
  std::shared_ptr<const AnalyzedPolicy> Get(const simdjson::dom::element& document);

 private:
  absl::flat_hash_map<const simdjson::dom::element*, std::shared_ptr<const AnalyzedPolicy>> by_address_;
};

// A short text that is equal for two queries exactly when they ask the same question.
std::string QueryKey(const GrantQuery& query);

}  // namespace kmsguard::iam
