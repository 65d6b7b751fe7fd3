#include "sdk/core/repeat_memo.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace kmsguard::core {
namespace {

// Counts the values made, so a test sees when the memo answers instead.
struct Maker {
  int made = 0;
  std::shared_ptr<const std::string> operator()(const std::string& key) {
    ++made;
    return std::make_shared<const std::string>(key + "!");
  }
};

TEST(RepeatMemoTest, KeepsAValueFromTheSecondAskOn) {
  RepeatMemo<std::shared_ptr<const std::string>> memo(8, 64);
  Maker maker;
  const auto get = [&](const std::string& key) {
    return memo.Get(key, [&] { return maker(key); });
  };
  const auto first = get("a");
  EXPECT_EQ(*first, "a!");
  EXPECT_EQ(maker.made, 1);
  const auto second = get("a");  // asked before: made again, and now kept
  EXPECT_EQ(maker.made, 2);
  EXPECT_NE(first.get(), second.get());
  const auto third = get("a");  // kept: the same value, nothing made
  EXPECT_EQ(maker.made, 2);
  EXPECT_EQ(third.get(), second.get());
  EXPECT_EQ(*get("b"), "b!");  // another key is its own value
  EXPECT_EQ(maker.made, 3);
}

TEST(RepeatMemoTest, DistinctKeysAreNeverKeptAndBoundsHold) {
  RepeatMemo<std::shared_ptr<const std::string>> memo(4, 16);
  Maker maker;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(*memo.Get(key, [&] { return maker(key); }), key + "!");
  }
  EXPECT_EQ(maker.made, 1000);
  // More repeating keys than max_entries: every answer is still the key's own value, and a
  // value evicted with the rest is made again.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      const std::string key = "r" + std::to_string(i);
      EXPECT_EQ(*memo.Get(key, [&] { return maker(key); }), key + "!");
    }
  }
}

}  // namespace
}  // namespace kmsguard::core
