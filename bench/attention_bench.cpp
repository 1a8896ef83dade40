// CPU timings of the matcher ops against bench/attention_torch.py (same cases, same names):
// fused attention forward and forward+backward (B 1, H 4, d 64, N 512/1024/2048, with and
// without a key-padding mask), LayerNorm [N, 256] forward and forward+backward, and a
// LightGlue-sized transformer layer (self-attention with rotary encoding on both images,
// bidirectional cross-attention, the FFN with LayerNorm and GELU; d 256, 4 heads, N 1024
// per image). Prints JSON {name: {"ms": median, "min_ms": minimum}}; threads are OpenMP's.
// Usage: attention_bench [--repeats 15] [--filter substring]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "autograd/functions/attention.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/rotary.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"

namespace {

using sp::Tensor;
using sp::ag::Var;

Tensor randn(const sp::Shape& shape, uint64_t seed) {
  sp::Generator gen(seed);
  return sp::randn(shape, gen);
}

// Wall-clock median and minimum, and the process CPU time per call (all threads; on a
// shared host it shows the work itself, without the time other processes took).
struct Timing {
  double median, min, cpu;
};

Timing time_it(const std::function<void()>& fn, int repeats) {
  for (int i = 0; i < 3; ++i) fn();  // warm-up (allocator caches, page faults)
  std::vector<double> ms;
  const std::clock_t c0 = std::clock();
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double cpu = 1e3 * double(std::clock() - c0) / CLOCKS_PER_SEC / repeats;
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[0], cpu};
}

// LightGlue's transformer layer at d = 256, 4 heads: the parameters of a self block and a
// cross block (shared by both images), as in matchers.md section 3.1.
struct Layer {
  int64_t d = 256, heads = 4;
  sp::nn::Linear wqkv{256, 768}, self_out{256, 256}, self_ffn1{512, 512}, self_ffn2{512, 256};
  sp::nn::Linear to_qk{256, 256}, to_v{256, 256}, cross_out{256, 256}, cross_ffn1{512, 512},
      cross_ffn2{512, 256};
  sp::nn::LayerNorm self_norm{{512}}, cross_norm{{512}};

  Var ffn(sp::nn::Linear& a, sp::nn::LayerNorm& n, sp::nn::Linear& b, const Var& x, const Var& m) {
    return x + b(sp::ag::gelu(n(a(sp::ag::cat({x, m}, -1)))));
  }
  Var heads_of(const Var& x) {  // [B, N, d] -> [B, H, N, d / H]
    return sp::ag::transpose(sp::ag::reshape(x, {x.size(0), x.size(1), heads, d / heads}), 1, 2);
  }
  Var merge(const Var& x) {  // [B, H, N, d / H] -> [B, N, d]
    return sp::ag::reshape(sp::ag::transpose(x, 1, 2), {x.size(0), x.size(2), d});
  }
  Var self_block(const Var& x, const Var& cos, const Var& sin) {
    const int64_t B = x.size(0), N = x.size(1);
    // channel h * 192 + j * 3 + {q, k, v}
    Var qkv = sp::ag::transpose(sp::ag::reshape(wqkv(x), {B, N, heads, d / heads, 3}), 1, 2);
    Var q = sp::ag::apply_rotary(sp::ag::select(qkv, 4, 0), cos, sin);
    Var k = sp::ag::apply_rotary(sp::ag::select(qkv, 4, 1), cos, sin);
    Var v = sp::ag::select(qkv, 4, 2);
    Var m = self_out(merge(sp::ag::scaled_dot_product_attention(q, k, v)));
    return ffn(self_ffn1, self_norm, self_ffn2, x, m);
  }
  std::pair<Var, Var> cross_block(const Var& x0, const Var& x1) {
    Var qk0 = heads_of(to_qk(x0)), qk1 = heads_of(to_qk(x1)), v0 = heads_of(to_v(x0)),
        v1 = heads_of(to_v(x1));
    Var m0 = cross_out(merge(sp::ag::scaled_dot_product_attention(qk0, qk1, v1)));
    Var m1 = cross_out(merge(sp::ag::scaled_dot_product_attention(qk1, qk0, v0)));
    return {ffn(cross_ffn1, cross_norm, cross_ffn2, x0, m0),
            ffn(cross_ffn1, cross_norm, cross_ffn2, x1, m1)};
  }
  void zero_grad() {
    for (sp::nn::Module* m : std::initializer_list<sp::nn::Module*>{
             &wqkv, &self_out, &self_ffn1, &self_ffn2, &to_qk, &to_v, &cross_out, &cross_ffn1,
             &cross_ffn2, &self_norm, &cross_norm})
      m->zero_grad();
  }
  std::pair<Var, Var> forward(const Var& x0, const Var& x1, const Var& cos0, const Var& sin0,
                              const Var& cos1, const Var& sin1) {
    return cross_block(self_block(x0, cos0, sin0), self_block(x1, cos1, sin1));
  }
};

}  // namespace

