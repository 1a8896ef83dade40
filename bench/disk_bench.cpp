// DISK timings against bench/disk_torch.py (kornia's DISK, DISK's match.py logic in
// PyTorch); scripts/run-disk-bench.sh alternates the two and keeps medians and minima.
//   disk_bench extract [--weights FILE] [--size 1024] [--device cpu|cuda] [--iters 5]
//       DISK.extract of one RGB image (U-Net, NMS, top-2048, descriptors), no grad.
//   disk_bench match [--keypoints 2048] [--pairs 16] [--device cpu|cuda] [--iters 5]
//       spmatch's matching (mutual NN, ratio 0.95, in both directions) of `pairs` pairs
//       of random unit 128-D descriptors, batched as spmatch batches them, per pair.
// Prints one line: "<mode> <device> median_ms min_ms <what>".
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "features/nearest_neighbor.h"
#include "models/disk.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace {

using namespace sp;

// The image of bench/disk_torch.py: smooth waves per channel plus a 16-pixel checkerboard.
Tensor test_image(int64_t size) {
  std::vector<float> v(size_t(3 * size * size));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x)
        v[size_t((c * size + y) * size + x)] =
            float(0.5 + 0.25 * std::sin(0.21 * double(x) + double(c)) * std::cos(0.17 * double(y)) +
                  0.25 * double(((x / 16) + (y / 16)) % 2) - 0.125);
  return from_vector<float>(v, Shape{1, 3, size, size});
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void sync(Device d) {
  if (d.is_cuda()) cuda::synchronize(d.index);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: disk_bench extract|match [options]\n");
    return 2;
  }
  const std::string mode = argv[1];
  std::string weights, device_name = "cpu";
  int64_t size = 1024, keypoints = 2048, pairs = 16;
  int iters = 5, warmup = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("expected a value after " + a);
      return argv[++i];
    };
    if (a == "--weights")
      weights = next();
    else if (a == "--size")
      size = std::stoll(next());
    else if (a == "--keypoints")
      keypoints = std::stoll(next());
    else if (a == "--pairs")
      pairs = std::stoll(next());
    else if (a == "--device")
      device_name = next();
    else if (a == "--iters")
      iters = std::stoi(next());
    else if (a == "--warmup")
      warmup = std::stoi(next());
    else
      throw std::runtime_error("unknown option " + a);
  }
  const Device device = device_name == "cpu" ? Device(kCPU) : Device::parse(device_name);
  ag::NoGradGuard no_grad;
  std::vector<double> ms;
  std::string what;
  if (mode == "extract") {
    models::DiskConfig c;
    c.max_keypoints = 2048;
    models::DISK disk(c);
    if (!weights.empty()) disk.load_pretrained(weights);
    disk.to(device);
    disk.eval();
    const Tensor image = test_image(size).to(device);
    int64_t found = 0;
    for (int i = 0; i < warmup + iters; ++i) {
      sync(device);
      const auto t0 = std::chrono::steady_clock::now();
      const features::Features f = disk.extract(image);
      found = f.counts()[0];
      sync(device);
      const double t =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (i >= warmup) ms.push_back(t);
    }
    what =
        std::to_string(size) + "x" + std::to_string(size) + " keypoints " + std::to_string(found);
  } else if (mode == "match") {
    features::NearestNeighborOptions o;
    o.ratio_threshold = 0.95;
    auto unit = [&](uint64_t seed) {
      Generator gen(seed);
      Tensor d = randn({pairs, keypoints, 128}, gen);
      d = d / sqrt(sum(d * d, {2}, true));
      return d.to(device);
    };
    const Tensor d0 = unit(1), d1 = unit(2);
    int64_t matched = 0;
    for (int i = 0; i < warmup + iters; ++i) {
      sync(device);
      const auto t0 = std::chrono::steady_clock::now();
      const features::Matches m = features::match_nearest_neighbors(d0, d1, Tensor(), Tensor(), o);
      matched = sum((m.matches0 >= Scalar(int64_t(0))).to(DType::I64)).item<int64_t>();
      const double t =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (i >= warmup) ms.push_back(t / double(pairs));
    }
    what = std::to_string(keypoints) + " keypoints, per pair, batch " + std::to_string(pairs) +
           ", matches " + std::to_string(matched / pairs);
  } else {
    throw std::runtime_error("mode: extract | match, got " + mode);
  }
  std::printf("%s %s %.2f %.2f %s\n", mode.c_str(), device_name.c_str(), median(ms),
              *std::min_element(ms.begin(), ms.end()), what.c_str());
  return 0;
}
