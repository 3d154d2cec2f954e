// The Data message (type 9) coded by hand, byte for byte as protobuf codes it: every block
// passes through it, and protobuf's string fields cost each block three more copies.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/messages.hpp"

#include <cstddef>

namespace hypermount::wire {

// The length of `m`'s body.
size_t data_body_size(const Data& m);

// Appends `m`'s body to `out`: the fields in number order, as protobuf serializes them.
void append_data_body(Bytes& out, const Data& m);

// Decodes a Data body as protobuf's parser does: unknown fields (and known ones of another wire
// type) are skipped, the last of a repeated singular field wins, and a missing required field
// is an error. Stricter in two places no peer meets: group wire types, and varints beyond
// 64 bits, are Error::protocol too.
Result<Data> decode_data_body(ByteView body);

}  // namespace hypermount::wire
