#include "plugin/cli.h"

#include "plugin/version.h"

namespace kmsguard::plugin {

std::unique_ptr<CommandLine> MakeCommandLine() {
  auto cli = std::make_unique<CommandLine>();
  CLI::App& app = cli->app;
  app.name("kmsguard");
  app.description(
      "kmsguard: finds IAM principals allowed to decrypt with every KMS key (AWS Security Hub "
      "KMS.1/KMS.2)");
  app.set_version_flag("--version", VersionText(), "Print the version and the git commit, and exit");
  app.require_subcommand(1);
  cli->serve = AddServeCommand(app, &cli->serve_flags);
  cli->scan = AddScanCommand(app, &cli->scan_flags);
  // Rule authoring (OPA-style exit codes: 0 ok, 1 findings or test failures, 2 load errors).
  cli->check = AddCheckCommand(app, &cli->check_flags);
  cli->test = AddTestCommand(app, &cli->test_flags);
  cli->eval = AddEvalCommand(app, &cli->eval_flags);
  cli->schema = AddSchemaCommand(app, &cli->schema_flags);
  return cli;
}

}  // namespace kmsguard::plugin
