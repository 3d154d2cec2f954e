#include "core/core.hpp"

#include "core/flat_tree.hpp"
#include "core/tree_proof.hpp"
#include "util/log.hpp"
#include "util/parallel.hpp"

#include <map>

namespace hypermount::core {

namespace {
// Batches at least this large hash their leaves on every core.
constexpr size_t kParallelHashBytes = 256 * 1024;
}  // namespace

Core::Core(CoreStorage storage, crypto::PublicKey key, std::optional<crypto::SecretKey> secret_key,
           CoreBitfield bitfield)
    : storage_(std::move(storage)),
      key_(key),
      discovery_key_(crypto::discovery_key(key)),
      secret_key_(std::move(secret_key)),
      bitfield_(std::move(bitfield)) {}

Core::~Core() {
  if (auto flushed = flush_stored(); !flushed) log::warn("core", "{}", flushed.error().to_string());
}

Status Core::sync() {
  HM_TRY(flush_stored());
  return storage_.sync();
}

Result<std::unique_ptr<Core>> Core::create(const std::string& dir,
                                           std::optional<crypto::KeyPair> keys,
                                           bool store_secret_key) {
  HM_TRY(store::make_dirs(dir));
  HM_TRY_ASSIGN(auto storage, CoreStorage::open(dir, store::OpenMode::ReadWrite));
  HM_TRY_ASSIGN(auto existing, storage.read_key());
  if (existing) return Error::exists("{} already holds a hypercore", dir);
  HM_TRY(storage.write_headers());
  crypto::KeyPair pair = keys ? *keys : crypto::random_key_pair();
  HM_TRY(storage.write_key(pair.public_key));
  if (store_secret_key) HM_TRY(storage.write_secret_key(pair.secret_key));
  return std::unique_ptr<Core>(
      new Core(std::move(storage), pair.public_key, pair.secret_key, CoreBitfield()));
}

Result<std::unique_ptr<Core>> Core::open_replica(const std::string& dir,
                                                 const crypto::PublicKey& key) {
  HM_TRY(store::make_dirs(dir));
  HM_TRY_ASSIGN(auto storage, CoreStorage::open(dir, store::OpenMode::ReadWrite));
  HM_TRY_ASSIGN(auto existing, storage.read_key());
  if (!existing) {
    HM_TRY(storage.write_headers());
    HM_TRY(storage.write_key(key));
    return std::unique_ptr<Core>(new Core(std::move(storage), key, {}, CoreBitfield()));
  }
  if (*existing != key) {
    return Error::corrupt("{}/key holds {} but the replica is of {}", dir, to_hex(*existing),
                          to_hex(key));
  }
  return open(dir, store::OpenMode::ReadWrite);
}

Result<std::unique_ptr<Core>> Core::open(const std::string& dir, store::OpenMode mode,
                                         std::optional<crypto::SecretKey> given_secret_key) {
  HM_TRY_ASSIGN(auto storage, CoreStorage::open(dir, mode));
  HM_TRY_ASSIGN(auto key, storage.read_key());
  if (!key) return Error::not_found("no hypercore in {} (it holds no key)", dir);
  // A given (corestore-derived) key takes the place of the secret_key file.
  bool given = given_secret_key.has_value();
  std::optional<crypto::SecretKey> secret_key = std::move(given_secret_key);
  if (!given) {
    HM_TRY_ASSIGN(secret_key, storage.read_secret_key());
  }
  if (secret_key && crypto::public_key_of(*secret_key) != *key) {
    return Error::corrupt("{} does not belong to the public key in {}/key",
                          given ? "the derived secret key" : dir + "/secret_key", dir);
  }
  if (!storage.read_only()) HM_TRY(storage.write_headers());
  HM_TRY_ASSIGN(Bytes pages, storage.read_bitfield_pages());
  std::unique_ptr<Core> core(new Core(std::move(storage), *key, std::move(secret_key),
                                      CoreBitfield::from_pages(pages)));
  HM_TRY(core->load_state());
  if (core->writable() && !core->storage_.read_only()) HM_TRY(core->cut_past_end());
  return core;
}

// Length from the tree bits, roots from the tree file, and the roots checked against the
// signature stored for that length (spec hypercore.md §5.7).
Status Core::load_state() {
  uint64_t length = local_length_from_bitfield(bitfield_);
  // The reference retries with length - 1 when a root is unreadable; we report the damage
  // instead (our appends write the bitfield last, so a crash cannot leave that state).
  auto roots = read_roots(length);
  if (!roots) return roots.error();
  if (length > 0) {
    HM_TRY_ASSIGN(auto sig, storage_.read_signature(length - 1));
    if (sig && !verify_roots(*roots, length, *sig, key_)) {
      return Error::corrupt(
          "{}/signatures: signature {} does not verify the roots in {}/tree (or the key)",
          dir(), length - 1, dir());
    }
  }
  roots_ = std::move(*roots);
  length_ = length;
  byte_length_ = 0;
  for (const Node& root : roots_) byte_length_ += root.size;
  return {};
}

Result<Node> Core::require_node(uint64_t index) const {
  HM_TRY_ASSIGN(auto node, storage_.read_node(index));
  if (!node) return Error::not_found("tree node {} is not in {}/tree", index, dir());
  return *node;
}

Result<std::vector<Node>> Core::read_roots(uint64_t length) const {
  std::vector<Node> roots;
  for (uint64_t index : flat_tree::full_roots(2 * length)) {
    auto node = require_node(index);
    if (!node) {
      return Error::corrupt("{}/tree: root node {} of length {} is missing", dir(), index, length);
    }
    roots.push_back(*node);
  }
  return roots;
}

Status Core::flush_stored() {
  HM_TRY(storage_.write_staged());
  return flush_bitfield();
}

Status Core::flush_bitfield() {
  auto pages = bitfield_.take_dirty_pages();
  for (size_t i = 0; i < pages.size(); ++i) {
    Status written = storage_.write_bitfield_page(pages[i].first, pages[i].second);
    if (!written) {  // the pages not written wait for the next flush
      for (size_t j = i; j < pages.size(); ++j) bitfield_.mark_dirty(pages[j].first);
      return written;
    }
  }
  return {};
}

Status Core::append(const std::vector<ByteView>& blocks, std::span<const std::optional<crypto::Hash>> leaf_hashes,
                    AppendBytes bytes) {
  if (!writable()) return Error::read_only("{} has no secret key: cannot append", dir());
  if (storage_.read_only()) return Error::read_only("{} is opened read-only", dir());
  if (blocks.empty()) return {};
  if (!leaf_hashes.empty() && leaf_hashes.size() != blocks.size()) {
    return Error::invalid("{}: {} leaf hashes for {} blocks", dir(), leaf_hashes.size(), blocks.size());
  }
  size_t total = 0;
  for (ByteView block : blocks) total += block.size();
  // Leaf hashing is the bulk of an append. Hashes worked out already (off the loop) are taken;
  // zero blocks (holes in the data file) of one size share a hash, computed once; the rest are
  // hashed here, a large batch spread over the cores.
  std::vector<bool> holes(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) holes[i] = is_hole(blocks[i]);
  auto given = [&](size_t i) { return !leaf_hashes.empty() && leaf_hashes[i].has_value(); };
  std::vector<Node> leaves(blocks.size());
  std::vector<size_t> to_hash;
  uint64_t bytes_to_hash = 0;
  std::map<size_t, size_t> first_hole_of_size;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (given(i)) {
      leaves[i] = Node{flat_tree::leaf(length_ + i), *leaf_hashes[i], blocks[i].size()};
    } else if (!holes[i] || first_hole_of_size.try_emplace(blocks[i].size(), i).second) {
      to_hash.push_back(i);
      bytes_to_hash += blocks[i].size();
    }
  }
  auto hash_leaf = [&](size_t k) { leaves[to_hash[k]] = leaf_node(length_ + to_hash[k], blocks[to_hash[k]]); };
  if (bytes_to_hash >= kParallelHashBytes) {
    parallel_for(to_hash.size(), hash_leaf);
  } else {
    for (size_t k = 0; k < to_hash.size(); ++k) hash_leaf(k);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (given(i) || !holes[i]) continue;
    const size_t same = first_hole_of_size.at(blocks[i].size());
    if (same != i) leaves[i] = Node{flat_tree::leaf(length_ + i), leaves[same].hash, leaves[same].size};
  }
  std::vector<Node> roots = roots_;
  std::vector<Node> created;
  created.reserve(blocks.size() * 2);
  for (const Node& leaf : leaves) push_leaf(roots, leaf, created);
  uint64_t block_index = length_ + blocks.size();
  crypto::Signature sig = crypto::sign(signable_v8(tree_hash(roots)), *secret_key_);
  // Space for all of it first (ENOSPC here leaves every file as it was), then data and tree,
  // signature next, bitfield last: the bitfield decides the length on open. A write that fails
  // cuts the files back, so no signature outlives a partial batch.
  uint64_t last_node = 0;
  for (const Node& node : created) last_node = std::max(last_node, node.index);
  uint64_t last_page = std::max((block_index - 1) / (8 * kDataPageBytes), last_node / (8 * kTreePageBytes));
  const bool write_data = bytes == AppendBytes::Write;
  const std::span<const ByteView> data_blocks = write_data ? std::span<const ByteView>(blocks) : std::span<const ByteView>();
  HM_TRY_ASSIGN(auto mark, storage_.reserve_append(byte_length_, data_blocks, holes, last_node, block_index - 1, last_page));
  Status written = write_data ? storage_.write_blocks(byte_length_, blocks, holes)
                              : storage_.extend_data(byte_length_ + total);  // over trailing holes
  if (written) written = storage_.write_nodes(created);
  if (written) written = storage_.write_signature(block_index - 1, sig);
  if (!written) {
    storage_.roll_back(mark);
    return written.error();
  }
  for (const Node& node : created) bitfield_.set_node(node.index);
  for (uint64_t b = length_; b < block_index; ++b) bitfield_.set_block(b, true);
  HM_TRY(flush_bitfield());
  roots_ = std::move(roots);
  const uint64_t old_length = length_;
  length_ = block_index;
  byte_length_ += total;
  if (append_observer_) append_observer_(old_length);
  return {};
}

