// Checks TLS material before gRPC sees it: gRPC reports a bad certificate, a key that does not
// belong to it or an unreadable CA only as "cannot listen", which sends users after the port.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kmsguard::plugin {

// `cert_pem`, `key_pem` and `client_ca_pem` are file contents (PEM); empty ones are not checked
// (half a configuration is refused by PluginServer::Start). `*_path` name the files in
// messages. Returns InvalidArgument naming the file and the problem: not a PEM certificate, not a
// PEM private key, or a key that does not match the certificate.
// `ca_what` names the CA in messages: the server's "TLS client CA" (whom it admits), a host's
// "TLS CA" (whom it trusts).
absl::Status CheckTlsFiles(const std::string& cert_pem, const std::string& cert_path,
                           const std::string& key_pem, const std::string& key_path,
                           const std::string& client_ca_pem, const std::string& client_ca_path,
                           const char* ca_what = "TLS client CA");

// The contents of the PEM file `path` ("" for an empty path: not configured). InvalidArgument
// "cannot read the <what> file <path>" when it cannot be read or is empty.
absl::StatusOr<std::string> ReadTlsFile(const std::string& path, const char* what);

}  // namespace kmsguard::plugin
