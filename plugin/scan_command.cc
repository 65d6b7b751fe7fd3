#include "plugin/scan_command.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"
#include "plugin/exit_status.h"
#include "plugin/input_file.h"
#include "plugin/plugin_process.h"
#include "plugin/replica_scan.h"
#include "plugin/rule_loader.h"
#include "plugin/scan_baseline.h"
#include "plugin/scan_inputs.h"
#include "plugin/scan_progress.h"
#include "plugin/terminal_width.h"
#include "plugin/tls_files.h"
#include "plugin/version.h"
#include "sdk/adapters/gzip.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/client/plugin_client.h"
#include "sdk/core/digest.h"
#include "sdk/core/json_tree.h"
#include "sdk/model/iam_document.h"
#include "sdk/render/render.h"

namespace kmsguard::plugin {

namespace {

constexpr auto kStartTimeout = std::chrono::milliseconds(10000);
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr int kBatchSize = 100;

constexpr char kExitStatusHelp[] =
    "Reads each FILE (AWS: `aws iam get-account-authorization-details` output, AWS Config\n"
    "items, a CloudFormation template in JSON or YAML; Google Cloud: a Cloud Asset Inventory\n"
    "export, `gcloud asset search-all-iam-policies --format=json` output; Azure: `az` CLI, ARM\n"
    "REST or Resource Graph output, an ARM template; a Terraform plan or state from\n"
    "`terraform show -json`; gzip-compressed files too; the format is detected from the\n"
    "content unless --input-format says it) and each --gcp-policy\n"
    "RESOURCE=FILE (`gcloud ... get-iam-policy --format=json` output, which does not name the\n"
    "resource it is attached to: RESOURCE says it, e.g. projects/acme, folders/12 or\n"
    "projects/acme/locations/eu/keyRings/ring), starts the plugin (`kmsguard serve`) as a\n"
    "child process on a private Unix socket (or, with --plugin TARGET, uses running\n"
    "replicas), streams the resources to it and prints the findings to stdout.\n"
    "Problems go to stderr as `file#/pointer: error: message [code]`.\n"
    "\n"
    "Exit status: two bits, so that neither answer hides the other.\n"
    "  1  a FAIL finding (with --fail-on warning, also a WARNING; with --fail-on never, not set;\n"
    "     with --fail-on new, only a FAIL or WARNING finding that is NEW against --baseline;\n"
    "     with a severity, as --fail-on high or --fail-on warning,high, only those of severity\n"
    "     high or critical)\n"
    "  2  the scan is incomplete: a FILE could not be read or is not a snapshot, an entry or\n"
    "     resource could not be read, a rule could not be evaluated (ERROR finding), a rule file\n"
    "     under --rules did not load (the rules that loaded still ran), the input held nothing\n"
    "     to scan, the output could not be written or could not hold every finding (ASFF\n"
    "     without an account: see --aws-account-id), the plugin failed; or a usage error\n"
    "  0  a complete scan, nothing failing; 1 complete with failures; 2 incomplete without a\n"
    "     known failure; 3 incomplete with failures (`status & 1`: failed; `status & 2`: partial)\n"
    "\n"
    "Each FILE is read once; a pipe or FIFO too, and - is standard input (named <stdin> in\n"
    "messages and findings): `aws iam get-account-authorization-details | kmsguard scan -`.\n"
    "Authorization-details exports are streamed; a file in another format is read whole, up to\n"
    "--max-input-mib (default 512).";

// Step 3: the scan itself. The client (and its connection) is gone when this returns: the plugin
// drains open connections when told to stop, so one left open would hold it for its whole grace
// period.
absl::StatusOr<client::ScanResult> ScanWith(PluginProcess& process, Inputs& inputs,
                                            ScanProgress& progress, client::ScanOptions options) {
  // Step 2: the child says when it serves (a pipe, not polling), or that it ended instead.
  if (absl::Status serving = process.WaitUntilReady(kStartTimeout); !serving.ok()) {
    return serving;
  }
  client::PluginClient plugin_client(process.address());
  options.scan_id = absl::StrCat("kmsguard-scan-", getpid());
  options.batch_size = kBatchSize;
  absl::StatusOr<client::ScanResult> result = plugin_client.ScanStreaming(
      [&inputs, &progress](const client::PluginClient::Send& send) {
        ProduceResources(inputs, progress, send);
      },
      options);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("the plugin failed the scan: ", result.status().ToString()));
  }
  return result;
}

