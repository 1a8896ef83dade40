// SuperGlue's optimal transport (fused log-Sinkhorn with an unrolled backward), LightGlue's
// sigmoid log double softmax and the rotary encoding against PyTorch
// (tests/reference/assignment.py), plus f64 gradchecks on the CPU and CUDA.
#include "autograd/functions/assignment.h"

#include "autograd/functions/rotary.h"
#include "gradcheck_helpers.h"
#include "tensor/ops/rotary.h"
#include "tensor/ops/sinkhorn.h"

namespace sp::ag {
namespace {

using sp::test::all_close;
using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

const std::map<std::string, Tensor>& fixture() {
  static const auto f = sp::test::load_fixture("assignment.h5");
  return f;
}
Tensor at(const std::string& k, Device device) {
  return fixture().at(k).clone().to(device);
}

AG_TEST(AgAssignment, OptimalTransportMatchesPyTorch) {
  for (const char* name : {"ot", "ot_square", "ot_one"}) {
    SCOPED_TRACE(name);
    const std::string p = std::string(name) + "/";
    const int64_t iters = fixture().at(p + "iters").item<int64_t>();
    Var scores(at(p + "scores", device), true), alpha(at(p + "alpha", device), true);
    Var y = log_optimal_transport(scores, alpha, iters);
    EXPECT_TRUE(all_close(y.data().cpu(), at(p + "y", kCPU), 1e-10, 1e-10));
    backward(y, at(p + "g", device));
    EXPECT_TRUE(all_close(scores.grad().cpu(), at(p + "gscores", kCPU), 1e-8, 1e-9));
    EXPECT_TRUE(all_close(alpha.grad().cpu(), at(p + "galpha", kCPU), 1e-8, 1e-9));
  }
}

AG_TEST(AgAssignment, SinkhornGradcheck) {
  Tensor z = non_contiguous(uniform({2, 4, 5}, -2, 2, 1, device));
  Tensor mu = uniform({2, 4}, -2, -1, 2, device), nu = uniform({2, 5}, -2, -1, 3, device);
  for (int64_t iters : {0, 1, 3, 10})
    EXPECT_GRADCHECK([&](const Vars& v) { return log_sinkhorn(v[0], mu, nu, iters); }, {z});
  EXPECT_GRADCHECK([](const Vars& v) { return log_optimal_transport(v[0], v[1], 7); },
                   {uniform({1, 3, 4}, -1, 1, 4, device), uniform({1}, 0, 1, 5, device)});
  // M = N = 1 (with M = 0 or N = 0 a dustbin's marginal is log 0: -inf entries, as in SuperGlue)
  EXPECT_GRADCHECK([](const Vars& v) { return log_optimal_transport(v[0], v[1], 4); },
                   {uniform({2, 1, 1}, -1, 1, 6, device), uniform({1}, 0, 1, 7, device)});
}

AG_TEST(AgAssignment, SigmoidLogDoubleSoftmaxMatchesPyTorch) {
  Var sim(at("lg/sim", device), true), z0(at("lg/z0", device), true), z1(at("lg/z1", device), true);
  Var y = sigmoid_log_double_softmax(sim, z0, z1);
  EXPECT_TRUE(all_close(y.data().cpu(), at("lg/y", kCPU), 1e-12, 1e-12));
  backward(y, at("lg/g", device));
  EXPECT_TRUE(all_close(sim.grad().cpu(), at("lg/gsim", kCPU), 1e-11, 1e-12));
  EXPECT_TRUE(all_close(z0.grad().cpu(), at("lg/gz0", kCPU), 1e-11, 1e-12));
  EXPECT_TRUE(all_close(z1.grad().cpu(), at("lg/gz1", kCPU), 1e-11, 1e-12));
  EXPECT_GRADCHECK([](const Vars& v) { return sigmoid_log_double_softmax(v[0], v[1], v[2]); },
                   {uniform({1, 3, 2}, -2, 2, 8, device), uniform({1, 3, 1}, -2, 2, 9, device),
                    uniform({1, 2, 1}, -2, 2, 10, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return log_double_softmax(v[0]); },
                   {uniform({2, 3, 4}, -2, 2, 11, device)});
}

AG_TEST(AgAssignment, RotaryMatchesPyTorchAndGradchecks) {
  Var x(at("rotary/x", device), true), c(at("rotary/cos", device), true),
      s(at("rotary/sin", device), true);
  Var y = apply_rotary(x, c, s);
  EXPECT_TRUE(all_close(y.data().cpu(), at("rotary/y", kCPU), 1e-13, 1e-13));
  backward(y, at("rotary/g", device));
  EXPECT_TRUE(all_close(x.grad().cpu(), at("rotary/gx", kCPU), 1e-12, 1e-13));
  EXPECT_TRUE(all_close(c.grad().cpu(), at("rotary/gcos", kCPU), 1e-12, 1e-13));
  EXPECT_TRUE(all_close(s.grad().cpu(), at("rotary/gsin", kCPU), 1e-12, 1e-13));
  // general cos/sin (pairs need not share a frequency), broadcast over heads, strided x
  EXPECT_GRADCHECK([](const Vars& v) { return apply_rotary(v[0], v[1], v[2]); },
                   {non_contiguous(uniform({2, 3, 4, 6}, -1, 1, 12, device)),
                    uniform({2, 1, 4, 6}, -1, 1, 13, device), uniform({4, 6}, -1, 1, 14, device)});
  EXPECT_GRADCHECK([](const Vars& v) { return rotate_half(v[0]); },
                   {uniform({3, 4}, -1, 1, 15, device)});
  EXPECT_SP_ERROR(sp::apply_rotary(zeros({2, 5}), zeros({2, 5}), zeros({2, 5})),
                  "apply_rotary: expected an input [*, D] with D even, got [2, 5]");
  EXPECT_SP_ERROR(sp::apply_rotary(zeros({2, 4}), zeros({3, 4}), zeros({2, 4})),
                  "apply_rotary: expected cos and sin broadcastable to the input [2, 4], got [3, "
                  "4] and [2, 4]");
}

TEST(AgAssignment, SinkhornErrorsNameShapes) {
  EXPECT_SP_ERROR(sp::log_sinkhorn(zeros({2, 3, 4}), zeros({2, 4}), zeros({2, 4}), 3),
                  "log_sinkhorn: expected log_mu [2, 3] and log_nu [2, 4] for Z [2, 3, 4], got [2, "
                  "4] and [2, 4]");
  EXPECT_SP_ERROR(sp::log_sinkhorn(zeros({3, 4}), zeros({3}), zeros({4}), 3),
                  "log_sinkhorn: expected scores Z [B, R, C], got [3, 4]");
  EXPECT_SP_ERROR(log_optimal_transport(Var(zeros({1, 3, 4})), Var(zeros({2})), 3),
                  "log_optimal_transport: expected a one-element bin score, got [2]");
  EXPECT_SP_ERROR(sigmoid_log_double_softmax(Var(zeros({1, 3, 4})), Var(zeros({1, 3, 1})),
                                             Var(zeros({1, 3, 1}))),
                  "expected matchability logits z0 [1, 3, 1] and z1 [1, 4, 1] for sim [1, 3, 4], "
                  "got [1, 3, 1] and "
                  "[1, 3, 1]");
}

}  // namespace
}  // namespace sp::ag
