// Data files shipped with kmsguard (rules/catalogs/*.json: provider role catalogs), generated from
// a public source by a script under scripts/, embedded in the library at build time and read once
// on first use. What every such file shares: its provenance header and how it is loaded.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::core {

// Where a data file was generated from: "source", "source_commit" and "source_date".
struct DataSource {
  std::string source;
  std::string commit;
  std::string date;
  // "<source> (commit <c>, <date>)": for docs, messages and reports.
  std::string Describe() const;
};

// InvalidArgument "NAME#POINTER: MESSAGE": an error in data file `name` at a JSON pointer.
absl::Status DataError(std::string_view name, std::string_view pointer, std::string_view message);

// Sets `*out` to the string member `key` of `object`; false when absent or not a string.
bool ReadStringMember(simdjson::dom::element object, std::string_view key, std::string* out);

// Reads the provenance members of `root`; a DataError naming `name` when one is not a string.
absl::Status ReadDataSource(simdjson::dom::element root, std::string_view name, DataSource* out);

// A data file read: its value, or a default value and why not (an InternalError: a build from a
// damaged file).
template <typename T>
struct EmbeddedData {
  absl::Status status;
  T value;
};

// Reads an embedded data file with `read` (a callable returning absl::StatusOr<T>). Callers keep
// the result in a function-local static, so it is read once, thread-safely, and never freed.
template <typename T, typename Read>
const EmbeddedData<T>* ReadEmbedded(Read read) {
  auto* loaded = new EmbeddedData<T>;
  absl::StatusOr<T> value = read();
  if (value.ok()) {
    loaded->value = *std::move(value);
  } else {
    loaded->status = absl::InternalError(value.status().message());
  }
  return loaded;
}

}  // namespace kmsguard::core
