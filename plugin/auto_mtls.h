// go-plugin's AutoMTLS, the plugin side (docs/plugin-protocol.md "AutoMTLS"; go-plugin's
// client.go `ClientConfig.AutoMTLS`, server.go reading PLUGIN_CLIENT_CERT, mtls.go
// `generateCert`). The host puts its one-time PEM client certificate in PLUGIN_CLIENT_CERT; the
// plugin answers with a one-time certificate of its own in the handshake line, serves TLS with it,
// and accepts only the host's certificate.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kmsguard::plugin {

// The environment variable a go-plugin host with AutoMTLS sets to its client certificate (PEM).
inline constexpr char kGoPluginClientCertVariable[] = "PLUGIN_CLIENT_CERT";

// The plugin's one-time TLS identity.
struct AutoMtlsIdentity {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 PEM, unencrypted: it never leaves the process
  // The certificate's DER in base64 without padding (Go's RawStdEncoding): the sixth field of the
  // handshake line, which go-plugin's loadServerCert trusts as the only root.
  std::string handshake_field;
};

// A fresh ECDSA P-521 key and a self-signed certificate shaped like go-plugin's `generateCert`:
// CN and SAN DNS:localhost (the name go-plugin's client verifies), extended key usage server and
// client auth, a CA (go-plugin puts the certificate in a root pool), a random 128-bit serial,
// valid from 30 s ago. Internal on an OpenSSL failure.
absl::StatusOr<AutoMtlsIdentity> GenerateAutoMtlsIdentity();

// Checks the host's PLUGIN_CLIENT_CERT: exactly one PEM certificate (go-plugin sends one; the
// plugin pins that one). InvalidArgument saying what is wrong otherwise.
absl::Status CheckHostCertificate(std::string_view pem);

// True when both texts hold a PEM certificate and the two certificates are the same (the same
// DER encoding, so the same key, names and signature).
bool SameCertificate(std::string_view pem_a, std::string_view pem_b);

// `bytes` in base64 without '=' padding or line breaks (Go's base64.RawStdEncoding).
std::string RawBase64(std::string_view bytes);

}  // namespace kmsguard::plugin