// How to reach the replicas of --plugin, from the flags: the PEM files read and checked with
// OpenSSL (a wrong or mismatched file is named now, not seen by gRPC as "no connection" after
// the retry time), and a name to check certificates against when the target has none of its own.
absl::StatusOr<client::ChannelOptions> ChannelFromFlags(const ScanFlags& flags) {
  client::ChannelOptions channel;
  channel.target = flags.plugin;
  channel.tls = flags.tls;
  channel.tls_server_name = flags.tls_server_name;
  channel.round_robin = true;
  for (const auto& [path, what, out] :
       {std::tuple{&flags.tls_ca, "TLS CA", &channel.tls_ca_pem},
        std::tuple{&flags.tls_cert, "TLS certificate", &channel.tls_cert_pem},
        std::tuple{&flags.tls_key, "TLS key", &channel.tls_key_pem}}) {
    absl::StatusOr<std::string> pem = ReadTlsFile(*path, what);
    if (!pem.ok()) return pem.status();
    *out = *std::move(pem);
  }
  if (channel.tls_cert_pem.empty() != channel.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together (mTLS)");
  }
  if (absl::Status files = CheckTlsFiles(channel.tls_cert_pem, flags.tls_cert,
                                         channel.tls_key_pem, flags.tls_key, channel.tls_ca_pem,
                                         flags.tls_ca, "TLS CA");
      !files.ok()) {
    return files;
  }
  // TLS checks the replicas' certificate against one name, by default the target's authority;
  // for a list of addresses that is the whole list ("127.0.0.1:1,127.0.0.1:2"), which no
  // certificate holds: every handshake would fail, seen only as "no connection" after the retry
  // time.
  if (channel.UsesTls() && channel.tls_server_name.empty() &&
      (flags.plugin.starts_with("ipv4:") || flags.plugin.starts_with("ipv6:")) &&
      flags.plugin.find(',') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--plugin ", flags.plugin,
        " lists several addresses: with TLS, give --tls-server-name, the name the replicas' "
        "certificate holds"));
  }
  return channel;
}

// Step 3 with --plugin: the replicas behind the target, balanced by gRPC (round_robin, health
// checks), each batch its own call, sent again when its replica fails (plugin/replica_scan.h).
absl::StatusOr<client::ScanResult> ScanRemote(const ScanFlags& flags,
                                              const client::ChannelOptions& channel, Inputs& inputs,
                                              ScanProgress& progress, client::ScanOptions options) {
  const auto budget = std::chrono::milliseconds(
      static_cast<std::int64_t>(flags.plugin_retry_seconds * 1000));
  client::PluginClient plugin_client(channel);
  if (absl::Status serving = plugin_client.WaitForServing(std::max(
          budget, std::chrono::milliseconds(1)));
      !serving.ok()) {
    const absl::string_view why = serving.message();
    const std::string hint = NoReplicaHint(std::string_view(why.data(), why.size()), channel);
    return absl::UnavailableError(absl::StrCat("no replica of the plugin at ", flags.plugin,
                                               " is serving: ", serving.message(),
                                               hint.empty() ? "" : "; ", hint));
  }
  if (absl::StatusOr<client::PluginInfo> info = plugin_client.GetPluginInfo();
      info.ok() && !flags.quiet) {
    std::cerr << "kmsguard scan: plugin at " << flags.plugin << ": " << info->name << " "
              << info->version << ", " << info->rules.size() << " rule(s) loaded\n";
  }
  options.scan_id = absl::StrCat("kmsguard-scan-", getpid());
  ReplicaScanOptions replica_options;
  replica_options.parallel = flags.parallel;
  replica_options.chunk_size = kBatchSize;
  replica_options.retry_budget = budget;
  replica_options.scan = std::move(options);
  replica_options.target = flags.plugin;
  absl::StatusOr<ReplicaScanResult> result = ScanOverReplicas(
      plugin_client,
      [&inputs, &progress](const client::PluginClient::Send& send) {
        ProduceResources(inputs, progress, send);
      },
      replica_options);
  if (!result.ok()) return result.status();
  progress.Stop();
  if (flags.quiet) return std::move(result->result);
  // Which replica answered how much, and with which rule set: stderr, so stdout stays the report.
  std::cerr << "kmsguard scan: " << result->chunks << " batch(es) over "
            << result->replicas.size() << " replica(s) of " << flags.plugin;
  if (result->resent_chunks > 0) {
    std::cerr << "; " << result->resent_chunks
              << " batch(es) sent again after their replica failed";
  }
  std::cerr << "\n";
  for (const auto& [name, stats] : result->replicas) {
    std::cerr << "kmsguard scan:   replica " << name;
    if (!stats.peer.empty() && stats.peer != name) std::cerr << " (" << stats.peer << ")";
    std::cerr << ": " << stats.calls << " batch(es), " << stats.resources << " resource(s), "
              << stats.findings << " finding(s)";
    if (stats.failed_calls > 0) std::cerr << ", " << stats.failed_calls << " failed call(s)";
    for (const auto& [version, calls] : stats.rules_versions) {
      std::cerr << ", rules " << version << " (" << calls << ")";
    }
    std::cerr << "\n";
  }
  return std::move(result->result);
}

