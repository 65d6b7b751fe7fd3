#include "plugin/schema_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <system_error>

namespace kmsguard::plugin {

namespace internal {
extern const char kRuleSchemaJson[];  // generated from docs/schema (plugin/CMakeLists.txt)
}  // namespace internal

std::string_view RuleSchemaJson() { return internal::kRuleSchemaJson; }

CLI::App* AddSchemaCommand(CLI::App& app, SchemaFlags* flags) {
  CLI::App* schema = app.add_subcommand(
      "schema",
      "Print the JSON Schema of rule files, for editors: kmsguard schema > "
      "kmsguard-rule.schema.json, then start a rule file with # yaml-language-server: "
      "$schema=kmsguard-rule.schema.json");
  schema->add_flag("--path", flags->path,
                   "Print the installed schema's absolute path instead (PREFIX/share/kmsguard/"
                   "schema/kmsguard-rule.schema.json); exit 1 when this binary is not installed "
                   "beside one");
  return schema;
}

std::string InstalledSchemaPath(std::string_view binary_path) {
  const std::filesystem::path binary(binary_path);
  return (binary.parent_path().parent_path() / "share" / "kmsguard" / "schema" /
          "kmsguard-rule.schema.json")
      .lexically_normal()
      .string();
}

int RunSchema(const SchemaFlags& flags) {
  if (!flags.path) {
    std::cout << RuleSchemaJson();
    std::cout.flush();
    return std::cout ? 0 : 2;
  }
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string path = error ? "" : InstalledSchemaPath(self.string());
  if (path.empty() || access(path.c_str(), R_OK) != 0) {
    std::cerr << "kmsguard schema: no installed schema beside this binary"
              << (path.empty() ? "" : " (looked for " + path + ")")
              << "; write one with: kmsguard schema > kmsguard-rule.schema.json\n";
    return 1;
  }
  std::cout << path << "\n";
  return 0;
}

}  // namespace kmsguard::plugin
