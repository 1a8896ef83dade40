// The progress line of long jobs: "step 1200/5000 (24%) | 38.1 it/s | loss 0.0831 | ETA 1m40s".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sp::train {

std::string format_duration(double seconds);  // "45s", "6m40s", "2h03m"

class Progress {
 public:
  // `label` names the work ("step", "image"); the rate is measured from `start`.
  Progress(std::string label, int64_t total, int64_t start = 0);
  // The line for `done` units completed, with optional named values.
  std::string line(int64_t done,
                   const std::vector<std::pair<std::string, double>>& values = {}) const;
  // Prints the line to stderr: in place on a terminal, else one line at most every
  // `min_interval_s` seconds (and always for the last unit).
  void update(int64_t done, const std::vector<std::pair<std::string, double>>& values = {});
  void finish();
  double rate(int64_t done) const;  // units per second since construction

 private:
  std::string label_;
  int64_t total_, start_;
  std::chrono::steady_clock::time_point t0_, last_print_;
  bool tty_;
  bool printed_ = false;
  double min_interval_s_ = 10.0;
};

}  // namespace sp::train
