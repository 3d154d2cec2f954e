// Core: files byte-identical to JS hypercore 8 (hypercore-storage.json), reopening, get and
// seek, ranges checked at once, proofs into a sparse replica, and refusal of bad remote data.
#include "core/core.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::core;
using hypermount::test::TempDir;

namespace {

crypto::KeyPair vector_keys() {
  REQUIRE(crypto::init());
  auto seed = *array_from_hex<32>("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  return crypto::key_pair_from_seed(seed);
}

const char* kBlocks[] = {"hello", "world", "from hypercore", "block 3", "block 4"};

// The expected bytes of one storage file: full hex, or header + non-zero runs for bitfields.
Bytes expected_file(const nlohmann::json& f) {
  if (f.contains("hex")) return *from_hex(f["hex"].get<std::string>());
  Bytes bytes(f["size"].get<size_t>(), 0);
  for (const auto& run : f["nonZeroRuns"]) {
    for (size_t i = 0; i < run[1].get<size_t>(); ++i) bytes[run[0].get<size_t>() + i] = run[2];
  }
  return bytes;
}

void check_files(const std::string& dir, const nlohmann::json& files) {
  for (const auto& item : files.items()) {
    const std::string& name = item.key();
    const nlohmann::json& f = item.value();
    CAPTURE(name);
    bool exists = std::filesystem::exists(dir + "/" + name);
    if (f.is_null()) {
      CHECK_FALSE(exists);
      continue;
    }
    REQUIRE(exists);
    CHECK(to_hex(test::read_file_bytes(dir + "/" + name)) == to_hex(expected_file(f)));
  }
}

std::unique_ptr<Core> writer_with(const TempDir& tmp, size_t blocks, bool batch) {
  auto core = Core::create(tmp / "writer", vector_keys());
  REQUIRE(core);
  if (batch) {
    std::vector<ByteView> views;
    for (size_t i = 0; i < blocks; ++i) views.push_back(as_bytes(kBlocks[i]));
    REQUIRE((*core)->append(views));
  } else {
    for (size_t i = 0; i < blocks; ++i) REQUIRE((*core)->append({as_bytes(kBlocks[i])}));
  }
  return std::move(*core);
}

}  // namespace

TEST_CASE("core: a writable core's secret key is readable by its owner only") {
  REQUIRE(crypto::init());
  TempDir dir;
  auto created = core::Core::create(dir / "c");
  REQUIRE(created.ok());
  namespace fs = std::filesystem;
  CHECK(fs::status(dir / "c/secret_key").permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("core: appending one by one writes the reference files") {
  auto v = test::load_vectors("hypercore-storage.json");
  TempDir tmp;
  auto core = writer_with(tmp, 3, false);
  CHECK(core->length() == 3);
  CHECK(core->byte_length() == 24);
  check_files(tmp / "writer", v["hypercore8"]["appendEach"]["files"]);
}

TEST_CASE("core: appending a batch writes the reference files") {
  auto v = test::load_vectors("hypercore-storage.json");
  TempDir tmp;
  auto core = writer_with(tmp, 3, true);
  check_files(tmp / "writer", v["hypercore8"]["appendBatch"]["files"]);
}

TEST_CASE("core: a batch appended with some leaf hashes given writes the reference files") {
  auto v = test::load_vectors("hypercore-storage.json");
  TempDir tmp;
  auto core = Core::create(tmp / "writer", vector_keys());
  REQUIRE(core);
  std::vector<ByteView> views;
  for (size_t i = 0; i < 3; ++i) views.push_back(as_bytes(kBlocks[i]));
  std::vector<std::optional<crypto::Hash>> hashes = {leaf_node(0, views[0]).hash, std::nullopt,
                                                     leaf_node(2, views[2]).hash};
  CHECK((*core)->append(views, std::span(hashes).first(2)).error().code() == Errc::InvalidArgument);
  REQUIRE((*core)->append(views, hashes));
  check_files(tmp / "writer", v["hypercore8"]["appendBatch"]["files"]);
}

TEST_CASE("core: a writable core opened cuts bytes past its end, so that a block of zeros appended there reads as zeros") {
  TempDir tmp;
  writer_with(tmp, 5, false).reset();
  const std::string data = tmp / "writer/data";
  {  // what a crash in the middle of an append leaves past the end
    std::ofstream out(data, std::ios::binary | std::ios::app);
    out << std::string(20000, 'x');
  }
  auto core = Core::open(tmp / "writer", store::OpenMode::ReadWrite);
  REQUIRE(core);
  CHECK(std::filesystem::file_size(data) == 38);
  const Bytes zeros(8192, 0);  // appended as a hole
  REQUIRE((*core)->append({ByteView(zeros)}));
  auto block = (*core)->get(5);
  REQUIRE(block);
  CHECK(*block == zeros);
}

TEST_CASE("core: reopening reads length, blocks and seeks without writing") {
  TempDir tmp;
  writer_with(tmp, 5, false).reset();
  auto before = test::read_file_bytes(tmp / "writer/tree");
  auto core = Core::open(tmp / "writer", store::OpenMode::ReadOnly);
  REQUIRE(core);
  CHECK((*core)->length() == 5);
  CHECK((*core)->byte_length() == 38);
  CHECK((*core)->writable());  // the secret key is there, but the folder is opened read-only
  CHECK((*core)->append({as_bytes("x")}).error().code() == Errc::ReadOnly);
  for (size_t i = 0; i < 5; ++i) {
    auto bytes = (*core)->get(i);
    REQUIRE(bytes);
    CHECK(as_chars(*bytes) == kBlocks[i]);
  }
  CHECK((*core)->get(5).error().code() == Errc::NotFound);
  auto s = (*core)->seek(12);  // "hello" "world" | "from hypercore": byte 12 is 'o' of "from"
  REQUIRE(s);
  CHECK(s->block == 2);
  CHECK(s->offset_in_block == 2);
  CHECK((*core)->seek(37)->block == 4);
  CHECK_FALSE((*core)->seek(38));
  CHECK((*core)->verify_all().value() == 5);
  CHECK(test::read_file_bytes(tmp / "writer/tree") == before);
}

TEST_CASE("core: a v9-signed folder opens and verifies") {
  auto v = test::load_vectors("hypercore-storage.json");
  TempDir tmp;
  std::filesystem::create_directory(tmp / "v9");
  for (const auto& [name, f] : v["hypercore9"]["appendEach"]["files"].items()) {
    if (!f.is_null()) test::write_file_bytes(tmp / "v9/" + name, expected_file(f));
  }
  auto core = Core::open(tmp / "v9", store::OpenMode::ReadOnly);
  REQUIRE(core);
  CHECK((*core)->verify_all().value() == 3);
}

TEST_CASE("core: a block stored from a peer reaches the bitfield file by flush_stored or on closing") {
  TempDir tmp;
  auto writer = writer_with(tmp, 3, false);
  std::set<uint64_t> remote;
  auto store_block_1 = [&](Core& replica) {
    auto proof = writer->proof(1, replica.digest_for(1), false, remote);
    REQUIRE(proof);
    REQUIRE(replica.put_remote(1, ByteView(*writer->get(1)), proof->nodes, proof->signature));
  };
  auto has_1_on_disk = [&](const std::string& dir) {
    auto reopened = Core::open(dir, store::OpenMode::ReadOnly);
    REQUIRE(reopened);
    return (*reopened)->has(1);
  };
  {
    auto replica = Core::open_replica(tmp / "flushed", writer->key());
    REQUIRE(replica);
    store_block_1(**replica);
    CHECK_FALSE(has_1_on_disk(tmp / "flushed"));  // present in memory only, until the flush
    REQUIRE((*replica)->flush_stored());
    CHECK(has_1_on_disk(tmp / "flushed"));
  }
  remote.clear();
  {
    auto replica = Core::open_replica(tmp / "closed", writer->key());
    REQUIRE(replica);
    store_block_1(**replica);
  }
  CHECK(has_1_on_disk(tmp / "closed"));
}

TEST_CASE("core: a proof for block 1 builds the reference sparse replica") {
  auto v = test::load_vectors("hypercore-storage.json");
  TempDir tmp;
  auto writer = writer_with(tmp, 3, false);
  auto replica = Core::open_replica(tmp / "replica", writer->key());
  REQUIRE(replica);
  std::set<uint64_t> remote;
  uint64_t digest = (*replica)->digest_for(1);
  CHECK(digest == 0);
  auto proof = writer->proof(1, digest, false, remote);
  REQUIRE(proof);
  REQUIRE(proof->nodes.size() == 2);
  CHECK(proof->nodes[0].index == 0);
  CHECK(proof->nodes[1].index == 4);
  CHECK(proof->verified_by == 6);
  auto block = writer->get(1);
  REQUIRE((*replica)->put_remote(1, ByteView(*block), proof->nodes, proof->signature));
  CHECK((*replica)->length() == 3);
  CHECK((*replica)->byte_length() == 24);
  CHECK((*replica)->has(1));
  CHECK_FALSE((*replica)->has(0));
  REQUIRE((*replica)->flush_stored());
  check_files(tmp / "replica", v["hypercore8"]["sparseReplica"]["files"]);

  // The next request needs no nodes and no signature: leaf 4 is already trusted.
  CHECK((*replica)->digest_for(2) == 1);
  auto proof2 = writer->proof(2, 1, false, remote);
  REQUIRE(proof2);
  CHECK(proof2->nodes.empty());
  CHECK_FALSE(proof2->signature);
  REQUIRE((*replica)->put_remote(2, ByteView(*writer->get(2)), proof2->nodes, proof2->signature));
  CHECK(as_chars(*(*replica)->get(2)) == "from hypercore");
}

TEST_CASE("core: bad remote data is refused and nothing is stored") {
  TempDir tmp;
  auto writer = writer_with(tmp, 5, false);
  auto replica = std::move(*Core::open_replica(tmp / "replica", writer->key()));
  std::set<uint64_t> remote;
  auto proof = *writer->proof(3, 0, false, remote);
  Bytes good = *writer->get(3);
  auto snapshot = [&] {
    std::vector<Bytes> files;
    for (const char* name : {"tree", "data", "bitfield", "signatures"}) {
      files.push_back(test::read_file_bytes(tmp / "replica/" + std::string(name)));
    }
    return files;
  };
  auto before = snapshot();

  SUBCASE("wrong block bytes") {
    Bytes bad = good;
    bad[0] ^= 1;
    CHECK_FALSE(replica->put_remote(3, ByteView(bad), proof.nodes, proof.signature));
  }
  SUBCASE("tampered proof node") {
    auto nodes = proof.nodes;
    nodes[0].hash[5] ^= 0x40;
    CHECK_FALSE(replica->put_remote(3, ByteView(good), nodes, proof.signature));
  }
  SUBCASE("bad signature") {
    auto sig = *proof.signature;
    sig[10] ^= 1;
    CHECK_FALSE(replica->put_remote(3, ByteView(good), proof.nodes, sig));
  }
  SUBCASE("no signature") {
    CHECK_FALSE(replica->put_remote(3, ByteView(good), proof.nodes, std::nullopt));
  }
  SUBCASE("missing roots") {
    auto nodes = proof.nodes;
    nodes.pop_back();
    CHECK_FALSE(replica->put_remote(3, ByteView(good), nodes, proof.signature));
  }
  SUBCASE("absurd indices") {
    auto nodes = proof.nodes;
    nodes[0].index = ~uint64_t{0};
    CHECK_FALSE(replica->put_remote(3, ByteView(good), nodes, proof.signature));
    CHECK_FALSE(replica->put_remote(~uint64_t{0} / 2, ByteView(good), proof.nodes, proof.signature));
  }
  CHECK(replica->length() == 0);
  CHECK_FALSE(replica->has(3));
  CHECK(snapshot() == before);
  REQUIRE(replica->put_remote(3, ByteView(good), proof.nodes, proof.signature));
  CHECK(replica->length() == 5);
  CHECK(*replica->get(3) == good);
}

TEST_CASE("core: reading a corrupted data byte fails with the file named") {
  TempDir tmp;
  writer_with(tmp, 3, false).reset();
  auto data = test::read_file_bytes(tmp / "writer/data");
  data[6] ^= 0xff;
  test::write_file_bytes(tmp / "writer/data", data);
  auto core = std::move(*Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  CHECK(core->get(0));
  auto bad = core->get(1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Errc::Corrupt);
  CHECK(bad.error().message().find("writer/data") != std::string::npos);
  CHECK_FALSE(core->verify_all());
}

TEST_CASE("core: a range of blocks is read at once and each block checked") {
  TempDir tmp;
  const size_t kBlockSize = 65536;  // 12 blocks: enough bytes to hash on every core
  Bytes all(12 * kBlockSize);
  crypto::random_bytes(all.data(), all.size());
  {
    auto core = Core::create(tmp / "writer", vector_keys());
    REQUIRE(core);
    std::vector<ByteView> views;
    for (size_t i = 0; i < 12; ++i) views.push_back(ByteView(all).subspan(i * kBlockSize, kBlockSize));
    REQUIRE((*core)->append(views));
  }
  auto data = test::read_file_bytes(tmp / "writer/data");
  data[5 * kBlockSize + 7] ^= 0x01;
  test::write_file_bytes(tmp / "writer/data", data);
  auto core = std::move(*Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  auto front = core->get_range(0, 5);
  REQUIRE(front);
  CHECK(*front == Bytes(all.begin(), all.begin() + 5 * kBlockSize));
  auto bad = core->get_range(3, 4);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Errc::Corrupt);
  CHECK(bad.error().message().find(fmt::format("block 5 (bytes {}..{})", 5 * kBlockSize, 6 * kBlockSize)) !=
        std::string::npos);
  CHECK(core->get_range(11, 2).error().code() == Errc::NotFound);

  // check_blocks_once names the damaged block and remembers every intact one.
  CHECK(core->check_blocks_once(0, 11).error().code() == Errc::Corrupt);
  data[6 * kBlockSize] ^= 0x01;  // block 6 damaged after it was checked
  test::write_file_bytes(tmp / "writer/data", data);
  CHECK(core->check_block_once(6));
  CHECK_FALSE(core->check_block_once(5));
  auto fresh = std::move(*Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  CHECK_FALSE(fresh->check_block_once(6));
}

TEST_CASE("core: blocks read one by one at once stop at the byte bound and before a damaged one") {
  TempDir tmp;
  writer_with(tmp, 5, false).reset();
  auto data = test::read_file_bytes(tmp / "writer/data");
  data[std::string("helloworldfrom hypercore").size() + 1] ^= 0xff;  // in block 3
  test::write_file_bytes(tmp / "writer/data", data);
  auto core = std::move(*Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  auto each = core->get_blocks(0, 5, UINT64_MAX);
  REQUIRE(each);
  REQUIRE(each->size() == 3);  // 3 is damaged: 0 to 2 come back, each on its own
  for (size_t i = 0; i < 3; ++i) CHECK(as_chars((*each)[i]) == kBlocks[i]);
  auto bounded = core->get_blocks(0, 3, 10);  // "hello" and "world" fit in 10 bytes
  REQUIRE(bounded);
  CHECK(bounded->size() == 2);
  auto one = core->get_blocks(2, 1, 1);  // never fewer than one
  REQUIRE(one);
  CHECK(as_chars(one->front()) == kBlocks[2]);
  auto bad = core->get_blocks(3, 2, UINT64_MAX);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Errc::Corrupt);
  CHECK(core->get_blocks(4, 2, UINT64_MAX).error().code() == Errc::NotFound);
}

TEST_CASE("core: a replica killed before writing its key is made again; a short key is corrupt") {
  TempDir tmp;
  auto writer = writer_with(tmp, 2, false);
  const crypto::PublicKey key = writer->key();
  // What a kill between creating the key file and writing it leaves (seen in the crash trials).
  std::filesystem::create_directories(tmp / "replica");
  std::ofstream(tmp / "replica/key").flush();
  CHECK(Core::open(tmp / "replica", store::OpenMode::ReadOnly).error().code() == Errc::NotFound);
  {
    auto replica = Core::open_replica(tmp / "replica", key);
    REQUIRE(replica);
    CHECK((*replica)->key() == key);
  }
  auto reopened = Core::open(tmp / "replica", store::OpenMode::ReadOnly);
  REQUIRE(reopened);
  CHECK((*reopened)->key() == key);
  std::ofstream(tmp / "replica/key", std::ios::trunc) << "short";
  auto damaged = Core::open_replica(tmp / "replica", key);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().code() == Errc::Corrupt);
}

TEST_CASE("core: a core open for writing is locked against a second writer") {
  TempDir tmp;
  auto writer = writer_with(tmp, 2, false);
  auto second = Core::open(tmp / "writer", store::OpenMode::ReadWrite);
  REQUIRE_FALSE(second);
  CHECK(second.error().code() == Errc::Unavailable);
  CHECK(Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  writer.reset();
  CHECK(Core::open(tmp / "writer", store::OpenMode::ReadWrite));
}

TEST_CASE("core: clear gives a range's space back; the rest reads, verifies and reopens") {
  TempDir tmp;
  const size_t kBlockSize = 65536;
  Bytes all(10 * kBlockSize);
  crypto::random_bytes(all.data(), all.size());
  auto block = [&](size_t i) { return Bytes(all.begin() + i * kBlockSize, all.begin() + (i + 1) * kBlockSize); };
  auto allocated = [&]() {
    struct stat st {};
    REQUIRE(::stat((tmp / "writer/data").c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_blocks) * 512;
  };
  {
    auto core = std::move(*Core::create(tmp / "writer", vector_keys()));
    std::vector<ByteView> views;
    for (size_t i = 0; i < 10; ++i) views.push_back(ByteView(all).subspan(i * kBlockSize, kBlockSize));
    REQUIRE(core->append(views));
    uint64_t before = allocated();
    auto given = core->clear(2, 6);
    REQUIRE(given);
    CHECK(*given == 4 * kBlockSize);
    CHECK(allocated() <= before - 4 * kBlockSize);
    CHECK(core->blocks_present() == 6);
    CHECK_FALSE(core->has(2));
    CHECK_FALSE(core->has(5));
    CHECK(core->get(3).error().code() == Errc::NotFound);
    CHECK(*core->get(1) == block(1));
    CHECK(*core->get(6) == block(6));
    CHECK(*core->clear(2, 6) == 0);  // nothing left there
    CHECK(core->length() == 10);
    // appending goes on after a cleared range
    Bytes more = block(0);
    REQUIRE(core->append({ByteView(more)}));
    CHECK(*core->get(10) == more);
  }
  auto core = std::move(*Core::open(tmp / "writer", store::OpenMode::ReadOnly));
  CHECK(core->blocks_present() == 7);
  CHECK_FALSE(core->has(4));
  CHECK(*core->get(9) == block(9));
  auto verified = core->verify_all();
  REQUIRE(verified);
  CHECK(*verified == 7);
  CHECK(core->clear(0, 1).error().code() == Errc::ReadOnly);
}

TEST_CASE("core: zero blocks are holes in the data file, for the writer and for a replica") {
  TempDir tmp;
  const size_t kBlockSize = 65536;
  Bytes data(kBlockSize), zeros(kBlockSize, 0), small_zeros(100, 0);
  crypto::random_bytes(data.data(), data.size());
  // data, two zero blocks, a zero block too small to be a hole, data, zeros at the end
  std::vector<ByteView> blocks{data, zeros, zeros, small_zeros, data, zeros, zeros};
  auto stored = [&](const char* dir) {
    struct stat st {};
    REQUIRE(::stat((tmp / (std::string(dir) + "/data")).c_str(), &st) == 0);
    return std::pair<uint64_t, uint64_t>{static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512};
  };
  const uint64_t total = 6 * kBlockSize + small_zeros.size();
  auto writer = std::move(*Core::create(tmp / "writer", vector_keys()));
  REQUIRE(writer->append(blocks));
  auto [size, allocated] = stored("writer");
  CHECK(size == total);
  CHECK(allocated <= 2 * kBlockSize + 2 * 4096);  // the two data blocks and the small one's page
  for (size_t i = 0; i < blocks.size(); ++i) {
    CAPTURE(i);
    CHECK(*writer->get(i) == Bytes(blocks[i].begin(), blocks[i].end()));
  }
  // Every leaf, shared zero hashes included, re-hashes from the data file to the signed tree.
  REQUIRE(writer->verify_all());
  CHECK(*writer->verify_all() == blocks.size());

  auto replica = std::move(*Core::open_replica(tmp / "replica", writer->key()));
  std::set<uint64_t> remote;
  for (uint64_t i : {6, 1, 0, 2, 3, 5, 4}) {
    auto proof = writer->proof(i, replica->digest_for(i), false, remote);
    REQUIRE(proof);
    REQUIRE(replica->put_remote(i, ByteView(*writer->get(i)), proof->nodes, proof->signature));
  }
  auto [replica_size, replica_allocated] = stored("replica");
  CHECK(replica_size == total);
  CHECK(replica_allocated <= 2 * kBlockSize + 2 * 4096);
  CHECK(*replica->get(5) == zeros);
  CHECK(*replica->get(4) == data);
  CHECK(*replica->verify_all() == blocks.size());
}

TEST_CASE("core: small blocks from a peer are written together; reads see them first; a failed write keeps them") {
  TempDir tmp;
  auto writer = std::move(*Core::create(tmp / "writer", vector_keys()));
  std::vector<std::string> values;
  for (int i = 0; i < 300; ++i) values.push_back(fmt::format("trie node {}", i));
  for (const std::string& v : values) REQUIRE(writer->append({as_bytes(v)}));
  auto data_size = [&](const char* dir) -> uintmax_t {  // the file is made by its first write
    const std::string path = tmp / (std::string(dir) + "/data");
    return std::filesystem::exists(path) ? std::filesystem::file_size(path) : 0;
  };
  auto receive_all = [&](Core& replica) {
    std::set<uint64_t> remote;
    for (uint64_t i = 0; i < values.size(); ++i) {
      auto proof = writer->proof(i, replica.digest_for(i), false, remote);
      REQUIRE(proof);
      REQUIRE(replica.put_remote(i, ByteView(*writer->get(i)), proof->nodes, proof->signature));
    }
  };
  // flush_stored with files limited to 64 bytes (standing for a full disk): it fails with Io;
  // then again without the limit, and the reopened replica holds every block.
  auto flush_after_full_disk = [&](std::unique_ptr<Core> replica, const char* dir) {
    rlimit old_limit{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    Status failed = replica->flush_stored();
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    std::signal(SIGXFSZ, old_handler);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code() == Errc::Io);
    REQUIRE(replica->flush_stored());
    replica.reset();
    auto reopened = std::move(*Core::open(tmp / dir, store::OpenMode::ReadOnly));
    CHECK(reopened->blocks_present() == values.size());
    CHECK(*reopened->verify_all() == values.size());
  };

  auto replica = std::move(*Core::open_replica(tmp / "replica", writer->key()));
  receive_all(*replica);
  CHECK(data_size("replica") == 0);  // held, not written block by block
  CHECK(as_chars(*replica->get(150)) == values[150]);  // a read writes them first
  CHECK(data_size("replica") == writer->byte_length());
  CHECK(*replica->verify_all() == values.size());
  // Bytes and nodes are written; the bitfield pages fail, and are written by the next flush.
  flush_after_full_disk(std::move(replica), "replica");

  // The held bytes and nodes fail to be written, and are kept for the next flush.
  auto held = std::move(*Core::open_replica(tmp / "held", writer->key()));
  receive_all(*held);
  flush_after_full_disk(std::move(held), "held");
}
