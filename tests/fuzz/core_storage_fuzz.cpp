// libFuzzer target for the hypercore storage parsers: the input replaces one file of a valid
// 5-block core (tree, bitfield, signatures, data, key or secret_key, chosen by the first byte);
// opening, reading every block and verifying must end in a value or an Error, never a crash.
#include "core/core.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace hypermount;

namespace {

const char* kFiles[] = {"tree", "bitfield", "signatures", "data", "key", "secret_key"};

std::string make_template() {
  // tmpfs keeps the per-input file copies cheap.
  char pattern[] = "/dev/shm/hm-fuzz-core-XXXXXX";
  std::string root = ::mkdtemp(pattern);
  crypto::init();
  auto core = core::Core::create(root + "/template");
  if (!core) std::abort();
  const char* blocks[] = {"hello", "world", "from hypercore", "block 3", "block 4"};
  for (const char* b : blocks) {
    if (!(*core)->append({as_bytes(b)})) std::abort();
  }
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = make_template();
  if (size == 0) return 0;
  std::string dir = root + "/case";
  // libFuzzer's -timeout alarm (SIGALRM every second) can interrupt the copy: copy again.
  std::error_code failed;
  do {
    std::filesystem::remove_all(dir, failed);
    std::filesystem::copy(root + "/template", dir, failed);
  } while (failed == std::errc::interrupted);
  if (failed) std::abort();
  const char* target = kFiles[data[0] % std::size(kFiles)];
  {
    std::ofstream out(dir + "/" + target, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  auto core = core::Core::open(dir, store::OpenMode::ReadOnly);
  if (!core) return 0;
  for (uint64_t i = 0; i < (*core)->length() && i < 64; ++i) (void)(*core)->get(i);
  (void)(*core)->verify_all();
  if ((*core)->byte_length() > 0) (void)(*core)->seek((*core)->byte_length() - 1);
  return 0;
}
