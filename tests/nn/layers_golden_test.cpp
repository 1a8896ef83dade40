// nn layers against PyTorch (tests/reference/nn_layers.py): outputs and gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/gradcheck.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "nn/checkpoint.h"
#include "nn/layers.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& fx() {
  static const auto f = test::load_fixture("nn_layers.h5");
  return f;
}
const Tensor& get(const std::string& key) {
  return fx().at(key);
}

// Backpropagates sum(y * g).
void backprop(const ag::Var& y, const Tensor& g) {
  ag::backward(ag::sum(y * ag::Var(g)));
}

TEST(LayersGolden, Linear) {
  Linear lin(5, 3);
  lin.load_state_dict({{"weight", get("linear/weight")}, {"bias", get("linear/bias")}});
  ag::Var x(get("linear/x").clone(), true);
  ag::Var y = lin(x);
  EXPECT_TRUE(all_close(y.data(), get("linear/y")));
  backprop(y, get("linear/g"));
  EXPECT_TRUE(all_close(x.grad(), get("linear/gx"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(lin.param("weight").grad(), get("linear/gw"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(lin.param("bias").grad(), get("linear/gb"), 1e-5, 1e-5));
}

TEST(LayersGolden, Activations) {
  GELU gelu;
  LeakyReLU leaky(0.2);
  std::vector<std::pair<std::string, UnaryModule*>> layers{{"gelu", &gelu}, {"leaky_relu", &leaky}};
  for (auto& [name, layer] : layers) {
    SCOPED_TRACE(name);
    std::string p = name + "/";
    ag::Var x(get(p + "x").clone(), true);
    ag::Var y = (*layer)(x);
    EXPECT_TRUE(all_close(y.data(), get(p + "y")));
    backprop(y, get(p + "g"));
    EXPECT_TRUE(all_close(x.grad(), get(p + "gx"), 1e-5, 1e-5));
  }
}

TEST(LayersGolden, LayerNorm) {
  LayerNorm ln({4, 5});
  ln.load_state_dict({{"weight", get("layer_norm/weight")}, {"bias", get("layer_norm/bias")}});
  ag::Var x(get("layer_norm/x").clone(), true);
  ag::Var y = ln(x);
  EXPECT_TRUE(all_close(y.data(), get("layer_norm/y"), 1e-5, 1e-5));
  backprop(y, get("layer_norm/g"));
  EXPECT_TRUE(all_close(x.grad(), get("layer_norm/gx"), 1e-4, 1e-5));
  EXPECT_TRUE(all_close(ln.param("weight").grad(), get("layer_norm/gw"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(ln.param("bias").grad(), get("layer_norm/gb"), 1e-5, 1e-5));
  // Non-contiguous input: a transposed view gives the same result as its copy.
  Tensor xt = get("layer_norm/x").transpose(0, 1);
  EXPECT_TRUE(all_close(ln(ag::Var(xt)).data(), ln(ag::Var(xt.contiguous())).data()));
  EXPECT_SP_ERROR(ln(ag::Var(ones({2, 5, 4}))),
                  "LayerNorm: expected an input [*, 4, 5], got [2, 5, 4]");
}

TEST(LayersGolden, BatchNorm2dTrainTwoStepsThenEval) {
  for (const char* name : {"batch_norm", "batch_norm_cumulative"}) {
    SCOPED_TRACE(name);
    std::string p = std::string(name) + "/";
    BatchNormOptions o;
    if (p == "batch_norm_cumulative/") o.momentum = std::nullopt;
    BatchNorm2d bn(3, o);
    EXPECT_EQ(bn.buffer("num_batches_tracked").dtype(), DType::I64);
    bn.load_state_dict({{"weight", get(p + "weight")}, {"bias", get(p + "bias")}},
                       /*strict=*/false);
    bn(ag::Var(get(p + "x1")));
    ag::Var x2(get(p + "x2").clone(), true);
    ag::Var y2 = bn(x2);
    EXPECT_TRUE(all_close(y2.data(), get(p + "y2"), 1e-5, 1e-5));
    backprop(y2, get(p + "g2"));
    EXPECT_TRUE(all_close(x2.grad(), get(p + "gx2"), 1e-4, 1e-5));
    EXPECT_TRUE(all_close(bn.param("weight").grad(), get(p + "gw"), 1e-4, 1e-5));
    EXPECT_TRUE(all_close(bn.param("bias").grad(), get(p + "gb"), 1e-5, 1e-5));
    EXPECT_TRUE(all_close(bn.buffer("running_mean"), get(p + "running_mean"), 1e-5, 1e-6));
    EXPECT_TRUE(all_close(bn.buffer("running_var"), get(p + "running_var"), 1e-5, 1e-6));
    EXPECT_TRUE(test::equal(bn.buffer("num_batches_tracked"), get(p + "num_batches_tracked")));
    bn.eval();
    ag::Var x3(get(p + "x3").clone(), true);
    ag::Var y3 = bn(x3);
    EXPECT_TRUE(all_close(y3.data(), get(p + "y3"), 1e-5, 1e-5));
    backprop(y3, get(p + "g3"));
    EXPECT_TRUE(all_close(x3.grad(), get(p + "gx3"), 1e-5, 1e-5));
    EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 2);  // eval does not count
  }
  EXPECT_SP_ERROR(BatchNorm2d(3)(ag::Var(ones({2, 4, 3, 3}))),
                  "BatchNorm2d: expected an input [N, 3, H, W], got [2, 4, 3, 3]");
}

TEST(LayersGolden, BatchNorm2dWithoutAffineOrTracking) {
  BatchNormOptions o;
  o.affine = false;
  o.track_running_stats = false;
  BatchNorm2d bn(3, o);
  EXPECT_TRUE(bn.state_dict().empty());
  bn.eval();  // no running stats: batch statistics even in eval
  ag::Var y = bn(ag::Var(get("batch_norm/x1")));
  Tensor m = ag::mean(y, {0, 2, 3}).data();
  EXPECT_TRUE(all_close(m, zeros({3}), 0, 1e-5));
}

TEST(LayersGolden, DropoutTrainAndEval) {
  Generator gen(7);
  Dropout drop(0.5, gen);
  Tensor x = ones({1000});
  auto v = drop(ag::Var(x)).data().to_vector<float>();
  int kept = 0;
  for (float e : v) {
    EXPECT_TRUE(e == 0.0f || e == 2.0f) << e;
    kept += e != 0.0f;
  }
  EXPECT_GT(kept, 400);
  EXPECT_LT(kept, 600);
  drop.eval();
  EXPECT_TRUE(test::equal(drop(ag::Var(x)).data(), x));
  EXPECT_SP_ERROR(Dropout(1.5), "Dropout: expected a probability p in [0, 1], got 1.5");
}

TEST(LayersGolden, GradcheckAndAwkwardShapes) {
  auto wavy = [](const Shape& s, double phase) {
    std::vector<double> v(size_t(numel(s)));
    for (size_t k = 0; k < v.size(); ++k)
      v[k] = std::sin(0.93 * double(k) + phase) * (1.0 + 0.1 * double(k % 3));
    return from_vector(v, s);
  };
  LayerNorm ln({3});
  ln.to(DType::F64);
  ln.load_state_dict({{"weight", wavy({3}, 1)}, {"bias", wavy({3}, 2)}});
  auto ln_fn = [&](const std::vector<ag::Var>& in) { return ln(in[0]); };
  auto r = ag::gradcheck(ln_fn, {wavy({2, 4, 3}, 0)});
  EXPECT_TRUE(r.ok) << r.message;
  BatchNorm2d bn(2);
  bn.to(DType::F64);
  auto bn_fn = [&](const std::vector<ag::Var>& in) { return bn(in[0]); };
  r = ag::gradcheck(bn_fn, {wavy({3, 2, 2, 3}, 0.5)});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(bn.buffer("num_batches_tracked").dtype(), DType::I64);  // to(F64) keeps it
  Linear lin(4, 2);
  lin.to(DType::F64);
  auto lin_fn = [&](const std::vector<ag::Var>& in) { return lin(in[0]); };
  r = ag::gradcheck(lin_fn, {wavy({3, 4}, 0.2)});
  EXPECT_TRUE(r.ok) << r.message;
  // Size-0 batch and a 1-D input.
  EXPECT_EQ(lin(ag::Var(zeros({0, 4}, DType::F64))).shape(), (Shape{0, 2}));
  EXPECT_EQ(lin(ag::Var(zeros({4}, DType::F64))).shape(), (Shape{2}));
  EXPECT_SP_ERROR(lin(ag::Var(zeros({2, 5}, DType::F64))),
                  "Linear: expected an input [*, 4], got [2, 5]");
  // LayerNorm over a size-1 trailing dim: x - mean = 0, output = bias.
  LayerNorm one({1});
  EXPECT_TRUE(all_close(one(ag::Var(wavy({3, 1}, 0).to(DType::F32))).data(), zeros({3, 1})));
}

// The conv net of tests/reference/nn_pth.py: conv1 -> bn1 -> ReLU -> mean over H, W -> fc.
class SmallNet : public Module {
 public:
  SmallNet() : Module("SmallNet") {
    conv1 = register_module("conv1", std::make_shared<Conv2d>(3, 4, 3, 1, 1));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(4));
    fc = register_module("fc", std::make_shared<Linear>(4, 2));
  }
  ag::Var forward(const ag::Var& x) {
    return (*fc)(ag::mean(relu(bn1->forward((*conv1)(x))), {2, 3}));
  }
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Linear> fc;
  ReLU relu;
};

TEST(LayersGolden, SmallConvNetLoadsPthByName) {
  for (const char* file : {"nn_pth_zip.pth", "nn_pth_legacy.pth"}) {
    SCOPED_TRACE(file);
    SmallNet net;
    LoadResult r = load_weights(net, test::fixture_path(file));
    EXPECT_TRUE(r.missing_keys.empty() && r.unexpected_keys.empty());
    EXPECT_EQ(net.bn1->buffer("num_batches_tracked").item<int64_t>(), 3);
    net.eval();
    EXPECT_TRUE(all_close(net.forward(ag::Var(get("net/x"))).data(), get("net/y"), 1e-5, 1e-5));
  }
  SmallNet net;
  auto sd = load_pth(test::fixture_path("nn_pth_zip.pth"));
  sd["fc.weight"] = zeros({3, 4});
  EXPECT_SP_ERROR(net.load_state_dict(sd), "fc.weight");
  EXPECT_SP_ERROR(net.load_state_dict(sd), "[3, 4]");
  EXPECT_SP_ERROR(net.load_state_dict(sd), "[2, 4]");
}

// What `sptool convert in.pth out.h5 --select state_dict` does: the HDF5 it writes
// loads back through load_weights and gives the same network output.
TEST(LayersGolden, ConvertedPthReloadsThroughLoadWeights) {
  std::string out = test::temp_dir("nn_convert") + "/net.h5";
  PthOptions options;
  options.select = "state_dict";
  EXPECT_EQ(convert_pth(test::fixture_path("nn_pth_nested_zip.pth"), out, options), 9u);
  SmallNet net;
  LoadResult r = load_weights(net, out);
  EXPECT_TRUE(r.missing_keys.empty() && r.unexpected_keys.empty());
  net.eval();
  EXPECT_TRUE(all_close(net.forward(ag::Var(get("net/x"))).data(), get("net/y"), 1e-5, 1e-5));
  EXPECT_SP_ERROR(convert_pth(test::fixture_path("nn_pth_zip.pth"), out,
                              {.select = "model", .strip_prefix = ""}),
                  "expected tensors under 'model'");
  EXPECT_SP_ERROR(convert_pth(test::fixture_path("nn_layers.h5"), out, {}),
                  "expected a zip or legacy torch.save file");
}

}  // namespace
}  // namespace sp::nn
