// CUDA f32 timings of SuperPoint's convolutions, alone (forward, forward+backward), as
// the whole network (forward+backward), and one joint training step of models::SuperPoint
// on `--batch` image pairs ("train/superpoint joint step": forward of both images,
// detector losses of both plus the dense descriptor loss, backward, Adam step), for
// comparison with bench/gpu_superpoint_torch.py
// (same case names, same method; scripts/gpu-bench.sh pairs them). Each case runs
// `--warmup` untimed iterations, then `--iters` iterations each timed with CUDA events on
// sp's compute stream; stdout gets a line per case, the JSON (with --json) median, min
// and mean milliseconds.
//   gpu_superpoint_bench [--json out.json] [--batch 64] [--height 240] [--width 320]
//                        [--warmup 5] [--iters 20] [--tf32] [--filter substring] [--cpu]
// --cpu runs the same cases on the CPU timed with a host clock (a smoke test of the
// bench itself on machines without a GPU; use small --batch/--height/--width).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "autograd/functions/conv.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/grad_mode.h"
#include "models/superpoint.h"
#include "nn/functional.h"
#include "nn/layers.h"
#include "nn/optim/adam.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "timing.h"

namespace {

using sp::Tensor;
using sp::ag::Var;

struct Options {
  std::string json;
  int64_t batch = 64, height = 240, width = 320;
  int warmup = 5, iters = 20;
  bool tf32 = false;
  std::string filter;
  bool cpu = false;
  sp::Device device() const { return cpu ? sp::kCPU : sp::cuda_device(0); }
};

struct Result {
  std::string name;
  double median_ms, min_ms, mean_ms;
  int iters;
};

Result time_case(const std::string& name, const Options& o, const std::function<void()>& before,
                 const std::function<void()>& step) {
  for (int i = 0; i < o.warmup; ++i) {
    before();
    step();
  }
  const std::vector<double> ms = o.cpu ? sp::bench::host_times(o.iters, before, step)
                                       : sp::bench::cuda_times(o.iters, before, step);
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double sum = 0;
  for (double v : ms) sum += v;
  Result r{name, median, sorted.front(), sum / double(n), o.iters};
  std::printf("%-44s median %9.3f ms  min %9.3f ms\n", name.c_str(), r.median_ms, r.min_ms);
  std::fflush(stdout);
  return r;
}

struct Layer {
  const char* name;
  int64_t cin, cout, kernel, h, w;  // h, w: the layer's input size at 240x320
  bool input_grad;                  // false for the first layer (the image needs no gradient)
};

// SuperPoint (DeTone et al. 2018): VGG-style encoder with 2x2 max pools after conv1b,
// conv2b and conv3b, then the detector (convPa, convPb) and descriptor (convDa, convDb)
// heads. Layers with identical shapes (conv2a/conv2b, conv4a/conv4b, convPa/convDa)
// are timed once.
const std::vector<Layer>& layers() {
  static const std::vector<Layer> all = {
      {"conv1a", 1, 64, 3, 240, 320, false}, {"conv1b", 64, 64, 3, 240, 320, true},
      {"conv2a", 64, 64, 3, 120, 160, true}, {"conv3a", 64, 128, 3, 60, 80, true},
      {"conv3b", 128, 128, 3, 60, 80, true}, {"conv4a", 128, 128, 3, 30, 40, true},
      {"convPa", 128, 256, 3, 30, 40, true}, {"convPb", 256, 65, 1, 30, 40, true},
      {"convDb", 256, 256, 1, 30, 40, true},
  };
  return all;
}

std::string layer_case(const Layer& l, const Options& o, const char* pass) {
  const int64_t h = l.h * o.height / 240, w = l.w * o.width / 320;
  return std::string("layer/") + l.name + " " + std::to_string(l.cin) + "->" +
         std::to_string(l.cout) + " k" + std::to_string(l.kernel) + " @" + std::to_string(h) + "x" +
         std::to_string(w) + " " + pass;
}

Tensor random_input(const sp::Shape& shape, sp::Device device) {
  sp::Generator gen(1234);
  return sp::randn(shape, gen, sp::DType::F32, device);
}

// The SuperPoint network built from nn::Conv2d + relu + max_pool2d.
struct SuperPointNet {
  explicit SuperPointNet(sp::Device device) : device(device) {}
  sp::Device device;
  std::vector<std::shared_ptr<sp::nn::Conv2d>> convs;
  std::shared_ptr<sp::nn::Conv2d> conv(int64_t cin, int64_t cout, int64_t k) {
    auto c = std::make_shared<sp::nn::Conv2d>(cin, cout, k, 1, k / 2);
    c->to(device);
    convs.push_back(c);
    return c;
  }
  std::shared_ptr<sp::nn::Conv2d> c1a = conv(1, 64, 3), c1b = conv(64, 64, 3),
                                  c2a = conv(64, 64, 3), c2b = conv(64, 64, 3),
                                  c3a = conv(64, 128, 3), c3b = conv(128, 128, 3),
                                  c4a = conv(128, 128, 3), c4b = conv(128, 128, 3),
                                  cPa = conv(128, 256, 3), cPb = conv(256, 65, 1),
                                  cDa = conv(128, 256, 3), cDb = conv(256, 256, 1);

