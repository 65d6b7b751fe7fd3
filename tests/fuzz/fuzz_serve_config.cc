// Fuzz target: the `kmsguard serve --config` settings file (plugin::ApplyConfigFile), which a
// service reads at start-up: YAML with raw-character checks, every setting's type and range.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "plugin/serve_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One file per process, rewritten for each input (ApplyConfigFile takes a path).
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/kmsguard-fuzz-config-" +
           std::to_string(getpid()) + ".yaml";
  }();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const kmsguard::plugin::ServeFlags command_line;
  kmsguard::plugin::ServeFlags flags;
  (void)kmsguard::plugin::ApplyConfigFile(path, command_line, &flags);
  return 0;
}
