#include "sdk/core/data_file.h"

#include "absl/strings/str_cat.h"

namespace kmsguard::core {

std::string DataSource::Describe() const {
  return absl::StrCat(source, " (commit ", commit, ", ", date, ")");
}

absl::Status DataError(std::string_view name, std::string_view pointer, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(name), "#", Sv(pointer), ": ", Sv(message)));
}

bool ReadStringMember(simdjson::dom::element object, std::string_view key, std::string* out) {
  simdjson::dom::element element;
  if (!Member(object, key, &element) || !element.is_string()) return false;
  *out = std::string(StringOf(element));
  return true;
}

absl::Status ReadDataSource(simdjson::dom::element root, std::string_view name, DataSource* out) {
  if (!ReadStringMember(root, "source", &out->source) ||
      !ReadStringMember(root, "source_commit", &out->commit) ||
      !ReadStringMember(root, "source_date", &out->date)) {
    return DataError(name, "", "needs the strings source, source_commit and source_date");
  }
  return absl::OkStatus();
}

}  // namespace kmsguard::core
