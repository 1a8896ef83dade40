#include "data/shapes_cache.h"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "tensor/check.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::data {

namespace {

constexpr const char* kFormat = "sp-synthetic-shapes-1";

// The generation parameters a cached file must match to be reused.
struct Signature {
  int64_t canvas_height, canvas_width, blur_size, height, width, count;
  uint64_t seed;
};

Signature signature_of(const ShapesConfig& c, int64_t count, uint64_t seed) {
  return {c.canvas_height, c.canvas_width, c.blur_size, c.height, c.width, count, seed};
}

void render_range(Primitive primitive, Split split, const ShapesConfig& config, uint64_t seed,
                  int64_t count, int threads, uint8_t* images, std::vector<Tensor>& points,
                  bool verbose) {
  const int64_t plane = config.height * config.width;
  std::atomic<int64_t> next{0}, done{0};
  std::mutex error_mutex;
  std::string error;
  auto worker = [&] {
    omp_set_num_threads(1);  // one sample per core; nested OpenMP teams would oversubscribe
    for (int64_t i = next++; i < count; i = next++) {
      try {
        ShapeSample s = generate_shape(primitive, config, seed, split, i);
        const float* src = s.image.data<float>();
        uint8_t* dst = images + i * plane;
        for (int64_t k = 0; k < plane; ++k)
          dst[k] = uint8_t(std::lround(std::clamp(src[k], 0.f, 1.f) * 255.f));
        points[size_t(i)] = s.points;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error.empty()) error = e.what();
        next = count;
      }
      ++done;
    }
  };
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  auto start = std::chrono::steady_clock::now();
  while (verbose && done < count && error.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t d = done;
    double rate = d / std::max(secs, 1e-9);
    std::fprintf(stderr, "\rshapes: %s %s %lld/%lld (%.0f/s, ETA %.0f s)   ",
                 primitive_name(primitive), split_name(split), (long long)d, (long long)count, rate,
                 rate > 0 ? (count - d) / rate : 0.0);
  }
  for (auto& t : pool) t.join();
  if (verbose) std::fprintf(stderr, "\n");
  SP_CHECK(error.empty(), "synthetic shapes: generating ", primitive_name(primitive),
           " failed: ", error);
}

}  // namespace

std::string ShapesStore::file_name(Primitive primitive, Split split) {
  return std::string(primitive_name(primitive)) + "_" + split_name(split) + ".h5";
}

ShapesStore ShapesStore::build(Primitive primitive, Split split, int64_t count,
                               const ShapesConfig& config, uint64_t data_seed,
                               const std::string& dir, int threads, bool verbose) {
  SP_CHECK(count >= 0, "ShapesStore: expected a sample count >= 0, got ", count);
  config.validate();
  ShapesStore store;
  std::string path =
      dir.empty() ? "" : (std::filesystem::path(dir) / file_name(primitive, split)).string();
  if (!path.empty() && read(path, count, config, data_seed, store)) return store;

  store.images_ = empty({count, config.height, config.width}, DType::U8);
  std::vector<Tensor> points(static_cast<size_t>(count));
  render_range(primitive, split, config, data_seed, count, threads, store.images_.data<uint8_t>(),
               points, verbose);

  int64_t total = 0;
  store.offsets_ = empty({count + 1}, DType::I64);
  int64_t* off = store.offsets_.data<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    off[i] = total;
    total += points[size_t(i)].size(0);
  }
  off[count] = total;
  store.points_ = empty({total, 2}, DType::F32);
  float* dst = store.points_.data<float>();
  for (int64_t i = 0; i < count; ++i) {
    const Tensor p = points[size_t(i)].contiguous();
    std::copy_n(p.data<float>(), p.numel(), dst + 2 * off[i]);
  }
  if (!path.empty()) {
    std::filesystem::create_directories(dir);
    store.write(path, config, data_seed);
  }
  return store;
}

ShapeSample ShapesStore::get(int64_t index) const {
  SP_CHECK(index >= 0 && index < size(), "ShapesStore: expected an index in [0, ", size(),
           "), got ", index);
  const int64_t h = images_.size(1), w = images_.size(2);
  ShapeSample s;
  s.image = empty({1, h, w}, DType::F32);
  const uint8_t* src = images_.data<uint8_t>() + index * h * w;
  float* dst = s.image.data<float>();
  for (int64_t k = 0; k < h * w; ++k) dst[k] = float(src[k]) / 255.f;
  const int64_t* off = offsets_.data<int64_t>();
  s.points = points_.narrow(0, off[index], off[index + 1] - off[index]).clone();
  return s;
}

void ShapesStore::write(const std::string& path, const ShapesConfig& config,
                        uint64_t data_seed) const {
  Signature sig = signature_of(config, size(), data_seed);
  io::write_atomically(path, [&](io::H5File& f) {
    f.write("images", images_);
    f.write("points", points_);
    f.write("offsets", offsets_);
    f.set_attr("", "format", std::string(kFormat));
    f.set_attr("", "canvas_height", sig.canvas_height);
    f.set_attr("", "canvas_width", sig.canvas_width);
    f.set_attr("", "blur_size", sig.blur_size);
    f.set_attr("", "height", sig.height);
    f.set_attr("", "width", sig.width);
    f.set_attr("", "count", sig.count);
    f.set_attr("", "seed", std::to_string(sig.seed));
  });
}

bool ShapesStore::read(const std::string& path, int64_t count, const ShapesConfig& config,
                       uint64_t data_seed, ShapesStore& out) {
  if (!std::filesystem::exists(path)) return false;
  io::H5File f(path, io::H5File::Mode::Read);
  SP_CHECK(f.has_attr("", "format") && f.attr_string("", "format") == kFormat,
           "synthetic shapes cache: expected a ", kFormat, " file at ", path,
           "; hint: delete it or choose another cache folder");
  Signature want = signature_of(config, count, data_seed);
  bool same = f.attr_int("", "canvas_height") == want.canvas_height &&
              f.attr_int("", "canvas_width") == want.canvas_width &&
              f.attr_int("", "blur_size") == want.blur_size &&
              f.attr_int("", "height") == want.height && f.attr_int("", "width") == want.width &&
              f.attr_int("", "count") == want.count &&
              f.attr_string("", "seed") == std::to_string(want.seed);
  if (!same) return false;  // other generation parameters: regenerate and replace
  out.images_ = f.read("images");
  out.points_ = f.read("points");
  out.offsets_ = f.read("offsets");
  SP_CHECK(out.images_.dtype() == DType::U8 && out.images_.dim() == 3 &&
               out.images_.size(0) == count && out.offsets_.numel() == count + 1 &&
               out.points_.dim() == 2 && out.points_.size(1) == 2,
           "synthetic shapes cache: inconsistent datasets in ", path, " (images ",
           out.images_.shape(), ", offsets ", out.offsets_.shape(), ", points ",
           out.points_.shape(), "); hint: delete the file");
  return true;
}

}  // namespace sp::data