Result<uint64_t> Core::block_offset(uint64_t block) const {
  if (block == next_block_) return next_block_offset_;
  // Walk up from the leaf, adding the left sibling wherever the path comes from the right.
  uint64_t offset = 0;
  uint64_t node = flat_tree::leaf(block);
  while (flat_tree::left_span(node) != 0) {
    if (!flat_tree::is_left(node)) {
      auto sibling = require_node(flat_tree::sibling(node));
      if (!sibling) return sibling.error();
      offset += sibling->size;
    }
    node = flat_tree::parent(node);
  }
  return offset;
}

Result<Core::CheckedRun> Core::read_run(uint64_t first, uint64_t count, uint64_t max_bytes) const {
  CheckedRun run;
  run.leaves.reserve(count);
  for (uint64_t b = first; b < first + count; ++b) {
    if (!has(b)) return Error::not_found("block {} of {} is not present", b, dir());
  }
  if (count == 1) {
    HM_TRY_ASSIGN(Node leaf, require_node(flat_tree::leaf(first)));
    run.leaves.push_back(leaf);
  } else {
    // The leaves lie every other record: one read of the stretch instead of one each.
    HM_TRY_ASSIGN(auto records, storage_.read_nodes(flat_tree::leaf(first), 2 * count - 1));
    for (uint64_t k = 0; k < count; ++k) {
      if (!records[2 * k]) {
        return Error::not_found("tree node {} is not in {}/tree", flat_tree::leaf(first + k), dir());
      }
      run.leaves.push_back(*records[2 * k]);
    }
  }
  uint64_t total = 0;
  for (uint64_t k = 0; k < count; ++k) {
    if (k > 0 && total + run.leaves[k].size > max_bytes) {
      count = k;
      run.leaves.resize(k);
      break;
    }
    total += run.leaves[k].size;
  }
  HM_TRY_ASSIGN(run.offset, block_offset(first));
  note_next_offset(first + count, run.offset + total);
  run.bytes.resize(total);
  HM_TRY(storage_.read_data(run.offset, run.bytes));
  std::vector<size_t> starts(count);
  for (size_t i = 1; i < count; ++i) starts[i] = starts[i - 1] + run.leaves[i - 1].size;
  run.intact.assign(count, 0);
  auto check = [&](size_t i) {
    // A block checked this open (or verified as it was stored) is trusted as the splice reads
    // after check_block_once trust it: hashing it again doubled the CPU of a remote read.
    if (first + i < checked_.size() && checked_[first + i]) {
      run.intact[i] = 1;
      return;
    }
    ByteView bytes = ByteView(run.bytes).subspan(starts[i], run.leaves[i].size);
    run.intact[i] = leaf_node(first + i, bytes).hash == run.leaves[i].hash;
  };
  if (total >= kParallelHashBytes && count > 1) {
    parallel_for(count, check);
  } else {
    for (size_t i = 0; i < count; ++i) check(i);
  }
  return run;
}

