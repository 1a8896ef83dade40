// A tiny model and dataset for the trainer tests, registered under test names:
// "test_conv" (one 3x3 convolution, optional input noise from the global Philox stream
// so RNG restore matters; nan_after = k > 0 makes the output NaN from the (k+1)-th
// training forward on) and the dataset "test_blobs" (images [1, 8, 8] whose target is
// 0.5 * image, with per-epoch sample noise from the loader seed).
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/operators.h"
#include "models/model.h"
#include "nn/layers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "train/data_config.h"

namespace sp::test {

class TinyConv : public models::Model {
 public:
  explicit TinyConv(double noise, int64_t nan_after = 0)
      : Model("TinyConv"), noise_(noise), nan_after_(nan_after) {
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(1, 1, 3, 1, 1));
  }
  std::vector<std::string> required_keys() const override { return {"image"}; }
  models::Predictions forward(const models::Batch& batch) override {
    ag::Var x(batch.at("image"));
    if (is_training() && noise_ > 0)
      x = x + ag::Var(randn(x.shape(), DType::F32, x.device())) * noise_;
    models::Predictions p("predictions");
    ag::Var out = (*conv_)(x);
    if (is_training() && nan_after_ > 0 && ++forwards_ > nan_after_) out = out * std::nan("");
    p.set("out", out);
    return p;
  }
  models::Losses loss(const models::Predictions& pred, const models::Batch& batch) override {
    ag::Var err = pred.at("out") - ag::Var(batch.at("target"));
    models::Losses l;
    l.total = ag::mean(ag::square(err));
    l.terms["mse"] = l.total.data();
    l.terms["total"] = l.total.data();
    return l;
  }
  std::map<std::string, double> metrics(const models::Predictions& pred,
                                        const models::Batch& batch) override {
    ag::Var err = pred.at("out") - ag::Var(batch.at("target"));
    return {{"mae", ag::mean(ag::abs(err)).item<double>()}};
  }

 private:
  double noise_;
  int64_t nan_after_, forwards_ = 0;
  std::shared_ptr<nn::Conv2d> conv_;
};

class Blobs : public data::Dataset {
 public:
  Blobs(int64_t n, uint64_t base, double noise) : n_(n), base_(base), noise_(noise) {}
  int64_t size() const override { return n_; }
  data::Sample get(int64_t index, uint64_t seed) const override {
    Generator content(base_ + uint64_t(index)), jitter(seed + 7777);
    Tensor image = rand({1, 8, 8}, content);
    if (noise_ > 0) image = add(image, mul(randn({1, 8, 8}, jitter), Scalar(noise_)));
    return {{"image", image}, {"target", mul(image, Scalar(0.5))}};
  }

 private:
  int64_t n_;
  uint64_t base_;
  double noise_;
};

inline void register_test_components() {
  models::register_model("test_conv", [](models::ConfigView& c) {
    return std::make_shared<TinyConv>(c.get_double("noise", 0.0), c.get_int("nan_after", 0));
  });
  train::register_dataset(
      "test_blobs", [](train::ConfigReader& r, const std::string& t, const train::DataOptions&) {
        train::DataSets d;
        const double noise = r.get<double>(t + ".noise", 0.0);
        d.train = std::make_shared<Blobs>(r.get<int64_t>(t + ".train_size", 16), 0, noise);
        const int64_t val = r.get<int64_t>(t + ".val_size", 8);
        if (val > 0) d.val = std::make_shared<Blobs>(val, 100000, 0.0);
        d.description = "test blobs";
        return d;
      });
}

}  // namespace sp::test
