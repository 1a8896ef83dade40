// CUDA f32 timings of memory-bound tensor ops (elementwise, reductions, softmax, pooling,
// batch norm, permuted copies) with the bandwidth each achieves, for comparison with
// bench/gpu_ops_torch.py (same case names, same method). Each case runs `--warmup`
// untimed iterations, then `--iters` iterations each timed with CUDA events on sp's
// compute stream; the JSON holds median, min and mean milliseconds and GB/s at the
// median. GB/s counts compulsory traffic only: each input read once, each output
// written once (an H100 SXM's HBM3 peaks near 3350 GB/s).
//   gpu_ops_bench --json out.json [--warmup 5] [--iters 20] [--filter substring] [--scale 1]
// --scale divides the big shapes' batch (use 8 or 16 on small GPUs or with --cpu);
// --cpu runs the same cases on the CPU with a host clock (a smoke test of the bench).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/cuda/context.h"
#include "tensor/cuda/reduce.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/pool.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/softmax.h"
#include "timing.h"

namespace {

using sp::Shape;
using sp::Tensor;

struct Options {
  std::string json;
  int warmup = 5, iters = 20;
  int64_t scale = 1;
  std::string filter;
  bool cpu = false;
  sp::Device device() const { return cpu ? sp::kCPU : sp::cuda_device(0); }
};

struct Result {
  std::string name;
  double median_ms, min_ms, mean_ms, gbps;
  int iters;
};

struct Bench {
  const Options& o;
  std::vector<Result> results;

  bool wanted(const std::string& name) const {
    return o.filter.empty() || name.find(o.filter) != std::string::npos;
  }

