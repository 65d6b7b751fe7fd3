#include "plugin/auto_mtls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/openssl_handles.h"

namespace kmsguard::plugin {

namespace {

using openssl::Bio;
using openssl::Certificate;

// OpenSSL keeps errors on a per-thread queue; none may be left behind for gRPC (which shares the
// thread) to pick up and misreport.
struct ClearOpenSslErrors {
  ~ClearOpenSslErrors() { ERR_clear_error(); }
};

// go-plugin's mtls.go: NotBefore 30 s ago (clock skew between host and plugin), NotAfter 262980 h
// (30 years) later. The key lives only in this process's memory, so a long validity costs
// nothing, and a host that keeps a plugin for months never sees it expire.
constexpr long kNotBeforeSeconds = -30;
constexpr long kNotAfterSeconds = 262980L * 3600;

// The name go-plugin's client verifies (tls.Config.ServerName "localhost").
constexpr char kHostName[] = "localhost";

Bio ReadBio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Certificate ReadCertificate(BIO* bio) {
  return Certificate(bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr);
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

absl::Status OpenSslError(absl::string_view what) {
  const unsigned long code = ERR_peek_last_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof(reason));
  return absl::InternalError(
      absl::StrCat("AutoMTLS: cannot ", what, ": ", absl::string_view(reason)));
}

bool AddExtension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
  openssl::Extension extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  return extension != nullptr && X509_add_ext(cert, extension.get(), -1) == 1;
}

}  // namespace

std::string RawBase64(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 characters per 3 bytes (rounded up) and a NUL, no line breaks.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

absl::StatusOr<AutoMtlsIdentity> GenerateAutoMtlsIdentity() {
  ClearOpenSslErrors clear_errors;
  // P-521, as go-plugin's generateCert: a host that checks the key type sees what it expects.
  openssl::Key key(EVP_EC_gen("P-521"));
  if (!key) return OpenSslError("generate an ECDSA P-521 key");

  Certificate cert(X509_new());
  openssl::Bignum serial(BN_new());
  openssl::Name name(X509_NAME_new());
  if (!cert || !serial || !name) return OpenSslError("allocate the certificate");
  // A random 128-bit serial (top bit set, so never 0, which RFC 5280 forbids).
  const bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
                  BN_rand(serial.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
                  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
                  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>("kmsguard"), -1,
                                             -1, 0) == 1 &&
                  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>(kHostName), -1,
                                             -1, 0) == 1 &&
                  X509_set_subject_name(cert.get(), name.get()) == 1 &&
                  X509_set_issuer_name(cert.get(), name.get()) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), kNotBeforeSeconds) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kNotAfterSeconds) != nullptr &&
                  X509_set_pubkey(cert.get(), key.get()) == 1;
  if (!ok) return OpenSslError("fill in the certificate");

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  // The extensions of go-plugin's template. It is a CA because go-plugin's client puts it in its
  // root pool, and the server auth usage and the SAN are what Go checks there (Go verifies the
  // host name against the SAN only, never the CN).
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment,keyAgreement,keyCertSign"},
      {NID_ext_key_usage, "clientAuth,serverAuth"},
      {NID_subject_alt_name, "DNS:localhost"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    if (!AddExtension(cert.get(), &context, nid, value)) {
      return OpenSslError(absl::StrCat("add the ", OBJ_nid2sn(nid), " extension"));
    }
  }
  // SHA-512 with P-521, as Go's x509.CreateCertificate chooses for that curve.
  if (X509_sign(cert.get(), key.get(), EVP_sha512()) == 0) {
    return OpenSslError("sign the certificate");
  }

  AutoMtlsIdentity identity;
  Bio cert_bio(BIO_new(BIO_s_mem()));
  Bio key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return OpenSslError("write the certificate and key as PEM");
  }
  identity.cert_pem = BioText(cert_bio.get());
  identity.key_pem = BioText(key_bio.get());

  unsigned char* der = nullptr;
  const int der_size = i2d_X509(cert.get(), &der);
  if (der_size <= 0) return OpenSslError("encode the certificate as DER");
  identity.handshake_field =
      RawBase64(std::string_view(reinterpret_cast<const char*>(der), der_size));
  OPENSSL_free(der);
  return identity;
}

absl::Status CheckHostCertificate(std::string_view pem) {
  ClearOpenSslErrors clear_errors;
  Bio bio = ReadBio(pem);
  if (!ReadCertificate(bio.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat(kGoPluginClientCertVariable,
                     " (the go-plugin host's AutoMTLS certificate) holds no "
                     "PEM certificate"));
  }
  if (ReadCertificate(bio.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat(kGoPluginClientCertVariable,
                     " holds more than one certificate; a go-plugin host sends "
                     "exactly one, and only that one is accepted"));
  }
  return absl::OkStatus();
}

bool SameCertificate(std::string_view pem_a, std::string_view pem_b) {
  ClearOpenSslErrors clear_errors;
  Bio bio_a = ReadBio(pem_a);
  Bio bio_b = ReadBio(pem_b);
  Certificate a = ReadCertificate(bio_a.get());
  Certificate b = ReadCertificate(bio_b.get());
  // X509_cmp compares the digests and then the DER encodings.
  return a && b && X509_cmp(a.get(), b.get()) == 0;
}

}  // namespace kmsguard::plugin
