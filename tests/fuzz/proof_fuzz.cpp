// libFuzzer target for Core::put_remote (hypercore.md §6.4, §7): genuine, tampered and
// fuzz-decoded Data replies fed to an empty replica; a forged block must never be stored.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "core/core.hpp"
#include "fuzz_reader.hpp"
#include "wire/messages.hpp"

using namespace hypermount;
using fuzz::Reader;

// Input: a config byte; bit 0 set: the rest is one Data message body (wire.md §6.10), else
// up to 8 operations follow: an op byte (bit 0: a length byte and that many bytes of a Data
// body; else a genuine proof for block `next byte`, hash-only when bit 1, the replica's digest
// unless bit 2 (then the next byte), then a mutation byte and its operand bytes). Each input
// starts from an empty replica. The writer holds the feed of shared/spec wire-session-*.json
// (key from seed 00..1f, blocks hello, world, from hypercore) and 10 more blocks, so the Data
// frames recorded there are valid seeds (tests/fuzz/make_seeds.py; none when missing).
namespace {

struct Fixture {
  std::string root;
  std::unique_ptr<core::Core> writer;
  std::vector<Bytes> blocks;
};

Fixture make_fixture() {
  Fixture f;
  if (!crypto::init()) std::abort();
  // tmpfs keeps the per-input replica cheap.
  char pattern[] = "/dev/shm/hm-fuzz-proof-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) std::abort();
  f.root = pattern;
  ByteArray<32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
  auto writer = core::Core::create(f.root + "/writer", crypto::key_pair_from_seed(seed));
  if (!writer) std::abort();
  f.writer = std::move(writer).value();
  if (!f.writer->append({as_bytes("hello"), as_bytes("world"), as_bytes("from hypercore")})) {
    std::abort();
  }
  for (int i = 3; i < 13; ++i) {
    std::string block(static_cast<size_t>(i * 7 % 23), static_cast<char>('a' + i));
    if (!f.writer->append({as_bytes(block)})) std::abort();
  }
  for (uint64_t i = 0; i < f.writer->length(); ++i) f.blocks.push_back(f.writer->get(i).value());
  return f;
}

struct Reply {
  uint64_t block = 0;
  std::optional<Bytes> value;
  std::vector<core::Node> nodes;
  std::optional<crypto::Signature> signature;
};

// As Replicator::on_data converts a Data message; nullopt where it drops the peer.
std::optional<Reply> from_body(ByteView body) {
  auto message = wire::decode_body(wire::MessageType::Data, body);
  if (!message) return std::nullopt;
  auto& data = std::get<wire::Data>(*message);
  Reply reply{data.index, data.value, {}, {}};
  for (const wire::DataNode& node : data.nodes) {
    if (node.hash.size() != crypto::kHashSize) return std::nullopt;
    core::Node converted{node.index, {}, node.size};
    std::copy(node.hash.begin(), node.hash.end(), converted.hash.begin());
    reply.nodes.push_back(converted);
  }
  if (data.signature) {
    if (data.signature->size() != crypto::kSignatureSize) return std::nullopt;
    reply.signature.emplace();
    std::copy(data.signature->begin(), data.signature->end(), reply.signature->begin());
  }
  return reply;
}

// The writer's reply to the replica's request, then one fuzz-chosen change to it.
std::optional<Reply> genuine(const Fixture& f, const core::Core& replica, uint8_t op,
                             Reader& reader, std::set<uint64_t>& remote_nodes) {
  const uint64_t block = reader.byte() % f.blocks.size();
  const bool hash_only = (op & 2) != 0;
  const uint64_t digest = (op & 4) ? reader.byte() : replica.digest_for(block);
  auto proof = f.writer->proof(block, digest, hash_only, remote_nodes);
  if (!proof) return std::nullopt;
  Reply reply{block, std::nullopt, proof->nodes, proof->signature};
  if (!hash_only) reply.value = f.blocks[block];
  const uint8_t mutation = reader.byte();
  const uint8_t at = reader.byte();
  const uint8_t by = static_cast<uint8_t>(reader.byte() | 1);
  core::Node* node = reply.nodes.empty() ? nullptr : &reply.nodes[at % reply.nodes.size()];
  switch (mutation % 12) {
    case 1:
      if (reply.value && !reply.value->empty()) (*reply.value)[at % reply.value->size()] ^= by;
      break;
    case 2:
      if (node) node->hash[at % node->hash.size()] ^= by;
      break;
    case 3:
      if (node) node->index ^= by;
      break;
    case 4:
      if (node) node->size ^= by;
      break;
    case 5:
      if (node) reply.nodes.erase(reply.nodes.begin() + (node - reply.nodes.data()));
      break;
    case 6:
      if (node) reply.nodes.insert(reply.nodes.begin() + (node - reply.nodes.data()), *node);
      break;
    case 7:
      if (reply.signature) (*reply.signature)[at % reply.signature->size()] ^= by;
      break;
    case 8:
      reply.signature.reset();
      break;
    case 9:
      reply.block = (reply.block + by) % (f.blocks.size() + 4);
      break;
    case 10:
      if (reply.value) reply.value->push_back(by);
      break;
    case 11:
      if (reply.value && !reply.value->empty()) reply.value->pop_back();
      break;
    default:
      break;
  }
  return reply;
}

// put_remote stores the reply in full or not at all, and what it stores is the writer's.
void put(const Fixture& f, core::Core& replica, const Reply& reply) {
  const uint64_t present = replica.blocks_present();
  const uint64_t length = replica.length();
  std::optional<ByteView> value;
  if (reply.value) value = ByteView(*reply.value);
  Status stored = replica.put_remote(reply.block, value, reply.nodes, reply.signature);
  if (!stored) {
    if (replica.blocks_present() != present || replica.length() != length) std::abort();
    return;
  }
  if (replica.length() < length || replica.length() > f.blocks.size()) std::abort();
  if (!reply.value) {
    if (replica.blocks_present() != present) std::abort();
    return;
  }
  if (reply.block >= f.blocks.size() || *reply.value != f.blocks[reply.block]) std::abort();
  auto got = replica.get(reply.block);
  if (!got || *got != f.blocks[reply.block]) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture f = make_fixture();
  if (size == 0) return 0;
  const std::string dir = f.root + "/replica";
  // libFuzzer's -timeout alarm (SIGALRM every second) can interrupt the removal: remove again.
  std::error_code failed;
  do {
    std::filesystem::remove_all(dir, failed);
  } while (failed == std::errc::interrupted);
  if (failed) std::abort();
  auto opened = core::Core::open_replica(dir, f.writer->key());
  if (!opened) std::abort();
  core::Core& replica = **opened;
  Reader reader{ByteView(data + 1, size - 1)};
  if (data[0] & 1) {
    if (auto reply = from_body(reader.in)) put(f, replica, *reply);
  } else {
    std::set<uint64_t> remote_nodes;
    for (int i = 0; i < 8 && !reader.in.empty(); ++i) {
      const uint8_t op = reader.byte();
      auto reply = (op & 1) ? from_body(reader.take(reader.byte()))
                            : genuine(f, replica, op, reader, remote_nodes);
      if (reply) put(f, replica, *reply);
    }
  }
  // Every block the replica holds is the writer's, wherever it was written.
  for (uint64_t i = 0; i < replica.length(); ++i) {
    if (!replica.has(i)) continue;
    auto got = replica.get_unchecked(i);
    if (!got || i >= f.blocks.size() || *got != f.blocks[i]) std::abort();
  }
  return 0;
}
