#include "core/bitfield.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "core/bitfield_rle.hpp"
#include "util/bytes.hpp"
#include "vectors.hpp"

using hypermount::Bytes;
using hypermount::to_hex;
using hypermount::core::CoreBitfield;
using hypermount::core::kBitfieldPageSize;
using hypermount::core::rle_encode;

namespace {

// The bitfield file body as the reference leaves it: pages written whole at 3584·j, holes read
// as zero pages, length up to the highest page written.
class FileModel {
 public:
  void write(std::vector<std::pair<uint64_t, Bytes>> pages) {
    for (auto& [number, bytes] : pages) {
      REQUIRE(bytes.size() == kBitfieldPageSize);
      pages_[number] = std::move(bytes);
    }
  }
  uint64_t page_count() const { return pages_.empty() ? 0 : pages_.rbegin()->first + 1; }
  Bytes page(uint64_t number) const {
    auto it = pages_.find(number);
    return it == pages_.end() ? Bytes(kBitfieldPageSize, 0) : it->second;
  }
  Bytes body() const {
    Bytes out;
    for (uint64_t j = 0; j < page_count(); ++j) {
      Bytes p = page(j);
      out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  }

 private:
  std::map<uint64_t, Bytes> pages_;
};

Bytes expand_runs(const nlohmann::json& runs) {
  Bytes page(kBitfieldPageSize, 0);
  for (const auto& run : runs) {
    const size_t offset = run.at(0).get<size_t>();
    const size_t length = run.at(1).get<size_t>();
    const auto value = run.at(2).get<uint8_t>();
    REQUIRE(offset + length <= page.size());
    std::fill_n(page.begin() + static_cast<std::ptrdiff_t>(offset), length, value);
  }
  return page;
}

// Page-by-page comparison with the vector's pages, reporting the first differing byte. The
// vectors list every page the reference has in memory (P of them): a page allocated without a
// change (clearing a block that was never set) is listed as zeros but never written, so the file
// may end earlier.
void check_file(const FileModel& file, const CoreBitfield& bits,
                const nlohmann::json& expected_pages) {
  CHECK(bits.page_count() == expected_pages.size());
  CHECK(file.page_count() <= expected_pages.size());
  for (const auto& expected : expected_pages) {
    const uint64_t number = expected.at("page").get<uint64_t>();
    CHECK(expected.at("fileOffset").get<uint64_t>() == 32 + kBitfieldPageSize * number);
    const Bytes want = expand_runs(expected.at("nonZeroRuns"));
    const Bytes got = file.page(number);
    size_t first_diff = kBitfieldPageSize;
    for (size_t i = 0; i < kBitfieldPageSize; ++i) {
      if (want[i] != got[i]) {
        first_diff = i;
        break;
      }
    }
    CAPTURE(number);
    CAPTURE(first_diff);
    if (first_diff < kBitfieldPageSize) {
      CAPTURE(int{want[first_diff]});
      CAPTURE(int{got[first_diff]});
      CHECK(got == want);
    } else {
      CHECK(got == want);
    }
  }
}

void check_have(const CoreBitfield& bits, const nlohmann::json& have) {
  for (const auto& item : have.items()) {
    const std::string& key = item.key();
    uint64_t start = 0;
    uint64_t length = 0;
    REQUIRE(std::sscanf(key.c_str(), "compress(%lu,%lu)", &start, &length) == 2);
    CAPTURE(key);
    CHECK(to_hex(rle_encode(bits.data_bits(start, length))) == item.value().get<std::string>());
  }
}

// The LCG history of the "lcg" cases: x = (1103515245·x + 12345) mod 2^31;
// set(x mod range, ((x >> 16) mod 4) != 0).
void run_lcg(CoreBitfield& bits, std::map<uint64_t, bool>& model, uint64_t seed, uint64_t range,
             int ops) {
  uint64_t x = seed;
  for (int i = 0; i < ops; ++i) {
    x = (1103515245 * x + 12345) % (uint64_t{1} << 31);
    const uint64_t block = x % range;
    const bool value = ((x >> 16) % 4) != 0;
    const bool was = model.contains(block) && model[block];
    CHECK(bits.set_block(block, value) == (was != value));
    model[block] = value;
  }
}

}  // namespace

TEST_CASE("bitfield: every hypercore 8.14 page vector") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  REQUIRE(vectors.at("bitfield").at("pageSize").get<size_t>() == kBitfieldPageSize);
  const auto& cases = vectors.at("bitfield").at("cases");
  REQUIRE(cases.size() == 11);
  int checked = 0;
  for (const auto& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    CAPTURE(name);
    // The reopened case needs the file of "blocks 0..39".
    if (c.contains("loadedPages")) {
      continue;
    }
    CoreBitfield bits;
    FileModel file;
    std::map<uint64_t, bool> model;
    if (c.contains("setRanges")) {
      for (const auto& range : c.at("setRanges")) {
        for (uint64_t b = range.at(0).get<uint64_t>(); b < range.at(1).get<uint64_t>(); ++b) {
          CHECK(bits.set_block(b, true));
          model[b] = true;
        }
        // Like the reference, every operation ends with a flush of the modified pages.
        file.write(bits.take_dirty_pages());
      }
      for (const auto& cleared : c.at("clear")) {
        CHECK(bits.set_block(cleared.get<uint64_t>(), false));
        model[cleared.get<uint64_t>()] = false;
        file.write(bits.take_dirty_pages());
      }
    } else {
      const std::string rule = c.at("rule").get<std::string>();
      const uint64_t seed = rule.starts_with("x0 = 1;") ? 1 : 7;
      REQUIRE(rule.starts_with(seed == 1 ? "x0 = 1;" : "x0 = 7;"));
      run_lcg(bits, model, seed, c.at("range").get<uint64_t>(), c.at("ops").get<int>());
      file.write(bits.take_dirty_pages());
    }
    check_file(file, bits, c.at("pages"));
    CHECK(bits.data_bit_length() == c.at("dataBitfieldLength").get<uint64_t>());
    check_have(bits, c.at("haveBitfieldRle"));

    // count_blocks against the independent model, and has_block for every touched block.
    uint64_t expected_count = 0;
    for (const auto& [block, present] : model) {
      expected_count += present ? 1 : 0;
      CHECK(bits.has_block(block) == present);
    }
    CHECK(bits.count_blocks() == expected_count);
    CHECK(bits.take_dirty_pages().empty());

    // Loading the written file back gives the same bits and counts.
    const CoreBitfield loaded = CoreBitfield::from_pages(file.body());
    CHECK(loaded.count_blocks() == expected_count);
    CHECK(loaded.page_count() == file.page_count());
    for (const auto& [block, present] : model) {
      CHECK(loaded.has_block(block) == present);
    }
    ++checked;
  }
  CHECK(checked == 10);
}

