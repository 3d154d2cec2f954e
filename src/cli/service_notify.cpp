#include "cli/service_notify.hpp"

#include "util/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace hypermount::cli {

void notify_service(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t length = std::strlen(name);
  if (length >= sizeof(address.sun_path) || (name[0] != '/' && name[0] != '@')) {
    log::debug("cli", "NOTIFY_SOCKET {} is not a socket path or an abstract name", name);
    return;
  }
  std::memcpy(address.sun_path, name, length);
  if (name[0] == '@') address.sun_path[0] = '\0';  // an abstract name: no terminating NUL counted
  const auto address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (name[0] == '/'));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    log::debug("cli", "notifying the service manager: {}", std::strerror(errno));
    return;
  }
  if (::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address),
               address_length) < 0) {
    log::debug("cli", "notifying the service manager at {}: {}", name, std::strerror(errno));
  }
  ::close(fd);
}

}  // namespace hypermount::cli
