#include "sdk/core/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace kmsguard::core {

namespace {

// The SHA-256 implementation, fetched from OpenSSL's default provider once. `EVP_sha256()`
// makes every digest look the algorithm up again (OpenSSL 3 "implicit fetch", under a lock):
// 0.4 µs per call, more than hashing a resource's id, and the scan digests every resource
// twice (issue 13, host profile). Never freed: it lives as long as the process.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const algorithm = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) std::abort();  // the default provider always has it
    return fetched;
  }();
  return algorithm;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int size = 0;
  // Only fails when OpenSSL cannot allocate its context: nothing sensible is left to do then.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, Sha256Algorithm(), nullptr) != 1 ||
      size != digest.size()) {
    std::abort();
  }
  return digest;
}

}  // namespace kmsguard::core