TEST_CASE("bitfield: reopened feed keeps writing byte-identical pages") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  const auto& cases = vectors.at("bitfield").at("cases");
  const nlohmann::json* source = nullptr;
  const nlohmann::json* reopened = nullptr;
  for (const auto& c : cases) {
    if (c.at("name") == "blocks 0..39") {
      source = &c;
    }
    if (c.contains("loadedPages")) {
      reopened = &c;
    }
  }
  REQUIRE(source != nullptr);
  REQUIRE(reopened != nullptr);
  REQUIRE(reopened->at("loadedPages").get<size_t>() == source->at("pages").size());

  FileModel file;
  std::vector<std::pair<uint64_t, Bytes>> loaded_pages;
  for (const auto& p : source->at("pages")) {
    loaded_pages.emplace_back(p.at("page").get<uint64_t>(), expand_runs(p.at("nonZeroRuns")));
  }
  file.write(loaded_pages);
  CoreBitfield bits = CoreBitfield::from_pages(file.body());
  CHECK(bits.page_count() == 1);
  CHECK(bits.data_bit_length() == 8 * 1024);
  CHECK(bits.tree_bit_length() == 8 * 2048);
  CHECK(bits.count_blocks() == 40);
  CHECK(bits.take_dirty_pages().empty());

  for (const auto& block : reopened->at("setAfterLoad")) {
    CHECK(bits.set_block(block.get<uint64_t>(), true));
    file.write(bits.take_dirty_pages());
  }
  check_file(file, bits, reopened->at("pages"));
  CHECK(bits.data_bit_length() == reopened->at("dataBitfieldLength").get<uint64_t>());
  check_have(bits, reopened->at("haveBitfieldRle"));
  CHECK(bits.count_blocks() == 45);
}

TEST_CASE("bitfield: spec §5.6 three-block writer page") {
  CoreBitfield bits;
  for (uint64_t b = 0; b < 3; ++b) {
    bits.set_block(b, true);
    bits.set_node(2 * b);
  }
  auto pages = bits.take_dirty_pages();
  REQUIRE(pages.size() == 1);
  const Bytes& page = pages[0].second;
  CHECK(pages[0].first == 0);
  CHECK(page[0] == 0xe0);
  CHECK(page[1024] == 0xe8);  // nodes 0, 1, 2, 4
  for (size_t offset : {3072, 3073, 3075, 3079, 3087, 3103, 3135, 3199, 3327, 3583}) {
    CHECK(page[offset] == 0x40);
  }
  CHECK(bits.has_node(1));
  CHECK_FALSE(bits.has_node(3));
  CHECK(bits.tree_bit_length() == 8);
}

