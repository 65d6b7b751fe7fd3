#include "plugin/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "plugin/openssl_handles.h"

namespace kmsguard::plugin {

namespace {

openssl::Bio Bio(const std::string& pem) {
  return openssl::Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

openssl::Certificate FirstCertificate(const std::string& pem) {
  auto bio = Bio(pem);
  return openssl::Certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                  : nullptr);
}

}  // namespace

absl::Status CheckTlsFiles(const std::string& cert_pem, const std::string& cert_path,
                           const std::string& key_pem, const std::string& key_path,
                           const std::string& client_ca_pem, const std::string& client_ca_path,
                           const char* ca_what) {
  // OpenSSL keeps errors on a per-thread queue; leave none behind for gRPC to misreport.
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  // Half a configuration is PluginServer::Start's to refuse; only a full pair is checked here.
  if (!cert_pem.empty() && !key_pem.empty()) {
    auto cert = FirstCertificate(cert_pem);
    if (!cert) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS certificate file ", cert_path, " holds no PEM certificate"));
    }
    auto bio = Bio(key_pem);
    openssl::Key key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS key file ", key_path, " holds no PEM private key (or it is encrypted)"));
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("the private key in ", key_path,
                                                     " does not match the certificate in ",
                                                     cert_path));
    }
  }
  if (!client_ca_pem.empty() && !FirstCertificate(client_ca_pem)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ca_what, " file ", client_ca_path, " holds no PEM certificate"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTlsFile(const std::string& path, const char* what) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " file ", path));
  }
  return text.str();
}

}  // namespace kmsguard::plugin
