// SIGINT and SIGTERM as a request to stop between steps (create, import, export): the command
// checks interrupted() and stops cleanly, keeping what it finished. Main thread.
#pragma once

namespace hypermount::cli {

// From now on SIGINT and SIGTERM set the flag instead of killing the process.
void catch_interrupts();
bool interrupted();
// The flag as the signal handler sets it (for a loop's own signal watcher to set too).
void set_interrupted();

}  // namespace hypermount::cli