  // fused: each conv -> ReLU pair as one ag::conv2d_relu (bias and ReLU in one pass).
  std::pair<Var, Var> forward(const Var& image, bool fused = false) {
    auto layer = [fused](sp::nn::Conv2d& c, const Var& x) {
      if (!fused) return sp::ag::relu(c(x));
      return sp::ag::conv2d_relu(x, c.param("weight"), c.param("bias"),
                                 {{1, 1}, {1, 1}, {1, 1}, 1});
    };
    const sp::Pool2dArgs pool{.kernel = {2, 2}, .stride = {2, 2}};
    Var x = layer(*c1a, image);
    x = layer(*c1b, x);
    x = sp::nn::F::max_pool2d(x, pool);
    x = layer(*c2a, x);
    x = layer(*c2b, x);
    x = sp::nn::F::max_pool2d(x, pool);
    x = layer(*c3a, x);
    x = layer(*c3b, x);
    x = sp::nn::F::max_pool2d(x, pool);
    x = layer(*c4a, x);
    x = layer(*c4b, x);
    Var semi = (*cPb)(layer(*cPa, x));  // [N, 65, H/8, W/8]
    Var desc = (*cDb)(layer(*cDa, x));  // [N, 256, H/8, W/8]
    return {semi, desc};
  }
  void zero_grad() {
    for (auto& c : convs) c->zero_grad();
  }
};

// A synthetic joint-training batch of `pairs` image pairs: uniform images, about 1% of
// the pixels labelled as keypoints, every warp a shift by (4, -3) px (the torch twin
// builds the same kinds of tensors; the values only need to be plausible).
sp::models::Batch joint_batch(const Options& o, int64_t pairs) {
  sp::Generator gen(99);
  const sp::Device dev = o.device();
  const sp::Shape shape{pairs, 1, o.height, o.width};
  auto labels = [&] {
    return sp::lt(sp::rand(shape, gen, sp::DType::F32, dev), 0.01).to(sp::DType::F32);
  };
  sp::models::Batch b("batch");
  b.set("image", sp::rand(shape, gen, sp::DType::F32, dev));
  b.set("labels_2D", labels());
  b.set("warped_image", sp::rand(shape, gen, sp::DType::F32, dev));
  b.set("warped_labels", labels());
  std::vector<double> h;
  for (int64_t i = 0; i < pairs; ++i) h.insert(h.end(), {1, 0, 4, 0, 1, -3, 0, 0, 1});
  b.set("homography", sp::from_vector(h, {pairs, 3, 3}).to(sp::DType::F32).to(dev));
  return b;
}

void time_training_step(const Options& o, std::vector<Result>& results) {
  sp::models::SuperPointConfig config;  // [ML] layout (conv -> ReLU), "ce" detector loss
  sp::models::SuperPoint model(config);
  model.to(o.device());
  model.train();
  sp::nn::optim::Adam adam(model.parameters(), sp::nn::optim::AdamOptions{.lr = 1e-4});
  const sp::models::Batch batch = joint_batch(o, o.batch);
  results.push_back(time_case(
      "train/superpoint joint step", o, [&] { adam.zero_grad(); },
      [&] {
        sp::models::Predictions pred = model.forward(batch);
        sp::models::Losses losses = model.loss(pred, batch);  // reads the loss terms (syncs)
        sp::ag::backward(losses.total);
        adam.step();
      }));
}

std::vector<Result> run(const Options& o) {
  std::vector<Result> results;
  auto wanted = [&](const std::string& name) {
    return o.filter.empty() || name.find(o.filter) != std::string::npos;
  };
  for (const Layer& l : layers()) {
    const int64_t h = l.h * o.height / 240, w = l.w * o.width / 320;
    sp::nn::Conv2d conv(l.cin, l.cout, l.kernel, 1, l.kernel / 2);
    conv.to(o.device());
    Tensor x = random_input({o.batch, l.cin, h, w}, o.device());
    const std::string fwd = layer_case(l, o, "fwd"), fwdbwd = layer_case(l, o, "fwd+bwd");
    if (wanted(fwd)) {
      sp::ag::NoGradGuard no_grad;
      Var xv(x);
      results.push_back(time_case(
          fwd, o, [] {}, [&] { Var y = conv(xv); }));
    }
    if (wanted(fwdbwd)) {
      Tensor grad = random_input({o.batch, l.cout, h, w}, o.device());
      results.push_back(time_case(
          fwdbwd, o, [&] { conv.zero_grad(); },
          [&] {
            Var xv(x, l.input_grad);
            Var y = conv(xv);
            sp::ag::backward(y, grad);
          }));
    }
  }
  const std::string whole = "model/superpoint fwd+bwd", whole_fwd = "model/superpoint fwd";
  // sp only (no torch twin): the same network with ag::conv2d_relu layers.
  const std::string fused = "model/superpoint conv2d_relu fwd+bwd",
                    fused_fwd = "model/superpoint conv2d_relu fwd";
  if (wanted(whole) || wanted(whole_fwd) || wanted(fused) || wanted(fused_fwd)) {
    SuperPointNet net(o.device());
    Tensor image = random_input({o.batch, 1, o.height, o.width}, o.device());
    if (wanted(whole_fwd)) {
      sp::ag::NoGradGuard no_grad;
      results.push_back(time_case(
          whole_fwd, o, [] {}, [&] { auto out = net.forward(Var(image)); }));
    }
    if (wanted(whole))
      results.push_back(time_case(
          whole, o, [&] { net.zero_grad(); },
          [&] {
            auto [semi, desc] = net.forward(Var(image));
            sp::ag::backward(sp::ag::add(sp::ag::sum(semi), sp::ag::sum(desc)));
          }));
    if (wanted(fused_fwd)) {
      sp::ag::NoGradGuard no_grad;
      results.push_back(time_case(
          fused_fwd, o, [] {}, [&] { auto out = net.forward(Var(image), true); }));
    }
    if (wanted(fused))
      results.push_back(time_case(
          fused, o, [&] { net.zero_grad(); },
          [&] {
            auto [semi, desc] = net.forward(Var(image), true);
            sp::ag::backward(sp::ag::add(sp::ag::sum(semi), sp::ag::sum(desc)));
          }));
  }
  if (wanted("train/superpoint joint step")) time_training_step(o, results);
  return results;
}

void write_json(const Options& o, const std::vector<Result>& results) {
  cudaDeviceProp prop{};
  if (o.cpu)
    std::strcpy(prop.name, "cpu");
  else
    sp::bench::check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::ofstream f(o.json);
  if (!f) throw std::runtime_error("gpu_superpoint_bench: cannot write " + o.json);
  f << "{\n  \"framework\": \"sp\",\n  \"device\": \"" << prop.name
    << "\",\n  \"dtype\": \"f32\",\n  \"batch\": " << o.batch << ",\n  \"height\": " << o.height
    << ",\n  \"width\": " << o.width << ",\n  \"tf32\": " << (o.tf32 ? "true" : "false")
    << ",\n  \"warmup\": " << o.warmup << ",\n  \"iters\": " << o.iters << ",\n  \"results\": [\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    char line[512];
    std::snprintf(line, sizeof line,
                  "    {\"name\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"mean_ms\": "
                  "%.4f, \"iters\": %d}%s\n",
                  r.name.c_str(), r.median_ms, r.min_ms, r.mean_ms, r.iters,
                  i + 1 < results.size() ? "," : "");
    f << line;
  }
  f << "  ]\n}\n";
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--json PATH] [--batch N] [--height H] [--width W] [--warmup N] [--iters "
               "N] [--tf32] "
               "[--filter SUBSTRING] [--cpu]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--json")
      o.json = next();
    else if (a == "--batch")
      o.batch = std::stoll(next());
    else if (a == "--height")
      o.height = std::stoll(next());
    else if (a == "--width")
      o.width = std::stoll(next());
    else if (a == "--warmup")
      o.warmup = std::stoi(next());
    else if (a == "--iters")
      o.iters = std::stoi(next());
    else if (a == "--tf32")
      o.tf32 = true;
    else if (a == "--filter")
      o.filter = next();
    else if (a == "--cpu")
      o.cpu = true;
    else
      return usage(argv[0]);
  }
  if (o.iters < 1 || o.warmup < 0 || o.height % 8 || o.width % 8) return usage(argv[0]);
  try {
    if (!o.cpu && !sp::cuda::available()) {
      std::fprintf(stderr, "gpu_superpoint_bench: no usable GPU\n");
      return 1;
    }
    sp::cuda::set_allow_tf32(o.tf32);
    std::printf(
        "sp SuperPoint %s bench: batch %lld, %lldx%lld, f32, tf32 %s, warmup %d, iters %d\n",
        o.cpu ? "CPU" : "CUDA", (long long)o.batch, (long long)o.height, (long long)o.width,
        o.tf32 ? "on" : "off", o.warmup, o.iters);
    const std::vector<Result> results = run(o);
    if (!o.json.empty()) write_json(o, results);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_superpoint_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
