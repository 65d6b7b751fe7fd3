#include "sdk/core/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace kmsguard::core {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int size = 0;
  // Only fails when OpenSSL cannot allocate its context: nothing sensible is left to do then.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    std::abort();
  }
  return digest;
}

}  // namespace kmsguard::core
