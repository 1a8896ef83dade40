#include "nn/module.h"

#include <gtest/gtest.h>

#include "autograd/functions/views.h"
#include "helpers/test_helpers.h"
#include "nn/checkpoint.h"
#include "nn/containers.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using test::equal;

// A layer shaped like BatchNorm2d (parameters and buffers only), for structure tests.
class Norm : public UnaryModule {
 public:
  explicit Norm(int64_t c) : UnaryModule("Norm") {
    register_parameter("weight", ones({c}));
    register_parameter("bias", zeros({c}));
    register_buffer("running_mean", zeros({c}));
    register_buffer("num_batches_tracked", scalar_tensor(0, DType::I64));
  }
  ag::Var forward(const ag::Var& x) override { return ag::reshape(x, {-1}); }
};

class Net : public Module {
 public:
  Net() : Module("Net") {
    conv1 = register_module("conv1", std::make_shared<Norm>(4));
    auto seq = std::make_shared<Sequential>();
    seq->push_back(std::make_shared<Norm>(2)).push_back(std::make_shared<Norm>(3));
    body = register_module("body", seq);
    register_parameter("scale", full({1}, 2.0));
  }
  std::shared_ptr<Norm> conv1;
  std::shared_ptr<Sequential> body;
};

TEST(Module, NamesFollowPyTorch) {
  Net net;
  std::vector<std::string> names;
  for (auto& [n, v] : net.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "conv1.weight", "conv1.bias", "body.0.weight",
                                             "body.0.bias", "body.1.weight", "body.1.bias"}));
  auto sd = net.state_dict();
  EXPECT_EQ(sd.size(), 13u);
  EXPECT_EQ(sd.at("body.1.num_batches_tracked").dtype(), DType::I64);
  for (auto& v : net.parameters()) EXPECT_TRUE(v.requires_grad());
  EXPECT_EQ(net.named_modules().size(), 5u);
  EXPECT_EQ(net.named_modules()[3].first, "body.0");
  EXPECT_SP_ERROR(net.conv1->param("wieght"),
                  "expected a parameter 'wieght', got only weight, bias");
  EXPECT_EQ(net.body->forward(ag::Var(zeros({2, 3}))).shape(), (Shape{6}));
}

TEST(Module, TrainEvalRecursesAndGradsCanBeFrozen) {
  Net net;
  net.eval();
  EXPECT_FALSE(net.body->operator[](1).is_training());
  net.train();
  EXPECT_TRUE(net.conv1->is_training());
  net.requires_grad_(false);
  EXPECT_FALSE(net.conv1->param("weight").requires_grad());
}

TEST(Module, LoadStateDictCopiesInPlaceAndChecksEverything) {
  Net a, b;
  ag::Var w = b.conv1->param("weight");  // e.g. held by an optimizer
  fill_into(a.conv1->param("weight").data(), 5.0);
  a.body->operator[](1).buffer("num_batches_tracked").fill_(9);
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(w.data().to_vector<float>(), (std::vector<float>{5, 5, 5, 5}));
  EXPECT_EQ(b.state_dict().at("body.1.num_batches_tracked").item<int64_t>(), 9);
  EXPECT_FALSE(w.data().shares_storage(a.conv1->param("weight").data()));

  auto sd = a.state_dict();
  sd["conv1.bias"] = zeros({5});
  sd["conv1.weight"] = full({4}, 7.0);
  EXPECT_SP_ERROR(b.load_state_dict(sd, true, "x.pth"),
                  "from x.pth: expected 'conv1.bias' of shape [4], got [5]");
  EXPECT_EQ(w.data().to_vector<float>()[0], 5.0f);  // nothing changed
  sd = a.state_dict();
  sd.erase("scale");
  sd["extra.weight"] = zeros({1});
  EXPECT_SP_ERROR(b.load_state_dict(sd), "missing scale");
  sd["scale"] = zeros({1});
  EXPECT_SP_ERROR(b.load_state_dict(sd), "unexpected extra.weight");
  sd.erase("scale");
  LoadResult r = b.load_state_dict(sd, false);
  EXPECT_EQ(r.missing_keys, (std::vector<std::string>{"scale"}));
  EXPECT_EQ(r.unexpected_keys, (std::vector<std::string>{"extra.weight"}));
}

TEST(Module, DtypeMovesKeepVarIdentityAndIntegerBuffers) {
  Net net;
  ag::Var s = net.param("scale");
  net.to(DType::F64);
  EXPECT_EQ(s.dtype(), DType::F64);
  EXPECT_EQ(net.state_dict().at("conv1.num_batches_tracked").dtype(), DType::I64);
  EXPECT_EQ(net.state_dict().at("conv1.running_mean").dtype(), DType::F64);
}

TEST(Module, LoadsWeightsFromPthAndH5) {
  // A module shaped like tests/reference/nn_pth.py's Net.
  class Conv : public Module {
   public:
    Conv() : Module("Conv2d") {
      register_parameter("weight", zeros({4, 3, 3, 3}));
      register_parameter("bias", zeros({4}));
    }
  };
  class Bn : public Module {
   public:
    Bn() : Module("BatchNorm2d") {
      register_parameter("weight", zeros({4}));
      register_parameter("bias", zeros({4}));
      register_buffer("running_mean", zeros({4}));
      register_buffer("running_var", zeros({4}));
      register_buffer("num_batches_tracked", scalar_tensor(0, DType::I64));
    }
  };
  class Fc : public Module {
   public:
    Fc() : Module("Linear") {
      register_parameter("weight", zeros({2, 4}));
      register_parameter("bias", zeros({2}));
    }
  };
  class PthNet : public Module {
   public:
    PthNet() : Module("PthNet") {
      register_module("conv1", std::make_shared<Conv>());
      register_module("bn1", std::make_shared<Bn>());
      register_module("fc", std::make_shared<Fc>());
    }
  };
  PthNet net;
  load_weights(net, test::fixture_path("nn_pth_nested_legacy.pth"), true, "state_dict");
  auto want = load_pth(test::fixture_path("nn_pth_zip.pth"));
  for (auto& [k, v] : net.state_dict()) EXPECT_TRUE(equal(v, want.at(k))) << k;

  std::string h5 = test::temp_dir("module") + "/w.h5";
  save_state_dict_file(h5, net.state_dict());
  PthNet other;
  load_weights(other, h5);
  EXPECT_TRUE(equal(other.state_dict().at("bn1.running_var"), want.at("bn1.running_var")));
  // A checkpoint dict wrapping "state_dict" loads without select; a wrong select names the keys.
  PthNet nested;
  load_weights(nested, test::fixture_path("nn_pth_nested_zip.pth"));
  EXPECT_TRUE(equal(nested.state_dict().at("fc.weight"), want.at("fc.weight")));
  EXPECT_SP_ERROR(load_weights(other, test::fixture_path("nn_pth_nested_zip.pth"), true, "model"),
                  "top-level keys: extra, state_dict");
  EXPECT_SP_ERROR(load_weights(other, test::fixture_path("nn_pth_zip.pth"), true, "model"),
                  test::fixture_path("nn_pth_zip.pth"));
}

}  // namespace
}  // namespace sp::nn
