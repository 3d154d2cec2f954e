#include "wire/transport_cipher.hpp"

#include "wire_test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <random>

namespace hypermount {
namespace {

TEST_CASE("stream cipher: the keystream continues across arbitrary chunks") {
  REQUIRE(crypto::init());
  ByteArray<32> key;
  key.fill(7);
  ByteArray<24> nonce;
  nonce.fill(9);
  Bytes plain(1000);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i * 31);
  // Independent computation: one libsodium call over the whole buffer.
  Bytes whole(plain.size());
  crypto_stream_xsalsa20_xor(whole.data(), plain.data(), plain.size(), nonce.data(), key.data());

  std::mt19937 rng(3);
  for (int round = 0; round < 30; ++round) {
    wire::StreamCipher cipher(key, nonce);
    Bytes data = plain;
    size_t offset = 0;
    while (offset < data.size()) {
      size_t size = std::min<size_t>(rng() % 150, data.size() - offset);
      cipher.apply(std::span<uint8_t>(data).subspan(offset, size));
      offset += size;
    }
    CHECK(data == whole);
    CHECK(cipher.position() == plain.size());
  }
  // Decrypting is the same operation, here from one buffer into another, in odd chunks.
  wire::StreamCipher back(key, nonce);
  Bytes out(whole.size());
  for (size_t offset = 0; offset < whole.size(); offset += 77) {
    const size_t size = std::min<size_t>(77, whole.size() - offset);
    back.apply(ByteView(whole).subspan(offset, size), std::span<uint8_t>(out).subspan(offset, size));
  }
  CHECK(out == plain);
}

}  // namespace
}  // namespace hypermount
