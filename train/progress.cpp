#include "train/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace sp::train {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e9) return "?";
  int64_t t = int64_t(s + 0.5);
  char buf[32];
  if (t < 60)
    std::snprintf(buf, sizeof buf, "%llds", (long long)t);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(t / 3600), (long long)(t / 60 % 60));
  return buf;
}

Progress::Progress(std::string label, int64_t total, int64_t start)
    : label_(std::move(label)),
      total_(total),
      start_(start),
      t0_(std::chrono::steady_clock::now()),
      last_print_(t0_),
      tty_(isatty(STDERR_FILENO)) {}

double Progress::rate(int64_t done) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  return elapsed > 0 ? double(done - start_) / elapsed : 0.0;
}

std::string Progress::line(int64_t done,
                           const std::vector<std::pair<std::string, double>>& values) const {
  std::ostringstream os;
  os << label_ << ' ' << done << '/' << total_;
  if (total_ > 0) os << " (" << (100 * done / total_) << "%)";
  const double r = rate(done);
  os << " | " << std::fixed << std::setprecision(r < 10 ? 2 : 1) << r << ' '
     << (label_ == "step" ? "it" : label_) << "/s";
  for (const auto& [name, v] : values)
    os << " | " << name << ' ' << std::defaultfloat << std::setprecision(4) << v;
  if (total_ > 0 && r > 0) os << " | ETA " << format_duration(double(total_ - done) / r);
  return os.str();
}

void Progress::update(int64_t done, const std::vector<std::pair<std::string, double>>& values) {
  auto now = std::chrono::steady_clock::now();
  const bool last = done >= total_;
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line(done, values).c_str());
    printed_ = true;
  } else if (last || std::chrono::duration<double>(now - last_print_).count() >= min_interval_s_) {
    std::fprintf(stderr, "%s\n", line(done, values).c_str());
    last_print_ = now;
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_ && printed_) std::fprintf(stderr, "\n");
  printed_ = false;
}

}  // namespace sp::train
