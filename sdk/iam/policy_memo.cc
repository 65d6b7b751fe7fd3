#include "sdk/iam/policy_memo.h"

#include "absl/container/flat_hash_map.h"
#include "sdk/core/repeat_memo.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kmsguard::iam {

std::string QueryKey(const GrantQuery& query) {
  return absl::StrCat(absl::StrJoin(query.actions, ","), "|", static_cast<int>(query.scope), "|",
                      query.partition, "|", query.honor_conditional_deny ? 1 : 0);
}

const GrantVerdict& AnalyzedPolicy::Verdict(const GrantQuery& query) const {
  return Verdict(query, QueryKey(query));
}

const GrantVerdict& AnalyzedPolicy::Verdict(const GrantQuery& query,
                                            std::string_view query_key) const {
  for (const auto& [k, verdict] : verdicts_) {
    if (k == query_key) return verdict;
  }
  // Rules ask two or three questions of a document; the list stays short.
  verdicts_.emplace_back(std::string(query_key), AnalyzeGrant(*document_, query));
  return verdicts_.back().second;
}

std::shared_ptr<const AnalyzedPolicy> AnalyzePolicy(simdjson::dom::element document) {
  // Large enough for the documents of an account that repeats them; small enough that a scan of
  // millions of distinct documents stays within a few tens of MB per thread.
  thread_local core::RepeatMemo<std::shared_ptr<const AnalyzedPolicy>> memo(4096, 65536);
  std::string key;
  if (document.is_string()) {
    const std::string_view text = core::StringOf(document);
    key.reserve(text.size() + 1);
    key += 's';
    key += text;
  } else {
    key.reserve(512);
    key += 'j';
    core::AppendCanonicalKey(document, &key);
  }
  return memo.Get(key, [&key, &document] {
    return std::make_shared<const AnalyzedPolicy>(key, ParsePolicyDocument(document));
  });
}

std::shared_ptr<const AnalyzedPolicy> PolicyAnalyses::Get(const simdjson::dom::element& document) {
  std::shared_ptr<const AnalyzedPolicy>& slot = by_address_[&document];
  if (!slot) slot = AnalyzePolicy(document);
  return slot;
}

}  // namespace kmsguard::iam
