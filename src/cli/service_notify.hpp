// Service manager notifications (the sd_notify protocol, written here without libsystemd): one
// datagram per call to the unix socket $NOTIFY_SOCKET names. Main thread only.
#pragma once

#include <string_view>

namespace hypermount::cli {

// Sends `state` ("READY=1", "STATUS=...", "STOPPING=1"; several joined by newlines) when
// $NOTIFY_SOCKET is set (a path, or an abstract name starting with '@'); nothing otherwise.
// A failure to send is logged at debug level: the service goes on either way.
void notify_service(std::string_view state);

}  // namespace hypermount::cli
