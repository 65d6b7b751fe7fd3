#include "sdk/engine/builtins.h"

namespace kmsguard::engine {

namespace {

// The one place that binds operator names to code; tests check it covers rules::Builtins().
constexpr Builtin kImplementations[] = {
    {"iam.allows", &PrepareIamAllows, &IamAllows},
    {"gcp.grants", &PrepareGcpGrants, &GcpGrants},
    {"azure.grants", &PrepareAzureGrants, &AzureGrants},
};

}  // namespace

const Builtin* FindImplementation(std::string_view name) {
  for (const Builtin& impl : kImplementations) {
    if (impl.name == name) return &impl;
  }
  return nullptr;
}

}  // namespace kmsguard::engine
