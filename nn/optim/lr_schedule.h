// Learning-rate schedules as closed forms of the epoch (or step) index, matching
// torch.optim.lr_scheduler's StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and
// LinearLR (linear warmup), plus warmup followed by another schedule.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/optim/optimizer.h"

namespace sp::nn::optim {

class LRSchedule {
 public:
  explicit LRSchedule(double base_lr) : base_lr_(base_lr) {}
  virtual ~LRSchedule() = default;
  // The learning rate at epoch (or step) t >= 0.
  virtual double lr(int64_t t) const = 0;
  double base_lr() const { return base_lr_; }
  // Sets optimizer.lr() to lr(t).
  void apply(Optimizer& optimizer, int64_t t) const { optimizer.set_lr(lr(t)); }

 protected:
  double base_lr_;
};

// base * gamma^(t / step_size)
class StepLR : public LRSchedule {
 public:
  StepLR(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr(int64_t t) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// base * gamma^(number of milestones <= t)
class MultiStepLR : public LRSchedule {
 public:
  MultiStepLR(double base_lr, std::vector<int64_t> milestones, double gamma = 0.1);
  double lr(int64_t t) const override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// base * gamma^t
class ExponentialLR : public LRSchedule {
 public:
  ExponentialLR(double base_lr, double gamma);
  double lr(int64_t t) const override;

 private:
  double gamma_;
};

// eta_min + (base - eta_min) * (1 + cos(pi * t / t_max)) / 2
class CosineAnnealingLR : public LRSchedule {
 public:
  CosineAnnealingLR(double base_lr, int64_t t_max, double eta_min = 0.0);
  double lr(int64_t t) const override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// base * (start + (end - start) * min(t, total) / total): linear warmup when start < end.
class LinearLR : public LRSchedule {
 public:
  LinearLR(double base_lr, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);
  double lr(int64_t t) const override;

 private:
  double start_, end_;
  int64_t total_;
};

// Linear warmup from base * start_factor over `warmup` steps, then `after` (evaluated
// at t - warmup), like SequentialLR([LinearLR, after], milestones=[warmup]).
class WarmupThen : public LRSchedule {
 public:
  WarmupThen(int64_t warmup, double start_factor, std::unique_ptr<LRSchedule> after);
  double lr(int64_t t) const override;

 private:
  int64_t warmup_;
  double start_factor_;
  std::unique_ptr<LRSchedule> after_;
};

}  // namespace sp::nn::optim
