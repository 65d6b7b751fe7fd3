// Owning handles for the OpenSSL objects the plugin makes or reads (TLS files checked before gRPC
// sees them, go-plugin AutoMTLS certificates): each frees its object with OpenSSL's own function.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kmsguard::plugin::openssl {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BignumFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct NameFree {
  void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};

using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
using Name = std::unique_ptr<X509_NAME, NameFree>;
using Extension = std::unique_ptr<X509_EXTENSION, ExtensionFree>;

}  // namespace kmsguard::plugin::openssl
