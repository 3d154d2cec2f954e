#include "core/storage.hpp"

#include "util/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace hypermount::core {

namespace {

// Common 32-byte header: magic 05 02 57, type, version 0, u16be record size, name length, name.
Bytes make_header(uint8_t type, uint16_t record_size, std::string_view algorithm) {
  Bytes header(kHeaderSize, 0);
  header[0] = 0x05;
  header[1] = 0x02;
  header[2] = 0x57;
  header[3] = type;
  put_u16be(&header[5], record_size);
  header[7] = static_cast<uint8_t>(algorithm.size());
  std::copy(algorithm.begin(), algorithm.end(), header.begin() + 8);
  return header;
}

const Bytes& tree_header() {
  static const Bytes h = make_header(2, kTreeRecordSize, "BLAKE2b");
  return h;
}
const Bytes& signatures_header() {
  static const Bytes h = make_header(1, kSignatureRecordSize, "Ed25519");
  return h;
}
const Bytes& bitfield_header() {
  static const Bytes h = make_header(0, kBitfieldPageSize, "");
  return h;
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

CoreStorage::CoreStorage(std::string dir, store::OpenMode mode, store::File key,
                         store::File secret_key, store::File tree, store::File data,
                         store::File bitfield, store::File signatures)
    : dir_(std::move(dir)),
      mode_(mode),
      key_(std::move(key)),
      secret_key_(std::move(secret_key)),
      tree_(std::move(tree)),
      data_(std::move(data)),
      bitfield_(std::move(bitfield)),
      signatures_(std::move(signatures)) {}

Result<CoreStorage> CoreStorage::open(const std::string& dir, store::OpenMode mode) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Error::not_found("no hypercore folder at {}", dir);
    return Error::io(errno, "opening folder {}", dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error::invalid("{} is not a folder", dir);
  }
  auto open_file = [&](const char* name) { return store::File::open(dir + "/" + name, mode); };
  HM_TRY_ASSIGN(auto key, open_file("key"));
  HM_TRY_ASSIGN(auto secret_key, open_file("secret_key"));
  HM_TRY(secret_key.make_private());
  HM_TRY_ASSIGN(auto tree, open_file("tree"));
  HM_TRY_ASSIGN(auto data, open_file("data"));
  HM_TRY_ASSIGN(auto bitfield, open_file("bitfield"));
  HM_TRY_ASSIGN(auto signatures, open_file("signatures"));
  CoreStorage storage(dir, mode, std::move(key), std::move(secret_key), std::move(tree),
                      std::move(data), std::move(bitfield), std::move(signatures));
  HM_TRY(storage.check_header(storage.tree_, tree_header()));
  HM_TRY(storage.check_header(storage.signatures_, signatures_header()));
  // Bytes 5-6 of the bitfield header carry the page size; legacy page sizes are not supported.
  HM_TRY(storage.check_header(storage.bitfield_, bitfield_header()));
  return storage;
}

// An absent file (or, in a writable folder, an empty one) has no header yet; anything else
// must carry exactly the expected one.
Status CoreStorage::check_header(const store::File& file, ByteView expected) const {
  if (!file.exists()) return {};
  Bytes found(expected.size());
  HM_TRY_ASSIGN(size_t n, file.read(0, found));
  if (n == 0 && mode_ == store::OpenMode::ReadWrite) return {};
  if (n < expected.size()) {
    return Error::corrupt("{}: header truncated ({} of {} bytes)", file.path(), n,
                          expected.size());
  }
  if (!std::equal(found.begin(), found.end(), expected.begin())) {
    return Error::corrupt("{}: bad header (expected {}, found {})", file.path(),
                          to_hex(expected.first(8)), to_hex(ByteView(found).first(8)));
  }
  return {};
}

Status CoreStorage::write_headers() {
  // The bitfield lock keeps a JS process and us from writing the same core at once.
  HM_TRY(bitfield_.try_lock());
  HM_TRY(tree_.write(0, tree_header()));
  HM_TRY(signatures_.write(0, signatures_header()));
  return bitfield_.write(0, bitfield_header());
}

Result<std::optional<crypto::PublicKey>> CoreStorage::read_key() const {
  if (!key_.exists()) return std::optional<crypto::PublicKey>();
  HM_TRY_ASSIGN(uint64_t size, key_.size());
  // The key is the first thing written to a new core (after the headers): an empty file is one
  // made by a process killed before it could write the key, and nothing else was written since.
  if (size == 0) return std::optional<crypto::PublicKey>();
  if (size != crypto::kPublicKeySize) {
    return Error::corrupt("{}: expected a 32-byte public key, found {} bytes", key_.path(), size);
  }
  crypto::PublicKey key;
  HM_TRY(key_.read_exact(0, key));
  return std::optional<crypto::PublicKey>(key);
}

Result<std::optional<crypto::SecretKey>> CoreStorage::read_secret_key() const {
  if (!secret_key_.exists()) return std::optional<crypto::SecretKey>();
  HM_TRY_ASSIGN(uint64_t size, secret_key_.size());
  // JS corestore (derived-key-storage) leaves an empty secret_key file beside cores whose key
  // is derived from a name; like the reference, an empty file means "no secret key here".
  if (size == 0) return std::optional<crypto::SecretKey>();
  if (size != crypto::kSecretKeySize) {
    return Error::corrupt("{}: expected a 64-byte secret key, found {} bytes",
                          secret_key_.path(), size);
  }
  crypto::SecretKey key;
  HM_TRY(secret_key_.read_exact(0, key.bytes()));
  return std::optional<crypto::SecretKey>(key);
}

Status CoreStorage::write_key(const crypto::PublicKey& key) { return key_.write(0, key); }

Status CoreStorage::write_secret_key(const crypto::SecretKey& key) {
  return secret_key_.write(0, key.bytes());
}

namespace {

// A tree record as read: nullopt when all zeros (a node never written).
std::optional<Node> node_of_record(uint64_t index, const uint8_t* record) {
  if (all_zero(ByteView(record, kTreeRecordSize))) return std::nullopt;
  Node node;
  node.index = index;
  std::copy(record, record + 32, node.hash.begin());
  node.size = get_u64be(record + 32);
  return node;
}

}  // namespace

Result<CoreStorage::Records> CoreStorage::read_records(uint64_t first, uint64_t count) const {
  if (staged_.has_nodes()) HM_TRY(write_staged());
  Bytes bytes(count * kTreeRecordSize);
  HM_TRY_ASSIGN(size_t n, tree_.read(kHeaderSize + first * kTreeRecordSize, bytes));
  Records records{std::vector<std::optional<Node>>(count), n};
  for (uint64_t k = 0; k < count && (k + 1) * kTreeRecordSize <= n; ++k) {
    records.nodes[k] = node_of_record(first + k, bytes.data() + k * kTreeRecordSize);
  }
  return records;
}

Result<std::optional<Node>> CoreStorage::read_node(uint64_t index) const {
  if (auto cached = nodes_.find(index)) return cached;
  // The records around it come in the same read: serving or checking blocks in order reads
  // the next leaves soon (one read per block was a quarter of a server's CPU in a clone).
  const uint64_t first = index - index % kNodesPerRead;
  HM_TRY_ASSIGN(Records run, read_records(first, kNodesPerRead));
  const size_t at = (index - first) * kTreeRecordSize;
  if (run.bytes <= at) return std::optional<Node>();
  if (run.bytes < at + kTreeRecordSize) {
    return Error::corrupt("{}: node {} is truncated ({} of 40 bytes)", tree_.path(), index, run.bytes - at);
  }
  for (const auto& node : run.nodes) {
    if (node) nodes_.put(*node);
  }
  return run.nodes[index - first];
}

Result<std::vector<std::optional<Node>>> CoreStorage::read_nodes(uint64_t first, uint64_t count) const {
  HM_TRY_ASSIGN(Records run, read_records(first, count));
  if (run.bytes % kTreeRecordSize != 0) {
    return Error::corrupt("{}: node {} is truncated ({} of 40 bytes)", tree_.path(),
                          first + run.bytes / kTreeRecordSize, run.bytes % kTreeRecordSize);
  }
  return std::move(run.nodes);
}

Status CoreStorage::write_nodes(std::vector<Node> nodes) {
  HM_TRY(write_staged());
  HM_TRY(write_node_records(nodes));
  for (const Node& node : nodes) nodes_.put(node);
  return {};
}

Status CoreStorage::write_node_records(std::vector<Node> nodes) const {
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.index < b.index; });
  Bytes run;
  uint64_t run_start = 0;
  auto flush = [&]() -> Status {
    if (run.empty()) return {};
    Status s = tree_.write(kHeaderSize + run_start * kTreeRecordSize, run);
    run.clear();
    return s;
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    if (!run.empty() && node.index != run_start + run.size() / kTreeRecordSize) HM_TRY(flush());
    if (run.empty()) run_start = node.index;
    run.insert(run.end(), node.hash.begin(), node.hash.end());
    uint8_t size[8];
    put_u64be(size, node.size);
    run.insert(run.end(), size, size + 8);
  }
  return flush();
}

