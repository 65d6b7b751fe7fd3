#include "sdk/iam/key_space.h"

#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "sdk/iam/partitions.h"

namespace kmsguard::iam {
namespace {

constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kHex = "0123456789abcdef";

}  // namespace

int KeyLanguage::AddState() {
  // One entry per byte value: the partition, region and account come from input ARNs and may hold
  // any byte (a fuzzer found a partition with one past 127, written out of bounds when rows held
  // only ASCII).
  next_.emplace_back(256, -1);
  accepting_.push_back(false);
  return static_cast<int>(next_.size()) - 1;
}

void KeyLanguage::AddEdge(int from, char c, int to) {
  next_[static_cast<std::size_t>(from)][static_cast<unsigned char>(c)] = to;
  if (alphabet_.find(c) == std::string::npos) alphabet_ += c;
}

int KeyLanguage::AddChain(int from, std::string_view text) {
  int state = from;
  for (const char c : text) {
    const int existing = Next(state, c);
    if (existing >= 0) {
      state = existing;
      continue;
    }
    const int to = AddState();
    AddEdge(state, c, to);
    state = to;
  }
  return state;
}

int KeyLanguage::Next(int state, char c) const {
  const auto uc = static_cast<unsigned char>(c);
  if (state < 0) return -1;
  return next_[static_cast<std::size_t>(state)][uc];
}

KeyLanguage KeyLanguage::Build(std::string_view partition, std::optional<std::string> fixed_region,
                               std::optional<std::string> fixed_account, RegionGrammar regions) {
  KeyLanguage lang;
  const int start = lang.AddState();
  const int after_service = lang.AddChain(lang.AddChain(start, "arn:"), std::string(partition) + ":kms:");
  // The partition's regions, when the data knows some; `listed`: this language is made of them.
  const PartitionRegions* data = FindPartitionRegions(partition);
  if (data != nullptr && data->regions.empty()) data = nullptr;
  const bool listed = data != nullptr && regions == RegionGrammar::kPartition && !fixed_region;

  int after_region;
  if (fixed_region) {
    after_region = lang.AddChain(after_service, *fixed_region + ":");
  } else if (listed) {
    // Exactly the regions the partition has: a trie of their names, each followed by ':'.
    after_region = lang.AddState();
    for (const std::string& region : data->regions) {
      lang.AddEdge(lang.AddChain(after_service, region), ':', after_region);
    }
  } else {
    // [a-z]+(-[a-z]+)*-[0-9]+ followed by ':'
    const int letters = lang.AddState(), dash = lang.AddState(), digits = lang.AddState();
    after_region = lang.AddState();
    for (const char c : kLower) {
      lang.AddEdge(after_service, c, letters);
      lang.AddEdge(letters, c, letters);
      lang.AddEdge(dash, c, letters);
    }
    lang.AddEdge(letters, '-', dash);
    for (const char c : kDigits) {
      lang.AddEdge(dash, c, digits);
      lang.AddEdge(digits, c, digits);
    }
    lang.AddEdge(digits, ':', after_region);
  }

  int after_account;
  if (fixed_account) {
    after_account = lang.AddChain(after_region, *fixed_account + ":");
  } else {
    int state = after_region;
    for (int i = 0; i < 12; ++i) {
      const int to = lang.AddState();
      for (const char c : kDigits) lang.AddEdge(state, c, to);
      state = to;
    }
    after_account = lang.AddState();
    lang.AddEdge(state, ':', after_account);
  }

  const int key_id = lang.AddChain(after_account, "key/");
  const int accept = lang.AddState();
  lang.accepting_[static_cast<std::size_t>(accept)] = true;
  auto hex_run = [&lang](int from, int count, int to) {
    int state = from;
    for (int i = 0; i < count; ++i) {
      const int target = i + 1 == count && to >= 0 ? to : lang.AddState();
      for (const char c : kHex) lang.AddEdge(state, c, target);
      state = target;
    }
    return state;
  };
  // UUID: 8-4-4-4-12
  int state = key_id;
  const int groups[] = {8, 4, 4, 4, 12};
  for (int g = 0; g < 5; ++g) {
    state = hex_run(state, groups[g], g == 4 ? accept : -1);
    if (g < 4) {
      const int dash = lang.AddState();
      lang.AddEdge(state, '-', dash);
      state = dash;
    }
  }
  // Multi-Region: mrk- followed by 32 hex digits ('m' is not a hex digit, so no clash).
  hex_run(lang.AddChain(key_id, "mrk-"), 32, accept);

  // Canary regions: a made-up one in the open grammar (a region no policy names); in the
  // partition's own grammar its first region, so that the key an explanation shows is in a real
  // region. One is enough: the search decides the rest exactly, and checking every listed region
  // first cost each covering pattern set 35 matches for nothing.
  std::vector<std::string> canary_regions;
  if (fixed_region) {
    canary_regions = {*fixed_region};
  } else if (listed) {
    canary_regions = {data->regions.front()};
  } else {
    canary_regions = {"xq-kmsguard-7"};
    // For a partition the data knows, also a region of its shape with a suffix one digit longer
    // than any it has (af-south-10): what a Deny covering every launched region leaves open.
    if (data != nullptr) {
      std::string future = data->regions.front();
      while (!future.empty() && future.back() >= '0' && future.back() <= '9') future.pop_back();
      canary_regions.push_back(future + "1" + std::string(static_cast<std::size_t>(data->suffix_digits), '0'));
    }
  }
  for (const std::string& region : canary_regions) {
    lang.canaries_.push_back("arn:" + std::string(partition) + ":kms:" + region + ":" +
                             fixed_account.value_or("918273645012") +
                             ":key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  }
  lang.canaries_.push_back("arn:" + std::string(partition) + ":kms:" + canary_regions.front() + ":" +
                           fixed_account.value_or("918273645012") +
                           ":key/mrk-7a6b5c4d3e2f10987a6b5c4d3e2f1098");
  lang.description_ = "every KMS key";
  if (fixed_account) {
    lang.description_ += *fixed_account == std::string(1, kVariableSymbol)
                             ? " of the account named by a policy variable"
                             : " of account " + *fixed_account;
  }
  if (fixed_region) {
    lang.description_ += *fixed_region == std::string(1, kVariableSymbol)
                             ? " of the region named by a policy variable"
                             : " in region " + *fixed_region;
  }
  lang.description_ += " (partition " + std::string(partition);
  // The open grammar of a partition the data knows holds more than its regions: say so, since a
  // Deny that covers every real region is then reported as not covering this language.
  if (!fixed_region && !listed && data != nullptr) {
    lang.description_ += ", regions not launched yet included";
  }
  lang.description_ += ")";
  return lang;
}

namespace {

// The union of the patterns' automata: one position per token boundary per pattern.
class PatternSetAutomaton {
 public:
  explicit PatternSetAutomaton(const std::vector<const ArnPattern*>& patterns) {
    for (const ArnPattern* p : patterns) {
      offsets_.push_back(tokens_.size());
      for (const ArnToken& t : p->tokens) tokens_.push_back(t);
      tokens_.push_back({ArnToken::Kind::kLiteral, 0});  // end marker: accepting position
      is_end_.resize(tokens_.size(), false);
      is_end_.back() = true;
    }
    is_end_.resize(tokens_.size(), false);
    words_ = (tokens_.size() + 63) / 64;
  }

  using Set = std::string;  // a bitset held in a string, so it hashes and compares as a key

  Set StartSet() const {
    Set set(words_ * 8, '\0');
    for (std::size_t off : offsets_) AddClosure(off, set);
    return set;
  }

  Set Step(const Set& from, char c) const {
    Set to(words_ * 8, '\0');
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      if (!Test(from, i) || is_end_[i]) continue;
      const ArnToken& t = tokens_[i];
      switch (t.kind) {
        case ArnToken::Kind::kLiteral:
        case ArnToken::Kind::kVariable:
          if (c == t.ch) AddClosure(i + 1, to);
          break;
        case ArnToken::Kind::kAnyChar:
          if (c != ':') AddClosure(i + 1, to);
          break;
        case ArnToken::Kind::kStar:
          if (c != ':') AddClosure(i, to);
          break;
        case ArnToken::Kind::kSpanningStar:
          AddClosure(i, to);
          break;
      }
    }
    return to;
  }

  bool Accepts(const Set& set) const {
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      if (is_end_[i] && Test(set, i)) return true;
    }
    return false;
  }

 private:
  static bool Test(const Set& set, std::size_t i) {
    return (static_cast<unsigned char>(set[i / 8]) >> (i % 8)) & 1u;
  }
  static void Put(Set& set, std::size_t i) {
    set[i / 8] = static_cast<char>(static_cast<unsigned char>(set[i / 8]) | (1u << (i % 8)));
  }
  void AddClosure(std::size_t i, Set& set) const {
    while (i < tokens_.size() && !Test(set, i)) {
      Put(set, i);
      if (is_end_[i]) return;
      const auto kind = tokens_[i].kind;
      if (kind != ArnToken::Kind::kStar && kind != ArnToken::Kind::kSpanningStar) return;
      ++i;
    }
  }

  std::vector<ArnToken> tokens_;
  std::vector<bool> is_end_;
  std::vector<std::size_t> offsets_;
  std::size_t words_ = 0;
};

enum class Goal { kFindUncovered, kFindMatched };

struct SearchResult {
  bool found = false;      // a string reaching the goal exists
  bool exhausted = false;  // the budget ran out first
  std::string witness;     // the shortest such string, when found
  std::size_t bytes = 0;   // pattern-position sets stored
};

// Breadth-first search over (language state, pattern positions) for the shortest string that
// reaches the goal, within kMaxSearchStates and kMaxSearchBytes.
SearchResult Search(const KeyLanguage& language,
                                  const std::vector<const ArnPattern*>& patterns, Goal goal) {
  const PatternSetAutomaton automaton(patterns);
  struct Node {
    int state;
    PatternSetAutomaton::Set set;
    int parent;
    char via;
  };
  std::vector<Node> nodes;
  absl::flat_hash_map<std::string, int> seen;
  std::deque<int> queue;
  std::size_t stored_bytes = 0;  // sets held by `nodes` and `seen`
  auto visit = [&](int state, PatternSetAutomaton::Set set, int parent, char via) {
    std::string key(reinterpret_cast<const char*>(&state), sizeof state);
    key += set;
    if (seen.contains(key)) return -1;
    stored_bytes += key.size() + set.size();
    const int id = static_cast<int>(nodes.size());
    seen.emplace(std::move(key), id);
    nodes.push_back({state, std::move(set), parent, via});
    queue.push_back(id);
    return id;
  };
  auto path = [&nodes](int id) {
    std::string out;
    for (; nodes[static_cast<std::size_t>(id)].parent >= 0; id = nodes[static_cast<std::size_t>(id)].parent) {
      out.insert(out.begin(), nodes[static_cast<std::size_t>(id)].via);
    }
    return out;
  };
  // Characters the language treats alike and no pattern names literally lead to the same
  // successors: exploring one representative of each such class is enough.
  std::string representatives;
  {
    std::string literals;
    for (const ArnPattern* p : patterns) {
      for (const ArnToken& t : p->tokens) {
        if (t.kind == ArnToken::Kind::kLiteral || t.kind == ArnToken::Kind::kVariable) literals += t.ch;
      }
    }
    std::vector<std::vector<int>> signatures;
    for (const char c : language.alphabet()) {
      std::vector<int> signature;
      signature.reserve(language.state_count() + 1);
      for (int st = 0; st < language.state_count(); ++st) signature.push_back(language.Next(st, c));
      signature.push_back(literals.find(c) == std::string::npos ? -1 : static_cast<unsigned char>(c));
      bool seen_before = false;
      for (const auto& other : signatures) seen_before |= other == signature;
      if (seen_before) continue;
      signatures.push_back(std::move(signature));
      representatives += c;
    }
  }
  visit(language.start(), automaton.StartSet(), -1, 0);
  while (!queue.empty()) {
    if (nodes.size() > static_cast<std::size_t>(kMaxSearchStates) ||
        stored_bytes > kMaxSearchBytes) {
      return {false, true, "", stored_bytes};
    }
    const int id = queue.front();
    queue.pop_front();
    const int state = nodes[static_cast<std::size_t>(id)].state;
    if (language.Accepting(state)) {
      const bool matched = automaton.Accepts(nodes[static_cast<std::size_t>(id)].set);
      if ((goal == Goal::kFindUncovered) != matched) return {true, false, path(id), stored_bytes};
    }
    for (const char c : representatives) {
      const int to = language.Next(state, c);
      if (to < 0) continue;
      auto set = automaton.Step(nodes[static_cast<std::size_t>(id)].set, c);
      // With no live pattern position, nothing can be matched any more along this path.
      if (goal == Goal::kFindMatched && set.find_first_not_of('\0') == std::string::npos) continue;
      visit(to, std::move(set), id, c);
      if (stored_bytes > kMaxSearchBytes) return {false, true, "", stored_bytes};
    }
  }
  return {false, false, "", stored_bytes};
}

}  // namespace

CoverageResult Covers(const KeyLanguage& language, const std::vector<const ArnPattern*>& patterns) {
  for (const ArnPattern* p : patterns) {
    if (p->is_star) return {true, false, "", 0};
  }
  for (const std::string& canary : language.canaries()) {
    bool matched = false;
    for (const ArnPattern* p : patterns) {
      if (ArnPatternMatches(*p, canary)) {
        matched = true;
        break;
      }
    }
    if (!matched) return {false, false, canary, 0};
  }
  const SearchResult uncovered = Search(language, patterns, Goal::kFindUncovered);
  if (uncovered.exhausted) return {false, true, "", uncovered.bytes};
  if (!uncovered.found) return {true, false, "", uncovered.bytes};
  return {false, false, uncovered.witness, uncovered.bytes};
}

bool Intersects(const KeyLanguage& language, const ArnPattern& pattern) {
  if (pattern.is_star) return true;
  const SearchResult matched = Search(language, {&pattern}, Goal::kFindMatched);
  return matched.found || matched.exhausted;
}

}  // namespace kmsguard::iam
