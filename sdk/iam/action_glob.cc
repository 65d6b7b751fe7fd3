#include "sdk/iam/action_glob.h"

#include "sdk/core/text.h"

namespace kmsguard::iam {

bool ActionGlobMatches(std::string_view pattern, std::string_view action) {
  return core::StarGlobMatch(pattern, action, {.ignore_case = true, .question_mark = true});
}

}  // namespace kmsguard::iam