// The progress line: only for a person at a terminal (stderr one, not "dumb"), never with --quiet;
// a total only when every streamed input is a regular file.
ScanProgress::Options ProgressOptions(const ScanFlags& flags, const Inputs& inputs) {
  ScanProgress::Options options;
  const char* term = std::getenv("TERM");
  options.enabled = !flags.quiet && isatty(STDERR_FILENO) == 1 &&
                    !(term != nullptr && std::string_view(term) == "dumb");
  options.width = TerminalColumns(STDERR_FILENO).value_or(0);
  for (const std::size_t index : inputs.streamed_files) {
    const std::uint64_t size = inputs.streams[index]->raw_size();
    if (size == 0) {
      options.total_bytes = 0;
      break;
    }
    options.total_bytes += size;
  }
  return options;
}

// Step 4, while the scan runs: each finding goes to the renderer as it arrives, so the host holds
// none of them (a 1 GB export yields over a million); problems go to stderr at once.
class FindingSink {
 public:
  FindingSink(const Inputs& inputs, render::FindingWriter& writer,
              render::BaselineComparison* baseline, ScanProgress& progress)
      : writer_(writer), baseline_(baseline), progress_(progress) {
    for (const auto& resource : inputs.resources) where_.emplace(resource.id, &resource.source);
  }

  void Add(model::Finding&& finding) {
    progress_.AddFinding(finding.status == model::Status::kFail);
    const auto severity = static_cast<std::size_t>(finding.severity);
    if (finding.status == model::Status::kFail) ++counts_.fail_by_severity[severity];
    if (finding.status == model::Status::kWarning) ++counts_.warning_by_severity[severity];
    if (baseline_ != nullptr && IsNewOpenFinding(finding, *baseline_)) {
      ++counts_.new_open_by_severity[severity];
    }
    if (finding.status == model::Status::kError) {
      core::SourceLocation location = finding.source;
      if (location.file.empty()) {
        if (auto it = where_.find(finding.resource_id); it != where_.end()) location = *it->second;
      }
      if (location.resource_id.empty()) location.resource_id = finding.resource_id;
      ReportProblem("eval_error", absl::StrCat("rule ", finding.rule_id, ": ", finding.message),
                    location);
      ++problems_;
    }
    writer_.Take(std::move(finding));
    ++written_;
    if (!std::cout && output_error_.empty()) {
      // What the failed write left in errno: "No space left on device", "Bad file descriptor".
      output_error_ = errno != 0 ? std::strerror(errno) : "the stream failed";
    }
  }

  // Empty while stdout takes the output; else why it stopped (the scan is then cancelled rather
  // than run to the end for nothing).
  const std::string& output_error() const { return output_error_; }

  void AddError(client::ResourceError&& error) {
    // Its earlier findings are not resolved by being missing from this scan.
    if (baseline_ != nullptr) baseline_->MarkUnevaluated(error.resource_id);
    ReportProblem(error.code, error.message, error.source);
    ++problems_;
  }

