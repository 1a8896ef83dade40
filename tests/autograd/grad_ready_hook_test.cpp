// LeafGradReadyHook: backward tells, once per reached leaf, when its gradient is final
// within that call (what data-parallel training uses to start all-reduces early).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/var.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {
namespace {

using test::all_close;

// Records each firing: the leaf's name and a copy of its grad at that moment.
struct Recorder {
  std::vector<std::string> order;
  std::map<std::string, Tensor> grad_at_fire;
  LeafGradReadyHook hook() {
    return [this](const Var& leaf) {
      order.push_back(leaf.name());
      grad_at_fire[leaf.name()] = leaf.grad().defined() ? leaf.grad().clone() : Tensor();
    };
  }
};

Var leaf(std::vector<double> values, const std::string& name, bool requires_grad = true) {
  int64_t n = int64_t(values.size());
  return Var(from_vector(values, {n}), requires_grad, name);
}

TEST(LeafGradReadyHook, LeafUsedTwiceFiresOnceAfterBothContributions) {
  Var w = leaf({1, 2, 3}, "w"), x = leaf({4, 5, 6}, "x", false), b = leaf({0.5, 0.5, 0.5}, "b");
  // w enters early (w * x) and late (... * w): two contributions from far apart nodes.
  Var h = add(mul(w, x), b);
  Var loss = sum(mul(h, w));
  Recorder rec;
  backward(loss, {}, false, rec.hook());
  ASSERT_EQ(rec.order.size(), 2u);  // w and b; x needs no grad
  EXPECT_EQ(std::count(rec.order.begin(), rec.order.end(), "w"), 1);
  // d/dw sum((w x + b) w) = 2 w x + b.
  Tensor expected = from_vector(std::vector<double>{8.5, 20.5, 36.5}, {3});
  EXPECT_TRUE(all_close(w.grad(), expected, 1e-12, 0));
  ASSERT_TRUE(rec.grad_at_fire["w"].defined());
  EXPECT_TRUE(all_close(rec.grad_at_fire["w"], w.grad(), 0, 0));
  EXPECT_TRUE(all_close(rec.grad_at_fire["b"], b.grad(), 0, 0));
}

TEST(LeafGradReadyHook, SameLeafTwiceInOneOpFiresOnce) {
  Var w = leaf({1, -2}, "w");
  Recorder rec;
  backward(sum(mul(w, w)), {}, false, rec.hook());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"w"}));
  EXPECT_TRUE(
      all_close(rec.grad_at_fire["w"], from_vector(std::vector<double>{2, -4}, {2}), 1e-12, 0));
}

TEST(LeafGradReadyHook, UnreachedLeavesDoNotFire) {
  Var used = leaf({1, 2}, "used"), unused = leaf({3, 4}, "unused"),
      frozen = leaf({5, 6}, "frozen", false);
  Var other = sum(mul(unused, frozen));  // a graph of its own, never backpropagated
  Recorder rec;
  backward(sum(mul(used, frozen)), {}, false, rec.hook());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"used"}));
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_TRUE(other.requires_grad());
}

TEST(LeafGradReadyHook, FiresInReverseOrderOfUse) {
  Var x = leaf({1, 2}, "x", false);
  Var w1 = leaf({1, 1}, "w1"), w2 = leaf({2, 2}, "w2"), w3 = leaf({3, 3}, "w3");
  Var loss = sum(mul(mul(mul(x, w1), w2), w3));
  Recorder rec;
  backward(loss, {}, false, rec.hook());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"w3", "w2", "w1"}));
}

TEST(LeafGradReadyHook, LossThatIsALeafFires) {
  Var w = Var(full({1}, 2.0), true, "w");
  Recorder rec;
  backward(w, {}, false, rec.hook());
  EXPECT_EQ(rec.order, (std::vector<std::string>{"w"}));
  EXPECT_TRUE(all_close(rec.grad_at_fire["w"], full({1}, 1.0), 0, 0));
}

TEST(LeafGradReadyHook, RetainGraphSecondBackwardFiresAgainWithAccumulatedGrad) {
  Var w = leaf({1, 2}, "w"), b = leaf({3, 3}, "b");
  Var loss = sum(mul(add(w, b), w));
  Recorder first;
  backward(loss, {}, true, first.hook());
  Tensor once = w.grad().clone();
  Recorder second;
  backward(loss, {}, false, second.hook());
  EXPECT_EQ(first.order.size(), 2u);
  EXPECT_EQ(second.order.size(), 2u);
  // The second call's hook sees the sum of both calls.
  EXPECT_TRUE(all_close(second.grad_at_fire["w"], sp::mul(once, Scalar(2.0)), 1e-12, 0));
  EXPECT_TRUE(all_close(second.grad_at_fire["w"], w.grad(), 0, 0));
  // The graph is freed now, hook or not.
  EXPECT_SP_ERROR(backward(loss, {}, false, second.hook()), "retain_graph");
}

TEST(LeafGradReadyHook, NoHookMatchesHookBitwise) {
  auto run = [](bool with_hook) {
    Var w = leaf({0.1, 0.7, -1.3}, "w"), b = leaf({0.3, 0.2, 0.1}, "b");
    Var loss = sum(mul(exp(mul(w, b)), add(w, b)));
    int fired = 0;
    if (with_hook)
      backward(loss, {}, false, [&](const Var&) { ++fired; });
    else
      backward(loss);
    EXPECT_EQ(fired, with_hook ? 2 : 0);
    return std::make_pair(w.grad(), b.grad());
  };
  auto [w0, b0] = run(false);
  auto [w1, b1] = run(true);
  EXPECT_TRUE(all_close(w0, w1, 0, 0));
  EXPECT_TRUE(all_close(b0, b1, 0, 0));
}

TEST(LeafGradReadyHook, ExceptionInHookPropagates) {
  Var w = leaf({1, 2}, "w"), b = leaf({3, 4}, "b");
  Var loss = sum(mul(w, b));
  EXPECT_THROW(backward(loss, {}, false,
                        [](const Var& v) {
                          if (v.name() == "b") throw std::runtime_error("hook failed on b");
                        }),
               std::runtime_error);
  // Grad mode is restored after the exception.
  Var again = sum(mul(leaf({1}, "u"), leaf({2}, "v")));
  EXPECT_TRUE(again.requires_grad());
}

}  // namespace
}  // namespace sp::ag
