#include "wire/frame_decoder.hpp"

#include "util/varint.hpp"

#include <algorithm>

namespace hypermount::wire {
namespace {
constexpr size_t kKeptBufferBytes = 1024 * 1024;
}  // namespace

Result<LengthPrefixedDecoder::Step> LengthPrefixedDecoder::next(ByteView input) {
  if (error_) return *error_;
  Step step;
  while (step.consumed < input.size()) {
    if (!in_payload_) {
      uint8_t byte = input[step.consumed++];
      if (prefix_bytes_ == kMaxVarintBytes - 1 && (byte & 0x7f) > 1) {
        error_ = Error::protocol("incoming varint is invalid");
        return *error_;
      }
      length_ |= static_cast<uint64_t>(byte & 0x7f) << (7 * prefix_bytes_);
      ++prefix_bytes_;
      if (length_ > max_payload_) {
        error_ = Error::protocol("incoming message is larger than max size ({} > {})", length_,
                                 max_payload_);
        return *error_;
      }
      if (byte & 0x80) {
        if (prefix_bytes_ == kMaxVarintBytes) {
          error_ = Error::protocol("incoming varint is invalid");
          return *error_;
        }
        continue;
      }
      in_payload_ = true;
      buffer_.clear();
      // Kept for the next unit that spans reads, unless a rare big one left it large.
      if (buffer_.capacity() > kKeptBufferBytes) Bytes().swap(buffer_);
    }
    size_t want = static_cast<size_t>(length_) - buffer_.size();
    size_t take = std::min(want, input.size() - step.consumed);
    if (buffer_.empty() && take == want) {  // the whole unit is in the input: no copy
      step.payload = input.subspan(step.consumed, take);
      step.consumed += take;
      end_unit();
      return step;
    }
    // The buffer grows with what arrives, never to the claimed length up front: a peer that
    // sends a prefix and then trickles (or nothing) holds only what it sent.
    if (buffer_.size() + take > buffer_.capacity()) {
      buffer_.reserve(std::min(static_cast<size_t>(length_),
                               std::max(buffer_.size() + take, 2 * buffer_.capacity())));
    }
    buffer_.insert(buffer_.end(), input.begin() + step.consumed,
                   input.begin() + step.consumed + take);
    step.consumed += take;
    if (buffer_.size() == length_) {
      step.payload = ByteView(buffer_);
      end_unit();
      return step;
    }
  }
  return step;
}

void LengthPrefixedDecoder::end_unit() {
  in_payload_ = false;
  length_ = 0;
  prefix_bytes_ = 0;
}

TransportFrameDecoder::TransportFrameDecoder()
    : units_(kMaxMessageSize + varint_size(frame_header(kMaxChannel, 15))) {}

Status TransportFrameDecoder::push(ByteView chunk,
                                   const std::function<Status(const RawFrame&)>& on_frame) {
  if (error_) return *error_;
  while (!chunk.empty()) {
    auto step = units_.next(chunk);
    if (!step) {
      error_ = step.error();
      return *error_;
    }
    chunk = chunk.subspan(step->consumed);
    if (!step->payload) continue;
    if (step->payload->empty()) {
      ++keep_alives_;
      continue;
    }
    auto frame = parse_frame(*step->payload);
    if (!frame) {
      error_ = frame.error();
      return *error_;
    }
    HM_TRY(on_frame(*frame));
  }
  return {};
}

}  // namespace hypermount::wire
