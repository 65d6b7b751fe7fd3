// `kmsguard schema`: the JSON Schema of rule files (docs/schema/kmsguard-rule.schema.json, embedded
// in the binary), so that an editor finds it from any directory: written to stdout, or with --path
// the installed copy's absolute path, for yaml-language-server's `# yaml-language-server:
// $schema=PATH` line (issue 17).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace kmsguard::plugin {

struct SchemaFlags {
  bool path = false;  // --path: print where the installed schema is instead of the schema
};

CLI::App* AddSchemaCommand(CLI::App& app, SchemaFlags* flags);

// The schema's text as built into this binary.
std::string_view RuleSchemaJson();

// Where an installation keeps the schema, from the binary's own path: PREFIX/bin/kmsguard ->
// PREFIX/share/kmsguard/schema/kmsguard-rule.schema.json (the layout `cmake --install` and the
// Debian package make). Does not look at the file system.
std::string InstalledSchemaPath(std::string_view binary_path);

// 0 after writing the schema (or its path) to stdout; 1 with --path when no installed copy is
// there (a binary run from its build tree), saying how to get the schema instead.
int RunSchema(const SchemaFlags& flags);

}  // namespace kmsguard::plugin
