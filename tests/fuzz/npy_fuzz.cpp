// NumPy .npy arrays and .npz archives (data/npy.cpp): MegaDepth's scene info and depth.
//
// Input starting with "PK": an .npz (zip) read by NpzFile, every key through get();
// anything else: one .npy through read_npy. Properties: a numeric array is a CPU tensor
// of one of the promised dtypes (f32, f64, u8, bool holding 0/1, i64) whose shape's
// product is its numel, read in full; an object array holds as many flattened elements
// as its shape's product; the keys are the ones has() knows.
#include <cstring>

#include "data/npy.h"
#include "fuzz_util.h"

namespace {

using sp::DType;
using sp::data::NpyValue;

void check(const NpyValue& v, int depth = 0) {
  SP_FUZZ_ASSERT(depth < 2000);
  switch (v.kind) {
    case NpyValue::Kind::None:
    case NpyValue::Kind::String:
    case NpyValue::Kind::Number:
      break;
    case NpyValue::Kind::Array: {
      const sp::Tensor& t = v.array;
      SP_FUZZ_ASSERT(t.defined() && t.is_cpu());
      const DType dt = t.dtype();
      SP_FUZZ_ASSERT(dt == DType::F32 || dt == DType::F64 || dt == DType::U8 || dt == DType::Bool ||
                     dt == DType::I64);
      int64_t n = 1;
      for (int64_t d : t.shape()) {
        SP_FUZZ_ASSERT(d >= 0);
        n *= d;
      }
      SP_FUZZ_ASSERT(n == t.numel());
      sp::Tensor c = t.contiguous();
      const auto* p = static_cast<const uint8_t*>(c.data_ptr());
      volatile uint8_t sum = 0;
      for (size_t i = 0; i < c.nbytes(); ++i) {
        if (dt == DType::Bool) SP_FUZZ_ASSERT(p[i] <= 1);
        sum = uint8_t(sum + p[i]);
      }
      (void)v.describe();
      break;
    }
    case NpyValue::Kind::Objects: {
      uint64_t n = 1;
      for (int64_t d : v.shape) {
        SP_FUZZ_ASSERT(d >= 0);
        n *= uint64_t(d);
      }
      SP_FUZZ_ASSERT(n == v.items.size());
      for (const NpyValue& item : v.items) check(item, depth + 1);
      (void)v.describe();
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 2 && std::memcmp(data, "PK", 2) == 0) {
    static const std::string path = sp::fuzz::temp_path("scene.npz");
    sp::fuzz::write_file(path, data, size);
    std::unique_ptr<sp::data::NpzFile> z;
    if (!sp::fuzz::accepts([&] { z = std::make_unique<sp::data::NpzFile>(path); })) return 0;
    for (const std::string& key : z->keys()) {
      SP_FUZZ_ASSERT(z->has(key));
      NpyValue v;
      if (sp::fuzz::accepts([&] { v = z->get(key); })) check(v);
    }
    sp::fuzz::accepts([&] { z->get("no such key"); });
  } else {
    static const std::string path = sp::fuzz::temp_path("depth.npy");
    sp::fuzz::write_file(path, data, size);
    NpyValue v;
    if (sp::fuzz::accepts([&] { v = sp::data::read_npy(path); })) check(v);
  }
  return 0;
}
