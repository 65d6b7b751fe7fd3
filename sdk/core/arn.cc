#include "sdk/core/arn.h"

#include <algorithm>

namespace kmsguard::core {

std::optional<ArnFields> SplitArn(std::string_view text) {
  if (!text.starts_with("arn:")) return std::nullopt;
  std::string_view fields[5];
  std::size_t start = 4;
  for (int i = 0; i < 4; ++i) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    fields[i] = text.substr(start, colon - start);
    start = colon + 1;
  }
  fields[4] = text.substr(start);
  return ArnFields{fields[0], fields[1], fields[2], fields[3], fields[4]};
}

bool IsAccountId(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace kmsguard::core
