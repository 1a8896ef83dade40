// Thread-local switches: grad mode (NoGradGuard: ops build no graph) and anomaly mode
// (AnomalyGuard: every op output and every backward gradient is checked for NaN/Inf and
// the first offending op is named in the error).
#pragma once

namespace sp::ag {

bool grad_enabled();
void set_grad_enabled(bool enabled);
bool anomaly_enabled();
void set_anomaly_enabled(bool enabled);

// While alive, differentiable functions build no graph (outputs do not require grad).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// While alive, grad mode is on again (used by checkpoint's recomputation).
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// While alive, anomaly detection is on for this thread (slow: it copies each checked
// tensor to the host).
class AnomalyGuard {
 public:
  AnomalyGuard() : previous_(anomaly_enabled()) { set_anomaly_enabled(true); }
  ~AnomalyGuard() { set_anomaly_enabled(previous_); }
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace sp::ag
