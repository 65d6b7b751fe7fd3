#include "plugin/listen_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kmsguard::plugin {

namespace {

constexpr std::string_view kUnixPrefix = "unix:";
// sizeof(sockaddr_un::sun_path) minus the terminating NUL.
constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un{}.sun_path) - 1;

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

absl::Status NotLocal(std::string_view address, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "refusing --listen ", std::string(address), ": ", std::string(why),
      ". Without TLS the plugin listens only on a Unix socket (unix:PATH) or a loopback address "
      "(127.0.0.1:PORT, [::1]:PORT, localhost:PORT); any other address requires TLS "
      "(--tls-cert and --tls-key, plus --tls-client-ca for mTLS)"));
}

absl::Status ErrnoStatus(const std::string& what, int error) {
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace

std::string UnixSocketPath(std::string_view address) {
  if (!address.starts_with(kUnixPrefix)) return "";
  address.remove_prefix(kUnixPrefix.size());
  // "unix:///abs" is the URI spelling of "unix:/abs".
  if (address.starts_with("///")) address.remove_prefix(2);
  return std::string(address);
}

absl::Status ValidateListenAddress(std::string_view address, bool tls) {
  if (address.starts_with(kUnixPrefix)) {
    const std::string path = UnixSocketPath(address);
    if (path.empty()) return absl::InvalidArgumentError("--listen unix: needs a socket path");
    if (path.size() > kMaxSocketPath) {
      return absl::InvalidArgumentError(absl::StrCat("socket path ", path, " is ", path.size(),
                                                     " bytes; Unix sockets allow at most ",
                                                     kMaxSocketPath));
    }
    return absl::OkStatus();
  }
  std::string_view host;
  std::string_view port;
  if (address.starts_with("[")) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", std::string(address), ": expected [IPV6]:PORT"));
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", std::string(address), ": expected unix:PATH or HOST:PORT"));
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return NotLocal(address, "other URI schemes are not accepted (IPv6 is written [::1]:PORT)");
    }
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &port_number) ||
      port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen ", std::string(address), ": port \"",
                                                   std::string(port),
                                                   "\" is not a number in 0..65535"));
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("--listen ", std::string(address), ": no host"));
  if (!tls && !IsLoopbackHost(host)) return NotLocal(address, "not a loopback address");
  return absl::OkStatus();
}

absl::StatusOr<std::string> DefaultListenAddress() {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  struct stat info {};
  if (runtime_dir != nullptr && runtime_dir[0] == '/' && stat(runtime_dir, &info) == 0 &&
      S_ISDIR(info.st_mode)) {
    return absl::StrCat("unix:", runtime_dir, "/kmsguard.sock");
  }
  const std::string dir = absl::StrCat("/tmp/kmsguard-", getuid());
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir " + dir, errno);
  // /tmp is shared: the directory must be ours and closed to others, or another user could
  // put a socket of their own in our way.
  if (lstat(dir.c_str(), &info) != 0) return ErrnoStatus("lstat " + dir, errno);
  if (!S_ISDIR(info.st_mode) || info.st_uid != getuid() || (info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is not a directory owned by this user with mode 0700; remove it or pass --listen"));
  }
  return absl::StrCat("unix:", dir, "/kmsguard.sock");
}

absl::Status PrepareUnixSocket(std::string_view address) {
  const std::string path = UnixSocketPath(address);
  if (path.empty()) return absl::OkStatus();
  if (path.size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  struct stat info {};
  // gRPC would report a missing directory as "cannot listen", as if the address were taken.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", path, ": the directory ", dir, " does not exist"));
  }
  if (lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus("lstat " + path, errno);
  }
  if (!S_ISSOCK(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a socket"));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_un peer{};
  peer.sun_family = AF_UNIX;
  std::memcpy(peer.sun_path, path.c_str(), path.size() + 1);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
  const int error = errno;
  close(fd);
  if (rc == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("cannot listen on ", std::string(address),
                     ": the address is already in use (another process is listening on ", path,
                     ")"));
  }
  if (error != ECONNREFUSED) return ErrnoStatus("connect " + path, error);
  // Nobody accepts there: the file is left over from a plugin that did not shut down cleanly.
  if (unlink(path.c_str()) != 0) return ErrnoStatus("unlink stale socket " + path, errno);
  return absl::OkStatus();
}

absl::Status CheckTcpAddressFree(std::string_view address) {
  if (address.starts_with(kUnixPrefix)) return absl::OkStatus();
  std::string host;
  std::string port;
  if (address.starts_with("[")) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") {
      return absl::OkStatus();  // ValidateListenAddress says what is wrong
    }
    host = std::string(address.substr(1, close - 1));
    port = std::string(address.substr(close + 2));
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return absl::OkStatus();
    host = std::string(address.substr(0, colon));
    port = std::string(address.substr(colon + 1));
  }
  if (port == "0") return absl::OkStatus();  // any free port
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return absl::OkStatus();
  bool in_use = false;
  for (const addrinfo* entry = found; entry != nullptr && !in_use; entry = entry->ai_next) {
    const int fd = socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol);
    if (fd < 0) continue;
    // As gRPC binds: SO_REUSEADDR, so a port whose last connections are in TIME_WAIT is free.
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (entry->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    in_use = bind(fd, entry->ai_addr, entry->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(fd);
  }
  freeaddrinfo(found);
  if (!in_use) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "cannot listen on ", std::string(address),
      ": the address is already in use (another process is listening on that port)"));
}

}  // namespace kmsguard::plugin
