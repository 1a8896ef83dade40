#include "train/experiment.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "tensor/check.h"
#include "tensor/io/hdf5.h"

namespace fs = std::filesystem;

namespace sp::train {

std::string experiments_root() {
  const char* env = std::getenv("SP_EXPER_PATH");
  return env && *env ? env : "outputs/training";
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    SP_CHECK(out.good(), "experiment: could not write ", tmp);
    out << text;
    out.flush();
    SP_CHECK(out.good(), "experiment: could not write ", tmp, "; hint: is the disk full?");
  }
  io::commit_file(tmp, path);
}

namespace {
std::string timestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

std::vector<std::string> read_csv_header(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> keys;
  if (!std::getline(in, line)) return keys;
  std::stringstream ss(line);
  std::string k;
  while (std::getline(ss, k, ',')) keys.push_back(k);
  if (!keys.empty()) keys.erase(keys.begin());  // "step"
  return keys;
}
}  // namespace

Experiment::Experiment(const std::string& name, const Config& config, bool restore, bool overwrite) {
  SP_CHECK(!name.empty() && name.find("..") == std::string::npos, "experiment: expected a folder name, got '",
           name, "'");
  dir_ = experiments_root() + "/" + name;
  const bool exists = fs::exists(dir_ + "/config.toml");
  SP_CHECK(!exists || restore || overwrite, "experiment: expected a new experiment name, got ", dir_,
           " which already holds a run; hint: pass --restore to resume it or --overwrite to start over");
  SP_CHECK(exists || !restore, "experiment: expected a run to restore in ", dir_, ", got none");
  if (overwrite && exists && !restore) {
    fs::remove_all(dir_ + "/checkpoints");
    fs::remove(dir_ + "/metrics.csv");
  }
  std::error_code ec;
  fs::create_directories(checkpoint_dir(), ec);
  SP_CHECK(!ec, "experiment: could not create ", checkpoint_dir(), ": ", ec.message());
  write_text_atomically(dir_ + "/config.toml", config.to_toml());
  log_.open(dir_ + "/log.txt", std::ios::app);
  SP_CHECK(log_.good(), "experiment: could not open ", dir_, "/log.txt");
  if (restore) metric_keys_ = read_csv_header(dir_ + "/metrics.csv");
}

void Experiment::log(const std::string& line) {
  log_ << '[' << timestamp() << "] " << line << '\n';
  log_.flush();
  std::fprintf(stderr, "%s\n", line.c_str());
}

void Experiment::append_metrics(int64_t step, const std::map<std::string, double>& row) {
  const std::string path = dir_ + "/metrics.csv";
  std::vector<std::string> keys;
  for (const auto& [k, v] : row) keys.push_back(k);
  std::ofstream out(path, std::ios::app);
  if (metric_keys_.empty()) {
    metric_keys_ = keys;
    if (fs::file_size(path) == 0) {
      out << "step";
      for (const auto& k : keys) out << ',' << k;
      out << '\n';
    }
  }
  SP_CHECK(keys == metric_keys_, "experiment: expected the metrics.csv columns of the first row, got other keys");
  out << step;
  char buf[32];
  for (const auto& k : keys) {
    std::snprintf(buf, sizeof buf, "%.6g", row.at(k));
    out << ',' << buf;
  }
  out << '\n';
  SP_CHECK(out.good(), "experiment: could not append to ", path);
}

}  // namespace sp::train
