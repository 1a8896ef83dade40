// PyTorch .pth files (nn/pth.cpp, nn/pickle.cpp), shared by pth_zip_fuzz (the zip
// format of torch >= 1.6) and pth_legacy_fuzz (the legacy format: a sequence of
// pickles followed by raw storages).
//
// load_pth, load_pth_weights with a select and a prefix, and load_weights into a
// Linear(2, 3) as `model.pretrained=x.pth` does. Property: every tensor read is a view
// inside its storage, so materializing it (contiguous) reads only memory it owns.
#pragma once

#include <cstring>

#include "fuzz_util.h"
#include "nn/linear.h"
#include "nn/pth.h"

namespace sp::fuzz {

inline void touch(const std::map<std::string, Tensor>& tensors) {
  for (const auto& [key, t] : tensors) {
    SP_FUZZ_ASSERT(t.defined() && t.is_cpu());
    Tensor c = t.contiguous();
    volatile uint8_t sum = 0;
    const auto* p = static_cast<const uint8_t*>(c.data_ptr());
    for (size_t i = 0; i < c.nbytes(); ++i) sum = uint8_t(sum + p[i]);
  }
}

inline void fuzz_pth(const uint8_t* data, size_t size) {
  static const std::string path = temp_path("model.pth");
  write_file(path, data, size);
  std::map<std::string, Tensor> all;
  if (!accepts([&] { all = nn::load_pth(path); })) return;
  touch(all);
  accepts([&] {
    touch(nn::load_pth_weights(path, {.select = "state_dict", .strip_prefix = "module."}));
  });
  accepts([&] { touch(nn::load_pth_weights(path)); });
  nn::Linear linear(2, 3);
  accepts([&] { nn::load_weights(linear, path, false); });
}

}  // namespace sp::fuzz
