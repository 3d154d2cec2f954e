#include "core/bitfield_rle.hpp"

#include <algorithm>

#include "util/varint.hpp"

namespace hypermount::core {

namespace {

// Chunk headers (§9): bit 0 set = run (bit 1 = run of 0xFF, length = header >> 2);
// bit 0 clear = literal of header / 2 bytes.
constexpr uint64_t kRunFlag = 1;
constexpr uint64_t kRunOnesFlag = 2;

// The reference encoder's state: `flushed` is how much of the input is already emitted.
class Encoder {
 public:
  explicit Encoder(ByteView input) : input_(input) {}

  Bytes run() {
    size_t end = input_.size();
    while (end > 0 && input_[end - 1] == 0) {
      --end;
    }
    uint8_t run_value = 0;
    size_t run_length = 0;
    for (size_t i = 0; i < end; ++i) {
      const uint8_t x = input_[i];
      if (x == run_value) {
        ++run_length;
        continue;
      }
      if (run_length > 0) {
        close_run(i, run_length, run_value);
      }
      if (x == 0x00 || x == 0xff) {
        run_value = x;
        run_length = 1;
      } else {
        run_length = 0;
      }
    }
    if (run_length > 0) {
      close_run(end, run_length, run_value);
    }
    if (end > flushed_) {
      put_literal(end);
    }
    return std::move(out_);
  }

 private:
  // Emits the run [i - length, i) (preceded by the pending literal) only when that is strictly
  // cheaper than leaving everything since `flushed_` to one literal.
  void close_run(size_t i, size_t length, uint8_t value) {
    const size_t head = i - length - flushed_;
    const size_t head_cost = head > 0 ? varint_size(2 * head) + head : 0;
    const uint64_t code = 4 * uint64_t{length} + (value == 0xff ? kRunOnesFlag : 0) + kRunFlag;
    const size_t run_cost = head_cost + varint_size(code);
    const size_t base_cost = varint_size(2 * (i - flushed_)) + (i - flushed_);
    if (run_cost >= base_cost) {
      return;
    }
    if (head > 0) {
      put_literal(i - length);
    }
    put_varint(out_, code);
    flushed_ = i;
  }

  void put_literal(size_t end) {
    put_varint(out_, 2 * uint64_t{end - flushed_});
    out_.insert(out_.end(), input_.begin() + static_cast<std::ptrdiff_t>(flushed_),
                input_.begin() + static_cast<std::ptrdiff_t>(end));
    flushed_ = end;
  }

  ByteView input_;
  Bytes out_;
  size_t flushed_ = 0;
};

}  // namespace

Bytes rle_encode(ByteView bitfield) { return Encoder(bitfield).run(); }

Result<Bytes> rle_decode(ByteView encoded, size_t max_bytes, size_t align) {
  if (align == 0) {
    align = 1;
  }
  // First pass: validate and size the output without allocating it.
  uint64_t total = 0;
  ByteView in = encoded;
  while (!in.empty()) {
    auto header = get_varint(in);
    if (!header) {
      return Error::protocol("rle bitfield: bad varint at byte {} of {}",
                             encoded.size() - in.size(), encoded.size());
    }
    const uint64_t length = (*header & kRunFlag) ? *header >> 2 : *header >> 1;
    if (length > max_bytes || total > max_bytes - length) {
      return Error::protocol("rle bitfield: decodes to more than {} bytes", max_bytes);
    }
    total += length;
    if ((*header & kRunFlag) == 0) {
      if (length > in.size()) {
        return Error::protocol("rle bitfield: literal of {} bytes runs past the end ({} left)",
                               length, in.size());
      }
      in = in.subspan(length);
    }
  }
  uint64_t padded = total;
  if (padded % align != 0) {
    padded += align - padded % align;
  }
  Bytes out(padded, 0);
  // Second pass over input already known to be well formed.
  size_t ptr = 0;
  in = encoded;
  while (!in.empty()) {
    const uint64_t header = get_varint(in).value_or(0);
    if (header & kRunFlag) {
      const size_t length = header >> 2;
      if (header & kRunOnesFlag) {
        std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(ptr), length, uint8_t{0xff});
      }
      ptr += length;
    } else {
      const size_t length = header >> 1;
      std::copy_n(in.begin(), length, out.begin() + static_cast<std::ptrdiff_t>(ptr));
      in = in.subspan(length);
      ptr += length;
    }
  }
  return out;
}

}  // namespace hypermount::core
