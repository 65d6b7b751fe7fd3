// The set of KMS key ARNs as a language, and whether a set of ARN patterns covers it.
//
// Key ARNs have the grammar (AWS KMS Developer Guide, "Key identifiers (KeyId)"; AWS General
// Reference, "Amazon Resource Names"):
//   arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID
//   REGION  = one of two grammars (RegionGrammar below):
//             kPartition: one of the regions the partition has (partitions.h, dated data);
//             kOpen: [a-z]+(-[a-z]+)*-[0-9]+, any region name, launched or not.
//   ACCOUNT = [0-9]{12}
//   KEY_ID  = a lowercase UUID, or mrk- and 32 lowercase hex digits (multi-Region keys)
// Alias ARNs (alias/...) name aliases, not keys, and are not in the language.
//
// "Pattern set P covers the language" is decided exactly, by exploring the product of the
// language's automaton with the patterns' automata (a subset construction over the pattern
// positions), so unions of patterns count and `*` spanning colons is honoured.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/iam/arn_pattern.h"

namespace kmsguard::iam {

// Which region names a language holds when no region is fixed.
//  - kPartition: the regions the partition has (partitions.h: the SDKs' list, dated). What an
//    Allow's Resource must cover to reach "every key": keys exist only there, so
//    `arn:aws:kms:??-*-?:*:key/*` does (every aws region is two letters, a name, one digit), and
//    so does a list naming each region. A region launched after the data's date is not in it: a
//    grant that misses only that region is still reported (the safe side), until the data is
//    updated (scripts/update-aws-partitions.py).
//  - kOpen: any [a-z]+(-[a-z]+)*-[0-9]+, regions not launched yet included. The safe side for
//    what a Deny's Resource must cover to cancel, and for what an Allow's NotResource must cover
//    to exclude: a Deny on `arn:aws:kms:??-*-?:*:key/*` leaves a future `us-east-10` open. (A
//    Deny's NotResource is the other way round: it is judged in kPartition, grant_analysis.cc.)
// A partition the data does not know (or knows no region of) gets kOpen either way.
enum class RegionGrammar { kOpen, kPartition };

// A deterministic automaton for a set of key ARNs.
class KeyLanguage {
 public:
  // Every key of `partition` (any region, account, key id). Pass a fixed region or account to get
  // the keys of that region or account only (kVariableSymbol stands for a variable's value);
  // `regions` says which region names "any region" means.
  static KeyLanguage Build(std::string_view partition,
                           std::optional<std::string> fixed_region = std::nullopt,
                           std::optional<std::string> fixed_account = std::nullopt,
                           RegionGrammar regions = RegionGrammar::kOpen);

  int start() const { return 0; }
  // Next state on `c`, or -1 when `c` leaves the language.
  int Next(int state, char c) const;
  int state_count() const { return static_cast<int>(next_.size()); }
  bool Accepting(int state) const { return accepting_[static_cast<std::size_t>(state)]; }
  // Characters with at least one transition, in a fixed order.
  const std::string& alphabet() const { return alphabet_; }
  // A few keys of the language that no policy is likely to name (fresh account and key ids, both
  // key id forms; in kPartition the partition's first region, in kOpen a made-up region and one
  // not launched yet). A pattern set that misses one of them cannot cover the language, which
  // settles most questions without the search; the first one missed is the example key shown.
  const std::vector<std::string>& canaries() const { return canaries_; }
  // A human-readable description, e.g. "every KMS key (partition aws)"; it tells languages
  // apart (memo keys use it), so two languages with one description hold the same keys.
  const std::string& description() const { return description_; }

 private:
  int AddState();
  void AddEdge(int from, char c, int to);
  int AddChain(int from, std::string_view text);  // returns the state after the last char

  std::vector<std::vector<int>> next_;  // [state][byte 0..255]
  std::vector<bool> accepting_;
  std::string alphabet_;
  std::string description_;
  std::vector<std::string> canaries_;
};

// The search explores at most this many (language state, pattern positions) pairs. Pattern sets
// with many stars in one segment can make the subset construction exponential; past the budget the
// answer is "undecided" (exhausted) and callers decide conservatively.
inline constexpr int kMaxSearchStates = 20000;
// ... and stores at most this many bytes of pattern-position sets (one bit per position of every
// pattern): thousands of long patterns make each state large, and 20,000 of them took 500 MB and a
// minute for one policy. Past it the answer is "undecided" too.
inline constexpr std::size_t kMaxSearchBytes = 8 * 1024 * 1024;

struct CoverageResult {
  bool covered = false;
  // True when the search ran out of budget before deciding; `covered` is then false.
  bool exhausted = false;
  // When not covered: a key ARN of the language that no pattern matches (the "arbitrary key" left
  // out), for explanations.
  std::string counterexample;
  // Bytes of pattern-position sets the search stored (0 when no search was needed); at most
  // kMaxSearchBytes plus one state's worth.
  std::size_t search_bytes = 0;
};

// Decides whether every string of `language` is matched by at least one pattern.
CoverageResult Covers(const KeyLanguage& language, const std::vector<const ArnPattern*>& patterns);

// Decides whether at least one string of `language` is matched by `pattern`. When the search runs
// out of budget the answer is true (the pattern is assumed to reach the language).
bool Intersects(const KeyLanguage& language, const ArnPattern& pattern);

}  // namespace kmsguard::iam