TEST_CASE("bitfield: tree closure rule stops at the first bit already set") {
  CoreBitfield bits;
  CHECK(bits.set_node(0));
  CHECK_FALSE(bits.has_node(1));
  CHECK(bits.set_node(2));
  CHECK(bits.has_node(1));
  CHECK_FALSE(bits.set_node(2));
  CHECK(bits.set_node(6));
  CHECK_FALSE(bits.has_node(5));
  CHECK(bits.set_node(4));
  CHECK(bits.has_node(5));
  CHECK(bits.has_node(3));
  // A node far away lands in its own page and grows the tree length.
  CHECK(bits.set_node(16384 * 3 + 9));
  CHECK(bits.has_node(16384 * 3 + 9));
  CHECK(bits.tree_bit_length() == 8 * (2048 * 3 + (9 / 8) + 1));
  CHECK(bits.page_count() == 4);
  // Out-of-range indices are ignored, not crashed on.
  CHECK_FALSE(bits.set_node(~uint64_t{0}));
  CHECK_FALSE(bits.has_node(~uint64_t{0}));
}

TEST_CASE("bitfield: clearing an absent block still allocates its page (raises P)") {
  CoreBitfield bits;
  CHECK_FALSE(bits.set_block(9000, false));
  CHECK(bits.page_count() == 2);
  CHECK(bits.take_dirty_pages().empty());
  CHECK(bits.data_bit_length() == 0);
}

TEST_CASE("bitfield: 1,000,000-block sparse history stays cheap and exact") {
  CoreBitfield bits;
  for (uint64_t b = 0; b < 1000000; b += 997) {
    bits.set_block(b, true);
  }
  CHECK(bits.count_blocks() == (1000000 + 996) / 997);
  CHECK(bits.has_block(997 * 500));
  CHECK_FALSE(bits.has_block(997 * 500 + 1));
  CHECK(bits.take_dirty_pages().size() == 123);  // pages 0..122 (block 999,991 is in page 122)
  // Have with a start past the data length answers one byte.
  CHECK(bits.data_bits(8192 * 1000, 8192).size() == 1);
  // Want(start, length) inside the data: ceil(length / 8) bytes.
  CHECK(bits.data_bits(8192, 8192).size() == 1024);
  // A huge length from a peer is truncated to the data length.
  CHECK(bits.data_bits(8192, ~uint64_t{0}).size() == (bits.data_bit_length() - 8192) / 8);
}

TEST_CASE("bitfield: from_pages zero-pads a short last page") {
  Bytes body(kBitfieldPageSize + 10, 0);
  body[kBitfieldPageSize] = 0x80;  // block 8192
  body[5] = 0xff;                  // blocks 40..47
  const CoreBitfield bits = CoreBitfield::from_pages(body);
  CHECK(bits.page_count() == 2);
  CHECK(bits.has_block(8192));
  CHECK(bits.has_block(47));
  CHECK_FALSE(bits.has_block(48));
  CHECK(bits.count_blocks() == 9);
  CHECK(bits.data_bit_length() == 2 * 1024 * 8);
  const CoreBitfield empty = CoreBitfield::from_pages({});
  CHECK(empty.page_count() == 0);
  CHECK(empty.data_bits(0, 0).empty());
}

TEST_CASE("bitfield: lookups stay right across pages, a page added after a miss, and a move") {
  CoreBitfield bits;
  CHECK_FALSE(bits.has_block(20000));  // page 2 is absent: the miss is not remembered
  bits.set_block(5, true);             // page 0
  bits.set_block(20000, true);         // page 2, added after the miss
  CHECK(bits.has_block(20000));
  CHECK(bits.has_block(5));
  CHECK_FALSE(bits.has_block(20001));
  CHECK_FALSE(bits.has_block(10000));  // page 1 is absent
  // A tree bit set right after a miss on its page, page 12 (set_node reads it before writing).
  CHECK_FALSE(bits.has_node(200000));
  bits.set_node(200000);
  CHECK(bits.has_node(200000));
  CoreBitfield moved = std::move(bits);
  CHECK(moved.has_block(20000));
  CoreBitfield other;
  other.set_block(20001, true);
  CHECK(other.has_block(20001));
  other = std::move(moved);  // `other` remembered its own page 2, which is gone
  CHECK(other.has_block(20000));
  CHECK_FALSE(other.has_block(20001));
}