Error Core::mismatch(const CheckedRun& run, uint64_t first, uint64_t block) const {
  uint64_t offset = run.offset;
  for (uint64_t b = first; b < block; ++b) offset += run.leaves[b - first].size;
  return Error::corrupt("{}/data: block {} (bytes {}..{}) does not match its hash in {}/tree", dir(),
                        block, offset, offset + run.leaves[block - first].size, dir());
}

Result<Bytes> Core::get(uint64_t block) const { return get_range(block, 1); }

Result<Bytes> Core::get_unchecked(uint64_t block) const {
  if (!has(block)) return Error::not_found("block {} of {} is not present", block, dir());
  HM_TRY_ASSIGN(Node leaf, require_node(flat_tree::leaf(block)));
  HM_TRY_ASSIGN(uint64_t offset, block_offset(block));
  Bytes bytes(leaf.size);
  HM_TRY(storage_.read_data(offset, bytes));
  return bytes;
}

Result<std::vector<Bytes>> Core::get_blocks(uint64_t first, uint64_t count, uint64_t max_bytes) const {
  HM_TRY_ASSIGN(CheckedRun run, read_run(first, count, max_bytes));
  std::vector<Bytes> blocks;
  blocks.reserve(run.leaves.size());
  uint64_t at = 0;
  for (uint64_t i = 0; i < run.leaves.size(); ++i) {
    if (!run.intact[i]) {
      if (i == 0) return mismatch(run, first, first);
      break;  // a damaged block is its own reader's error, not its neighbours'
    }
    auto start = run.bytes.begin() + static_cast<std::ptrdiff_t>(at);
    at += run.leaves[i].size;
    blocks.emplace_back(start, run.bytes.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return blocks;
}

Result<Bytes> Core::get_range(uint64_t first, uint64_t count) const {
  HM_TRY_ASSIGN(CheckedRun run, read_run(first, count));
  for (uint64_t i = 0; i < count; ++i) {
    if (!run.intact[i]) return mismatch(run, first, first + i);
  }
  return std::move(run.bytes);
}

void Core::mark_checked(uint64_t first, uint64_t end) {
  if (end > checked_.size()) checked_.resize(std::max<uint64_t>(end, checked_.size() * 2), false);
  std::fill(checked_.begin() + static_cast<ptrdiff_t>(first), checked_.begin() + static_cast<ptrdiff_t>(end), true);
}

Status Core::check_blocks_once(uint64_t first, uint64_t last) {
  auto checked = [this](uint64_t b) { return b < checked_.size() && checked_[b]; };
  Status result;
  for (uint64_t b = first; b <= last;) {
    if (checked(b)) {
      ++b;
      continue;
    }
    uint64_t end = b + 1;  // the run of unchecked blocks from b
    while (end <= last && !checked(end)) ++end;
    HM_TRY_ASSIGN(CheckedRun run, read_run(b, end - b));
    for (uint64_t i = b; i < end; ++i) {
      if (run.intact[i - b]) {
        mark_checked(i, i + 1);
      } else if (result) {
        result = mismatch(run, b, i);
      }
    }
    b = end;
  }
  return result;
}

Result<SeekResult> Core::seek(uint64_t byte_offset) const {
  if (byte_offset >= byte_length_) {
    return Error::invalid("byte {} is past the end of {} ({} bytes)", byte_offset, dir(),
                          byte_length_);
  }
  for (const Node& root : roots_) {
    if (byte_offset >= root.size) {
      byte_offset -= root.size;
      continue;
    }
    Node node = root;
    while (flat_tree::depth(node.index) > 0) {
      auto left = storage_.read_node(flat_tree::left_child(node.index));
      if (!left) return left.error();
      if (!*left) {
        return Error::unavailable("tree node {} of {} is not local",
                                  flat_tree::left_child(node.index), dir());
      }
      if (byte_offset < (*left)->size) {
        node = **left;
        continue;
      }
      byte_offset -= (*left)->size;
      auto right = storage_.read_node(flat_tree::right_child(node.index));
      if (!right) return right.error();
      if (!*right) {
        return Error::unavailable("tree node {} of {} is not local",
                                  flat_tree::right_child(node.index), dir());
      }
      node = **right;
    }
    return SeekResult{node.index / 2, byte_offset};
  }
  return Error::corrupt("{}/tree: root sizes do not add up to the byte length", dir());
}

Result<std::optional<crypto::Signature>> Core::signature(uint64_t index) const {
  return storage_.read_signature(index);
}

}  // namespace hypermount::core
