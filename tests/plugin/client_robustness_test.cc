// The reference client against a misbehaving plugin: whatever the plugin sends, a scan ends.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/client/plugin_client.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::client {
namespace {

namespace v1 = ::kmsguard::plugin::v1;

// Answers every batch with a large finding whose message is not UTF-8: protobuf serializes it (and
// logs), but the host cannot parse it. Then keeps going, as a buggy plugin would.
class UnparseablePlugin final : public v1::PolicyPlugin::Service {
  grpc::Status Evaluate(
      grpc::ServerContext* /*context*/,
      grpc::ServerReaderWriter<v1::EvaluateResponse, v1::EvaluateRequest>* stream) override {
    v1::EvaluateResponse bad;
    bad.mutable_finding_batch()->add_findings()->set_message(std::string(512 * 1024, 'x') +
                                                             "\xFF");
    v1::EvaluateRequest request;
    while (stream->Read(&request)) {
      if (request.has_resource_batch() && !stream->Write(bad)) break;
      if (request.has_scan_end()) {
        v1::EvaluateResponse summary;
        summary.mutable_scan_summary();
        stream->Write(summary);
        break;
      }
    }
    return grpc::Status::OK;
  }
};

// Regression (user trial): an unparseable response left the host's writer blocked on flow
// control and the scan hung for ever.
TEST(ClientRobustnessTest, AnUnparseableResponseEndsTheScanWithAnErrorInsteadOfHanging) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  UnparseablePlugin service;
  grpc::ServerBuilder builder;
  const std::string address = "unix:" + dir.File("bad.sock");
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  std::vector<model::Resource> resources(400);
  for (std::size_t i = 0; i < resources.size(); ++i) {
    resources[i].id = "r" + std::to_string(i);
    resources[i].type = "AWS::IAM::Role";
    resources[i].document = {{"name", "r"}};
  }
  PluginClient plugin_client(address);
  ScanOptions options;
  options.batch_size = 1;
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<ScanResult> result = plugin_client.Scan(resources, options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << result.status();
  server->Shutdown(std::chrono::system_clock::now());
}

// A plugin that answers GetPluginInfo.
class InfoPlugin final : public v1::PolicyPlugin::Service {
  grpc::Status GetPluginInfo(grpc::ServerContext* /*context*/,
                             const v1::GetPluginInfoRequest* /*request*/,
                             v1::GetPluginInfoResponse* response) override {
    response->set_name("slow");
    return grpc::Status::OK;
  }
};

// A Unix-socket proxy that holds each connection `delay` before it relays it to `target`: a
// plugin that answers the HTTP/2 handshake late, as a loaded machine does (CI under ASan).
class SlowProxy {
 public:
  SlowProxy(std::string listen_path, std::string target_path, std::chrono::milliseconds delay)
      : target_(std::move(target_path)), delay_(delay) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = Address(listen_path);
    ok_ = listener_ >= 0 &&
          ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
          ::listen(listener_, 16) == 0;
    if (ok_) accepter_ = std::thread([this] { Accept(); });
  }
  ~SlowProxy() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (accepter_.joinable()) accepter_.join();
    for (std::thread& t : relays_) t.join();
  }
  bool ok() const { return ok_; }

 private:
  static sockaddr_un Address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    return address;
  }
  void Accept() {
    while (!stop_) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      relays_.emplace_back([this, client] { Relay(client); });
    }
  }
  void Relay(int client) {
    std::this_thread::sleep_for(delay_);
    const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = Address(target_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      char buffer[16384];
      while (!stop_ && ::poll(fds, 2, 100) >= 0) {
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
          if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
          const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
          // MSG_NOSIGNAL: a peer that has gone must not raise SIGPIPE, which would end the whole
          // test binary without a word.
          closed = n <= 0 ||
                   ::send(fds[1 - i].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n;
        }
        if (closed) break;
      }
    }
    ::close(server);
    ::close(client);
  }

  std::string target_;
  std::chrono::milliseconds delay_;
  int listener_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread accepter_;
  std::vector<std::thread> relays_;
};

// Regression (a scan failed under load, "connection attempt timed out before receiving SETTINGS
// frame"): GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is also gRPC's minimum connect timeout, and 50 ms
// (clamped to 100) gave a plugin that long to finish the handshake. A plugin that answers it in
// 400 ms is answered.
TEST(ClientRobustnessTest, APluginThatHandshakesSlowlyIsStillReached) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  InfoPlugin service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + dir.File("real.sock"), grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  SlowProxy proxy(dir.File("slow.sock"), dir.File("real.sock"), std::chrono::milliseconds(400));
  ASSERT_TRUE(proxy.ok());

  PluginClient plugin_client("unix:" + dir.File("slow.sock"));
  const absl::StatusOr<PluginInfo> info = plugin_client.GetPluginInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "slow");
  server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace kmsguard::client
