// LightGlue inference on the CPU against bench/lightglue_torch.py (same cases, same names,
// same inputs): the official DISK weights matching one HPatches pair's DISK features
// (tests/reference/lightglue_official.py's file, every (2048 / n)-th keypoint of each
// image) at n = 512, 1024 and 2048 keypoints, adaptive (depth 0.95, width 0.99) and full
// (-1, -1). Prints JSON {name: {"ms": median, "min_ms": minimum, "cpu_ms": CPU time per
// call, "stop": layers run}}; threads are OpenMP's. scripts/run-lightglue-bench.sh runs both.
// Usage: lightglue_bench --weights disk_lightglue.pth --features reference.h5
//                        [--pair v_graffiti/1_2] [--repeats 5] [--filter substring]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "models/lightglue.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"

namespace {

using namespace sp;

features::Features view(const std::map<std::string, Tensor>& f, const std::string& pair,
                        const std::string& v, int64_t n) {
  const Tensor k = f.at(pair + "/keypoints" + v), d = f.at(pair + "/descriptors" + v);
  const int64_t step = std::max<int64_t>(1, k.size(0) / n);
  const Tensor idx = arange(0.0, double(std::min(k.size(0), step * n)), double(step));
  features::ImageFeatures im;
  im.keypoints = index_select(k, 0, idx).contiguous();
  im.descriptors = index_select(d, 0, idx).contiguous();
  im.scores = zeros({im.keypoints.size(0)});
  features::Features b = features::pad({im});
  b.image_size = f.at(pair + "/image_size" + v).to(DType::F32).view({1, 2});
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::string weights, file, pair = "v_graffiti/1_2", filter;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--weights")) weights = argv[i + 1];
    if (!std::strcmp(argv[i], "--features")) file = argv[i + 1];
    if (!std::strcmp(argv[i], "--pair")) pair = argv[i + 1];
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--filter")) filter = argv[i + 1];
  }
  try {
    const std::map<std::string, Tensor> f = io::read_all(file);
    ag::NoGradGuard no_grad;
    std::printf("{");
    bool first = true;
    for (const char* mode : {"adaptive", "full"}) {
      models::LightGlueConfig c;
      const bool adaptive = std::string(mode) == "adaptive";
      c.depth_confidence = adaptive ? 0.95 : -1;
      c.width_confidence = adaptive ? 0.99 : -1;
      c = models::LightGlueConfig::from_weights(weights, c);
      models::LightGlue lg(c);
      lg.load_pretrained(weights);
      lg.eval();
      for (int64_t n : {512, 1024, 2048}) {
        const std::string name = "lightglue_" + std::string(mode) + "_" + std::to_string(n);
        if (!filter.empty() && name.find(filter) == std::string::npos) continue;
        const features::Features f0 = view(f, pair, "0", n), f1 = view(f, pair, "1", n);
        int64_t stop = 0;
        auto run = [&] { stop = lg.infer(f0, f1).stop; };
        run();  // warm-up
        std::vector<double> ms;
        const std::clock_t c0 = std::clock();
        for (int r = 0; r < repeats; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          run();
          ms.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count());
        }
        const double cpu = 1e3 * double(std::clock() - c0) / CLOCKS_PER_SEC / repeats;
        std::sort(ms.begin(), ms.end());
        std::printf("%s\"%s\": {\"ms\": %.3f, \"min_ms\": %.3f, \"cpu_ms\": %.3f, \"stop\": %lld}",
                    first ? "" : ", ", name.c_str(), ms[ms.size() / 2], ms.front(), cpu,
                    (long long)stop);
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %.1f ms (min %.1f, cpu %.1f), stop %lld\n", name.c_str(),
                     ms[ms.size() / 2], ms.front(), cpu, (long long)stop);
        first = false;
      }
    }
    std::printf("}\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lightglue_bench: %s\n", e.what());
    return 1;
  }
}
