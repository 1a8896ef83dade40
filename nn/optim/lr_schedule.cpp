#include "nn/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sp::nn::optim {

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : LRSchedule(base_lr), step_size_(step_size), gamma_(gamma) {
  SP_CHECK(step_size > 0, "lr schedule: expected step_size > 0, got ", step_size);
}
double StepLR::lr(int64_t t) const {
  return base_lr_ * std::pow(gamma_, double(t / step_size_));
}

MultiStepLR::MultiStepLR(double base_lr, std::vector<int64_t> milestones, double gamma)
    : LRSchedule(base_lr), milestones_(std::move(milestones)), gamma_(gamma) {
  SP_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
           "lr schedule: expected increasing milestones for MultiStepLR");
}
double MultiStepLR::lr(int64_t t) const {
  auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), t) - milestones_.begin();
  return base_lr_ * std::pow(gamma_, double(passed));
}

ExponentialLR::ExponentialLR(double base_lr, double gamma) : LRSchedule(base_lr), gamma_(gamma) {}
double ExponentialLR::lr(int64_t t) const {
  return base_lr_ * std::pow(gamma_, double(t));
}

CosineAnnealingLR::CosineAnnealingLR(double base_lr, int64_t t_max, double eta_min)
    : LRSchedule(base_lr), t_max_(t_max), eta_min_(eta_min) {
  SP_CHECK(t_max > 0, "lr schedule: expected t_max > 0 for CosineAnnealingLR, got ", t_max);
}
double CosineAnnealingLR::lr(int64_t t) const {
  return eta_min_ +
         (base_lr_ - eta_min_) * (1 + std::cos(std::numbers::pi * double(t) / double(t_max_))) / 2;
}

LinearLR::LinearLR(double base_lr, double start_factor, double end_factor, int64_t total_iters)
    : LRSchedule(base_lr), start_(start_factor), end_(end_factor), total_(total_iters) {
  SP_CHECK(
      start_factor > 0 && start_factor <= 1 && end_factor >= 0 && end_factor <= 1 &&
          total_iters > 0,
      "lr schedule: expected 0 < start_factor <= 1, 0 <= end_factor <= 1 and total_iters > 0, got ",
      start_factor, ", ", end_factor, ", ", total_iters);
}
double LinearLR::lr(int64_t t) const {
  return base_lr_ * (start_ + (end_ - start_) * double(std::min(t, total_)) / double(total_));
}

WarmupThen::WarmupThen(int64_t warmup, double start_factor, std::unique_ptr<LRSchedule> after)
    : LRSchedule(after ? after->base_lr() : 0.0),
      warmup_(warmup),
      start_factor_(start_factor),
      after_(std::move(after)) {
  SP_CHECK(after_ != nullptr, "lr schedule: expected a schedule after the warmup, got none");
  SP_CHECK(warmup >= 0 && start_factor > 0 && start_factor <= 1,
           "lr schedule: expected warmup >= 0 and 0 < start_factor <= 1, got ", warmup, " and ",
           start_factor);
}
double WarmupThen::lr(int64_t t) const {
  if (t < warmup_)
    return base_lr_ * (start_factor_ + (1 - start_factor_) * double(t) / double(warmup_));
  return after_->lr(t - warmup_);
}

}  // namespace sp::nn::optim
