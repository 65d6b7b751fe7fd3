#pragma once

#include <string>

namespace kmsguard::plugin {

inline constexpr char kPluginName[] = "kmsguard";
// The project version (CMake's PROJECT_VERSION), set by plugin/CMakeLists.txt.
inline constexpr char kPluginVersion[] = KMSGUARD_VERSION;

// The git commit the `kmsguard` binary was built from: 12 hex digits, "-dirty" appended when
// tracked files had uncommitted changes, or "unknown" outside a git checkout (a source archive).
// Written at build time by plugin/build_commit.cmake; -DKMSGUARD_GIT_COMMIT=... sets it instead.
extern const char kBuildCommit[];

// What `kmsguard --version` prints: "kmsguard 0.1.0 (commit 2630317d1e2f)".
inline std::string VersionText() {
  return std::string(kPluginName) + " " + kPluginVersion + " (commit " + kBuildCommit + ")";
}

}  // namespace kmsguard::plugin