  // A problem of the scan's joined picture (ScanDiagnostic): an error leaves the scan incomplete.
  void AddDiagnostic(const core::Diagnostic& diagnostic) {
    ReportProblem(diagnostic);
    if (diagnostic.severity == core::DiagnosticSeverity::kError) ++problems_;
  }

  // The FAIL, WARNING and NEW-open findings that arrived, by severity and in all.
  ScanOutcome Counts() const {
    ScanOutcome outcome = counts_;
    for (std::size_t i = 0; i < outcome.fail_by_severity.size(); ++i) {
      outcome.fail += outcome.fail_by_severity[i];
      outcome.warning += outcome.warning_by_severity[i];
      outcome.new_open += outcome.new_open_by_severity[i];
    }
    return outcome;
  }
  int problems() const { return problems_; }
  std::int64_t written() const { return written_; }

 private:
  render::FindingWriter& writer_;
  render::BaselineComparison* baseline_;  // null without --baseline
  ScanProgress& progress_;
  ScanOutcome counts_;                    // only the by-severity counts are kept here
  // Where each resource read whole came from, for its ERROR findings (streamed resources carry
  // their source through the plugin).
  std::map<std::string_view, const core::SourceLocation*> where_;
  int problems_ = 0;
  std::int64_t written_ = 0;
  std::string output_error_;
};

// What produced the scan, for the HTML report's "Scan context" (the other formats ignore it; only
// html gets the rules): the inputs, and the rules, exceptions and overrides the plugin loads
// (`loaded`: the host's own load of the same rules, for its count line; null with --plugin or when
// the rules did not load).
render::ScanContext ScanContextFor(const ScanFlags& flags, const Inputs& inputs,
                                   const LoadedRules* loaded) {
  render::ScanContext context;
  context.inputs = inputs.files;
  if (flags.format != "html") return context;
  if (!flags.plugin.empty()) {
    context.rules_note = "the rules the replicas at " + flags.plugin + " loaded (serve --rules)";
    return context;
  }
  if (loaded == nullptr) return context;
  context.rules_version = loaded->version;
  context.override_files = loaded->override_files;
  const std::string today = rules::TodayUtc();
  for (const rules::Rule& rule : loaded->rule_set->rules()) {
    std::size_t in_force = 0;
    for (const rules::Exception& exception : rule.exceptions) {
      if (exception.ExpiredOn(today)) continue;
      ++in_force;
      const std::string& file = exception.location.file;
      if (std::find(context.override_files.begin(), context.override_files.end(), file) ==
          context.override_files.end()) {
        context.override_files.push_back(file);
      }
    }
    context.rules.push_back({rule.id, rule.version, rule.location.file, in_force});
  }
  return context;
}

}  // namespace

