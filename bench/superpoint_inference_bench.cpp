// SuperPoint inference latency, batch 1: the network forward (no grad, eval) plus the
// detector decoding and descriptor sampling of models::detect (softmax, depth-to-space,
// max-pool NMS, threshold, border, top-k, bilinear L2-normalized descriptors), until the
// results are ready on the host's side of a synchronize. bench/superpoint_inference_torch.py
// does the same in PyTorch ([SG]'s SuperPoint post-processing); `scripts/gpu-check.sh bench`
// runs both on a GPU. Weights and image are deterministic formulas shared with the Python twin, so
// both find the same keypoints (the keypoint counts are printed to check it).
//   superpoint_inference_bench [--json OUT] [--device cpu|cuda] [--warmup 3] [--iters 15] [--tf32]
// --tf32: TF32 tensor cores for the convolutions (PyTorch's cuDNN default; off here, and
// in the twin unless it gets --tf32 too).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "models/superpoint.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"

namespace {

using namespace sp;

// Parameter j (state_dict order), element i: 0.5 sin(0.37 i + 1.3 j) / sqrt(fan_in), the
// formula of tests/reference/models_superpoint.py.
void fill_deterministic(models::SuperPoint& net) {
  auto params = net.named_parameters();
  for (size_t j = 0; j < params.size(); ++j) {
    const std::string& name = params[j].first;
    Tensor p = params[j].second.data();
    Tensor w = name.ends_with(".bias")
                   ? net.state_dict().at(name.substr(0, name.size() - 4) + "weight")
                   : p;
    const double fan_in = double(w.numel() / w.size(0));
    std::vector<float> v(size_t(p.numel()));
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = float(0.5 * std::sin(0.37 * double(i) + 1.3 * double(j)) / std::sqrt(fan_in));
    p.copy_(from_vector<float>(v, p.shape()).to(p.device()));
  }
}

// A textured test image in [0, 1]: smooth waves plus a 16-pixel checkerboard.
Tensor test_image(int64_t h, int64_t w) {
  std::vector<float> v(size_t(h * w));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      v[size_t(y * w + x)] =
          float(0.5 + 0.25 * std::sin(0.21 * double(x)) * std::cos(0.17 * double(y)) +
                0.25 * double(((x / 16) + (y / 16)) % 2) - 0.125);
  return from_vector<float>(v, Shape{1, 1, h, w});
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string json, device_name = "cpu";  // no --json: the table on stdout only
  int warmup = 3, iters = 15;
  bool tf32 = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("expected a value after " + a);
      return argv[++i];
    };
    if (a == "--json")
      json = next();
    else if (a == "--device")
      device_name = next();
    else if (a == "--warmup")
      warmup = std::stoi(next());
    else if (a == "--iters")
      iters = std::stoi(next());
    else if (a == "--tf32")
      tf32 = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--json OUT] [--device cpu|cuda] [--warmup N] [--iters N] [--tf32]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    const Device device = device_name == "cuda" ? cuda_device(0) : kCPU;
    cuda::set_allow_tf32(tf32);
    models::SuperPointConfig config;
    config.top_k = 1000;
    config.nms = "maxpool";
    models::SuperPoint net(config);
    net.eval();
    net.to(device);
    fill_deterministic(net);
    ag::NoGradGuard no_grad;
    std::ostringstream out;
    out << "{\n  \"framework\": \"sp\",\n  \"device\": \"" << device_name
        << "\",\n  \"tf32\": " << (tf32 ? "true" : "false") << ",\n  \"results\": [\n";
    bool first = true;
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{240, 320}, {480, 640}}) {
      Tensor image = test_image(h, w).to(device);
      int64_t keypoints = 0;
      auto run = [&] {
        auto [logits, descriptors] = net.forward_image(ag::Var(image));
        std::vector<models::Detections> d =
            models::detect(logits.data(), descriptors.data(), config.detect_config());
        keypoints = d[0].keypoints.size(0);
        if (device.is_cuda()) cuda::synchronize(0);
      };
      for (int i = 0; i < warmup; ++i) run();
      std::vector<double> ms;
      for (int i = 0; i < iters; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        run();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      std::printf("infer/%lldx%lld  median %8.3f ms  min %8.3f ms  keypoints %lld\n", (long long)h,
                  (long long)w, median(ms), *std::min_element(ms.begin(), ms.end()),
                  (long long)keypoints);
      out << (first ? "" : ",\n") << "    {\"name\": \"infer/" << h << "x" << w
          << "\", \"median_ms\": " << median(ms)
          << ", \"min_ms\": " << *std::min_element(ms.begin(), ms.end())
          << ", \"keypoints\": " << keypoints << "}";
      first = false;
    }
    out << "\n  ]\n}\n";
    if (!json.empty()) {
      std::ofstream file(json);
      file << out.str();
      if (!file) throw std::runtime_error("could not write " + json);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "superpoint_inference_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
