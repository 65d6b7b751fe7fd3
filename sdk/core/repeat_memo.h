// A bounded, per-thread memo that keeps only what repeats: a value is kept from the second time
// its key is asked for. Memos of documents pay off when an account stamps one document onto many
// principals; on an export of distinct documents, keeping every value only to destroy thousands
// at once, long after they left the cache, cost 8% of a scan (tests/bench, the generated export).
// A small set of key hashes remembers what was asked for once; a hash collision there only keeps
// a value that did not repeat (values are found by the whole key).
#pragma once

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace kmsguard::core {

template <class Value>
class RepeatMemo {
 public:
  // At most `max_entries` values and `max_seen` remembered hashes; each is emptied whole when
  // full (values are shared or copied out, so their holders keep them).
  RepeatMemo(std::size_t max_entries, std::size_t max_seen)
      : max_entries_(max_entries), max_seen_(max_seen) {}

  // The value kept under `key`, or `make()` (kept when `key` was asked for before).
  template <class Make>
  Value Get(const std::string& key, Make&& make) {
    const std::size_t hash = values_.hash_function()(key);
    if (auto it = values_.find(key, hash); it != values_.end()) return it->second;
    Value value = make();
    if (seen_.insert(hash).second) {
      if (seen_.size() > max_seen_) {
        seen_.clear();
        seen_.insert(hash);
      }
      return value;
    }
    if (values_.size() >= max_entries_) values_.clear();
    values_.emplace(key, value);
    return value;
  }

 private:
  std::size_t max_entries_;
  std::size_t max_seen_;
  absl::flat_hash_map<std::string, Value> values_;
  absl::flat_hash_set<std::size_t> seen_;
};

}  // namespace kmsguard::core
