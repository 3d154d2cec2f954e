// Frames a TransportFrameDecoder completes, copied out of its callback for later checks.
// Test code only; single-threaded.
#pragma once

#include "wire/frame_decoder.hpp"

#include <vector>

namespace hypermount::test {

struct OwnedFrame {
  uint32_t channel = 0;
  uint8_t type = 0;
  Bytes body;
};

// Every frame `chunk` completes, in order; the decoder's error if it fails.
inline Result<std::vector<OwnedFrame>> push_frames(wire::TransportFrameDecoder& decoder, ByteView chunk) {
  std::vector<OwnedFrame> frames;
  HM_TRY(decoder.push(chunk, [&](const wire::RawFrame& frame) -> Status {
    frames.push_back({frame.channel, frame.type, Bytes(frame.body.begin(), frame.body.end())});
    return {};
  }));
  return frames;
}

}  // namespace hypermount::test
