#include "core/core.hpp"
#include "core/flat_tree.hpp"

#include <algorithm>

namespace hypermount::core {

Result<uint64_t> Core::clear(uint64_t start, uint64_t end) {
  if (storage_.read_only()) return Error::read_only("{} is opened read-only", dir());
  end = std::min(end, length_);
  // The byte runs of the present blocks, found before anything changes.
  struct Run {
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  std::vector<Run> runs;
  std::vector<uint64_t> cleared;
  for (uint64_t block = start; block < end; ++block) {
    if (!has(block)) continue;
    HM_TRY_ASSIGN(Node leaf, require_node(flat_tree::leaf(block)));
    if (!runs.empty() && !cleared.empty() && cleared.back() == block - 1) {
      runs.back().length += leaf.size;
    } else {
      HM_TRY_ASSIGN(uint64_t offset, block_offset(block));
      runs.push_back(Run{offset, leaf.size});
    }
    cleared.push_back(block);
  }
  if (cleared.empty()) return uint64_t{0};
  // Absent first: a crash between the two leaves bytes nobody reads, never a present block
  // whose bytes are gone.
  for (uint64_t block : cleared) {
    bitfield_.set_block(block, false);
    if (block < checked_.size()) checked_[block] = false;
  }
  HM_TRY(flush_bitfield());
  uint64_t given_back = 0;
  for (const Run& run : runs) {
    HM_TRY(storage_.clear_data(run.offset, run.length));
    given_back += run.length;
  }
  return given_back;
}

}  // namespace hypermount::core