int main(int argc, char** argv) {
  int repeats = 15;
  std::string filter;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--filter")) filter = argv[i + 1];
  }
  std::vector<std::pair<std::string, Timing>> results;
  auto run = [&](const std::string& name, const std::function<void()>& fn) {
    if (!filter.empty() && name.find(filter) == std::string::npos) return;
    results.push_back({name, time_it(fn, repeats)});
    std::fprintf(stderr, "%s: %.3f ms (min %.3f, cpu %.3f)\n", name.c_str(),
                 results.back().second.median, results.back().second.min,
                 results.back().second.cpu);
  };

  auto wanted = [&](const std::string& prefix) {
    return filter.empty() || prefix.find(filter) != std::string::npos ||
           filter.find(prefix) != std::string::npos;
  };
  for (int64_t n : {512, 1024, 2048}) {
    for (bool masked : {false, true}) {
      const std::string suffix = "/N" + std::to_string(n) + (masked ? "/mask" : "");
      if (!wanted("attention/fwd" + suffix) && !wanted("attention/fwdbwd" + suffix)) continue;
      Tensor q = randn({1, 4, n, 64}, 1), k = randn({1, 4, n, 64}, 2), v = randn({1, 4, n, 64}, 3);
      Tensor g = randn({1, 4, n, 64}, 4);
      Tensor mask;  // key padding: the last eighth of the keys are padding
      if (masked)
        mask = sp::lt(sp::arange(0.0, double(n), 1.0).reshape({1, 1, 1, n}), double(n - n / 8));
      run("attention/fwd" + suffix, [&] {
        sp::ag::NoGradGuard no_grad;
        sp::ag::scaled_dot_product_attention(Var(q), Var(k), Var(v), mask);
      });
      run("attention/fwdbwd" + suffix, [&] {
        Var qv(q, true), kv(k, true), vv(v, true);
        sp::ag::backward(sp::ag::scaled_dot_product_attention(qv, kv, vv, mask), g);
      });
    }
  }
  for (int64_t n : {1024, 8192}) {
    if (!wanted("layer_norm/")) continue;
    sp::nn::LayerNorm ln({256});
    Tensor x = randn({n, 256}, 5), g = randn({n, 256}, 6);
    const std::string suffix = std::string("/").append(std::to_string(n)).append("x256");
    run("layer_norm/fwd" + suffix, [&] {
      sp::ag::NoGradGuard no_grad;
      ln(Var(x));
    });
    run("layer_norm/fwdbwd" + suffix, [&] {
      Var xv(x, true);
      sp::ag::backward(ln(xv), g);
    });
  }
  if (wanted("lightglue_layer/")) {
    Layer layer;
    const int64_t n = 1024;
    Tensor x0 = randn({1, n, 256}, 7), x1 = randn({1, n, 256}, 8);
    Tensor th0 = randn({1, 1, n, 32}, 9), th1 = randn({1, 1, n, 32}, 10);
    auto twice = [](const Tensor& t) {
      return t.unsqueeze(-1).expand({1, 1, n, 32, 2}).reshape({1, 1, n, 64});
    };
    Tensor c0 = twice(sp::cos(th0)), s0 = twice(sp::sin(th0)), c1 = twice(sp::cos(th1)),
           s1 = twice(sp::sin(th1));
    Tensor g0 = randn({1, n, 256}, 11), g1 = randn({1, n, 256}, 12);
    run("lightglue_layer/fwd/N1024", [&] {
      sp::ag::NoGradGuard no_grad;
      layer.forward(Var(x0), Var(x1), Var(c0), Var(s0), Var(c1), Var(s1));
    });
    run("lightglue_layer/fwdbwd/N1024", [&] {
      Var a(x0, true), b(x1, true);
      auto [y0, y1] = layer.forward(a, b, Var(c0), Var(s0), Var(c1), Var(s1));
      sp::ag::backward(sp::ag::sum(y0 * Var(g0)) + sp::ag::sum(y1 * Var(g1)));
      layer.zero_grad();
    });
  }
  std::printf("{\n");
  for (size_t i = 0; i < results.size(); ++i)
    std::printf(" \"%s\": {\"ms\": %.4f, \"min_ms\": %.4f, \"cpu_ms\": %.4f},\n",
                results[i].first.c_str(), results[i].second.median, results[i].second.min,
                results[i].second.cpu);
  std::printf(" \"_sp\": {\"threads\": %d}\n}\n", omp_get_max_threads());
  return 0;
}
