// NumPy .npy arrays and .npz archives (np.save / np.savez / np.savez_compressed), read
// natively: numeric arrays (little-endian bool, u1, i1/i2/i4/i8, u2/u4, f2/f4/f8, C or
// Fortran order) become tensors; object arrays (allow_pickle: MegaDepth's scene_info
// image_paths, depth_paths, intrinsics, poses) are unpickled by a small subset of the
// pickle machine (protocols 2-5: strings, None, numbers, nested ndarrays, lists/tuples).
// Errors name the file and the array.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace sp::data {

struct NpyValue {
  enum class Kind { None, String, Number, Array, Objects };
  Kind kind = Kind::None;
  std::string string;
  double number = 0;
  Tensor array;                 // Array: numeric data (i64 for integers, f64/f32, u8, bool)
  std::vector<NpyValue> items;  // Objects: flattened elements, row-major
  std::vector<int64_t> shape;   // Objects: the array's shape

  bool is_none() const { return kind == Kind::None; }
  std::string describe() const;  // "None", "str", "f64 array [3, 3]", "object array [12]"
};

// One .npy payload; `what` names it in errors ("scene_info/0015.npz: poses").
NpyValue parse_npy(const std::vector<uint8_t>& bytes, const std::string& what);
NpyValue read_npy(const std::string& path);

class NpzFile {
 public:
  explicit NpzFile(const std::string& path);
  const std::string& path() const { return path_; }
  std::vector<std::string> keys() const;  // array names without ".npy"
  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  // The array `key`; a missing key names the file, the key and the keys present.
  NpyValue get(const std::string& key) const;

 private:
  std::string path_;
  std::map<std::string, std::vector<uint8_t>> entries_;
};

}  // namespace sp::data
