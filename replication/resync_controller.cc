#include "replication/resync_controller.h"

#include <algorithm>

namespace quorate::replication {

namespace {
// KiB/s -> sectors (512 B) per 100 ms step.
int64_t per_step(uint64_t kib_s) { return static_cast<int64_t>(kib_s * 2 * ResyncController::kStepMs / 1000); }
}  // namespace

ResyncController::ResyncController(ResyncControllerSettings s) : s_(s) {
  // c-plan-ahead is in 0.1 s, one step each.
  plan_.assign(std::max<uint32_t>(s_.plan_ahead_ds, 1), 0);
}

uint64_t ResyncController::step(uint64_t sectors_in, uint64_t sectors_in_flight) {
  const int64_t max_sectors = std::max<int64_t>(per_step(s_.max_rate_kib_s), 1);
  if (s_.plan_ahead_ds == 0) {
    last_request_sectors_ = static_cast<uint64_t>(std::max<int64_t>(per_step(s_.resync_rate_kib_s), 1));
    return last_request_sectors_;
  }
  const auto steps = static_cast<int64_t>(plan_.size());
  const auto in = static_cast<int64_t>(sectors_in);
  const auto in_flight = static_cast<int64_t>(sectors_in_flight);
  int64_t want = 0;
  if (in + in_flight == 0) {
    // Nothing moving yet (the start): fill the window at resync-rate.
    want = per_step(s_.resync_rate_kib_s) * steps;
  } else if (s_.fill_target_sectors > 0) {
    want = s_.fill_target_sectors;
  } else {
    // What arrives within c-delay-target at the current rate.
    want = in * s_.delay_target_ds;
  }
  // Spread the missing amount over the plan-ahead window.
  const int64_t correction = want - in_flight - planned_total_;
  const int64_t per = correction / steps;
  for (auto& p : plan_) p += per;
  planned_total_ += per * steps;
  // This step's share leaves the plan.
  const int64_t now_share = plan_[head_];
  plan_[head_] = 0;
  head_ = (head_ + 1) % plan_.size();
  planned_total_ -= now_share;
  const int64_t request = std::clamp<int64_t>(in + now_share, 0, max_sectors);
  last_request_sectors_ = static_cast<uint64_t>(request);
  return last_request_sectors_;
}

}  // namespace quorate::replication