CLI::App* AddScanCommand(CLI::App& app, ScanFlags* flags) {
  CLI::App* scan = app.add_subcommand("scan", "Scan IAM snapshots, Terraform plans and templates");
  scan->add_option("FILE", flags->files,
                   "A snapshot, its format detected from the content (docs/input-formats.md). "
                   "AWS: `aws iam get-account-authorization-details` output, AWS Config items, a "
                   "CloudFormation template (JSON or YAML). Google Cloud: a Cloud Asset Inventory "
                   "export (`gcloud asset export`), `gcloud asset search-all-iam-policies "
                   "--format=json` output (`get-iam-policy` output goes with --gcp-policy). "
                   "Azure: `az` CLI, ARM REST or Resource Graph output, an ARM template. A "
                   "Terraform plan or state (`terraform show -json`; AWS, Google Cloud and Azure "
                   "resources). gzip too; "
                   "- reads standard input");
  scan->add_option("--input-format", flags->input_format,
                   "Format of every FILE (auto: detect from the content)")
      ->check(CLI::IsMember(adapters::InputFormatNames()))
      ->capture_default_str();
  scan->add_option("--format", flags->format, "Output format on stdout (docs/findings.md)")
      ->check(CLI::IsMember(render::RendererNames()))
      ->capture_default_str();
  scan->add_option("--rules", flags->rule_dirs,
                   "Also load every *.yaml / *.yml rule file under DIR, or the rule file FILE "
                   "(repeatable)")
      ->type_name("DIR|FILE")
      // One value per flag: CLI11 would otherwise let a vector option take every word up to
      // the positionals, so `--rules R.yaml a.json b.json` read a.json as a rule file.
      ->allow_extra_args(false)
      // Without its description: CLI11 would append ":PATH" to the type name in --help.
      ->check(CLI::Validator(CLI::ExistingPath).description(""));
  scan->add_option("--parameter", flags->parameters,
                   "A CloudFormation or ARM template parameter's value, in place of its "
                   "default (repeatable; a list parameter's value is comma-separated)")
      ->type_name("NAME=VALUE")
      // One value per flag, as for scan --rules.
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            return value.find('=') == 0 || value.find('=') == std::string::npos
                       ? "expected NAME=VALUE, got \"" + value + "\""
                       : "";
          },
          ""));
  scan->add_option("--gcp-policy", flags->gcp_policies,
                   "`gcloud ... get-iam-policy --format=json` output in FILE (gzip too; - is "
                   "standard input), attached to RESOURCE, which the output does not name: "
                   "organizations/N, folders/N, projects/P, projects/P/locations/L/keyRings/R or "
                   ".../keyRings/R/cryptoKeys/K, or a Cloud Asset Inventory full name (repeatable)")
      ->type_name("RESOURCE=FILE")
      // One value per flag, as for scan --rules.
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            AttachedPolicy ignored;
            return ParseAttachedPolicy(value, &ignored);
          },
          ""));
  scan->add_flag("--show-pass", flags->show_pass, "List PASS findings in the table too");
  scan->add_option("--aws-account-id", flags->aws_account_id,
                   "ASFF: the AWS account of findings whose resource names none (Terraform "
                   "plans, CloudFormation templates), and the importing account of Google Cloud "
                   "and Azure findings; without it they are left out, and said")
      ->type_name("ID")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            return value.size() == 12 && value.find_first_not_of("0123456789") == std::string::npos
                       ? ""
                       : "an AWS account id is 12 digits, got \"" + value + "\"";
          },
          ""));
  scan->add_option("--fail-on", flags->fail_on,
                   "Which findings set exit status bit 1: fail, warning (FAIL or WARNING), new "
                   "(NEW against --baseline) or never (only an incomplete scan is non-zero); a "
                   "severity (informational, low, medium, high, critical) for FAIL findings of it "
                   "or above; or both, as warning,high")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            return ParseFailRule(value) ? ""
                                        : "takes fail, warning, new or never, a "
                                          "severity, or one of each as warning,high; got \"" +
                                              value + "\"";
          },
          // The single words in braces, as CLI::IsMember writes them: the completion offers
          // them (cli_docs.cc).
          "{fail,warning,new,never,informational,low,medium,high,critical}"))
      ->type_name("LEVEL[,SEVERITY]")
      ->capture_default_str();
  scan->add_option("--baseline", flags->baseline,
                   "An earlier scan's output (json, jsonl, ocsf or sarif; gzip too): each finding "
                   "is marked NEW, UNCHANGED, UPDATED or RESOLVED in the output's own field "
                   "(docs/findings.md, \"Baseline\"); --fail-on new fails only on new ones")
      ->type_name("FILE");
  scan->add_flag("-q,--quiet", flags->quiet,
                 "No progress line (drawn on stderr during long scans when it is a terminal) and "
                 "no informational lines; problems and warnings are still printed");
  scan->add_option("--max-input-mib", flags->max_input_mib,
                   "Largest FILE read whole, in MiB (every format but authorization-details "
                   "exports, which are streamed)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  scan->add_flag("--explain", flags->explain,
                 "Print why under each listed finding (statements, conditions set aside, keys)");
  scan->add_flag("--wide", flags->wide,
                 "Table: print every name and grant whole on one line, whatever the width "
                 "(else the table fits $COLUMNS, the terminal, or 120 columns)");
  scan->add_flag("--no-severity-trace", flags->no_severity_trace,
                 "Show only the effective severity: leave out the rule's own severity and each "
                 "change an override or exposure made to it (rule_severity, severity_changes; "
                 "docs/findings.md), as outputs were before they carried them");
  scan->add_option("--plugin", flags->plugin,
                   "Scan with running plugins instead of launching one: any gRPC target "
                   "(unix:PATH, HOST:PORT, dns:///NAME:PORT, ipv4:A:P,B:P); several replicas "
                   "share the batches (round_robin), a failed batch is sent again "
                   "(docs/deployment.md)")
      ->type_name("TARGET");
  scan->add_flag("--tls", flags->tls, "--plugin: speak TLS, trusting the system's CAs");
  scan->add_option("--tls-ca", flags->tls_ca, "--plugin: CA that signed the replicas' (PEM)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  scan->add_option("--tls-cert", flags->tls_cert, "--plugin: client certificate for mTLS (PEM)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  scan->add_option("--tls-key", flags->tls_key, "--plugin: private key of --tls-cert (PEM)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  scan->add_option("--tls-server-name", flags->tls_server_name,
                   "--plugin: the name the replicas' certificate must hold, when the target's "
                   "host is not it (an IP list, a headless Service)")
      ->type_name("NAME");
  scan->add_option("--parallel", flags->parallel,
                   "--plugin: Evaluate calls (batches) in flight at once, over all replicas")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  scan->add_option("--plugin-retry-seconds", flags->plugin_retry_seconds,
                   "--plugin: how long a batch is sent again while no replica takes it, before "
                   "the scan fails")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  scan->footer(kExitStatusHelp);
  return scan;
}

