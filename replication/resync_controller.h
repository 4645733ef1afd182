// ResyncController: how much a sync target (or verify source) may request in
// the next 100 ms step — DRBD's dynamic resync-rate controller
// (REPLICATION-FACTS.md; drbd.conf c-plan-ahead, c-fill-target,
// c-delay-target, c-max-rate, resync-rate).
//
// With c-plan-ahead 0 the rate is fixed at resync-rate. Otherwise the
// controller aims for a fill target of sectors in flight (c-fill-target, or
// when that is 0, what arrives in c-delay-target at the current rate),
// spreading each correction evenly over the c-plan-ahead window (a FIFO of
// planned corrections), starting at resync-rate and never above c-max-rate.
// It adapts to the real bottleneck (peer disk, network) without knowing it:
// when replies come back slower, fewer new requests are planned.
//
// Value type, no I/O; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quorate::replication {

struct ResyncControllerSettings {
  uint64_t resync_rate_kib_s = 250;
  uint32_t plan_ahead_ds = 20;      // 0: fixed rate
  uint32_t fill_target_sectors = 100;
  uint32_t delay_target_ds = 10;
  uint64_t max_rate_kib_s = 102400;
};

class ResyncController {
 public:
  static constexpr uint32_t kStepMs = 100;

  explicit ResyncController(ResyncControllerSettings s);

  // One step: `sectors_in` arrived (replies) during the step that just ended,
  // `sectors_in_flight` are requested and not yet answered. Returns the
  // sectors to request during the next step.
  uint64_t step(uint64_t sectors_in, uint64_t sectors_in_flight);

  // The controller's current aim in KiB/s (for /proc/drbd's "want").
  uint64_t want_kib_s() const { return last_request_sectors_ * 1000 / kStepMs / 2; }

 private:
  ResyncControllerSettings s_;
  std::vector<int64_t> plan_;  // planned corrections per future step, in sectors
  size_t head_ = 0;
  int64_t planned_total_ = 0;
  uint64_t last_request_sectors_ = 0;
};

}  // namespace quorate::replication
