// torch.nn.Linear: y = x W^T + b over the last dim of x [*, in] (ag::linear: one GEMM over
// the folded leading dims, no copy for contiguous x). weight [out, in]
// ~ kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(in)), bias [out] ~ U(+-1/sqrt(in)).
#pragma once

#include "nn/containers.h"
#include "tensor/ops/random.h"

namespace sp::nn {

class Linear : public UnaryModule {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true,
         Generator& gen = default_generator());
  ag::Var forward(const ag::Var& x) override;
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_, out_features_;
  bool bias_;
};

}  // namespace sp::nn
