// SHA-256 against the test vectors of FIPS 180-2 (Appendix B) and NIST's SHA examples: the finding
// ids and the scan's duplicate index rely on these exact digests, whichever way OpenSSL is asked.
#include "sdk/core/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace kmsguard::core {
namespace {

std::string Hex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

TEST(DigestTest, PublishedVectors) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(DigestTest, BytesAfterANulAndFromManyThreadsCount) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(Sha256(with_nul), Sha256("a"));
  // The algorithm is fetched once and shared: every thread gets the same digest.
  const Sha256Digest expected = Sha256("abc");
  std::vector<std::thread> threads;
  std::vector<Sha256Digest> seen(8);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] {
      for (int k = 0; k < 1000; ++k) seen[i] = Sha256("abc");
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Sha256Digest& digest : seen) EXPECT_EQ(digest, expected);
}

}  // namespace
}  // namespace kmsguard::core
