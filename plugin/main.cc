// kmsguard: finds IAM principals whose identity policies allow decrypting with every KMS key
// (AWS Security Hub KMS.1 / KMS.2). One source file per subcommand.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <exception>
#include <iostream>

#include "plugin/check_command.h"
#include "plugin/eval_command.h"
#include "plugin/scan_command.h"
#include "plugin/serve_command.h"
#include "plugin/test_command.h"
#include "plugin/version.h"

int main(int argc, char** argv) {
  // A standard descriptor the caller closed (`>&-`) would be the number the next open() returns:
  // output meant for stdout would then go into a socket or an eventfd. /dev/null holds the place.
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      const int null_fd = open("/dev/null", O_RDWR);
      if (null_fd >= 0 && null_fd != fd) {
        dup2(null_fd, fd);
        close(null_fd);
      }
    }
  }
  using kmsguard::plugin::kPluginVersion;
  CLI::App app{
      "kmsguard: finds IAM principals allowed to decrypt with every KMS key (AWS Security Hub "
      "KMS.1/KMS.2)",
      "kmsguard"};
  app.set_version_flag("--version", kPluginVersion);
  app.require_subcommand(1);
  kmsguard::plugin::ServeFlags serve_flags;
  kmsguard::plugin::ScanFlags scan_flags;
  CLI::App* serve = kmsguard::plugin::AddServeCommand(app, &serve_flags);
  CLI::App* scan = kmsguard::plugin::AddScanCommand(app, &scan_flags);
  // Rule authoring (OPA-style exit codes: 0 ok, 1 findings or test failures, 2 load errors).
  kmsguard::plugin::CheckFlags check_flags;
  kmsguard::plugin::TestFlags test_flags;
  kmsguard::plugin::EvalFlags eval_flags;
  CLI::App* check = kmsguard::plugin::AddCheckCommand(app, &check_flags);
  CLI::App* test = kmsguard::plugin::AddTestCommand(app, &test_flags);
  CLI::App* eval = kmsguard::plugin::AddEvalCommand(app, &eval_flags);
  // CLI11 would answer "A subcommand is required" to a mistyped command; name it instead.
  bool known_command = argc < 2 || argv[1][0] == '-';
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    known_command = known_command || command->get_name() == argv[1];
  }
  if (!known_command) {
    std::cerr << "kmsguard: unknown command \"" << argv[1]
              << "\"; the commands are scan, serve, check, test and eval (see kmsguard --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version (exit 0) or the usage error; every usage error is status 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (serve->parsed()) return kmsguard::plugin::RunServe(serve_flags);
    if (scan->parsed()) return kmsguard::plugin::RunScan(scan_flags);
    if (check->parsed()) return kmsguard::plugin::RunCheck(check_flags);
    if (test->parsed()) return kmsguard::plugin::RunTest(test_flags);
    if (eval->parsed()) return kmsguard::plugin::RunEval(eval_flags);
  } catch (const std::exception& e) {
    // Nothing should get here; if something does, fail like any other plugin failure.
    std::cerr << "kmsguard: internal error: " << e.what() << "\n";
  }
  return 2;
}
