// `kmsguard serve --listen` on an address another process listens on (issue 18): one line naming
// the address, exit status 2, and none of gRPC's core error lines.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::DescribeRun;
using testing::Lines;

const std::string kBinary = KMSGUARD_BINARY;

ProcessResult Kmsguard(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  return testing::Run(args);
}

// A listening socket held by the test, as another process's would be.
class Listener {
 public:
  explicit Listener(const std::string& unix_path = "") {
    if (unix_path.empty()) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t size = sizeof(address);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(fd_, 1) != 0 ||
          getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        return;
      }
      address_ = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    } else {
      fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::strncpy(address.sun_path, unix_path.c_str(), sizeof(address.sun_path) - 1);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
          listen(fd_, 1) != 0) {
        return;
      }
      address_ = "unix:" + unix_path;
    }
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  const std::string& address() const { return address_; }  // empty when it could not listen

 private:
  int fd_ = -1;
  std::string address_;
};

TEST(ServeAddressInUseTest, OneClearLineNamingTheAddress) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const Listener tcp;
  const Listener unix_socket(dir.File("busy.sock"));
  for (const Listener* listener : {&tcp, &unix_socket}) {
    ASSERT_FALSE(listener->address().empty());
    const ProcessResult r = Kmsguard({"serve", "--listen", listener->address()});
    EXPECT_EQ(r.exit_code, 2) << DescribeRun(r);
    EXPECT_EQ(r.out, "");
    const std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].find("kmsguard serve: cannot listen on " + listener->address() +
                            ": the address is already in use"),
              0u)
        << lines[0];
  }
}

}  // namespace
}  // namespace kmsguard
