// kmsguard: finds IAM principals whose identity policies allow decrypting with every KMS key
// (AWS Security Hub KMS.1 / KMS.2). One source file per subcommand; the command line itself is
// declared in plugin/cli.cc.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <exception>
#include <iostream>
#include <memory>

#include "plugin/cli.h"

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
  const std::unique_ptr<kmsguard::plugin::CommandLine> cli = kmsguard::plugin::MakeCommandLine();
  CLI::App& app = cli->app;
  // CLI11 would answer "A subcommand is required" to a mistyped command; name it instead.
  bool known_command = argc < 2 || argv[1][0] == '-';
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    known_command = known_command || command->get_name() == argv[1];
  }
  if (!known_command) {
    std::cerr
        << "kmsguard: unknown command \"" << argv[1]
        << "\"; the commands are scan, serve, check, test, eval and schema (see kmsguard --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version (exit 0) or the usage error; every usage error is status 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (cli->serve->parsed()) return kmsguard::plugin::RunServe(cli->serve_flags);
    if (cli->scan->parsed()) return kmsguard::plugin::RunScan(cli->scan_flags);
    if (cli->check->parsed()) return kmsguard::plugin::RunCheck(cli->check_flags);
    if (cli->test->parsed()) return kmsguard::plugin::RunTest(cli->test_flags);
    if (cli->eval->parsed()) return kmsguard::plugin::RunEval(cli->eval_flags);
    if (cli->schema->parsed()) return kmsguard::plugin::RunSchema(cli->schema_flags);
  } catch (const std::exception& e) {
    // Nothing should get here; if something does, fail like any other plugin failure.
    std::cerr << "kmsguard: internal error: " << e.what() << "\n";
  }
  return 2;
}
