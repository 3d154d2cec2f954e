// Trie operations: the vector operation sequence reproduces every JS block, the vector gets
// return the same nodes after reading the same blocks, conditions, checkouts, sparse replicas
// and the hypercore adapter.
#include "trie/trie.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>

#include "core/core.hpp"
#include "temp_dir.hpp"
#include "vector_trie.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;
using hypermount::trie::test::text;

namespace {

std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("the vector operations append exactly the JS blocks") {
  auto v = hypermount::test::load_vectors("hypertrie.json");
  auto vt = hypermount::trie::test::build_vector_trie();
  REQUIRE(v["operations"].size() == hypermount::trie::test::kVectorOps);
  for (size_t i = 0; i < hypermount::trie::test::kVectorOps; ++i) {
    const auto& op = v["operations"][i];
    CAPTURE(op["op"].get<std::string>());
    const auto& blocks = op["blocks"];
    REQUIRE(vt->appended[i].size() == blocks.size());
    for (size_t b = 0; b < blocks.size(); ++b) {
      const uint64_t seq = blocks[b]["seq"];
      CHECK(vt->appended[i][b] == seq);
      auto bytes = vt->log.block(seq);
      REQUIRE(bytes);
      CHECK(to_hex(*bytes) == blocks[b]["hex"].get<std::string>());
    }
  }
  CHECK(vt->trie->version() == 22);
}

TEST_CASE("vector gets: results and the blocks read, in order") {
  auto v = hypermount::test::load_vectors("hypertrie.json");
  auto vt = hypermount::trie::test::build_vector_trie();
  for (const auto& g : v["gets"]) {
    const std::string key = g["key"];
    const auto& o = g["opts"];
    GetOptions opts;
    opts.hidden = o.value("hidden", false);
    opts.closest = o.value("closest", false);
    opts.prefix = o.value("prefix", false);
    CAPTURE(key);
    CAPTURE(o.dump());
    vt->trie->clear_cache_for_test();
    vt->log.clear_reads();
    auto r = vt->trie->get(key, opts);
    REQUIRE(r);
    CHECK(vt->log.reads() == g["blocksVisited"].get<std::vector<uint64_t>>());
    if (g["result"].is_null()) {
      CHECK(*r == nullptr);
      continue;
    }
    REQUIRE(*r != nullptr);
    const auto& want = g["result"];
    CHECK((*r)->key() == want["key"].get<std::string>());
    REQUIRE((*r)->value());
    CHECK(str(*(*r)->value()) == want["value"].get<std::string>());
    CHECK((*r)->seq() == want["seq"].get<uint64_t>());
    CHECK((*r)->user_flags() == want["flags"].get<uint64_t>());
  }
}

TEST_CASE("checkouts see older versions; version() counts blocks") {
  auto vt = hypermount::trie::test::build_vector_trie();
  auto old = vt->trie->checkout(14);  // head seq 13: put('hello', 'world-2')
  CHECK(old->version() == 14);
  auto hello = old->get("hello");
  REQUIRE(hello);
  REQUIRE(*hello);
  CHECK(str(*(*hello)->value()) == "world-2");
  auto b = old->get("b");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->seq() == 5);
  auto now = vt->trie->get("b");
  REQUIRE(now);
  CHECK(*now == nullptr);
  // Version 2: only hello -> world.
  auto first = vt->trie->checkout(2)->get("hello");
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(str(*(*first)->value()) == "world");
  // Version 0 and 1 are empty.
  for (uint64_t version : {0, 1}) {
    auto r = vt->trie->checkout(version)->get("hello");
    REQUIRE(r);
    CHECK(*r == nullptr);
  }
  // A checkout is read-only.
  auto w = old->put("x", as_bytes("y"));
  REQUIRE_FALSE(w);
  CHECK(w.error().code() == Errc::ReadOnly);
}

TEST_CASE("open writes the header once, with metadata; readers see it") {
  crypto::init();
  MemoryLog log;
  OpenOptions opts;
  opts.metadata = Bytes(32, 0x11);
  auto t = Trie::open(log, opts);
  REQUIRE(t);
  CHECK(log.length() == 1);
  CHECK((*t)->version() == 1);
  CHECK(to_hex(*log.block(0)).starts_with("0a09687970657274726965" "1220"));
  // Re-opening a non-empty log appends nothing.
  auto again = Trie::open(log);
  REQUIRE(again);
  CHECK(log.length() == 1);
  Trie reader(log);
  auto h = reader.header();
  REQUIRE(h);
  CHECK(h->metadata == opts.metadata);
  CHECK_FALSE(h->subtype);
}

