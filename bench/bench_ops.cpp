// CPU op benchmarks (Google Benchmark). Names match bench/torch_cpu.py so that
// scripts/run-bench.sh can pair them; each case reports GFLOP/s.
#include <benchmark/benchmark.h>

#include <string>

#include "tensor/ops/conv.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/matmul.h"

namespace {

using sp::Tensor;

Tensor filled(const sp::Shape& shape) {
  // Deterministic, non-trivial values (the timing does not depend on them).
  Tensor t = sp::arange(0.0, double(sp::numel(shape)), 1.0, sp::DType::F32).reshape(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = float((i * 7919) % 1000) / 1000.0f - 0.5f;
  return t;
}

void set_gflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// SuperPoint's 3x3, pad-1, batch-1 convolutions: args (in, out, height, width).
void BM_Conv2d(benchmark::State& state, int64_t cin, int64_t cout, int64_t h, int64_t w) {
  Tensor x = filled({1, cin, h, w}), weight = filled({cout, cin, 3, 3}), bias = filled({cout});
  for (auto _ : state) {
    Tensor y = sp::conv2d(x, weight, bias, {.padding = {1, 1}});
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_gflops(state, 2.0 * double(cout * cin * 9 * h * w));
}
// The input gradient of the same layers (the backward pass's data path).
void BM_Conv2dGradInput(benchmark::State& state, int64_t cin, int64_t cout, int64_t h, int64_t w) {
  Tensor grad_out = filled({1, cout, h, w}), weight = filled({cout, cin, 3, 3});
  for (auto _ : state) {
    Tensor g = sp::conv2d_backward_input(grad_out, {1, cin, h, w}, weight, {.padding = {1, 1}});
    benchmark::DoNotOptimize(g.data_ptr());
  }
  set_gflops(state, 2.0 * double(cout * cin * 9 * h * w));
}
// The weight gradient of the same layers.
void BM_Conv2dGradWeight(benchmark::State& state, int64_t cin, int64_t cout, int64_t h, int64_t w) {
  Tensor grad_out = filled({1, cout, h, w}), input = filled({1, cin, h, w});
  for (auto _ : state) {
    Tensor g = sp::conv2d_backward_weight(grad_out, input, {cout, cin, 3, 3}, {.padding = {1, 1}});
    benchmark::DoNotOptimize(g.data_ptr());
  }
  set_gflops(state, 2.0 * double(cout * cin * 9 * h * w));
}
// The im2col product of the 64->64 layer: [64, 576] x [576, 76800].
void BM_Matmul(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  Tensor a = filled({m, k}), b = filled({k, n});
  for (auto _ : state) {
    Tensor c = sp::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_gflops(state, 2.0 * double(m * k * n));
}
}  // namespace

int main(int argc, char** argv) {
  // SuperPoint's 3x3 layers: the forward of each; both gradients of those with more than
  // one input channel (the Winograd ones).
  struct Layer {
    const char* shape;
    int64_t cin, cout, h, w;
  };
  const Layer layers[] = {{"1x64@240x320", 1, 64, 240, 320},
                          {"64x64@240x320", 64, 64, 240, 320},
                          {"64x128@60x80", 64, 128, 60, 80},
                          {"128x256@30x40", 128, 256, 30, 40}};
  using ConvBench = void (*)(benchmark::State&, int64_t, int64_t, int64_t, int64_t);
  struct Kind {
    const char* prefix;
    ConvBench run;
    bool gradient;
  };
  for (const Kind& kind :
       {Kind{"conv2d/", BM_Conv2d, false}, Kind{"conv2d_grad_input/", BM_Conv2dGradInput, true},
        Kind{"conv2d_grad_weight/", BM_Conv2dGradWeight, true}})
    for (const Layer& l : layers)
      if (!kind.gradient || l.cin > 1)
        benchmark::RegisterBenchmark((std::string(kind.prefix) + l.shape).c_str(), kind.run, l.cin,
                                     l.cout, l.h, l.w)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
  benchmark::RegisterBenchmark("matmul/64x576x76800", BM_Matmul, 64, 576, 76800)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
