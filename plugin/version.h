#pragma once

namespace kmsguard::plugin {

inline constexpr char kPluginName[] = "kmsguard";
// The project version (CMake's PROJECT_VERSION), set by plugin/CMakeLists.txt.
inline constexpr char kPluginVersion[] = KMSGUARD_VERSION;

}  // namespace kmsguard::plugin
