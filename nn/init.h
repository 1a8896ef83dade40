// Parameter initialisation as torch.nn.init does it (bounds and gains identical), with
// sp's Philox generator: the same (seed, offset) gives the same weights on CPU and CUDA.
#pragma once

#include <string>
#include <utility>

#include "tensor/ops/random.h"
#include "tensor/tensor.h"

namespace sp::nn::init {

// (fan_in, fan_out) of a weight [out, in, k...]: in * prod(k), out * prod(k). Rank >= 2.
std::pair<int64_t, int64_t> fans(const Shape& weight_shape);
// torch.nn.init.calculate_gain: "linear", "conv2d", "sigmoid" (1), "tanh" (5/3),
// "relu" (sqrt 2), "leaky_relu" (sqrt(2 / (1 + a^2))), "selu" (3/4).
double gain(const std::string& nonlinearity, double param = 0.01);

Tensor& uniform_(Tensor& t, double low, double high, Generator& gen = default_generator());
Tensor& normal_(Tensor& t, double mean, double std, Generator& gen = default_generator());
Tensor& constant_(Tensor& t, double value);

// mode "fan_in" or "fan_out"; a is the leaky_relu slope.
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                         const std::string& nonlinearity = "leaky_relu",
                         Generator& gen = default_generator());
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu",
                        Generator& gen = default_generator());
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0, Generator& gen = default_generator());
Tensor& xavier_normal_(Tensor& t, double gain = 1.0, Generator& gen = default_generator());

// PyTorch's default for Conv*d/Linear: weight kaiming_uniform_(a = sqrt(5)), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
// `bias` may be undefined.
void default_linear_init(Tensor& weight, Tensor& bias, Generator& gen = default_generator());

}  // namespace sp::nn::init
