// The checkpoints of an experiment (<exp>/checkpoints/): checkpoint_<epoch>_<step>.h5 at
// every save, checkpoint_<epoch>_<step>_interrupted.h5 after Ctrl+C, and
// checkpoint_best.h5 (a copy of the checkpoint with the best validation value). Files are
// nn::Checkpoint HDF5 written atomically, so a crash never leaves a corrupt last one.
//
// Trainer state that nn::Checkpoint has no field for travels in its optimizer map under
// "trainer.*" keys (epoch, best value); split_trainer_state() removes them before the
// optimizer sees the map.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nn/checkpoint.h"

namespace sp::train {

struct CheckpointFile {
  std::string path;
  int64_t epoch = 0, step = 0;
  bool interrupted = false;
};

// Trainer fields stored next to the optimizer state.
struct TrainerState {
  int64_t epoch = 0;
  double best_value = 0;
  bool has_best = false;
  int64_t best_step = -1;
};
void put_trainer_state(nn::Checkpoint& checkpoint, const TrainerState& state);
TrainerState split_trainer_state(nn::Checkpoint& checkpoint);

class CheckpointManager {
 public:
  CheckpointManager(std::string dir, int64_t keep_last_n)
      : dir_(std::move(dir)), keep_(keep_last_n) {}

  // Writes checkpoint_<epoch>_<step>[_interrupted].h5 and deletes the old ones beyond
  // the newest keep_last_n (an interrupted one only survives while it is the newest).
  std::string save(const nn::Checkpoint& checkpoint, int64_t epoch, bool interrupted = false);
  // Writes checkpoint_best.h5.
  std::string save_best(const nn::Checkpoint& checkpoint);

  // Every step checkpoint, oldest first (by step, then a plain save before an
  // interrupted one of the same step).
  std::vector<CheckpointFile> list() const;
  std::optional<CheckpointFile> latest() const;
  // Deletes the temporary files of saves that never finished (a killed process).
  void remove_temporaries() const;
  std::string best_path() const { return dir_ + "/checkpoint_best.h5"; }
  const std::string& dir() const { return dir_; }

 private:
  void prune() const;
  std::string dir_;
  int64_t keep_;
};

// Parses "checkpoint_<epoch>_<step>[_interrupted].h5"; nullopt for other names.
std::optional<CheckpointFile> parse_checkpoint_name(const std::string& file_name);

}  // namespace sp::train
