#include "plugin/replica_scan.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kmsguard::plugin {

namespace {

using Clock = std::chrono::steady_clock;

// Failures another replica (or the same one, reconnected) may not have: the replica died or
// reset the stream (UNAVAILABLE, INTERNAL "stream broke"), drained past its grace (CANCELLED), or
// refused new calls while stopping (UNAVAILABLE). Protocol errors (INVALID_ARGUMENT: an unknown
// rule id; RESOURCE_EXHAUSTED) would fail the same way anywhere.
bool WorthSendingAgain(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

struct Chunk {
  std::vector<model::Resource> resources;
};

struct Completed {
  client::ScanResult result;
  client::CallPeer peer;
};

// Shared by the producer, the calls on the pool and the committing thread; guarded by mu.
struct State {
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::int64_t, Completed> completed;  // by chunk number, waiting for their turn
  std::int64_t produced = 0;                    // chunks handed to the pool
  std::int64_t committed = 0;                   // chunks whose results went out, in order
  bool producing_done = false;
  bool stop = false;
  std::optional<absl::Status> failure;
  std::map<std::string, ReplicaStats> replicas;
  std::int64_t resent = 0;
};

std::string ReplicaName(const client::CallPeer& peer) {
  if (!peer.replica_id.empty()) return peer.replica_id;
  return peer.peer.empty() ? "(no connection)" : peer.peer;
}

// One chunk, on a pool thread: sent until a call ends with its summary, the budget is spent, or
// the scan stops.
void ScanChunk(client::PluginClient& client, const ReplicaScanOptions& options, State& state,
               std::int64_t number, const Chunk& chunk) {
  client::ScanOptions call = options.scan;
  call.on_finding = nullptr;  // kept in the result until the call has succeeded
  call.on_resource_error = nullptr;
  call.on_diagnostic = nullptr;
  call.keep_going = nullptr;
  call.batch_size = std::max(1, options.chunk_size);
  const auto deadline = Clock::now() + options.retry_budget;
  auto pause = std::chrono::milliseconds(25);
  for (int attempt = 0;; ++attempt) {
    client::CallPeer peer;
    call.call_peer = &peer;
    absl::StatusOr<client::ScanResult> result = client.Scan(chunk.resources, call);
    std::unique_lock<std::mutex> lock(state.mu);
    if (result.ok()) {
      if (attempt > 0) ++state.resent;
      state.completed.emplace(number, Completed{*std::move(result), std::move(peer)});
      state.changed.notify_all();
      return;
    }
    if (state.stop) return;
    ++state.replicas[ReplicaName(peer)].failed_calls;
    state.replicas[ReplicaName(peer)].peer = peer.peer;
    if (!WorthSendingAgain(result.status().code()) || Clock::now() + pause > deadline) {
      const bool gave_up = WorthSendingAgain(result.status().code());
      state.failure = absl::Status(
          result.status().code(),
          absl::StrCat(gave_up ? "no replica of the plugin at " : "the plugin at ",
                       options.target,
                       gave_up ? absl::StrCat(" took a batch within ",
                                              options.retry_budget.count() / 1000.0, " s (",
                                              attempt + 1, " attempt(s)); last: ")
                               : " failed the scan: ",
                       ReplicaName(peer) == "(no connection)"
                           ? ""
                           : absl::StrCat(ReplicaName(peer), ": "),
                       result.status().ToString()));
      state.stop = true;
      state.changed.notify_all();
      return;
    }
    // Round robin sends the next call to the next READY replica; the pause lets gRPC notice a
    // dead connection (and health checks a draining replica) before the chunk goes again.
    state.changed.wait_for(lock, pause, [&] { return state.stop; });
    if (state.stop) return;
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace

absl::StatusOr<ReplicaScanResult> ScanOverReplicas(
    client::PluginClient& client,
    const std::function<void(const client::PluginClient::Send& send)>& produce,
    const ReplicaScanOptions& options) {
  const int parallel = std::max(1, options.parallel);
  const std::size_t chunk_size = static_cast<std::size_t>(std::max(1, options.chunk_size));
  State state;
  boost::asio::thread_pool pool(static_cast<std::size_t>(parallel));

  // The producer: cuts the resources into chunks and hands each to the pool, keeping at most
  // `parallel` chunks between produced and committed (the calls in flight, and the memory held).
  std::thread producer([&] {
    auto chunk = std::make_shared<Chunk>();
    auto hand_over = [&]() -> bool {
      std::unique_lock<std::mutex> lock(state.mu);
      state.changed.wait(lock, [&] {
        return state.stop || state.produced - state.committed < parallel;
      });
      if (state.stop) return false;
      const std::int64_t number = state.produced++;
      boost::asio::post(pool, [&client, &options, &state, number, chunk] {
        ScanChunk(client, options, state, number, *chunk);
      });
      chunk = std::make_shared<Chunk>();
      return true;
    };
    // Resources judged only after the whole scan is read (model::JoinedAtScanEnd: a Google Cloud
    // or Azure grant depends on several resources) all go in one last chunk: each call is its
    // own scan on its replica, and a join split over calls would miss grants whose parts arrive
    // in different chunks. That chunk is not cut at chunk_size.
    auto joined = std::make_shared<Chunk>();
    const client::PluginClient::Send send = [&](const model::Resource& resource) {
      if (model::JoinedAtScanEnd(resource.provider)) {
        joined->resources.push_back(resource);
        return true;
      }
      chunk->resources.push_back(resource);
      if (chunk->resources.size() < chunk_size) return true;
      return hand_over();
    };
    produce(send);
    if (!chunk->resources.empty()) hand_over();
    if (!joined->resources.empty()) {
      chunk = std::move(joined);
      hand_over();
    }
    std::lock_guard<std::mutex> lock(state.mu);
    state.producing_done = true;
    state.changed.notify_all();
  });

  // The committer (this thread): each chunk's findings and errors go out in chunk order.
  ReplicaScanResult out;
  out.result.scan_id = options.scan.scan_id;
  std::unique_lock<std::mutex> lock(state.mu);
  while (true) {
    state.changed.wait(lock, [&] {
      return state.failure.has_value() || state.completed.contains(state.committed) ||
             (state.producing_done && state.committed == state.produced);
    });
    if (state.failure.has_value()) break;
    const auto next = state.completed.find(state.committed);
    if (next == state.completed.end()) break;  // every chunk committed
    Completed done = std::move(next->second);
    state.completed.erase(next);
    lock.unlock();
    ReplicaStats& stats = out.replicas[ReplicaName(done.peer)];
    stats.peer = done.peer.peer;
    ++stats.calls;
    stats.resources += done.result.summary.resources_received;
    stats.findings += static_cast<std::int64_t>(done.result.findings.size());
    if (!done.peer.rules_version.empty()) ++stats.rules_versions[done.peer.rules_version];
    for (model::Finding& finding : done.result.findings) {
      if (options.scan.on_finding) options.scan.on_finding(std::move(finding));
    }
    for (client::ResourceError& error : done.result.resource_errors) {
      if (options.scan.on_resource_error) options.scan.on_resource_error(std::move(error));
    }
    for (core::Diagnostic& diagnostic : done.result.diagnostics) {
      if (options.scan.on_diagnostic) options.scan.on_diagnostic(std::move(diagnostic));
    }
    out.result.summary.Add(done.result.summary);
    const bool go_on = !options.scan.keep_going || options.scan.keep_going();
    lock.lock();
    ++state.committed;
    ++out.chunks;
    if (!go_on) {
      state.failure = absl::CancelledError("the host stopped the scan");
      break;
    }
    state.changed.notify_all();
  }
  state.stop = true;
  state.changed.notify_all();
  lock.unlock();
  producer.join();
  pool.join();
  // A call that failed before the replica's metadata arrived is known by its peer address only:
  // counted under the id that address answered with, when it did answer.
  std::map<std::string, std::string> id_of_peer;
  for (const auto& [name, stats] : out.replicas) id_of_peer[stats.peer] = name;
  for (const auto& [name, failed] : state.replicas) {
    const auto known = id_of_peer.find(name);
    ReplicaStats& stats = out.replicas[known != id_of_peer.end() ? known->second : name];
    stats.failed_calls += failed.failed_calls;
    if (stats.peer.empty()) stats.peer = failed.peer;
  }
  out.resent_chunks = state.resent;
  if (state.failure.has_value()) return *state.failure;
  return out;
}

std::string NoReplicaHint(std::string_view why, const client::ChannelOptions& channel) {
  if (why.find("Socket closed") == std::string_view::npos) return "";
  if (!channel.UsesTls()) {
    return "the replicas closed the connection: if they serve TLS, give --tls-ca (or --tls for "
           "the system's CAs)";
  }
  if (channel.tls_cert_pem.empty()) {
    return "the replicas closed the connection: if they require mTLS (--tls-client-ca), give "
           "--tls-cert and --tls-key";
  }
  return "the replicas closed the connection: check that they serve TLS and accept this client "
         "certificate";
}

}  // namespace kmsguard::plugin
