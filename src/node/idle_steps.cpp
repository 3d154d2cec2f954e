#include "node/idle_steps.hpp"

#include <utility>

namespace hypermount::node {

IdleSteps::IdleSteps(uv_loop_t* loop) : idle_(new uv_idle_t) {
  uv_idle_init(loop, idle_);
  idle_->data = this;
}

IdleSteps::~IdleSteps() {
  uv_idle_stop(idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(idle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

void IdleSteps::add(Step step) {
  jobs_.push_back(std::move(step));
  uv_idle_start(idle_, [](uv_idle_t* h) { static_cast<IdleSteps*>(h->data)->step(); });
}

void IdleSteps::step() {
  // The handle runs only while a job is queued (stopped below once none is). The job is held
  // outside the queue while it runs: a step may add jobs.
  Step job = std::move(jobs_.front());
  jobs_.pop_front();
  if (job()) jobs_.push_front(std::move(job));
  if (jobs_.empty()) uv_idle_stop(idle_);
}

}  // namespace hypermount::node
