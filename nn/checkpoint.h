// Training checkpoints as HDF5, written atomically (temp file, fsync, rename), and the
// converter from a PyTorch .pth state_dict to an sp HDF5 state_dict.
//
// Layout: /parameters/<key>, /buffers/<key>, /optimizer/<key> datasets with PyTorch
// dotted keys ("conv1a.weight", "state.0.exp_avg"), /config (the config text as u8),
// and root attributes format="sp-checkpoint", version, step, rng_seed, rng_offset.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "nn/pth.h"
#include "tensor/tensor.h"

namespace sp::nn {

using TensorMap = std::map<std::string, Tensor>;

struct Checkpoint {
  TensorMap parameters;
  TensorMap buffers;
  TensorMap optimizer;  // Optimizer::state_dict()
  int64_t step = 0;
  uint64_t rng_seed = 0;  // the Philox (seed, offset) pair to resume the random stream
  uint64_t rng_offset = 0;
  std::string config;  // the resolved config text
};

// Writes atomically: on any error `path` is left as it was.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Reads everything onto the CPU; a foreign or truncated file throws naming the file.
Checkpoint load_checkpoint(const std::string& path);

// A plain state_dict file: one dataset per dotted key at the root, attribute
// format="sp-state-dict". load_state_dict_file also accepts a checkpoint (parameters
// and buffers merged).
void save_state_dict_file(const std::string& path, const TensorMap& state);
TensorMap load_state_dict_file(const std::string& path);

// Reads a .pth written by torch.save and writes its tensors as an sp state_dict file.
// Returns the number of tensors written.
size_t convert_pth(const std::string& pth_path, const std::string& h5_path,
                   const PthOptions& options = {});

}  // namespace sp::nn
