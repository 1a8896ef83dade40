// A store of generated Synthetic Shapes (spec 1.1 "generated offline once per primitive
// and cached"; `cache_in_memory: true` in both reference configs).
//
// Generating one sample costs tens of milliseconds (the 960x1280 canvas and its 21x21
// blur), far below what a training step consumes, so training reads a store instead:
// every sample of (primitive, split) rendered once on worker threads, kept as u8 images
// (the reference stores uint8 PNGs) and f32 points. With a folder the store is also
// written to `<dir>/<primitive>_<split>.h5` (atomically) and reused by later runs when
// its recorded generation parameters match; otherwise it is regenerated.
#pragma once

#include <cstdint>
#include <string>

#include "data/synthetic_shapes.h"
#include "tensor/tensor.h"

namespace sp::data {

class ShapesStore {
 public:
  // Renders (or loads from `dir`, if not empty) samples [0, count) of primitive/split.
  // threads <= 0: hardware concurrency. Progress goes to stderr when `verbose`.
  static ShapesStore build(Primitive primitive, Split split, int64_t count,
                           const ShapesConfig& config, uint64_t data_seed,
                           const std::string& dir = "", int threads = 0, bool verbose = false);

  int64_t size() const { return images_.size(0); }
  // Sample i: image [1, H, W] f32 in [0, 1] (from u8), points [N, 2] f32 (x, y).
  ShapeSample get(int64_t index) const;

  // The file a store of these arguments is cached in (inside `dir`).
  static std::string file_name(Primitive primitive, Split split);

 private:
  void write(const std::string& path, const ShapesConfig& config, uint64_t data_seed) const;
  static bool read(const std::string& path, int64_t count, const ShapesConfig& config,
                   uint64_t data_seed, ShapesStore& out);

  Tensor images_;   // [count, H, W] u8
  Tensor points_;   // [total, 2] f32
  Tensor offsets_;  // [count + 1] i64: points of sample i are rows offsets[i] .. offsets[i+1]
};

}  // namespace sp::data
