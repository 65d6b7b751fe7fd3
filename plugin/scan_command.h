// `kmsguard scan`: the reference host. Reads snapshots, runs the plugin as a child process, streams
// the resources to it and renders what comes back.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kmsguard::plugin {

struct ScanFlags {
  std::vector<std::string> files;
  std::string format = "table";  // a render::Renderers() name
  std::string input_format = "auto";  // adapters::InputFormatNames(): "auto", "gaad", ...
  std::vector<std::string> rule_dirs;
  std::vector<std::string> parameters;  // --parameter NAME=VALUE: CloudFormation parameter values
  // --gcp-policy RESOURCE=FILE: `gcloud … get-iam-policy --format=json` output and the resource
  // it is attached to (which the output does not name); CLI11 checked RESOURCE.
  std::vector<std::string> gcp_policies;
  bool show_pass = false;
  std::string fail_on = "fail";  // --fail-on: a level, a severity or both (exit_status.h FailRule)
  std::string baseline;  // --baseline FILE: an earlier scan's output to compare with
  std::string aws_account_id;     // --aws-account-id: ASFF's account where a resource names none
  bool explain = false;  // table: print each listed finding's explanation under it
  bool wide = false;     // table: never cut or wrap, whatever the terminal's width
  // --no-severity-trace: outputs show the effective severity only, byte for byte as before the
  // rule's own severity and its changes were shown (render::RenderOptions::severity_trace).
  bool no_severity_trace = false;
  // --quiet: no progress line and no informational lines on stderr (problems, warnings and rule
  // errors are still printed).
  bool quiet = false;
  // A FILE in a format read whole (not an authorization-details export, which is streamed) may
  // hold at most this many MiB: /dev/zero or a runaway pipe must not take the machine's memory.
  int max_input_mib = 512;
  // --plugin TARGET: scan with running plugins (any gRPC target) instead of launching one;
  // several replicas are balanced with round_robin (plugin/replica_scan.h). Empty: launch.
  std::string plugin;
  std::string tls_ca;           // PEM files, for --plugin
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;  // verify the replicas' certificate for this name
  bool tls = false;             // --tls: TLS with the system's roots and no other flag
  int parallel = 4;             // Evaluate calls in flight with --plugin
  double plugin_retry_seconds = 15;  // how long a batch is retried while no replica takes it
};

// Declares the subcommand and its flags on `app`; `flags` is filled in by parsing.
CLI::App* AddScanCommand(CLI::App& app, ScanFlags* flags);

// Runs the scan; the result goes to stdout, every problem to stderr. Returns the exit status of
// plugin/exit_status.h (documented in the subcommand's --help): bit 1 a failing finding, bit 2 an
// incomplete scan.
int RunScan(const ScanFlags& flags);

}  // namespace kmsguard::plugin
