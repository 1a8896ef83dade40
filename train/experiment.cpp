#include "train/experiment.h"

#include <unistd.h>

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

std::string data_root() {
  const char* env = std::getenv("SP_DATA_PATH");
  return env && *env ? std::string(env) : std::string("data");
}

std::string resolve_data_path(const std::string& path) {
  if (path.empty()) return data_root();
  if (std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(data_root()) / path).string();
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

}  // namespace

void check_experiment_folder(const std::string& name, bool restore, bool overwrite) {
  SP_CHECK(!name.empty() && name.find("..") == std::string::npos,
           "experiment: expected a folder name, got '", name, "'");
  const std::string dir = experiments_root() + "/" + name;
  const bool exists = fs::exists(dir + "/config.toml");
  SP_CHECK(
      !exists || restore || overwrite, "experiment: expected a new experiment name, got ", dir,
      " which already holds a run; hint: pass --restore to resume it or --overwrite to start over");
}

Experiment::Experiment(const std::string& name, const Config& config, bool restore,
                       bool overwrite) {
  check_experiment_folder(name, restore, overwrite);
  dir_ = experiments_root() + "/" + name;
  const bool exists = fs::exists(dir_ + "/config.toml");
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
}

void Experiment::log(const std::string& line) {
  log_ << '[' << timestamp() << "] " << line << '\n';
  log_.flush();
  // On a terminal, first clear an in-place progress line.
  std::fprintf(stderr, "%s%s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
}

void Experiment::drop_metrics_after(int64_t step) {
  const std::string path = dir_ + "/metrics.csv";
  std::ifstream in(path);
  if (!in.good()) return;
  std::string kept, line;
  bool dropped = false;
  while (std::getline(in, line)) {
    const size_t comma = line.find(',');
    int64_t row_step = -1;
    try {
      row_step = std::stoll(line.substr(0, comma));
    } catch (const std::exception&) {  // the header
    }
    if (row_step > step) {
      dropped = true;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped) write_text_atomically(path, kept);
}

void Experiment::append_metrics(int64_t step, const std::string& split,
                                const std::map<std::string, double>& values) {
  const std::string path = dir_ + "/metrics.csv";
  const bool fresh = !fs::exists(path) || fs::file_size(path) == 0;
  std::ofstream out(path, std::ios::app);
  if (fresh) out << "step,split,key,value\n";
  char buf[32];
  for (const auto& [k, v] : values) {
    SP_CHECK(k.find(',') == std::string::npos && split.find(',') == std::string::npos,
             "experiment: expected metric names without commas, got '", k, "'");
    std::snprintf(buf, sizeof buf, "%.8g", v);
    out << step << ',' << split << ',' << k << ',' << buf << '\n';
  }
  SP_CHECK(out.good(), "experiment: could not append to ", path);
}

}  // namespace sp::train
