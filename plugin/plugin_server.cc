#include "plugin/plugin_server.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <unistd.h>

#include <thread>
#include <utility>
#ifdef KMSGUARD_HAVE_REFLECTION
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#endif

#include "absl/strings/str_cat.h"
#include "go_plugin/grpc_controller.grpc.pb.h"
#include "kmsguard/plugin/negotiation/negotiation.grpc.pb.h"
#include "plugin/auto_mtls.h"
#include "plugin/listen_address.h"
#include "plugin/plugin_service.h"
#include "plugin/version.h"

namespace kmsguard::plugin {

namespace {

// Frozen: answers with the versions this build speaks (see negotiation.proto).
class NegotiationService final : public negotiation::VersionNegotiation::CallbackService {
  grpc::ServerUnaryReactor* Negotiate(grpc::CallbackServerContext* context,
                                      const negotiation::NegotiateRequest* request,
                                      negotiation::NegotiateResponse* response) override {
    response->add_plugin_versions(client::kProtocolVersion);
    response->set_plugin_name(kPluginName);
    response->set_plugin_version(kPluginVersion);
    for (const std::uint32_t version : request->host_versions()) {
      if (version == client::kProtocolVersion) {
        response->set_selected_version(version);
        response->set_service(client::kPolicyPluginServiceName);
      }
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Answers Shutdown, and only once the answer has left (OnDone) asks for the stop: serve shuts
// the server down at once on that request, which would cancel a reply still being sent (over TLS
// most of all) and the host would see its Shutdown fail although the plugin did stop.
class ShutdownReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit ShutdownReactor(const std::function<void()>& on_shutdown) : on_shutdown_(on_shutdown) {
    Finish(grpc::Status::OK);
  }
  void OnDone() override {
    const std::function<void()> on_shutdown = std::move(on_shutdown_);
    delete this;
    on_shutdown();
  }

 private:
  std::function<void()> on_shutdown_;
};

// go-plugin's host calls Shutdown from Client.Kill, then waits briefly for the process to exit.
class ControllerService final : public ::plugin::GRPCController::CallbackService {
 public:
  explicit ControllerService(std::function<void()> on_shutdown)
      : on_shutdown_(std::move(on_shutdown)) {}

  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* /*context*/,
                                     const ::plugin::Empty* /*request*/,
                                     ::plugin::Empty* /*response*/) override {
    return new ShutdownReactor(on_shutdown_);
  }

 private:
  std::function<void()> on_shutdown_;
};

// go-plugin AutoMTLS: the TLS stack has already verified the client's chain against the host's
// certificate as the only root, which any certificate the host's key signed would pass; this
// accepts the host's certificate itself and nothing else, as the protocol promises.
class PinnedClientCertificate final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit PinnedClientCertificate(std::string pem) : pem_(std::move(pem)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    const grpc::string_ref peer = request->peer_cert();
    if (SameCertificate(std::string_view(peer.data(), peer.size()), pem_)) {
      *sync_status = grpc::Status::OK;
    } else {
      // Logged the way gRPC logs the handshakes it refuses itself (the serve log in JSON mode).
      gpr_log(GPR_ERROR, "AutoMTLS: refused a client certificate that is not the host's");
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  "client certificate is not the go-plugin host's");
    }
    return true;  // decided synchronously
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  const std::string pem_;
};

std::shared_ptr<grpc::ServerCredentials> PinnedClientCredentials(const ServerOptions& options) {
  auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      options.tls_pinned_client_cert_pem,
      std::vector<grpc::experimental::IdentityKeyCertPair>{
          {.private_key = options.tls_key_pem, .certificate_chain = options.tls_cert_pem}});
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<PinnedClientCertificate>(
          options.tls_pinned_client_cert_pem));
  return grpc::experimental::TlsServerCredentials(tls);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& options) {
  const bool tls = !options.tls_cert_pem.empty() || !options.tls_key_pem.empty();
  const bool client_certificates =
      !options.tls_client_ca_pem.empty() || !options.tls_pinned_client_cert_pem.empty();
  if (!tls) {
    if (client_certificates) {
      return absl::InvalidArgumentError(
          "a TLS client CA or client certificate (mTLS) needs a server certificate and key too");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and its private key");
  }
  if (!options.tls_pinned_client_cert_pem.empty()) {
    if (!options.tls_client_ca_pem.empty()) {
      return absl::InvalidArgumentError(
          "a pinned client certificate (go-plugin AutoMTLS) and a client CA exclude each other");
    }
    if (absl::Status host = CheckHostCertificate(options.tls_pinned_client_cert_pem); !host.ok()) {
      return host;
    }
    return PinnedClientCredentials(options);
  }
  grpc::SslServerCredentialsOptions ssl(
      options.tls_client_ca_pem.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.tls_client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PluginServer>> PluginServer::Start(const ServerOptions& options) {
  const bool tls = !options.tls_cert_pem.empty();
  if (absl::Status valid = ValidateListenAddress(options.listen_address, tls); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  if (absl::Status prepared = PrepareUnixSocket(options.listen_address); !prepared.ok()) {
    return prepared;
  }
  if (absl::Status free = CheckTcpAddressFree(options.listen_address); !free.ok()) return free;
  // Both are process-wide switches read when a server is built.
  grpc::EnableDefaultHealthCheckService(true);
#ifdef KMSGUARD_HAVE_REFLECTION
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
#endif

  std::unique_ptr<PluginServer> server(new PluginServer());
  server->service_ = std::make_unique<PolicyPluginService>(
      ServiceLimits{.replica_id = options.replica_id,
                    .max_message_bytes = options.max_message_bytes,
                    .max_batch_size = options.max_batch_size,
                    .evaluation_threads = options.evaluation_threads});
  server->negotiation_ = std::make_unique<NegotiationService>();

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, *credentials, &selected_port);
  // gRPC sets SO_REUSEPORT by default, so a second server on the same TCP port would bind
  // happily and take some of the connections; refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // A host keeps its connection between scans and may keep it alive with pings. gRPC's server
  // default allows a ping without a call in flight only every 2 hours (RFC 1122's TCP keepalive)
  // and answers the third early one with GOAWAY too_many_pings, so a grpc-go host pinging every
  // 10 s lost the plugin after 30-40 s of idleness.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kMinClientPingIntervalMs);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, kMaxPingStrikes);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->negotiation_.get());
  if (options.on_controller_shutdown) {
    server->controller_ = std::make_unique<ControllerService>(options.on_controller_shutdown);
    builder.RegisterService(server->controller_.get());
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (address in use by another process, or no permission)"));
  }

  server->socket_path_ = UnixSocketPath(options.listen_address);
  if (server->socket_path_.empty()) {
    const std::size_t colon = options.listen_address.rfind(':');
    server->address_ = absl::StrCat(options.listen_address.substr(0, colon), ":", selected_port);
  } else {
    server->address_ = options.listen_address;
  }
  if (!options.health_listen_address.empty()) {
    // Plaintext on purpose, on any address: it answers grpc.health.v1 only (Kubernetes' gRPC
    // probes cannot speak TLS), never PolicyPlugin, so it discloses only whether rules are loaded.
    if (absl::Status valid = ValidateListenAddress(options.health_listen_address, /*tls=*/true);
        !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--health-listen: ", valid.message()));
    }
    if (absl::Status free = CheckTcpAddressFree(options.health_listen_address); !free.ok()) {
      return free;
    }
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(options.health_listen_address,
                                    grpc::InsecureServerCredentials(), &health_port);
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || health_port == 0) {
      server->server_->Shutdown(std::chrono::system_clock::now());
      return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                                 options.health_listen_address,
                                                 " for health checks (address in use?)"));
    }
    const std::size_t colon = options.health_listen_address.rfind(':');
    server->health_address_ =
        absl::StrCat(options.health_listen_address.substr(0, colon), ":", health_port);
  }
  server->InstallRuleSet(nullptr);
  return server;
}

