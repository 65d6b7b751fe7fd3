// SHA-256 (FIPS 180-4), from OpenSSL: for identities that must not collide in practice (finding
// ids, the scan's index of resources already read), never for security decisions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace kmsguard::core {

using Sha256Digest = std::array<std::uint8_t, 32>;

// The SHA-256 digest of `data`. Never fails (OpenSSL's built-in implementation).
Sha256Digest Sha256(std::string_view data);

}  // namespace kmsguard::core
