// The host side of the plugin protocol: connect to a kmsguard plugin, wait until it serves, ask
// what it is, and run scans. gRPC stays behind this header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sdk/client/protocol.h"
#include "sdk/model/resource.h"

namespace kmsguard::client {

// What the server said about the Evaluate call that answered (or failed) a scan: the replica that
// took it, for a host that spreads scans over several (docs/deployment.md).
struct CallPeer {
  // gRPC's name of the connection's far end, e.g. "ipv4:10.0.3.7:50051" (empty if never
  // connected).
  std::string peer;
  // The plugin's initial metadata (docs/plugin-protocol.md "Replica identity"): kReplicaIdHeader
  // and kRulesVersionHeader; empty when the plugin predates them or the call never started.
  std::string replica_id;
  std::string rules_version;
};

struct ScanOptions {
  // Echoed back in ScanResult::scan_id; any string.
  std::string scan_id;
  // Evaluate only these rules (empty: all). An unknown id fails the scan (InvalidArgument).
  std::vector<std::string> rule_ids;
  // Most resources per ResourceBatch (clamped to 1..kDefaultMaxBatchSize); must not exceed the
  // plugin's Limits.max_batch_size (see GetPluginInfo) or the scan fails with ResourceExhausted.
  // A batch is also closed early so that it stays well under the message size limit.
  int batch_size = 100;
  // The host shows no remediation beyond the rule's text (ScanStart.skip_specific_remediation):
  // the plugin skips rewriting failing policies, about 40% of its evaluation time.
  bool skip_specific_remediation = false;
  // The host shows no explanation lines (ScanStart.skip_explanation): findings arrive without
  // them, and the plugin does not build them.
  bool skip_explanation = false;
  // The host only counts PASS findings (ScanStart.omit_pass_findings): they are not sent, and
  // ScanResult's summary still counts them.
  bool omit_pass_findings = false;
  // Deadline for the whole scan; zero means none.
  std::chrono::milliseconds timeout{0};
  // When set, each finding is handed to this as soon as it arrives (on the thread that called
  // Scan/ScanStreaming) instead of being kept in ScanResult::findings, so a host can render a scan
  // of any size in bounded memory. If the scan then fails, the findings already handed over were
  // real but the set is incomplete.
  std::function<void(model::Finding&& finding)> on_finding;
  // The same for ScanResult::resource_errors (resources too large to send come last).
  std::function<void(ResourceError&& error)> on_resource_error;
  // The same for ScanResult::diagnostics (problems of the scan's joined picture).
  std::function<void(core::Diagnostic&& diagnostic)> on_diagnostic;
  // When set, asked after each response: false cancels the scan (the call then fails with
  // Cancelled), e.g. because the host can no longer write its output.
  std::function<bool()> keep_going;
  // When set, filled in once the call has ended, whether it succeeded or not.
  CallPeer* call_peer = nullptr;
};

// How to reach the plugin (or its replicas).
struct ChannelOptions {
  // Any gRPC target: "unix:/path/to.sock", "127.0.0.1:50051", "dns:///kmsguard.ns.svc:50051",
  // "ipv4:10.0.0.1:50051,10.0.0.2:50051".
  std::string target;
  // TLS: on when `tls` is set or any PEM below is given (UsesTls). PEM text, not file names.
  // Without a CA the system's roots are used; a client certificate and key together give mTLS.
  bool tls = false;
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Verify the server's certificate for this name instead of the target's host name.
  std::string tls_server_name;
  // Spread calls over every address the target resolves to with gRPC's `round_robin` policy,
  // skipping replicas whose grpc.health.v1 status for kPolicyPluginServiceName is not SERVING
  // (client-side health checking in the channel's service config). Off: `pick_first`.
  bool round_robin = false;

  bool UsesTls() const {
    return tls || !tls_ca_pem.empty() || !tls_cert_pem.empty() || !tls_key_pem.empty();
  }
};

class PluginClient {
 public:
  // `address` is a gRPC target: "unix:/path/to.sock" or "127.0.0.1:50051". Connects lazily; does
  // not fail here when nothing listens yet.
  explicit PluginClient(std::string_view address);
  // Any target, TLS and balancing as `options` say. InvalidArgument-free: a bad target shows as
  // calls failing with Unavailable.
  explicit PluginClient(const ChannelOptions& options);
  ~PluginClient();
  PluginClient(const PluginClient&) = delete;
  PluginClient& operator=(const PluginClient&) = delete;

  // Polls grpc.health.v1 until the plugin reports SERVING for the PolicyPlugin service (it does
  // once rules are loaded). DeadlineExceeded after `timeout`, with the last state seen; when no
  // connection came up, the channel's own reason (one call at the end that does not wait; it may
  // add up to 1 s to the failure).
  absl::Status WaitForServing(std::chrono::milliseconds timeout);

  // The plugin's name, version, protocol version, limits and loaded rules. Errors are the call's
  // gRPC status (e.g. Unavailable).
  absl::StatusOr<PluginInfo> GetPluginInfo();

  // Streams `resources` to the plugin in batches and collects everything it answers (or hands it
  // to ScanOptions::on_finding / on_resource_error as it arrives). Resources
  // the plugin could not read come back in ScanResult::resource_errors; a resource too large to
  // send is reported there too (code kResourceTooLarge) and counted in the summary. A non-OK
  // status means the scan as a whole failed (the call's gRPC status, e.g. FailedPrecondition when
  // the plugin has no rules, or Internal when it ended without a summary).
  absl::StatusOr<ScanResult> Scan(const std::vector<model::Resource>& resources,
                                  const ScanOptions& options = {});

  // Hands a resource to the scan; false once the stream has failed (stop producing then).
  using Send = std::function<bool(const model::Resource&)>;
  // The streaming form: `produce` is called once, on a thread of its own, and sends each resource
  // as soon as it has it, so the host never holds the whole snapshot. Batching and results as above.
  absl::StatusOr<ScanResult> ScanStreaming(const std::function<void(const Send& send)>& produce,
                                           const ScanOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmsguard::client
