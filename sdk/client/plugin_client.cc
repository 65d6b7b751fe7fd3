#include "sdk/client/plugin_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstddef>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/client/convert.h"

namespace kmsguard::client {

namespace v1 = ::kmsguard::plugin::v1;
namespace health = ::grpc::health::v1;

namespace {

// A batch is closed before it passes this many bytes, well under the message limit, so that one
// message never holds more than a few MiB in flight.
constexpr std::size_t kBatchByteBudget = 4 * 1024 * 1024;
// Room for the EvaluateRequest and ResourceBatch framing around one resource.
constexpr std::size_t kFramingBytes = 1024;
// How long a call whose responses stopped early may take to end by itself before it is
// cancelled (see Scan).
constexpr auto kStuckCallWait = std::chrono::seconds(3);

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

struct PluginClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::PolicyPlugin::Stub> plugin;
  std::unique_ptr<health::Health::Stub> health;
};

PluginClient::PluginClient(std::string_view address) : PluginClient([address] {
  ChannelOptions options;
  options.target = std::string(address);
  return options;
}()) {}

PluginClient::PluginClient(const ChannelOptions& options) : impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kDefaultMaxMessageBytes);
  args.SetMaxSendMessageSize(kDefaultMaxMessageBytes);
  // A host usually connects while the plugin is still starting; gRPC's default reconnect backoff
  // (1 s, growing) would add seconds to every scan. GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is left at
  // its default: gRPC also takes it as the minimum time a connection attempt may take (its
  // "min connect timeout", 20 s), and a small value failed scans on a loaded machine whose
  // plugin finished the HTTP/2 handshake late.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  if (options.round_robin) {
    // gRPC's own balancing: one subchannel per resolved address, each call to the next READY one;
    // the health check keeps a NOT_SERVING (draining, rule-less) replica out of the rotation.
    args.SetServiceConfigJSON(absl::StrCat(
        R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":")",
        kPolicyPluginServiceName, R"("}})"));
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.UsesTls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca_pem;
    ssl.pem_private_key = options.tls_key_pem;
    ssl.pem_cert_chain = options.tls_cert_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  impl_->channel = grpc::CreateCustomChannel(options.target, credentials, args);
  impl_->plugin = v1::PolicyPlugin::NewStub(impl_->channel);
  impl_->health = health::Health::NewStub(impl_->channel);
}

PluginClient::~PluginClient() = default;

absl::Status PluginClient::WaitForServing(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kAttempt = std::chrono::milliseconds(500);
  constexpr auto kPause = std::chrono::milliseconds(25);
  const auto deadline = Clock::now() + timeout;
  std::string last = "no answer";
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) {
      if (last == "no connection") {
        // Waiting for a connection hides why there is none; one call that does not wait gets the
        // channel's last error ("Connection refused", "No such file or directory", "Socket
        // closed" from a TLS mismatch), so the caller can say what to change.
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
        health::HealthCheckRequest request;
        request.set_service(kPolicyPluginServiceName);
        health::HealthCheckResponse response;
        const grpc::Status status = impl_->health->Check(&context, request, &response);
        if (status.ok() && response.status() == health::HealthCheckResponse::SERVING) {
          return absl::OkStatus();
        }
        if (status.ok()) {
          last = health::HealthCheckResponse::ServingStatus_Name(response.status());
        } else if (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
          last = absl::StrCat("no connection: ", status.error_message());
        }
      }
      return absl::DeadlineExceededError(absl::StrCat("plugin not serving after ", timeout.count(),
                                                      " ms (last seen: ", last, ")"));
    }
    const auto attempt = std::min<Clock::duration>(deadline - now, kAttempt);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + attempt);
    // Wait for the socket to appear and accept rather than failing at once.
    context.set_wait_for_ready(true);
    health::HealthCheckRequest request;
    request.set_service(kPolicyPluginServiceName);
    health::HealthCheckResponse response;
    const grpc::Status status = impl_->health->Check(&context, request, &response);
    if (status.ok()) {
      if (response.status() == health::HealthCheckResponse::SERVING) return absl::OkStatus();
      last = health::HealthCheckResponse::ServingStatus_Name(response.status());
    } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      last = "no connection";
    } else {
      last = absl::StrCat("health check failed: ", status.error_message());
    }
    std::this_thread::sleep_for(kPause);
  }
}

