#include "corestore/drive_cores.hpp"

namespace hypermount::corestore {

Result<std::shared_ptr<core::Core>> drive_metadata_core(const Namespace& ns) {
  return ns.default_core();
}

Result<std::shared_ptr<core::Core>> create_drive_content_core(const Namespace& ns,
                                                              const crypto::PublicKey& metadata_key,
                                                              DriveLine line) {
  if (line == DriveLine::V10_21) return ns.store().named(content_core_name(metadata_key));
  return ns.store().create_random();
}

Result<std::shared_ptr<core::Core>> open_drive_content_core(const Namespace& ns,
                                                            const crypto::PublicKey& content_key) {
  return ns.store().get(content_key);
}

}  // namespace hypermount::corestore
