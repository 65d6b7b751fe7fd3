#include "sdk/engine/builtins.h"

namespace kmsguard::engine {

namespace {

struct Implementation {
  std::string_view name;
  BuiltinFn fn;
};

// The one place that binds operator names to code; tests check it covers rules::Builtins().
constexpr Implementation kImplementations[] = {
    {"iam.allows", &IamAllows},
};

}  // namespace

BuiltinFn FindImplementation(std::string_view name) {
  for (const Implementation& impl : kImplementations) {
    if (impl.name == name) return impl.fn;
  }
  return nullptr;
}

}  // namespace kmsguard::engine