  // Times `step`, which moves `bytes` compulsory bytes.
  void run(const std::string& name, double bytes, const std::function<void()>& step) {
    if (!wanted(name)) return;
    for (int i = 0; i < o.warmup; ++i) step();
    const std::vector<double> ms = o.cpu ? sp::bench::host_times(
                                               o.iters, [] {}, step)
                                         : sp::bench::cuda_times(
                                               o.iters, [] {}, step);
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    double sum = 0;
    for (double v : ms) sum += v;
    const double gbps = median > 0 ? bytes / (median * 1e-3) / 1e9 : 0;
    results.push_back({name, median, sorted.front(), sum / double(n), gbps, o.iters});
    std::printf("%-52s median %9.4f ms  min %9.4f ms  %8.1f GB/s\n", name.c_str(), median,
                sorted.front(), gbps);
    std::fflush(stdout);
  }
};

std::string dims(const Shape& s) {
  std::ostringstream r;
  r << '[';
  for (int d = 0; d < s.rank(); ++d) r << (d ? "," : "") << s[d];
  r << ']';
  return r.str();
}

void run_all(Bench& b, const Options& o) {
  const sp::Device dev = o.device();
  sp::Generator gen(1234);
  const double f = 4;  // bytes per f32
  // Elementwise: 5.9M and 78.6M floats (SuperPoint activations), contiguous and as a
  // transposed view (the last two dims swapped: a strided read, a contiguous write).
  for (const Shape& s : {Shape{64 / o.scale, 64, 30, 48}, Shape{64 / o.scale, 64, 120, 160}}) {
    const double n = double(sp::numel(s));
    Tensor x = sp::randn(s, gen, sp::DType::F32, dev), y = sp::randn(s, gen, sp::DType::F32, dev);
    for (bool transposed : {false, true}) {
      const Tensor a = transposed ? x.transpose(2, 3) : x, c = transposed ? y.transpose(2, 3) : y;
      std::string tail(" ");
      tail += dims(s);
      if (transposed) tail += " transposed";
      b.run("ew/add" + tail, 3 * n * f, [&] { Tensor r = sp::add(a, c); });
      b.run("ew/mul" + tail, 3 * n * f, [&] { Tensor r = sp::mul(a, c); });
      b.run("ew/relu" + tail, 2 * n * f, [&] { Tensor r = sp::relu(a); });
      // relu's backward as autograd runs it: where(y > 0, g, 0).
      b.run("ew/relu_backward" + tail, 3 * n * f,
            [&] { Tensor r = sp::where(sp::gt(a, 0.0), c, sp::Scalar(0.0)); });
    }
  }
  // Reductions.
  {
    const Shape big{64 / o.scale, 64, 240, 320};
    Tensor small = sp::randn({64 / o.scale, 64, 30, 48}, gen, sp::DType::F32, dev);
    b.run("reduce/sum full " + dims(small.shape()), double(small.numel()) * f,
          [&] { Tensor r = sp::sum(small); });
    Tensor x = sp::randn(big, gen, sp::DType::F32, dev);
    const double n = double(x.numel());
    b.run("reduce/sum full " + dims(big), n * f, [&] { Tensor r = sp::sum(x); });
    b.run("reduce/sum {0,2,3} " + dims(big), n * f, [&] { Tensor r = sp::sum(x, {0, 2, 3}); });
    b.run("reduce/mean dim1 " + dims(big), n * f, [&] { Tensor r = sp::mean(x, {1}); });
    b.run("reduce/amax dim3 " + dims(big), n * f, [&] { Tensor r = sp::amax(x, {3}); });
    // Pooling and batch norm on the same tensor.
    const sp::Pool2dArgs pool{.kernel = {2, 2}, .stride = {2, 2}};
    const double q = n / 4;
    b.run("pool/max_pool2d 2x2 fwd " + dims(big), n * f + q * (f + 8),
          [&] { auto r = sp::max_pool2d(x, pool); });
    const sp::MaxPool2dResult pooled = sp::max_pool2d(x, pool);
    Tensor gp = sp::randn(pooled.values.shape(), gen, sp::DType::F32, dev);
    b.run("pool/max_pool2d 2x2 bwd " + dims(big), q * (f + 8) + n * f,
          [&] { Tensor r = sp::max_pool2d_backward(gp, pooled.indices, big); });
    Tensor w = sp::ones({64}, sp::DType::F32, dev), bias = sp::zeros({64}, sp::DType::F32, dev);
    Tensor rm = sp::zeros({64}, sp::DType::F32, dev), rv = sp::ones({64}, sp::DType::F32, dev);
    b.run("norm/batch_norm train fwd " + dims(big), 2 * n * f,
          [&] { auto r = sp::batch_norm_train(x, w, bias, rm, rv); });
    const sp::BatchNormResult bn = sp::batch_norm_train(x, w, bias, rm, rv);
    Tensor g = sp::randn(big, gen, sp::DType::F32, dev);
    b.run("norm/batch_norm train bwd " + dims(big), 3 * n * f,
          [&] { auto r = sp::batch_norm_backward(g, x, w, bn.save_mean, bn.save_invstd); });
    b.run("copy/contiguous permute(0,2,3,1) " + dims(big), 2 * n * f, [&] {
      Tensor r = x.permute({0, 2, 3, 1}).contiguous();
    });
  }
  // Softmax over the 65 detector channels of SuperPoint's cell grid.
  {
    const Shape s{64 / o.scale, 65, 30, 40};
    Tensor x = sp::randn(s, gen, sp::DType::F32, dev), g = sp::randn(s, gen, sp::DType::F32, dev);
    const double n = double(x.numel());
    b.run("softmax/dim1 fwd " + dims(s), 2 * n * f, [&] { Tensor r = sp::softmax(x, 1); });
    Tensor y = sp::softmax(x, 1);
    Tensor gi = sp::empty(s, sp::DType::F32, dev);
    if (!o.cpu)
      b.run("softmax/dim1 bwd " + dims(s), 3 * n * f,
            [&] { sp::cuda::softmax_backward(gi, g, y, 1, false); });
  }
}

void write_json(const Options& o, const std::vector<Result>& results) {
  cudaDeviceProp prop{};
  if (o.cpu)
    std::strcpy(prop.name, "cpu");
  else
    sp::bench::check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::ofstream out(o.json);
  if (!out) throw std::runtime_error("gpu_ops_bench: cannot write " + o.json);
  out << "{\n  \"framework\": \"sp\",\n  \"device\": \"" << prop.name
      << "\",\n  \"dtype\": \"f32\",\n  \"scale\": " << o.scale << ",\n  \"warmup\": " << o.warmup
      << ",\n  \"iters\": " << o.iters << ",\n  \"results\": [\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    char line[512];
    std::snprintf(line, sizeof line,
                  "    {\"name\": \"%s\", \"median_ms\": %.5f, \"min_ms\": %.5f, \"mean_ms\": "
                  "%.5f, \"gbps\": %.1f, "
                  "\"iters\": %d}%s\n",
                  r.name.c_str(), r.median_ms, r.min_ms, r.mean_ms, r.gbps, r.iters,
                  i + 1 < results.size() ? "," : "");
    out << line;
  }
  out << "  ]\n}\n";
}

int usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s --json PATH [--warmup N] [--iters N] [--filter SUBSTRING] [--scale N] [--cpu]\n",
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
    else if (a == "--warmup")
      o.warmup = std::stoi(next());
    else if (a == "--iters")
      o.iters = std::stoi(next());
    else if (a == "--filter")
      o.filter = next();
    else if (a == "--scale")
      o.scale = std::stoll(next());
    else if (a == "--cpu")
      o.cpu = true;
    else
      return usage(argv[0]);
  }
  if (o.json.empty() || o.iters < 1 || o.warmup < 0 || o.scale < 1 || o.scale > 64)
    return usage(argv[0]);
  try {
    if (!o.cpu && !sp::cuda::available()) {
      std::fprintf(stderr, "gpu_ops_bench: no usable GPU\n");
      return 1;
    }
    std::printf("sp ops %s bench: f32, scale 1/%lld, warmup %d, iters %d\n", o.cpu ? "CPU" : "CUDA",
                (long long)o.scale, o.warmup, o.iters);
    Bench b{o, {}};
    run_all(b, o);
    write_json(o, b.results);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_ops_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
