// kmsguard_cli_docs OUTDIR VERSION: writes the man pages (OUTDIR/man1/*.1) and the bash
// and zsh completions (OUTDIR/completions/kmsguard, OUTDIR/completions/_kmsguard) generated from
// kmsguard's command line. Run by the build (plugin/CMakeLists.txt); not installed.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "plugin/cli.h"
#include "plugin/cli_docs.h"

namespace {

bool Write(const std::filesystem::path& path, const std::string& text) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (error || !out) {
    std::cerr << "kmsguard_cli_docs: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: kmsguard_cli_docs OUTDIR VERSION\n";
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  const std::string version = std::string("kmsguard ") + argv[2];
  const std::unique_ptr<kmsguard::plugin::CommandLine> cli = kmsguard::plugin::MakeCommandLine();
  std::vector<kmsguard::plugin::GeneratedFile> files =
      kmsguard::plugin::ManPages(cli->app, version);
  files.push_back({"completions/kmsguard", kmsguard::plugin::BashCompletion(cli->app)});
  files.push_back({"completions/_kmsguard", kmsguard::plugin::ZshCompletion(cli->app)});
  bool ok = true;
  for (const auto& file : files) ok = Write(out_dir / file.path, file.text) && ok;
  return ok ? 0 : 1;
}