TEST_CASE("conditional put and delete") {
  crypto::init();
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  REQUIRE(t->put("dir", as_bytes("d")));
  // mkdir-style "fail if exists": the condition sees the old node.
  PutOptions excl;
  const Node* seen = nullptr;
  bool called = false;
  excl.condition = [&](const Node* old, const Node& fresh) {
    called = true;
    seen = old;
    CHECK(fresh.key() == "dir");
    return old == nullptr;
  };
  auto r = t->put("dir", as_bytes("again"), excl);
  REQUIRE(r);
  CHECK(called);
  CHECK(seen != nullptr);
  CHECK(*r == nullptr);
  CHECK(log.length() == 2);
  // Closest: a write below a key sees that key.
  PutOptions below;
  below.closest = true;
  std::string closest_key;
  below.condition = [&](const Node* c, const Node&) {
    closest_key = c ? c->key() : "<null>";
    return true;
  };
  REQUIRE(t->put("dir/file", as_bytes("f"), below));
  CHECK(closest_key == "dir");
  CHECK(log.length() == 3);
  // Delete condition veto, then a delete of a missing key with closest.
  DeleteOptions veto;
  veto.condition = [](const Node* n) { return n->key() != "dir"; };
  auto d = t->del("dir", veto);
  REQUIRE(d);
  CHECK(*d == nullptr);
  CHECK(log.length() == 3);
  DeleteOptions probe;
  probe.closest = true;
  std::string probed;
  probe.condition = [&](const Node* n) {
    probed = n ? n->key() : "<null>";
    return true;
  };
  auto m = t->del("dir/file/deeper", probe);
  REQUIRE(m);
  CHECK(*m == nullptr);
  CHECK(probed == "dir/file");
  CHECK(log.length() == 3);
}

TEST_CASE("deleting the last key writes the '' marker and the trie reads empty") {
  crypto::init();
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  REQUIRE(t->put("only", as_bytes("1")));
  auto d = t->del("only");
  REQUIRE(d);
  REQUIRE(*d);
  CHECK(to_hex(*log.block(2)) == "0a001a0100200228" "00");
  auto g = t->get("only");
  REQUIRE(g);
  CHECK(*g == nullptr);
  auto l = t->list();
  REQUIRE(l);
  CHECK(l->empty());
  // The empty key is refused instead of hiding the trie.
  auto e = t->put("/", as_bytes("x"));
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == Errc::InvalidArgument);
}

TEST_CASE("round trip: many puts, overwrites and deletes agree with a map") {
  crypto::init();
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  std::map<std::string, std::string> model;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string(i % 7) + "/f" + std::to_string(i % 53);
    const std::string value = "v" + std::to_string(i);
    if (i % 5 == 4) {
      REQUIRE(t->del(key));
      model.erase(key);
    } else {
      REQUIRE(t->put(key, as_bytes(value)));
      model[key] = value;
    }
  }
  for (int d = 0; d < 7; ++d) {
    for (int f = 0; f < 53; ++f) {
      const std::string key = "k" + std::to_string(d) + "/f" + std::to_string(f);
      auto r = t->get(key);
      REQUIRE(r);
      auto it = model.find(key);
      if (it == model.end()) {
        CHECK(*r == nullptr);
      } else {
        REQUIRE(*r);
        CHECK(str(*(*r)->value()) == it->second);
      }
    }
  }
  auto all = t->list();
  REQUIRE(all);
  std::set<std::string> listed;
  for (const auto& n : *all) listed.insert(n->key());
  CHECK(listed.size() == all->size());
  std::set<std::string> keys;
  for (const auto& [k, v] : model) keys.insert(k);
  CHECK(listed == keys);
}

