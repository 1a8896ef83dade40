// Reads PyTorch .pth files written by torch.save natively: the zip format (torch >= 1.6)
// and the legacy format (_use_new_zipfile_serialization=False). Tensors come back on
// the CPU with their dtype, shape, strides and storage offset; tensors that were views
// of one storage in PyTorch share one storage here.
#pragma once

#include <map>
#include <string>

#include "tensor/tensor.h"

namespace sp::nn {

struct PthOptions {
  // Keep only the entries under this dotted prefix, with the prefix removed, e.g.
  // "state_dict" or "model_state_dict" for checkpoints that wrap the weights.
  std::string select;
  // Removed from the front of every key that has it, e.g. "module." (DataParallel).
  std::string strip_prefix;
};

// Loads every tensor of a .pth file. Nested dicts and lists are flattened with
// '.'-joined keys ({'state_dict': {'conv1.weight': t}} -> "state_dict.conv1.weight");
// values that are not tensors (epochs, strings) are skipped. Errors name the file.
std::map<std::string, Tensor> load_pth(const std::string& path, const PthOptions& options = {});

// The weights of a .pth / .pth.tar: with options.select, the entries under it;
// otherwise, when the file is a checkpoint dict holding "model_state_dict" or
// "state_dict" (in that order), the entries under it; otherwise every tensor. Then
// options.strip_prefix is removed.
std::map<std::string, Tensor> load_pth_weights(const std::string& path,
                                               const PthOptions& options = {});

// Whether the file starts with the HDF5 signature (an sp state_dict or checkpoint);
// false for missing files.
bool is_hdf5_file(const std::string& path);

}  // namespace sp::nn
