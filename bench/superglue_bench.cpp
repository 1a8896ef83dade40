// SuperGlue on the CPU (or a GPU) against bench/superglue_torch.py (the public model code
// in PyTorch); scripts/run-superglue-bench.sh alternates the two.
//   superglue_bench infer [--keypoints 1024] [--iters 5] [--device cpu|cuda]
//       SuperGlue::match of one pair (18 layers, 100 Sinkhorn iterations), no grad.
//   superglue_bench train [--batch 4] [--keypoints 1024] [--checkpointed 0|1] [--iters 3]
//       one training step: forward in train mode, Glue Factory's loss, backward (no
//       optimizer update), random features with half of the points matched.
// Prints "<mode> <device> median_ms min_ms <what>", and for train the process's peak
// resident memory (ru_maxrss) and its resident memory before the first step.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "models/superglue.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace {

using namespace sp;

struct Args {
  std::string mode = "infer";
  int64_t keypoints = 1024, batch = 4, iters = 0;
  bool checkpointed = true;
  Device device = kCPU;
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc > 1) a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--keypoints")
      a.keypoints = std::stoll(v);
    else if (k == "--batch")
      a.batch = std::stoll(v);
    else if (k == "--iters")
      a.iters = std::stoll(v);
    else if (k == "--checkpointed")
      a.checkpointed = v != "0";
    else if (k == "--device")
      a.device = Device::parse(v);
    else
      throw std::runtime_error("superglue_bench: unknown option " + k);
  }
  if (a.iters <= 0) a.iters = a.mode == "infer" ? 5 : 3;
  return a;
}

// Random features of B images of 640 x 480 with N keypoints each.
features::Features random_features(int64_t B, int64_t N, Generator& gen, Device dev) {
  features::Features f;
  f.keypoints = (rand({B, N, 2}, gen) * from_vector<float>({639.f, 479.f}, Shape{2})).to(dev);
  f.scores = rand({B, N}, gen).to(dev);
  Tensor d = randn({B, N, 256}, gen);
  f.descriptors = (d / norm(d, 2.0, {2}, true)).to(dev);
  f.mask = ones({B, N}, DType::Bool, dev);
  f.image_size =
      from_vector<float>({640.f, 480.f}, Shape{1, 2}).expand({B, 2}).contiguous().to(dev);
  return f;
}

double resident_mib() {  // current VmRSS
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

double peak_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

void sync(Device d) {
  if (d.is_cuda()) cuda::synchronize(0);
}

void report(const Args& a, std::vector<double> ms, const std::string& what) {
  std::sort(ms.begin(), ms.end());
  std::printf("%s %s %.1f %.1f %s\n", a.mode.c_str(), a.device.is_cuda() ? "cuda" : "cpu",
              ms[ms.size() / 2], ms.front(), what.c_str());
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  Generator gen(7, 0);
  models::SuperGlue sg{models::SuperGlueConfig{}};
  sg.to(a.device);
  const int64_t N = a.keypoints;
  std::vector<double> ms;
  if (a.mode == "infer") {
    sg.eval();
    const features::Features f0 = random_features(1, N, gen, a.device);
    const features::Features f1 = random_features(1, N, gen, a.device);
    sg.match(f0, f1);  // warm-up
    for (int64_t i = 0; i < a.iters; ++i) {
      sync(a.device);
      const auto t0 = std::chrono::steady_clock::now();
      sg.match(f0, f1);
      sync(a.device);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    report(a, ms, "keypoints=" + std::to_string(N));
    return 0;
  }
  if (a.mode != "train") throw std::runtime_error("superglue_bench: expected infer or train");
  models::SuperGlueConfig c;
  c.checkpointed = a.checkpointed;
  models::SuperGlue model(c);
  model.to(a.device);
  model.train();
  const int64_t B = a.batch;
  features::NamedTensors t;
  random_features(B, N, gen, a.device).put(t, "0");
  random_features(B, N, gen, a.device).put(t, "1");
  models::Batch batch = models::make_batch(t);
  // Half of the points matched (i <-> i), the rest unmatched.
  const Tensor idx = arange(N, DType::I64).view({1, N}).expand({B, N}).contiguous();
  const Tensor gt = where(idx < Scalar(N / 2), idx, Scalar(int64_t(-1))).to(a.device);
  batch.set("gt_matches0", gt);
  batch.set("gt_matches1", gt);
  const double before = resident_mib();
  for (int64_t i = 0; i < a.iters; ++i) {
    sync(a.device);
    const auto t0 = std::chrono::steady_clock::now();
    model.zero_grad();
    const models::Losses l = model.loss(model.run(batch), batch);
    ag::backward(l.total);
    sync(a.device);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  report(a, ms,
         "batch=" + std::to_string(B) + " keypoints=" + std::to_string(N) +
             " checkpointed=" + std::to_string(int(a.checkpointed)) +
             " rss_before_mib=" + std::to_string(int64_t(before)) +
             " peak_rss_mib=" + std::to_string(int64_t(peak_mib())));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