absl::StatusOr<PluginInfo> PluginClient::GetPluginInfo() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::GetPluginInfoResponse response;
  const grpc::Status status =
      impl_->plugin->GetPluginInfo(&context, v1::GetPluginInfoRequest(), &response);
  if (!status.ok()) return FromGrpc(status);
  return FromProto(response);
}

absl::StatusOr<ScanResult> PluginClient::Scan(const std::vector<model::Resource>& resources,
                                              const ScanOptions& options) {
  return ScanStreaming(
      [&resources](const Send& send) {
        for (const auto& resource : resources) {
          if (!send(resource)) return;
        }
      },
      options);
}

absl::StatusOr<ScanResult> PluginClient::ScanStreaming(
    const std::function<void(const Send& send)>& produce, const ScanOptions& options) {
  const int batch_size = std::clamp(options.batch_size, 1, kDefaultMaxBatchSize);
  grpc::ClientContext context;
  if (options.timeout.count() > 0) {
    context.set_deadline(std::chrono::system_clock::now() + options.timeout);
  }
  std::unique_ptr<grpc::ClientReaderWriter<v1::EvaluateRequest, v1::EvaluateResponse>> stream =
      impl_->plugin->Evaluate(&context);

  // The plugin answers a batch before it reads the next one, so requests are written on their
  // own thread while this one reads; writing everything first could fill both directions'
  // flow-control windows and stall.
  std::vector<ResourceError> unsent;  // owned by the writer until it is joined
  std::promise<void> writer_done;
  std::thread writer([&] {
    // Set however the writer returns.
    struct Done {
      std::promise<void>& promise;
      ~Done() { promise.set_value(); }
    } done{writer_done};
    v1::EvaluateRequest request;
    v1::ScanStart* start = request.mutable_scan_start();
    start->set_scan_id(options.scan_id);
    for (const auto& id : options.rule_ids) start->add_rule_ids(id);
    start->set_skip_specific_remediation(options.skip_specific_remediation);
    start->set_skip_explanation(options.skip_explanation);
    start->set_omit_pass_findings(options.omit_pass_findings);
    if (!stream->Write(request)) return;

    request.Clear();
    std::size_t batch_bytes = 0;
    auto flush = [&]() -> bool {
      if (request.resource_batch().resources_size() == 0) return true;
      const bool ok = stream->Write(request);
      request.Clear();
      batch_bytes = 0;
      return ok;
    };
    bool ok = true;
    const Send send = [&](const model::Resource& resource) {
      if (!ok) return false;
      v1::Resource message;
      ToProto(resource, &message);
      const std::size_t size = message.ByteSizeLong();
      if (size + kFramingBytes > static_cast<std::size_t>(kDefaultMaxMessageBytes)) {
        unsent.push_back({.resource_id = resource.id,
                          .message = absl::StrCat("resource ", resource.id, " is ", size,
                                                  " bytes serialized, over the plugin's limit of ",
                                                  kDefaultMaxMessageBytes, " bytes; not sent"),
                          .code = kResourceTooLarge,
                          .source = resource.source});
        return true;
      }
      if (request.resource_batch().resources_size() >= batch_size ||
          batch_bytes + size > kBatchByteBudget) {
        if (!flush()) return ok = false;
      }
      *request.mutable_resource_batch()->add_resources() = std::move(message);
      batch_bytes += size;
      return true;
    };
    produce(send);
    if (!ok) return;
    if (!flush()) return;
    request.mutable_scan_end();
    if (!stream->Write(request)) return;
    stream->WritesDone();
  });

  ScanResult result;
  result.scan_id = options.scan_id;
  bool have_summary = false;
  bool stopped_by_host = false;
  v1::EvaluateResponse response;
  while (stream->Read(&response)) {
    switch (response.kind_case()) {
      case v1::EvaluateResponse::kFindingBatch:
        for (const auto& finding : response.finding_batch().findings()) {
          if (options.on_finding) {
            options.on_finding(FromProto(finding));
          } else {
            result.findings.push_back(FromProto(finding));
          }
        }
        break;
      case v1::EvaluateResponse::kResourceError:
        if (options.on_resource_error) {
          options.on_resource_error(FromProto(response.resource_error()));
        } else {
          result.resource_errors.push_back(FromProto(response.resource_error()));
        }
        break;
      case v1::EvaluateResponse::kScanDiagnostic:
        if (options.on_diagnostic) {
          options.on_diagnostic(FromProto(response.scan_diagnostic()));
        } else {
          result.diagnostics.push_back(FromProto(response.scan_diagnostic()));
        }
        break;
      case v1::EvaluateResponse::kScanSummary:
        result.summary = FromProto(response.scan_summary());
        have_summary = true;
        break;
      case v1::EvaluateResponse::KIND_NOT_SET:
        break;  // a message kind from a newer protocol: nothing this client can use
    }
    if (options.keep_going && !options.keep_going()) {
      context.TryCancel();
      stopped_by_host = true;
      break;
    }
  }
  // Reads end early (no summary) when the plugin ended the call, or when a response could not be
  // parsed (gRPC then leaves the call open). In the first case the writer stops at once and the
  // status is waiting; in the second the writer may be blocked on flow control, and Finish would
  // wait for a status that never comes. Cancelling after a bounded wait means neither can hang.
  bool cancelled_here = false;
  if (!have_summary &&
      writer_done.get_future().wait_for(kStuckCallWait) != std::future_status::ready) {
    context.TryCancel();
    cancelled_here = true;
  }
  writer.join();
  grpc::Status status;
  if (have_summary || cancelled_here) {
    status = stream->Finish();
  } else {
    std::mutex mu;
    std::condition_variable finished_cv;
    bool finished = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(mu);
      if (!finished_cv.wait_for(lock, kStuckCallWait, [&] { return finished; })) {
        cancelled_here = true;
        context.TryCancel();
      }
    });
    status = stream->Finish();
    {
      std::lock_guard<std::mutex> lock(mu);
      finished = true;
    }
    finished_cv.notify_one();
    watchdog.join();
  }
  if (options.call_peer != nullptr) {
    *options.call_peer = CallPeer();
    options.call_peer->peer = context.peer();
    const auto& metadata = context.GetServerInitialMetadata();
    for (const auto& [key, out] :
         {std::pair{kReplicaIdHeader, &options.call_peer->replica_id},
          std::pair{kRulesVersionHeader, &options.call_peer->rules_version}}) {
      if (const auto it = metadata.find(key); it != metadata.end()) {
        out->assign(it->second.data(), it->second.size());
      }
    }
  }
  if (stopped_by_host) return absl::CancelledError("the host stopped the scan");
  if (cancelled_here && status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::InternalError(
        "the plugin's response stream broke before the scan summary (a response could not be "
        "read); the scan was cancelled");
  }
  if (!status.ok()) return FromGrpc(status);
  if (!have_summary) return absl::InternalError("plugin ended the scan without a summary");

  result.summary.resources_received += static_cast<std::int64_t>(unsent.size());
  result.summary.resource_errors += static_cast<std::int64_t>(unsent.size());
  for (auto& error : unsent) {
    if (options.on_resource_error) {
      options.on_resource_error(std::move(error));
    } else {
      result.resource_errors.push_back(std::move(error));
    }
  }
  return result;
}

}  // namespace kmsguard::client
