#include "nn/init.h"

#include <cmath>

namespace sp::nn::init {
namespace {

void check_floating_param(const Tensor& t, const char* what) {
  check_defined(t, what);
  SP_CHECK(is_floating(t.dtype()), what, ": expected a floating tensor, got ", t.dtype());
}

int64_t fan(const Shape& shape, const std::string& mode) {
  auto [in, out] = fans(shape);
  SP_CHECK(mode == "fan_in" || mode == "fan_out", "init: expected mode fan_in or fan_out, got '",
           mode, "'");
  return mode == "fan_in" ? in : out;
}

}  // namespace

std::pair<int64_t, int64_t> fans(const Shape& s) {
  SP_CHECK(s.rank() >= 2, "init: expected a weight of rank >= 2 for fan in/out, got ", s);
  int64_t receptive = 1;
  for (int d = 2; d < s.rank(); ++d) receptive *= s[d];
  return {s[1] * receptive, s[0] * receptive};
}

double gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "sigmoid" || nl.rfind("conv", 0) == 0) return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nl == "selu") return 3.0 / 4.0;
  SP_FAIL(
      "init: expected a nonlinearity of linear, conv*, sigmoid, tanh, relu, leaky_relu or selu, "
      "got '",
      nl, "'");
}

Tensor& uniform_(Tensor& t, double low, double high, Generator& gen) {
  check_floating_param(t, "init.uniform_");
  return sp::uniform_(t, low, high, gen);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  check_floating_param(t, "init.normal_");
  return sp::normal_(t, mean, std, gen);
}

Tensor& constant_(Tensor& t, double value) {
  check_defined(t, "init.constant_");
  return t.fill_(value);
}

Tensor& kaiming_uniform_(Tensor& t, double a, const std::string& mode, const std::string& nl,
                         Generator& gen) {
  double bound = gain(nl, a) * std::sqrt(3.0 / double(fan(t.shape(), mode)));
  return init::uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, const std::string& mode, const std::string& nl,
                        Generator& gen) {
  return init::normal_(t, 0.0, gain(nl, a) / std::sqrt(double(fan(t.shape(), mode))), gen);
}

Tensor& xavier_uniform_(Tensor& t, double g, Generator& gen) {
  auto [in, out] = fans(t.shape());
  double bound = g * std::sqrt(6.0 / double(in + out));
  return init::uniform_(t, -bound, bound, gen);
}

Tensor& xavier_normal_(Tensor& t, double g, Generator& gen) {
  auto [in, out] = fans(t.shape());
  return init::normal_(t, 0.0, g * std::sqrt(2.0 / double(in + out)), gen);
}

void default_linear_init(Tensor& weight, Tensor& bias, Generator& gen) {
  kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
  if (bias.defined()) {
    int64_t fan_in = fans(weight.shape()).first;
    double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

}  // namespace sp::nn::init
