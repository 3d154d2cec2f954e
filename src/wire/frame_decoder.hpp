// Incremental decoders for varint-length-prefixed frames: handshake messages and transport
// frames (wire.md §2), fed arbitrary chunks. Owned by one session; use from its thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/frame.hpp"

#include <cstdint>
#include <functional>
#include <optional>

namespace hypermount::wire {

// Splits a byte stream into varint(length) || payload units. Errors are sticky: after one,
// every call fails again.
class LengthPrefixedDecoder {
 public:
  // Payloads longer than max_payload are refused as soon as the prefix says so, before any of
  // the payload is buffered.
  explicit LengthPrefixedDecoder(uint64_t max_payload) : max_payload_(max_payload) {}

  struct Step {
    size_t consumed = 0;  // bytes of the input used by this step
    // A completed unit (possibly empty: L = 0). It points into the input when the unit lay
    // whole in it, else into the decoder's buffer: valid until the next call either way.
    std::optional<ByteView> payload;
  };

  // Consumes input up to the end of at most one unit. Returns with no payload when the input
  // ran out first (all of it consumed). Error::protocol on a length beyond max_payload or an
  // invalid varint (more than 10 bytes or beyond 64 bits).
  Result<Step> next(ByteView input);

  // True between units (nothing of a started unit buffered).
  bool at_boundary() const { return !in_payload_ && prefix_bytes_ == 0; }

 private:
  // Back to reading a length prefix; the buffer keeps its bytes (a returned payload may point
  // into it) until the next unit starts.
  void end_unit();

  uint64_t max_payload_;
  uint64_t length_ = 0;
  size_t prefix_bytes_ = 0;
  bool in_payload_ = false;
  Bytes buffer_;
  std::optional<Error> error_;
};

// Decodes plaintext transport frames (after XSalsa20) from arbitrary chunks.
class TransportFrameDecoder {
 public:
  TransportFrameDecoder();

  // Hands each frame this chunk completes to `on_frame`, in order, as it completes (its body is
  // valid during the call only); keep-alives are counted, not handed. Stops at the first error
  // of `on_frame` and returns it. Error::protocol on a huge length prefix, a garbage header or
  // an oversized body; the stream must then be destroyed (sticky).
  Status push(ByteView chunk, const std::function<Status(const RawFrame&)>& on_frame);

  uint64_t keep_alives() const { return keep_alives_; }

 private:
  LengthPrefixedDecoder units_;
  uint64_t keep_alives_ = 0;
  std::optional<Error> error_;
};

}  // namespace hypermount::wire
