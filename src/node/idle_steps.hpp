// Work done a step per turn of the loop, between its I/O: a step of the oldest job left, from an
// idle handle that runs while any is. Loop thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <deque>
#include <functional>

namespace hypermount::node {

class IdleSteps {
 public:
  // One step of a job: true while the job has more to do.
  using Step = std::function<bool()>;

  explicit IdleSteps(uv_loop_t* loop);
  // The jobs left are dropped.
  ~IdleSteps();
  IdleSteps(const IdleSteps&) = delete;
  IdleSteps& operator=(const IdleSteps&) = delete;

  // Adds a job, to run once the jobs before it are done; its first step comes on a later turn
  // (after the I/O of this one) at the soonest.
  void add(Step step);
  size_t jobs() const { return jobs_.size(); }

 private:
  void step();

  uv_idle_t* idle_;  // freed in its close callback
  std::deque<Step> jobs_;
};

}  // namespace hypermount::node