Status CoreStorage::stage_nodes(const std::vector<Node>& nodes) {
  if (!staged_.nodes_fit(nodes.size())) HM_TRY(write_staged());
  staged_.add_nodes(nodes);
  for (const Node& node : nodes) nodes_.put(node);
  return {};
}

Status CoreStorage::stage_data(uint64_t byte_offset, ByteView bytes) {
  if (bytes.empty()) return {};
  if (bytes.size() >= StagedWrites::kSmallBlockBytes || is_hole(bytes)) return write_data(byte_offset, bytes);
  if (!staged_.data_fits(byte_offset, bytes.size())) HM_TRY(write_staged());
  staged_.add_data(byte_offset, bytes);
  return {};
}

Status CoreStorage::write_staged() const {
  if (staged_.empty()) return {};
  if (!staged_.data().empty()) HM_TRY(data_.write(staged_.data_offset(), staged_.data()));
  HM_TRY(write_node_records(staged_.nodes()));
  staged_.clear();
  return {};
}

Result<int> CoreStorage::data_fd() const {
  HM_TRY(write_staged());
  return data_.fd();
}

Result<int> CoreStorage::dup_data_fd() {
  HM_TRY(write_staged());
  HM_TRY(data_.extend(0));  // creates it
  int fd = ::fcntl(data_.fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Error::io(errno, "duplicating the descriptor of {}", data_.path());
  return fd;
}

Status CoreStorage::clear_data(uint64_t byte_offset, uint64_t length) {
  HM_TRY(write_staged());
  return data_.punch_hole(byte_offset, length);
}

Result<std::optional<crypto::Signature>> CoreStorage::read_signature(uint64_t index) const {
  crypto::Signature sig;
  HM_TRY_ASSIGN(size_t n, signatures_.read(kHeaderSize + index * kSignatureRecordSize, sig));
  if (n == 0 || (n == sig.size() && all_zero(sig))) return std::optional<crypto::Signature>();
  if (n != sig.size()) {
    return Error::corrupt("{}: signature {} is truncated ({} of 64 bytes)", signatures_.path(),
                          index, n);
  }
  return std::optional<crypto::Signature>(sig);
}

Status CoreStorage::write_signature(uint64_t index, const crypto::Signature& signature) {
  return signatures_.write(kHeaderSize + index * kSignatureRecordSize, signature);
}

Status CoreStorage::read_data(uint64_t byte_offset, std::span<uint8_t> out) const {
  if (out.empty()) return {};
  if (staged_.data_overlaps(byte_offset, out.size())) HM_TRY(write_staged());
  return data_.read_exact(byte_offset, out);
}

bool is_hole(ByteView block) {
  constexpr size_t kPage = 4096;
  return block.size() >= kPage && is_all_zero(block);
}

namespace {
// Calls `run(offset, pieces)` for each stretch of consecutive blocks that are not holes.
template <typename Run>
Status for_each_data_run(uint64_t offset, std::span<const ByteView> blocks, const std::vector<bool>& holes,
                         Run run) {
  size_t first = 0;
  uint64_t first_offset = offset;
  for (size_t i = 0; i <= blocks.size(); ++i) {
    if (i < blocks.size() && !holes[i]) {
      offset += blocks[i].size();
      continue;
    }
    if (i > first) HM_TRY(run(first_offset, blocks.subspan(first, i - first)));
    if (i < blocks.size()) offset += blocks[i].size();
    first = i + 1;
    first_offset = offset;
  }
  return {};
}

uint64_t total_size(std::span<const ByteView> blocks) {
  uint64_t total = 0;
  for (ByteView block : blocks) total += block.size();
  return total;
}
}  // namespace

Status CoreStorage::write_data(uint64_t byte_offset, ByteView bytes) {
  if (bytes.empty()) return {};
  HM_TRY(write_staged());
  if (is_hole(bytes)) return data_.grow_over_hole(byte_offset, bytes.size());
  return data_.write(byte_offset, bytes);
}

int write_blocks_at(int fd, uint64_t offset, std::span<const ByteView> blocks) {
  std::vector<bool> holes(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) holes[i] = is_hole(blocks[i]);
  int failed = 0;
  (void)for_each_data_run(offset, blocks, holes, [&](uint64_t at, std::span<const ByteView> run) -> Status {
    failed = store::write_gather_at(fd, at, run);
    if (failed != 0) return Error::io(failed, "writing a data file at byte {}", at);
    return {};
  });
  return failed;
}

Status CoreStorage::write_blocks(uint64_t byte_offset, std::span<const ByteView> blocks,
                                 const std::vector<bool>& holes) {
  HM_TRY(write_staged());
  HM_TRY(for_each_data_run(byte_offset, blocks, holes, [this](uint64_t offset, std::span<const ByteView> run) {
    return data_.write_gather(offset, run);
  }));
  return extend_data(byte_offset + total_size(blocks));  // trailing holes
}

Status CoreStorage::extend_data(uint64_t end) {
  HM_TRY(write_staged());
  return data_.extend(end);
}

Status CoreStorage::trim_data(uint64_t end) {
  HM_TRY(write_staged());
  return data_.truncate(end);
}

Result<Bytes> CoreStorage::read_bitfield_pages() const {
  HM_TRY_ASSIGN(uint64_t size, bitfield_.size());
  if (size <= kHeaderSize) return Bytes{};
  Bytes body(size - kHeaderSize);
  HM_TRY(bitfield_.read_exact(kHeaderSize, body));
  return body;
}

Status CoreStorage::write_bitfield_page(uint64_t page, ByteView bytes) {
  HM_TRY(write_staged());  // a block's bit never reaches the file before its bytes and nodes
  return bitfield_.write(kHeaderSize + page * kBitfieldPageSize, bytes);
}

Result<CoreStorage::AppendMark> CoreStorage::reserve_append(uint64_t data_start, std::span<const ByteView> blocks,
                                                            const std::vector<bool>& holes, uint64_t last_node,
                                                            uint64_t last_block, uint64_t last_page) {
  HM_TRY(write_staged());
  AppendMark mark;
  HM_TRY_ASSIGN(mark.data, data_.size());
  HM_TRY_ASSIGN(mark.tree, tree_.size());
  HM_TRY_ASSIGN(mark.signatures, signatures_.size());
  Status reserved = for_each_data_run(data_start, blocks, holes, [this](uint64_t offset, std::span<const ByteView> run) {
    return data_.reserve_range(offset, total_size(run));
  });
  if (reserved) reserved = tree_.reserve(kHeaderSize + (last_node + 1) * kTreeRecordSize);
  if (reserved) reserved = signatures_.reserve(kHeaderSize + (last_block + 1) * kSignatureRecordSize);
  // Zero pages past the last one written read as "nothing here", as absent pages do.
  if (reserved) reserved = bitfield_.reserve(kHeaderSize + (last_page + 1) * kBitfieldPageSize);
  if (!reserved) {
    roll_back(mark);
    return reserved.error();
  }
  return mark;
}

void CoreStorage::roll_back(const AppendMark& mark) {
  if (auto written = write_staged(); !written) log::warn("core", "{}", written.error().to_string());
  nodes_.clear();  // the nodes past the tree's cut are gone
  for (auto [file, size] : {std::pair{&data_, mark.data}, std::pair{&tree_, mark.tree},
                            std::pair{&signatures_, mark.signatures}}) {
    if (auto cut = file->truncate(size); !cut) log::warn("core", "{}", cut.error().to_string());
  }
}

Status CoreStorage::sync() {
  HM_TRY(write_staged());
  HM_TRY(data_.sync());
  HM_TRY(tree_.sync());
  HM_TRY(signatures_.sync());
  return bitfield_.sync();
}

}  // namespace hypermount::core