TEST_CASE("batches append once and see their own writes") {
  crypto::init();
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  std::vector<BatchOp> ops = {
      {BatchOp::Type::Put, "a", text("1"), false, 0},
      {BatchOp::Type::Put, "b", text("2"), false, 3},
      {BatchOp::Type::Delete, "a", std::nullopt, false, 0},
      {BatchOp::Type::Delete, "missing", std::nullopt, false, 0},
      {BatchOp::Type::Put, "mounts/m", text("3"), true, 1},
  };
  auto r = t->batch(ops);
  REQUIRE(r);
  CHECK(r->size() == 4);
  CHECK(log.length() == 5);
  auto a = t->get("a");
  REQUIRE(a);
  CHECK(*a == nullptr);
  auto b = t->get("b");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->user_flags() == 3);
  GetOptions hidden;
  hidden.hidden = true;
  auto m = t->get("mounts/m", hidden);
  REQUIRE(m);
  REQUIRE(*m);
  CHECK((*m)->stored_flags() == 0x101);
}

TEST_CASE("sparse replica: a missing block is Unavailable, named, and the get can be re-run") {
  auto vt = hypermount::trie::test::build_vector_trie();
  Trie reader(vt->log);
  vt->log.set_absent(17, true);
  auto r = reader.get("hello/world");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Errc::Unavailable);
  CHECK(r.error().message().find("17") != std::string::npos);
  CHECK(reader.missing_seqs() == std::vector<uint64_t>{17});
  vt->log.set_absent(17, false);
  vt->log.set_absent(2, true);
  r = reader.get("hello/world");
  REQUIRE_FALSE(r);
  CHECK(reader.missing_seqs() == std::vector<uint64_t>{2});
  vt->log.set_absent(2, false);
  r = reader.get("hello/world");
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->seq() == 2);
  CHECK(reader.missing_seqs().empty());
  // A read-only view cannot write.
  CHECK(reader.put("x", as_bytes("y")).error().code() == Errc::ReadOnly);
}

TEST_CASE("over a hypercore: header, puts, reopen and a sparse replica") {
  REQUIRE(crypto::init());
  hypermount::test::TempDir dir;
  auto v = hypermount::test::load_vectors("hypertrie.json");
  auto seed = *array_from_hex<32>(v["keyPairSeedHex"].get<std::string>());
  auto keys = crypto::key_pair_from_seed(seed);
  CHECK(to_hex(keys.public_key) == v["publicKey"].get<std::string>());
  auto core = core::Core::create(dir / "w", keys);
  REQUIRE(core);
  CoreLog log(**core);
  auto t = Trie::open(log);
  REQUIRE(t);
  REQUIRE((*t)->put("hello", as_bytes("world")));
  REQUIRE((*t)->put("hello/world", as_bytes("nested-1")));
  CHECK(to_hex(*(*core)->get(2)) == v["operations"][2]["blocks"][0]["hex"].get<std::string>());
  auto h = (*t)->header();
  REQUIRE(h);
  CHECK(h->type == "hypertrie");

  auto replica = core::Core::open_replica(dir / "r", keys.public_key);
  REQUIRE(replica);
  // The replica knows nothing yet: length 0 reads as an empty trie.
  CoreLog rlog(**replica);
  Trie rt(rlog);
  auto g = rt.get("hello");
  REQUIRE(g);
  CHECK(*g == nullptr);
}

TEST_CASE("over a hypercore: a block read from the store brings the rest of its group along, each once") {
  REQUIRE(crypto::init());
  hypermount::test::TempDir dir;
  auto core = core::Core::create(dir / "w", crypto::random_key_pair());
  REQUIRE(core);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back(fmt::format("block {}", i));
  std::vector<ByteView> blocks;
  for (const auto& t : texts) blocks.push_back(as_bytes(t));
  REQUIRE((*core)->append(blocks));

  CoreLog log(**core);
  auto first = log.block(3);
  REQUIRE(first);
  CHECK(*first == Bytes(as_bytes(texts[3]).begin(), as_bytes(texts[3]).end()));
  // The data file emptied: what block 3 brought along (4 to 15, its group) still reads, once.
  std::filesystem::resize_file(dir / "w/data", 0);
  for (uint64_t seq = 4; seq < CoreLog::kGroupBlocks; ++seq) {
    auto b = log.block(seq);
    REQUIRE(b);
    CHECK(*b == Bytes(as_bytes(texts[seq]).begin(), as_bytes(texts[seq]).end()));
  }
  CHECK_FALSE(log.block(5));                       // handed out already: read again, and gone
  CHECK_FALSE(log.block(CoreLog::kGroupBlocks));   // the next group was not read along
  CHECK_FALSE(log.block(2));                       // nor the blocks before the first read
}
