#include "plugin/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>

#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::HasSubstr;

class AcceptedAddressTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AcceptedAddressTest, IsAccepted) {
  const absl::Status status = ValidateListenAddress(GetParam());
  EXPECT_TRUE(status.ok()) << status;
}

INSTANTIATE_TEST_SUITE_P(Local, AcceptedAddressTest,
                         ::testing::Values("unix:/tmp/kmsguard.sock", "unix:relative.sock",
                                           "unix:///tmp/kmsguard.sock", "127.0.0.1:50051",
                                           "127.8.9.10:0", "localhost:1", "[::1]:65535"));

struct Refused {
  std::string address;
  std::string why;
};

// The ctest listing names each case by this instead of gtest's byte dump of the struct.
void PrintTo(const Refused& r, std::ostream* os) {
  *os << (r.address.size() > 40 ? r.address.substr(0, 40) + "..." : r.address);
}

class RefusedAddressTest : public ::testing::TestWithParam<Refused> {};

TEST_P(RefusedAddressTest, IsRefusedSayingWhy) {
  const absl::Status status = ValidateListenAddress(GetParam().address);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().why));
}

INSTANTIATE_TEST_SUITE_P(NotLocalOrMalformed, RefusedAddressTest,
                         ::testing::Values(Refused{"0.0.0.0:50051", "TLS"},
                                           Refused{"10.1.2.3:50051", "TLS"},
                                           Refused{"example.com:443", "not a loopback"},
                                           Refused{"[::]:1", "TLS"},
                                           Refused{"dns:///localhost:1", "other URI schemes"},
                                           Refused{"127.0.0.1", "expected unix:PATH or HOST:PORT"},
                                           Refused{"127.0.0.1:65536", "not a number in 0..65535"},
                                           Refused{"localhost:http", "not a number"},
                                           Refused{"unix:", "needs a socket path"},
                                           Refused{"unix:/" + std::string(200, 'x'), "at most"}));

TEST(UnixSocketPathTest, StripsTheScheme) {
  EXPECT_EQ(UnixSocketPath("unix:/a/b.sock"), "/a/b.sock");
  EXPECT_EQ(UnixSocketPath("unix:///a/b.sock"), "/a/b.sock");
  EXPECT_EQ(UnixSocketPath("unix:b.sock"), "b.sock");
  EXPECT_EQ(UnixSocketPath("127.0.0.1:1"), "");
}

// A socket bound and listening in this process, or (after close) a file nobody accepts on.
int ListenOn(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(PrepareUnixSocketTest, RemovesAStaleSocketRefusesALiveOneAndAnOrdinaryFile) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.File("s.sock");
  EXPECT_TRUE(PrepareUnixSocket("unix:" + path).ok()) << "nothing there yet";

  const int fd = ListenOn(path);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PrepareUnixSocket("unix:" + path).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(std::filesystem::exists(path));

  close(fd);  // the file stays, but nobody accepts any more
  EXPECT_TRUE(PrepareUnixSocket("unix:" + path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));

  const std::string plain = dir.Write("plain", "not a socket");
  EXPECT_EQ(PrepareUnixSocket("unix:" + plain).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(plain));
}

}  // namespace
}  // namespace kmsguard::plugin

namespace kmsguard::plugin {
namespace {

// Found in a user trial: a socket path in a directory that does not exist was reported by gRPC
// as "address in use by another process, or no permission".
TEST(PrepareUnixSocketTest, AMissingDirectoryIsNamedAsSuch) {
  const absl::Status status = PrepareUnixSocket("unix:/nonexistent-kmsguard-dir/x.sock");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("the directory /nonexistent-kmsguard-dir does not exist"));
}

}  // namespace
}  // namespace kmsguard::plugin
