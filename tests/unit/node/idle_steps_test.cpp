// IdleSteps: jobs run a step per turn of the loop, the oldest first, none during add(), and the
// ones left go with it.
#include "node/idle_steps.hpp"

#include "replication_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace hypermount;

TEST_CASE("idle steps: a step per turn, the oldest job to its end before the next, from a later turn") {
  test::Loop loop;
  std::string order;
  {
    node::IdleSteps steps(&loop.loop);
    int first_left = 3;
    steps.add([&] {
      order += 'a';
      return --first_left > 0;
    });
    steps.add([&] {
      order += 'b';
      // A step may add a job: it runs after the rest.
      steps.add([&] {
        order += 'c';
        return false;
      });
      return false;
    });
    CHECK(order.empty());  // nothing runs in add()
    uv_run(&loop.loop, UV_RUN_NOWAIT);
    CHECK(order == "a");  // one step per turn
    CHECK(loop.run_until([&] { return steps.jobs() == 0; }));
    CHECK(order == "aaabc");
    // Jobs left when it goes are dropped, never run.
    steps.add([&] {
      order += 'x';
      return false;
    });
  }
  uv_run(&loop.loop, UV_RUN_NOWAIT);
  CHECK(order == "aaabc");
}
