// Checks TLS material before gRPC sees it: gRPC reports a bad certificate, a key that does not
// belong to it or an unreadable CA only as "cannot listen", which sends users after the port.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace kmsguard::plugin {

// `cert_pem`, `key_pem` and `client_ca_pem` are file contents (PEM); empty ones are not checked
// (half a configuration is refused by PluginServer::Start). `*_path` name the files in
// messages. Returns InvalidArgument naming the file and the problem: not a PEM certificate, not a
// PEM private key, or a key that does not match the certificate.
absl::Status CheckTlsFiles(const std::string& cert_pem, const std::string& cert_path,
                           const std::string& key_pem, const std::string& key_path,
                           const std::string& client_ca_pem, const std::string& client_ca_path);

}  // namespace kmsguard::plugin
