#include "sdk/core/terraform_address.h"

namespace kmsguard::core {

std::vector<std::string_view> SplitTerraformAddress(std::string_view address) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  int brackets = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    const char c = address[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '[') {
      ++brackets;
    } else if (c == ']') {
      --brackets;
    } else if (c == '.' && brackets == 0) {
      parts.push_back(address.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  parts.push_back(address.substr(begin));
  return parts;
}

}  // namespace kmsguard::core
