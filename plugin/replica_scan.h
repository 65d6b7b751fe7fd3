// `kmsguard scan --plugin TARGET`: one scan spread over running plugin replicas. The resources are
// cut into chunks of one batch, each sent as its own Evaluate call on a channel whose
// `round_robin` policy (gRPC's, with client-side health checks) picks the replica; a chunk whose
// call fails in a way another replica may not (UNAVAILABLE, a reset stream, a drain that ran out)
// is sent again, and only the findings of a call that ended with its summary are kept, so every
// finding arrives exactly once. Chunks are committed in the order they were read, so the output
// is the one a single local plugin gives. docs/deployment.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/client/plugin_client.h"

namespace kmsguard::plugin {

struct ReplicaScanOptions {
  // Evaluate calls in flight at once (--parallel); at least 1.
  int parallel = 4;
  // Resources per chunk (one ResourceBatch, one call).
  int chunk_size = 100;
  // How long one chunk keeps being sent again while no replica takes it; then the scan fails.
  std::chrono::milliseconds retry_budget{15000};
  // What every call asks for (skip_*, omit_pass_findings, scan_id). Its on_finding,
  // on_resource_error and keep_going are called on the thread that called ScanOverReplicas, in
  // the order the resources were produced.
  client::ScanOptions scan;
  // The target, for messages.
  std::string target;
};

// What one replica did, keyed by its id (kReplicaIdHeader; the peer address when it sent none).
struct ReplicaStats {
  std::string peer;              // last peer address seen for it
  std::int64_t calls = 0;        // calls that completed with their summary
  std::int64_t resources = 0;    // resources those calls evaluated (received)
  std::int64_t findings = 0;     // findings they returned
  std::int64_t failed_calls = 0; // calls that failed on it (their chunk was sent again)
  std::map<std::string, std::int64_t> rules_versions;  // version -> completed calls
};

struct ReplicaScanResult {
  client::ScanResult result;  // summary merged over every chunk; findings went to on_finding
  std::map<std::string, ReplicaStats> replicas;
  std::int64_t chunks = 0;
  std::int64_t resent_chunks = 0;  // chunks sent more than once
};

// Produces resources with `produce` (on a thread of its own, as PluginClient::ScanStreaming) and
// scans them over `client`'s replicas. Fails with the last call's status, naming the target, when
// a chunk could not be scanned within retry_budget or failed in a way no replica would change
// (InvalidArgument, ResourceExhausted, FailedPrecondition); Cancelled when keep_going said stop.
// Findings already handed to on_finding are then real but not the whole scan.
absl::StatusOr<ReplicaScanResult> ScanOverReplicas(
    client::PluginClient& client,
    const std::function<void(const client::PluginClient::Send& send)>& produce,
    const ReplicaScanOptions& options);

// What to change when no replica could be reached; `why` is WaitForServing's message, which
// ends with the channel's own error. A socket closed at once is what a TLS replica does to a
// plaintext host, and what an mTLS replica does to a host without a client certificate; the
// hint names the flags for the case `channel` is in. "" when there is nothing to add.
std::string NoReplicaHint(std::string_view why, const client::ChannelOptions& channel);

}  // namespace kmsguard::plugin
