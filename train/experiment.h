// The experiment folder: $SP_EXPER_PATH/<name>/ (default outputs/training/<name>/) with
// the resolved config.toml, log.txt, metrics.csv, checkpoints/ and TensorBoard events.
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "train/config.h"

namespace sp::train {

// The root of experiment folders: $SP_EXPER_PATH, else outputs/training.
std::string experiments_root();
// The root of datasets: $SP_DATA_PATH, else "data".
std::string data_root();
// `path` when absolute; relative paths (and "") join data_root().
std::string resolve_data_path(const std::string& path);

class Experiment {
 public:
  // Opens <root>/<name>. A new run refuses a folder that already holds a config unless
  // `restore` (resume it) or `overwrite` is set, so a run is never silently clobbered.
  Experiment(const std::string& name, const Config& config, bool restore, bool overwrite = false);

  const std::string& dir() const { return dir_; }
  std::string checkpoint_dir() const { return dir_ + "/checkpoints"; }
  std::string path(const std::string& file) const { return dir_ + "/" + file; }

  // A line to log.txt (timestamped) and to stderr.
  void log(const std::string& line);
  // Appends one metrics.csv row per key: "step,split,key,value" (long format, so
  // training and validation rows with different keys share one file).
  void append_metrics(int64_t step, const std::string& split,
                      const std::map<std::string, double>& values);
  // Removes the metrics.csv rows of steps after `step` (a resumed run logs them again).
  void drop_metrics_after(int64_t step);

 private:
  std::string dir_;
  std::ofstream log_;
};

// The checks of the Experiment constructor, without touching the disk: a new run
// refuses a folder holding a run (unless overwrite or restore).
void check_experiment_folder(const std::string& name, bool restore, bool overwrite = false);

// Writes `text` to `path` atomically (temp file, fsync, rename).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace sp::train
