// PeerBudget: a peer spends its budget and gets it back at the set rate, each peer on its own.
#include "node/peer_budget.hpp"

#include <doctest/doctest.h>

using hypermount::node::PeerBudget;

TEST_CASE("PeerBudget: a peer past its budget is refused until enough time refills it") {
  double now = 100;
  PeerBudget budget(1000, 100, [&] { return now; });
  CHECK(budget.allows(1));
  budget.spend(1, 600);
  CHECK(budget.allows(1));
  budget.spend(1, 600);  // 200 below zero: one request may cost more than was left
  CHECK_FALSE(budget.allows(1));
  CHECK(budget.allows(2));  // another peer has its own
  now += 1.5;  // 150 back: still 50 below
  CHECK_FALSE(budget.allows(1));
  now += 1;  // 50 above
  CHECK(budget.allows(1));
  now += 1000;  // refilled up to its size, no more
  budget.spend(1, 999);
  CHECK(budget.allows(1));
  budget.spend(1, 2);
  CHECK_FALSE(budget.allows(1));
}

TEST_CASE("PeerBudget: idle peers' buckets are dropped when many peers came and went") {
  double now = 0;
  PeerBudget budget(10, 1, [&] { return now; });
  for (uint64_t peer = 0; peer < 5000; ++peer) budget.spend(peer, 20);  // each 10 below zero
  CHECK(budget.tracked() == 5000);  // none could be dropped: each still owes
  CHECK_FALSE(budget.allows(4999));
  now += 20;  // every one of them full again: dropped when a new peer comes, which starts full
  CHECK(budget.allows(10000));
  CHECK(budget.tracked() == 1);
  CHECK(budget.allows(0));
}
