#include "fuse/content_stream.hpp"

#include "random_bytes.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hypermount::fuse {
namespace {

constexpr size_t kBatch = drive::Drive::kMaxBlockSize * drive::Drive::kAppendBatchBlocks;

using test::random_bytes;

// A stream over a real core in a temporary folder, on a loop of its own; `gate` says whether
// something else appends now (may_append), `kept` counts the prefixes handed to Keep.
struct Fixture {
  Fixture() {
    uv_loop_init(&loop);
    auto made = core::Core::create(dir.path() + "/content");
    REQUIRE(made.ok());
    core = std::shared_ptr<core::Core>(std::move(*made));
    auto staging_made = StagingFile::create(dir.path());
    REQUIRE(staging_made.ok());
    staging.emplace(std::move(*staging_made));
    ContentStream::Hooks hooks;
    hooks.may_append = [this] { return gate; };
    hooks.make_room = [] { return false; };
    hooks.keep = [this](const drive::FileContent& appended) {
      kept_content = appended;
      return KeptPrefix{nullptr, appended.size};
    };
    stream = std::make_unique<ContentStream>(&loop, core, std::move(hooks));
  }
  ~Fixture() {
    stream.reset();
    staging.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  void settle() { uv_run(&loop, UV_RUN_DEFAULT); }
  // Writes `bytes` in pieces of 1 MiB, as FUSE hands them over; counts the acks.
  void write(ByteView bytes) {
    for (size_t at = 0; at < bytes.size(); at += 1 << 20) {
      stream->write(bytes.subspan(at, std::min<size_t>(1 << 20, bytes.size() - at)), [this] { ++acks; });
    }
  }
  Bytes core_bytes(uint64_t first_block, uint64_t blocks) {
    Bytes out;
    for (uint64_t b = first_block; b < first_block + blocks; ++b) {
      auto block = core->get(b);
      REQUIRE(block.ok());
      out.insert(out.end(), block->begin(), block->end());
    }
    return out;
  }

  test::TempDir dir;
  uv_loop_t loop{};
  std::shared_ptr<core::Core> core;
  std::optional<StagingFile> staging;
  std::unique_ptr<ContentStream> stream;
  bool gate = true;
  size_t acks = 0;
  std::optional<drive::FileContent> kept_content;
};

TEST_CASE("ContentStream: bytes written in order are appended in blocks of 512 KiB, once") {
  Fixture f;
  const Bytes data = random_bytes(2 * kBatch + 300000, 1);
  f.write(data);
  CHECK(f.stream->size() == data.size());
  std::optional<Result<drive::FileContent>> finished;
  f.stream->finish([&](Result<drive::FileContent> r) { finished = std::move(r); });
  f.settle();
  REQUIRE(finished.has_value());
  REQUIRE(finished->ok());
  const drive::FileContent& c = **finished;
  CHECK(c.first_block == 0);
  CHECK(c.size == data.size());
  CHECK(c.blocks == (data.size() + drive::Drive::kMaxBlockSize - 1) / drive::Drive::kMaxBlockSize);
  CHECK(f.core->byte_length() == data.size());  // nothing written twice, nothing else
  CHECK(f.core_bytes(c.first_block, c.blocks) == data);
  CHECK(f.acks == 17);  // every piece acknowledged: 16 of 1 MiB and the last
  CHECK_FALSE(f.stream->healthy());  // finished: it takes nothing more
  f.stream->adopted();
}

TEST_CASE("ContentStream: given up half way, its appended blocks become the kept prefix, the rest is staged") {
  Fixture f;
  const Bytes data = random_bytes(kBatch + kBatch / 2, 2);
  f.write(data);
  f.settle();  // the first batch hashed and appended; the half batch still filling
  CHECK(f.core->byte_length() == kBatch);
  auto kept = f.stream->abandon(*f.staging);
  REQUIRE(kept.ok());
  CHECK(kept->size == kBatch);
  REQUIRE(f.kept_content.has_value());
  CHECK(f.kept_content->blocks == drive::Drive::kAppendBatchBlocks);
  CHECK(f.staging->size() == data.size());
  auto rest = f.staging->read(kBatch, data.size() - kBatch);
  REQUIRE(rest.ok());
  CHECK(Bytes(rest->begin(), rest->end()) == Bytes(data.begin() + kBatch, data.end()));
  CHECK(f.core_bytes(0, drive::Drive::kAppendBatchBlocks) == Bytes(data.begin(), data.begin() + kBatch));
}

TEST_CASE("ContentStream: an append meeting another writer breaks the stream, and nothing it took is lost") {
  Fixture f;
  const Bytes first = random_bytes(kBatch, 3);
  f.write(first);
  f.settle();
  CHECK(f.core->byte_length() == kBatch);
  REQUIRE(f.core->append({ByteView(random_bytes(100, 4))}).ok());  // another file's commit
  const Bytes second = random_bytes(kBatch + 5, 5);
  f.write(second);
  f.settle();
  CHECK_FALSE(f.stream->healthy());
  CHECK(f.core->byte_length() == kBatch + 100);  // the second batch was not appended after it
  CHECK(f.acks == 17);  // 8 + 9 pieces: a broken stream holds no writer back
  std::optional<Result<drive::FileContent>> finished;
  f.stream->finish([&](Result<drive::FileContent> r) { finished = std::move(r); });
  REQUIRE(finished.has_value());
  CHECK_FALSE(finished->ok());
  auto kept = f.stream->abandon(*f.staging);
  REQUIRE(kept.ok());
  CHECK(kept->size == kBatch);
  auto rest = f.staging->read(kBatch, second.size());
  REQUIRE(rest.ok());
  CHECK(Bytes(rest->begin(), rest->end()) == second);
}

TEST_CASE("ContentStream: while a commit runs it appends nothing; a finish given up fails later, as Cancelled") {
  Fixture f;
  f.gate = false;
  const Bytes data = random_bytes(kBatch + 10, 6);
  f.write(data);
  std::optional<Result<drive::FileContent>> finished;
  f.stream->finish([&](Result<drive::FileContent> r) { finished = std::move(r); });
  auto kept = f.stream->abandon(*f.staging);  // before the pool is through: the finish waits
  REQUIRE(kept.ok());
  CHECK(kept->size == 0);
  CHECK_FALSE(f.kept_content.has_value());
  CHECK_FALSE(finished.has_value());  // not from inside abandon
  f.settle();
  REQUIRE(finished.has_value());
  CHECK(finished->error().code() == Errc::Cancelled);
  CHECK(f.core->byte_length() == 0);
  auto all = f.staging->read(0, data.size());
  REQUIRE(all.ok());
  CHECK(Bytes(all->begin(), all->end()) == data);
}

TEST_CASE("ContentStream: a writer faster than the pool is held, then let go") {
  Fixture f;
  const Bytes data = random_bytes(6 * kBatch, 7);
  f.write(data);
  // Six batches taken before the loop ran: the pieces past four waiting batches wait.
  CHECK(f.acks < 48);
  f.settle();
  CHECK(f.acks == 48);
  CHECK(f.core->byte_length() == data.size());
}

// Bytes of `path` the file system has allocated (st_blocks), past its size or not.
uint64_t allocated_bytes(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

TEST_CASE("ContentStream: the pool writes batches past the core's end; giving up the tail cuts them, and nothing is lost") {
  Fixture f;
  const Bytes data = random_bytes(2 * kBatch + 10, 9);
  f.write(data);  // two batches on the pool, written where their appends would put them
  bool then_ran = false;
  CHECK_FALSE(ContentStream::give_up_tail(f.stream->state(), [&] { then_ran = true; }));
  CHECK_FALSE(f.stream->healthy());  // it appends nothing more
  f.settle();
  CHECK(then_ran);  // once the writes were through
  CHECK(f.core->byte_length() == 0);
  const std::string data_file = f.dir.path() + "/content/data";
  CHECK(file_size(data_file) == 0);  // nothing left past the core's end for the next append
  CHECK(allocated_bytes(data_file) == 0);
  // Given up again (the next commit): done at once.
  CHECK(ContentStream::give_up_tail(f.stream->state(), [] { FAIL("not to be run"); }));
  auto kept = f.stream->abandon(*f.staging);
  REQUIRE(kept.ok());
  CHECK(kept->size == 0);
  auto all = f.staging->read(0, data.size());
  REQUIRE(all.ok());
  CHECK(Bytes(all->begin(), all->end()) == data);
  // The commit then appends a block of zeros there, which an append leaves a hole: it reads
  // as zeros, not as the stream's bytes.
  const Bytes zeros(drive::Drive::kMaxBlockSize, 0);
  REQUIRE(f.core->append({ByteView(zeros)}).ok());
  auto block = f.core->get(0);
  REQUIRE(block.ok());
  CHECK(*block == zeros);
}

TEST_CASE("ContentStream: a batch written ahead is appended from where it lies; a stream gone leaves no bytes behind") {
  Fixture f;
  const Bytes first = random_bytes(kBatch, 10);
  f.write(first);
  f.settle();
  CHECK(f.core->byte_length() == kBatch);
  CHECK(f.core_bytes(0, drive::Drive::kAppendBatchBlocks) == first);
  f.write(random_bytes(kBatch, 11));  // on the pool, written past the end
  f.gate = false;  // and then a commit starts: the batch is not appended
  f.settle();
  CHECK(f.core->byte_length() == kBatch);
  CHECK_FALSE(f.stream->healthy());
  auto kept = f.stream->abandon(*f.staging);
  REQUIRE(kept.ok());
  CHECK(kept->size == kBatch);
  f.stream.reset();
  CHECK(file_size(f.dir.path() + "/content/data") == kBatch);
  CHECK(f.core_bytes(0, drive::Drive::kAppendBatchBlocks) == first);
}

TEST_CASE("ContentStream: blocks of zeros stay holes in the data file") {
  Fixture f;
  Bytes data(2 * kBatch, 0);
  data[kBatch + 7] = 1;  // one block of bytes among the zeros
  f.write(data);
  std::optional<Result<drive::FileContent>> finished;
  f.stream->finish([&](Result<drive::FileContent> r) { finished = std::move(r); });
  f.settle();
  REQUIRE(finished.has_value());
  REQUIRE(finished->ok());
  f.stream->adopted();
  CHECK(f.core->byte_length() == data.size());
  CHECK(f.core_bytes(0, 2 * drive::Drive::kAppendBatchBlocks) == data);
  CHECK(allocated_bytes(f.dir.path() + "/content/data") <= 2 * drive::Drive::kMaxBlockSize);
}

TEST_CASE("ContentStream: dropped without a commit, its blocks are cleared") {
  Fixture f;
  f.write(random_bytes(kBatch, 8));
  f.settle();
  CHECK(f.core->blocks_present() == drive::Drive::kAppendBatchBlocks);
  f.stream.reset();
  CHECK(f.core->blocks_present() == 0);
  CHECK(f.core->length() == drive::Drive::kAppendBatchBlocks);
}

}  // namespace
}  // namespace hypermount::fuse
