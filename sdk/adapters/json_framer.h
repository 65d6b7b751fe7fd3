// Splits a stream of JSON objects (the pages of an export, one after another) into their root
// members and, for the members the caller names, into the elements of their array value, without
// holding more than one element in memory. Each element is handed on as text, for simdjson to
// parse and validate (core/json_tree.h).
//
// Why not a library: Debian's simdjson (3.0.1) parses one document at a time, whole, and its
// document streams need elements separated by whitespace, not commas; nlohmann's SAX reader
// streams but lexes every byte one character at a time (most of a scan's time before this
// framer). The framer only finds where values begin and end: it follows strings (and their
// escapes) and brackets, and checks the grammar of the two levels it splits (the root object and
// the arrays); everything inside an element is left to simdjson.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sdk/adapters/authorization_details.h"
#include "sdk/core/diagnostic.h"

namespace kmsguard::adapters::internal {

class JsonFramer {
 public:
  struct Callbacks {
    // A root member's key. True: when its value is an array, hand its elements to `element`.
    std::function<bool(std::string_view key)> split;
    // A root member that `split` accepted, whose value is not an array: the JSON type it has
    // instead ("object", "string", "number", "boolean", "null").
    std::function<void(std::string_view key, std::string_view type)> not_an_array;
    // An array member that `split` accepted was seen (even when empty).
    std::function<void(std::string_view key)> array_seen;
    // One element of a split array, in order: its 0-based index, its text (valid until the next
    // call) and the byte offset where it starts in the input.
    std::function<void(std::string_view key, std::size_t index, std::string_view text,
                       std::uint64_t offset)>
        element;
    // A document of the input is not an object: its JSON type. Reading stops there.
    std::function<void(std::string_view type)> root_not_object;
  };

  // Largest element held in memory; a larger one (a runaway string in a corrupt file) is a
  // syntax error at its start rather than unbounded memory.
  static constexpr std::size_t kMaxElementBytes = std::size_t{256} << 20;

  JsonFramer(const ByteSource& source, Callbacks callbacks)
      : source_(source), callbacks_(std::move(callbacks)) {}

  // Reads the whole input. Returns false after a syntax error (then `error()` says what and
  // `error_offset()` where); every element before it has been handed on. Documents are counted
  // from 0 (`document()`, during callbacks).
  bool Run();

  const std::string& error() const { return error_; }
  std::uint64_t error_offset() const { return error_offset_; }
  int document() const { return document_; }

  // Line and column (1-based) of a byte offset within the text still held (the element being
  // handed on, or the error position); cheapest when asked in increasing order.
  core::SourceLocation LocationAt(std::uint64_t offset, std::string_view file);

 private:
  // The byte at pos_, reading more input when needed; -1 at the end of the input.
  int Peek();
  bool Fill();
  bool SkipWhitespace();  // false at the end of the input
  bool Fail(std::string message);
  bool Expect(char wanted, const char* what);
  // Scans the value that starts at pos_ (after whitespace). On success pos_ is just past it.
  bool ScanValue(std::string_view* type);
  bool ScanString();
  bool ScanContainer();
  bool ScanScalar(std::string_view* type);
  bool ReadKey(std::string* key);
  bool ReadDocument();
  bool ReadArray(const std::string& key);

  const ByteSource& source_;
  Callbacks callbacks_;
  std::string buffer_;
  std::size_t size_ = 0;      // bytes of buffer_ that hold input
  std::size_t pos_ = 0;       // next byte to read
  std::size_t keep_ = std::string::npos;  // buffer_ from here on must survive a refill
  std::uint64_t base_ = 0;    // input offset of buffer_[0]
  bool eof_ = false;
  bool bom_checked_ = false;
  int document_ = -1;
  std::string error_;
  std::uint64_t error_offset_ = 0;
  std::string stack_;  // open brackets of the value being scanned
  // Line counting: lines and the start of the current line, up to `counted_` (an input offset).
  std::uint64_t counted_ = 0;
  std::uint64_t lines_ = 0;
  std::uint64_t line_start_ = 0;
  std::uint64_t base_lines_ = 0;  // the same, at base_
  std::uint64_t base_line_start_ = 0;
};

}  // namespace kmsguard::adapters::internal
