// JsonText writes what nlohmann's dump() writes for the same ordered_json: compact and indented,
// every escape, invalid UTF-8 replaced, nested at any level.
#include "sdk/core/json_text.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kmsguard::core {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Writes `value` (strings, integers, booleans, arrays, objects) through JsonText.
void Write(const OrderedJson& value, JsonText& out) {
  if (value.is_object()) {
    out.BeginObject();
    for (const auto& [key, item] : value.items()) {
      out.Key(key);
      Write(item, out);
    }
    out.EndObject();
  } else if (value.is_array()) {
    out.BeginArray();
    for (const OrderedJson& item : value) Write(item, out);
    out.EndArray();
  } else if (value.is_string()) {
    out.String(value.get_ref<const std::string&>());
  } else if (value.is_boolean()) {
    out.Bool(value.get<bool>());
  } else {
    out.Int(value.get<std::int64_t>());
  }
}

std::string Dump(const OrderedJson& value, int indent) {
  return value.dump(indent, ' ', false, OrderedJson::error_handler_t::replace);
}

std::string Text(const OrderedJson& value, int indent, int level = 0) {
  std::string out;
  JsonText json(&out, indent, level);
  Write(value, json);
  return out;
}

std::vector<std::string> AwkwardStrings() {
  std::vector<std::string> out = {"",
                                  "plain",
                                  "quote \" and backslash \\ and slash /",
                                  "\b\f\n\r\t",
                                  std::string("nul\0inside", 10),
                                  "\x01\x1f\x7f",
                                  "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91",
                                  "cut \xE2\x82",
                                  "lone \xFF byte",
                                  "\xC0\xAF overlong",
                                  "surrogate \xED\xA0\x80"};
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int j = 0; j < n; ++j) s.push_back(static_cast<char>(rng() % 256));
    out.push_back(s);
  }
  return out;
}

// DumpJson never throws on bytes that are not UTF-8, in values or keys, of either JSON type: each
// maximal invalid subpart becomes U+FFFD; everything else is what dump() writes.
TEST(DumpJsonTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const nlohmann::json plain = {{"k\xFF", {"fu\x88z", "caf\xC3", "\xE2\x82!", "ok \xC3\xA9"}},
                                {"n", 1}};
  EXPECT_THROW((void)plain.dump(), nlohmann::json::type_error);
  EXPECT_EQ(DumpJson(plain),
            "{\"k\xEF\xBF\xBD\":[\"fu\xEF\xBF\xBDz\",\"caf\xEF\xBF\xBD\",\"\xEF\xBF\xBD!\","
            "\"ok \xC3\xA9\"],\"n\":1}");
  const OrderedJson ordered = {{"z", "\x88"}, {"a", true}};
  EXPECT_EQ(DumpJson(ordered), "{\"z\":\"\xEF\xBF\xBD\",\"a\":true}");
  EXPECT_EQ(DumpJson(ordered, 2), "{\n  \"z\": \"\xEF\xBF\xBD\",\n  \"a\": true\n}");
}

TEST(JsonTextTest, StringsAreEscapedAsNlohmannEscapesThem) {
  for (const std::string& s : AwkwardStrings()) {
    const OrderedJson value = s;
    EXPECT_EQ(Text(value, -1), Dump(value, -1)) << ::testing::PrintToString(s);
    const OrderedJson keyed = {{s, s}};
    EXPECT_EQ(Text(keyed, -1), Dump(keyed, -1)) << ::testing::PrintToString(s);
  }
}

// Long strings: the writer skips sixteen plain bytes at a time and checks UTF-8 from the first
// non-ASCII byte on, so escapes, multi-byte characters and invalid bytes are placed at every
// offset of runs longer than sixteen; an invalid byte after escapes already written must still give
// nlohmann's replaced text, and the text written before the string must stay.
TEST(JsonTextTest, LongStringsWithEscapesAndUtf8AtAnyOffset) {
  const std::vector<std::string> pieces = {"a", "bcdefghij", "\"", "\\", "\n", "\x01", "\x1f",
                                           "\xC3\xA9", "\xF0\x9F\x94\x91", "/", "\x7f",
                                           "seventeen bytes!!", "~ } { ! #", " "};
  const std::vector<std::string> invalid = {"\xFF", "\xE2\x82", "\xED\xA0\x80"};
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int j = 0; j < n; ++j) s += pieces[rng() % pieces.size()];
    if (i % 5 == 0) s.insert(rng() % (s.size() + 1), invalid[rng() % invalid.size()]);
    const OrderedJson value = s;
    EXPECT_EQ(Text(value, -1), Dump(value, -1)) << ::testing::PrintToString(s);
    const OrderedJson keyed = {{"before", "x"}, {s, s}};
    EXPECT_EQ(Text(keyed, -1), Dump(keyed, -1)) << ::testing::PrintToString(s);
  }
}

// The next byte that interrupts a string's plain text, from any start, at any place relative to
// the sixteen-byte steps: '"', '\\' and the 32 control characters; never a byte from 0x20 up
// otherwise (DEL, UTF-8, bytes that are not UTF-8 at all).
TEST(JsonTextTest, NextStringStopFindsEveryStopAndNothingElse) {
  std::string plain;
  for (int b = 0x20; b < 0x100; ++b) {
    if (b != '"' && b != '\\') plain += static_cast<char>(b);
  }
  for (int stop = 0; stop < 0x20 + 2; ++stop) {
    const char c = stop < 0x20 ? static_cast<char>(stop) : (stop == 0x20 ? '"' : '\\');
    for (std::size_t at = 0; at < 40; ++at) {
      std::string text = plain.substr(0, at) + c + plain;
      for (std::size_t from = 0; from <= at; from += 3) {
        EXPECT_EQ(NextJsonStringStop(text, from), at) << "byte " << stop << " at " << at;
      }
      EXPECT_EQ(NextJsonStringStop(text, at + 1), text.size()) << "byte " << stop;
    }
  }
  EXPECT_EQ(NextJsonStringStop("", 0), 0U);
  EXPECT_EQ(NextJsonStringStop(plain, 0), plain.size());
}

TEST(JsonTextTest, DocumentsCompactAndIndentedAtAnyLevel) {
  const OrderedJson document = {
      {"uid", "abc"},
      {"n", -42},
      {"big", 1234567890123},
      {"flag", true},
      {"off", false},
      {"empty_object", OrderedJson::object()},
      {"empty_array", OrderedJson::array()},
      {"list", {"a", "b\nc"}},
      {"nested", {{"x", {{"y", OrderedJson::array({1, OrderedJson::object(), "z"})}}},
                  {"objects", OrderedJson::array({{{"k", "v"}}, {{"k2", OrderedJson::array()}}})}}}};
  EXPECT_EQ(Text(document, -1), Dump(document, -1));
  EXPECT_EQ(Text(document, 2), Dump(document, 2));
  EXPECT_EQ(Text(document, 4), Dump(document, 4));
  // At level L, lines after the first are indented as dump(2)'s plus 2L spaces.
  std::string shifted = Dump(document, 2);
  for (std::size_t at = shifted.find('\n'); at != std::string::npos;
       at = shifted.find('\n', at + 1)) {
    shifted.insert(at + 1, "    ");
  }
  EXPECT_EQ(Text(document, 2, 2), shifted);
}

}  // namespace
}  // namespace kmsguard::core