PluginServer::~PluginServer() {
  if (server_ != nullptr) {
    Shutdown(std::chrono::seconds(5));
    server_->Wait();
  }
  if (health_server_ != nullptr) health_server_->Wait();
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
}

void PluginServer::InstallRuleSet(std::shared_ptr<const rules::RuleSet> rule_set,
                                  std::string version) {
  const bool serving = rule_set != nullptr && !rule_set->rules().empty();
  service_->SetEvaluator(serving ? std::make_shared<const engine::Evaluator>(std::move(rule_set))
                                 : nullptr,
                         std::move(version));
  ForEachHealthService([serving](grpc::HealthCheckServiceInterface& health) {
    health.SetServingStatus(client::kPolicyPluginServiceName, serving);
    health.SetServingStatus(kGoPluginHealthService, serving);
    health.SetServingStatus("", serving);
  });
}

void PluginServer::SetReloadError(std::string error) { service_->SetReloadError(std::move(error)); }

void PluginServer::Shutdown(std::chrono::milliseconds grace) {
  // gRPC's own Shutdown(deadline) also waits for idle client connections to go away, so a host
  // that merely stays connected would hold every stop for the whole grace period. Draining is
  // done here instead: refuse new scans, wait for the streams in flight, then shut down at once
  // (which cancels whatever is left).
  service_->StartDraining();
  // NOT_SERVING first: balancing hosts (round_robin with health checks) and Kubernetes'
  // readiness probe take the replica out of rotation while its streams finish.
  ForEachHealthService(
      [](grpc::HealthCheckServiceInterface& health) { health.SetServingStatus(false); });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (service_->active_streams() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->Shutdown(std::chrono::system_clock::now());
  if (health_server_ != nullptr) health_server_->Shutdown(std::chrono::system_clock::now());
}

void PluginServer::Wait() { server_->Wait(); }

void PluginServer::ForEachHealthService(
    const std::function<void(grpc::HealthCheckServiceInterface&)>& set) const {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    grpc::HealthCheckServiceInterface* health =
        server != nullptr ? server->GetHealthCheckService() : nullptr;
    if (health != nullptr) set(*health);
  }
}

}  // namespace kmsguard::plugin