int RunScan(const ScanFlags& flags) {
  const FailRule fail_on = ParseFailRule(flags.fail_on).value_or(FailRule{});  // CLI11 checked it
  adapters::InputFormat format = adapters::InputFormat::kAuto;
  adapters::ParseInputFormat(flags.input_format, &format);  // CLI11 checked the name
  adapters::CloudFormationParameters parameters;
  for (const std::string& assignment : flags.parameters) {  // CLI11 checked NAME=VALUE
    const std::size_t equals = assignment.find('=');
    if (!parameters.emplace(assignment.substr(0, equals), assignment.substr(equals + 1)).second) {
      std::cerr << "kmsguard scan: --parameter " << assignment.substr(0, equals)
                << " is given twice\n";
      return 2;
    }
  }
  std::vector<AttachedPolicy> policies;
  for (const std::string& value : flags.gcp_policies) {  // CLI11 checked RESOURCE=FILE
    ParseAttachedPolicy(value, &policies.emplace_back());
  }
  if (flags.files.empty() && policies.empty()) {
    std::cerr << "kmsguard scan: nothing to scan: give a FILE (or --gcp-policy RESOURCE=FILE); "
                 "see kmsguard scan --help\n";
    return 2;
  }
  // The baseline is read and checked before anything is started: a wrong file refuses the scan.
  std::shared_ptr<render::BaselineComparison> baseline;
  if (fail_on.on == FailOn::kNew && flags.baseline.empty()) {
    std::cerr << "kmsguard scan: --fail-on new needs --baseline FILE (new against what?)\n";
    return 2;
  }
  if (!flags.baseline.empty()) {
    absl::StatusOr<std::shared_ptr<render::BaselineComparison>> loaded = LoadBaseline(
        flags.baseline, static_cast<std::size_t>(flags.max_input_mib) << 20, std::cerr);
    if (!loaded.ok()) {
      std::cerr << "kmsguard scan: --baseline " << flags.baseline << ": "
                << loaded.status().message() << "; not scanning\n";
      return 2;
    }
    baseline = *std::move(loaded);
  }
  const bool remote = !flags.plugin.empty();
  if (remote && !flags.rule_dirs.empty()) {
    std::cerr << "kmsguard scan: --rules does not go with --plugin: the replicas scan with the "
                 "rules they loaded (serve --rules)\n";
    return 2;
  }
  if (!remote && (flags.tls || !flags.tls_ca.empty() || !flags.tls_cert.empty() ||
                  !flags.tls_key.empty() || !flags.tls_server_name.empty())) {
    std::cerr << "kmsguard scan: --tls, --tls-ca, --tls-cert, --tls-key and --tls-server-name "
                 "are for --plugin TARGET\n";
    return 2;
  }
  // The replicas' channel, made before anything is read: a TLS file or flag that cannot work is
  // said at once.
  client::ChannelOptions channel;
  if (remote) {
    absl::StatusOr<client::ChannelOptions> made = ChannelFromFlags(flags);
    if (!made.ok()) {
      std::cerr << "kmsguard scan: " << made.status().message() << "\n";
      return 2;
    }
    channel = *std::move(made);
  }
  // The plugin is this same binary, so host and plugin always speak the same protocol version.
  // Started first: it loads its rules and binds its socket while the host reads the inputs.
  std::unique_ptr<PluginProcess> process;
  if (!remote) {
    absl::StatusOr<std::unique_ptr<PluginProcess>> launched =
        PluginProcess::Launch("/proc/self/exe", flags.rule_dirs);
    if (!launched.ok()) {
      std::cerr << "kmsguard scan: cannot start the plugin: " << launched.status().message()
                << "\n";
      return 2;
    }
    process = *std::move(launched);
  }

  Inputs inputs = ReadInputs(flags.files, format, parameters,
                             static_cast<std::size_t>(flags.max_input_mib) << 20, policies);
  if (inputs.resources.empty() && inputs.streamed_files.empty() && inputs.problems > 0) {
    std::cerr << "kmsguard scan: nothing could be read; not scanning\n";
    return 2;
  }

  // The plugin loads the rules itself and prints their errors; loading them here too (cheap) lets
  // the scan say how many loaded and fail with 2 when a rule file is broken, instead of passing
  // silently with fewer rules.
  // The same load describes the rules in the HTML report's scan context.
  int rule_errors = 0;
  absl::StatusOr<LoadedRules> rules = absl::FailedPreconditionError("--plugin: not loaded here");
  if (!remote) {
    std::ostringstream ignored;  // the plugin prints the same errors
    rules = LoadRules(flags.rule_dirs, ignored);
    if (rules.ok()) rule_errors = rules->errors;
    // --quiet keeps the line only when it reports rule errors.
    if (rules.ok() && (!flags.quiet || rule_errors > 0)) {
      std::cerr << "kmsguard scan: " << rules->rule_set->rules().size() << " rule(s) loaded ("
                << rules->builtin_rules << " built-in, " << rules->files_read
                << " rule file(s) read";
      if (!rules->replaced_builtins.empty()) {
        std::cerr << ", replacing " << rules->replaced_builtins.size()
                  << " built-in rule file(s) of the same name";
      }
      std::cerr << ")";
      if (rule_errors > 0) {
        std::cerr << "; " << rule_errors << " rule error(s) in " << rules->files_with_errors
                  << " file(s): those rules are not loaded (exit status 2)";
      }
      std::cerr << "\n";
    }
  }


  render::RenderOptions options;
  options.product.name = kPluginName;
  options.product.version = kPluginVersion;
  options.table.show_pass = flags.show_pass;
  options.table.explain = flags.explain;
  options.table.width = flags.wide ? 0 : TableWidthForStdout();
  options.severity_trace = !flags.no_severity_trace;
  options.aws_account_id = flags.aws_account_id;
  options.baseline = baseline;
  options.context = ScanContextFor(flags, inputs, rules.ok() ? &*rules : nullptr);
  // ASFF's ProductArn names the Security Hub region that imports the findings.
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const char* region = std::getenv(variable); region != nullptr && *region != '\0') {
      options.aws_region = region;
      break;
    }
  }
  const render::Renderer* renderer = render::FindRenderer(flags.format);  // CLI11 checked it
  if (renderer == nullptr) renderer = render::FindRenderer("table");
  // Findings are written as they arrive, several KB each: through stdout's default 4 KiB buffer
  // that is a write(2) or two per finding (issue 13, host profile). Into a file or a pipe they
  // go in 1 MiB writes; a terminal keeps its line buffering. Nothing has been written to stdout
  // yet, as setvbuf requires.
  if (isatty(STDOUT_FILENO) != 1) std::setvbuf(stdout, nullptr, _IOFBF, std::size_t{1} << 20);
  const std::unique_ptr<render::FindingWriter> writer = renderer->open(std::cout, options);
  ScanProgress progress(std::cerr, ProgressOptions(flags, inputs));
  ReportProblemsThrough(&progress);
  FindingSink sink(inputs, *writer, baseline.get(), progress);
  client::ScanOptions scan_options;
  // The table shows verdicts, grants and exposure, never remediation: no need for the plugin to
  // rewrite every failing policy (most of its time on an account that fails a lot).
  scan_options.skip_specific_remediation = renderer->name == "table";
  // Nor, without --explain, the explanation lines.
  scan_options.skip_explanation = renderer->name == "table" && !flags.explain;
  // Nor, without --show-pass, the PASS findings themselves: the table counts them from the
  // summary (most findings of an account that mostly passes).
  // With a baseline they are needed: a finding fixed since is told from one that is gone.
  scan_options.omit_pass_findings =
      renderer->name == "table" && !flags.show_pass && baseline == nullptr;
  scan_options.on_finding = [&sink](model::Finding&& finding) { sink.Add(std::move(finding)); };
  scan_options.on_resource_error = [&sink](client::ResourceError&& error) {
    sink.AddError(std::move(error));
  };
  scan_options.on_diagnostic = [&sink](core::Diagnostic&& diagnostic) {
    sink.AddDiagnostic(diagnostic);
  };
  scan_options.keep_going = [&sink] { return sink.output_error().empty(); };

  absl::StatusOr<client::ScanResult> result =
      remote ? ScanRemote(flags, channel, inputs, progress, std::move(scan_options))
             : ScanWith(*process, inputs, progress, std::move(scan_options));
  progress.Stop();
  ReportProblemsThrough(nullptr);
  const absl::Status stopped = remote ? absl::OkStatus() : process->Stop(kStopGrace);
  // A scan that stops early still says whether the findings that did arrive hold a failure.
  ScanOutcome stopped_early = sink.Counts();
  stopped_early.finished = false;
  if (!sink.output_error().empty()) {
    std::cerr << "kmsguard scan: cannot write the output: " << sink.output_error()
              << "; the scan was stopped\n";
    return ExitStatus(stopped_early, fail_on);
  }
  if (!result.ok()) {
    std::cout.flush();
    std::cerr << "kmsguard scan: " << result.status().message() << "\n";
    if (sink.written() > 0) {
      std::cerr << "kmsguard scan: the output on stdout is incomplete or missing ("
                << sink.written() << " finding(s) had arrived when the scan failed)\n";
    }
    return ExitStatus(stopped_early, fail_on);
  }
  if (!stopped.ok()) std::cerr << "kmsguard scan: warning: " << stopped.message() << "\n";
  // A streamed file can turn out to hold nothing readable only once it has been read; and a scan
  // of nothing must not pass as "no findings" (a wrong file, an empty pipe).
  if (result->summary.resources_received == 0) {
    std::cerr << (inputs.problems > 0
                      ? "kmsguard scan: nothing could be read; nothing scanned\n"
                      : "kmsguard scan: the input holds no IAM users, groups, roles or managed "
                        "policies; nothing scanned\n");
    return 2;
  }
  // A file or entry that could not be read at all hides which resources it held: nothing missing
  // from this scan is then called resolved.
  if (baseline != nullptr && inputs.problems > 0) baseline->MarkUnevaluated("");
  errno = 0;
  if (const absl::Status finished = writer->Finish(result->summary); !finished.ok()) {
    std::cerr << "kmsguard scan: cannot write the " << renderer->name
              << " output: " << finished.message();
    if (!std::cout && errno != 0) std::cerr << " (" << std::strerror(errno) << ")";
    std::cerr << "\n";
    return ExitStatus(stopped_early, fail_on);
  }

  // What the format could not hold (ASFF without an account) is said, and the output is then not
  // the whole scan: the incomplete bit.
  const std::vector<std::string> notices = writer->notices();
  for (const std::string& notice : notices) {
    std::cerr << "kmsguard scan: warning: " << notice << "\n";
  }

  ScanOutcome outcome = sink.Counts();
  outcome.fail = std::max(result->summary.fail, outcome.fail);
  outcome.warning = std::max(result->summary.warning, outcome.warning);
  outcome.problems =
      inputs.problems + sink.problems() + rule_errors + static_cast<std::int64_t>(notices.size());
  return ExitStatus(outcome, fail_on);
}

}  // namespace kmsguard::plugin
