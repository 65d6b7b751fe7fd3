// Where the plugin listens. Without TLS only local transports are allowed: a Unix socket, or TCP
// on a loopback address; any other TCP address requires TLS.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kmsguard::plugin {

// Accepts "unix:PATH", "unix:///ABSOLUTE/PATH", and "HOST:PORT" where HOST is localhost, an IPv4
// address in 127.0.0.0/8, or [::1]; with `tls`, any HOST (a name, an IPv4 address, [IPV6]).
// InvalidArgument otherwise, saying why.
absl::Status ValidateListenAddress(std::string_view address, bool tls = false);

// The socket path of a unix: address; empty for other addresses.
std::string UnixSocketPath(std::string_view address);

// "unix:$XDG_RUNTIME_DIR/kmsguard.sock" when that directory exists, else
// "unix:/tmp/kmsguard-<uid>/kmsguard.sock", creating the directory with mode 0700. Fails when the
// directory exists but is a symlink, belongs to another user or is open to others.
absl::StatusOr<std::string> DefaultListenAddress();

// Makes a Unix socket path bindable: a socket file left by a plugin that died is removed. Fails
// (FailedPrecondition) when the path is something other than a socket, and (AlreadyExists) when a
// process accepts connections there. No-op for non-unix addresses.
absl::Status PrepareUnixSocket(std::string_view address);

// Fails (Unavailable, naming the address) when a HOST:PORT address is taken: binding it (any of
// the addresses HOST resolves to, e.g. both loopbacks of localhost), as gRPC would, answers
// EADDRINUSE. gRPC itself would log lines of its core's errors and fail without
// saying why. OK for unix: addresses, port 0 and anything this check cannot decide (gRPC does).
absl::Status CheckTcpAddressFree(std::string_view address);

}  // namespace kmsguard::plugin
