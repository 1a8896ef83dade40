// SuperPoint as the trainer uses it: batches with the data pipeline's keys, loss(),
// metrics(), backward, and overfitting one batch with Adam.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "models/superpoint.h"
#include "nn/optim/adam.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

void set_pixel(Tensor& map, int64_t b, int64_t x, int64_t y, double v = 1.0) {
  map.select(0, b).select(0, 0).select(0, y).select(0, x).fill_(v);
}

// Images with a bright 3x3 dot at each keypoint and the matching label maps.
struct DotBatch {
  Tensor image, labels;
};
DotBatch dots(int64_t B, int64_t H, int64_t W,
              const std::vector<std::vector<std::pair<int64_t, int64_t>>>& pts) {
  DotBatch d{full({B, 1, H, W}, 0.2), zeros({B, 1, H, W})};
  for (int64_t b = 0; b < B; ++b)
    for (auto [x, y] : pts[size_t(b)]) {
      set_pixel(d.labels, b, x, y);
      d.image.select(0, b).select(0, 0).narrow(0, y - 1, 3).narrow(1, x - 1, 3).fill_(0.9);
    }
  return d;
}

SuperPointConfig tiny(bool detector_only) {
  SuperPointConfig c;
  c.detector_only = detector_only;
  c.width = 0.25;
  c.descriptor_dim = 16;
  c.lambda_loss = 0.5;
  return c;
}

TEST(SuperPointTrain, JointLossCombinesTermsAndReachesEveryParameter) {
  manual_seed(1);
  SuperPoint net(tiny(false));
  DotBatch a = dots(2, 16, 24, {{{5, 5}, {14, 9}}, {{9, 6}}});
  DotBatch w = dots(2, 16, 24, {{{6, 4}, {15, 8}}, {{10, 7}}});
  Batch batch("batch");
  batch.set("image", a.image);
  batch.set("labels_2D", a.labels);
  batch.set("valid_mask", ones({2, 1, 16, 24}));
  batch.set("warped_image", w.image);
  batch.set("warped_labels", w.labels);
  Tensor wmask = ones({2, 1, 16, 24});
  wmask.select(0, 1).narrow(2, 16, 8).fill_(0.0);
  batch.set("warped_valid_mask", wmask);
  batch.set("homography",
            from_vector<float>({1, 0, 1, 0, 1, -1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1}, {2, 3, 3}));
  Predictions pred = net.run(batch);
  Losses losses = net.loss(pred, batch);

  ag::Var det = detector_loss(pred.at("logits"), a.labels, batch.at("valid_mask"));
  ag::Var det_w = detector_loss(pred.at("warped_logits"), w.labels, wmask);
  ag::Var desc = descriptor_loss(pred.at("descriptors"), pred.at("warped_descriptors"),
                                 batch.at("homography"), wmask);
  EXPECT_NEAR(losses.terms.at("detector").item<float>(), det.item<float>(), 1e-5);
  EXPECT_NEAR(losses.terms.at("detector_warped").item<float>(), det_w.item<float>(), 1e-5);
  EXPECT_NEAR(losses.terms.at("descriptor").item<float>(), desc.item<float>(), 1e-5);
  EXPECT_NEAR(losses.total.item<float>(),
              det.item<float>() + det_w.item<float>() + 0.5 * desc.item<float>(), 1e-4);
  EXPECT_EQ(losses.terms.at("total").item<float>(), losses.total.item<float>());

  ag::backward(losses.total);
  for (const auto& [name, p] : net.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_TRUE(all(isfinite(p.grad())).item<bool>()) << name;
  }

  // Without warped_image, SuperPoint behaves like MagicPoint: detector loss only.
  Batch single("batch");
  single.set("image", a.image);
  single.set("labels_2D", a.labels);
  Losses one = net.loss(net.run(single), single);
  EXPECT_EQ(one.terms.size(), 2u);  // detector, total
  EXPECT_SP_ERROR(net.loss(net.run(single), Batch("batch")), "expected key 'labels_2D'");
}

TEST(SuperPointTrain, MetricsArePerfectForLabelLogitsAndZeroForEmptyLabels) {
  SuperPoint net(tiny(true));
  DotBatch a = dots(2, 32, 40, {{{8, 8}, {20, 12}, {30, 25}}, {{12, 20}}});
  Batch batch("batch");
  batch.set("image", a.image);
  batch.set("labels_2D", a.labels);
  Predictions pred("predictions");
  pred.set("logits", ag::Var(mul(detector_targets(a.labels), Scalar(20.0))));
  auto m = net.metrics(pred, batch);
  EXPECT_DOUBLE_EQ(m.at("precision"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("recall"), 1.0);
  // The loss is the trainer's to log: metrics() does not compute it again.
  EXPECT_FALSE(m.count("loss/total"));
  EXPECT_LT(net.loss(pred, batch).terms.at("detector").item<double>(), 1e-3);

  // Detections 1 px off still count (metrics_distance 2); labels elsewhere do not.
  Tensor shifted = zeros({2, 1, 32, 40});
  set_pixel(shifted, 0, 9, 8), set_pixel(shifted, 0, 20, 13), set_pixel(shifted, 0, 33, 25);
  set_pixel(shifted, 1, 12, 21);
  batch.set("labels_2D", shifted);
  m = net.metrics(pred, batch);
  EXPECT_DOUBLE_EQ(m.at("precision"), 0.75);  // (30, 25) has no label within 2 px
  EXPECT_DOUBLE_EQ(m.at("recall"), 0.75);     // nor has the label (33, 25)
  batch.set("labels_2D", zeros({2, 1, 32, 40}));
  m = net.metrics(pred, batch);
  EXPECT_DOUBLE_EQ(m.at("precision"), 0.0);
  EXPECT_DOUBLE_EQ(m.at("recall"), 0.0);
}

TEST(SuperPointTrain, MagicPointOverfitsOneBatchWithAdam) {
  manual_seed(3);
  SuperPoint net(tiny(true));
  DotBatch a =
      dots(2, 32, 32, {{{5, 5}, {14, 9}, {25, 20}, {10, 27}}, {{9, 6}, {20, 22}, {27, 11}}});
  Batch batch("batch");
  batch.set("image", a.image);
  batch.set("labels_2D", a.labels);
  batch.set("valid_mask", ones({2, 1, 32, 32}));
  nn::optim::AdamOptions o;
  o.lr = 3e-3;
  nn::optim::Adam adam(net.parameters(), o);
  const auto start = std::chrono::steady_clock::now();
  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    adam.zero_grad();
    Losses l = net.loss(net.run(batch), batch);
    ag::backward(l.total);
    adam.step();
    last = l.terms.at("total").item<double>();
    if (step == 0) first = last;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(last, 0.1 * first) << "loss " << first << " -> " << last;
  // No wall-clock assertion: the shared build machine's load varies tenfold; this takes
  // about 1 s on an idle core.
  ag::NoGradGuard no_grad;
  net.train(false);
  auto m = net.metrics(net.run(batch), batch);
  EXPECT_GT(m.at("recall"), 0.8);
  std::printf("MagicPoint overfit: loss %.3f -> %.4f in %.1f s, precision %.2f recall %.2f\n",
              first, last, seconds, m.at("precision"), m.at("recall"));
}

TEST(SuperPointTrainGpu, JointLossAndGradientsOnCudaEqualCpu) {
  SP_SKIP_WITHOUT_GPU();
  manual_seed(4);
  for (bool batch_norm : {false, true}) {
    SuperPointConfig c = tiny(false);
    c.batch_norm = batch_norm;
    c.descriptor_chunk_rows = 1;
    SuperPoint net(c);
    DotBatch a = dots(2, 24, 32, {{{5, 5}, {14, 9}, {25, 17}}, {{9, 6}, {20, 12}}});
    DotBatch w = dots(2, 24, 32, {{{6, 4}, {15, 8}}, {{10, 7}, {21, 13}}});
    Batch batch("batch");
    batch.set("image", a.image);
    batch.set("labels_2D", a.labels);
    batch.set("warped_image", w.image);
    batch.set("warped_labels", w.labels);
    Tensor wmask = ones({2, 1, 24, 32});
    wmask.select(0, 0).narrow(1, 16, 8).fill_(0.0);
    batch.set("warped_valid_mask", wmask);
    batch.set(
        "homography",
        from_vector<float>({1, 0, 1, 0, 1, -1, 0, 0, 1, 1, 0.02f, 1, 0, 1, 1, 0, 0, 1}, {2, 3, 3}));
    if (batch_norm) {
      // Textured images: flat ones leave channels with near-zero batch variance, where
      // BN amplifies rounding differences between devices far beyond these tolerances.
      batch.set("image", rand({2, 1, 24, 32}));
      batch.set("warped_image", rand({2, 1, 24, 32}));
    }
    Losses cpu = net.loss(net.run(batch), batch);
    ag::backward(cpu.total);
    std::map<std::string, Tensor> cpu_grads;
    for (const auto& [name, p] : net.named_parameters()) cpu_grads[name] = p.grad().clone();
    net.zero_grad();
    net.to(cuda_device(0));
    Batch gpu_batch = to_device(batch, cuda_device(0));
    Predictions pred = net.run(gpu_batch);
    Losses gpu = net.loss(pred, gpu_batch);
    ag::backward(gpu.total);
    for (const auto& [name, term] : cpu.terms) {
      const double value = term.item<double>();
      EXPECT_NEAR(gpu.terms.at(name).item<double>(), value, 1e-4 * (1 + std::abs(value)))
          << name << " bn " << batch_norm;
    }
    auto state = net.state_dict();
    for (const auto& [name, p] : net.named_parameters()) {
      const Tensor& expected = cpu_grads.at(name);
      const std::string prefix = name.substr(0, name.rfind('.'));
      if (batch_norm && name.substr(prefix.size()) == ".bias" &&
          state.at(prefix + ".weight").dim() == 4) {
        // A conv bias in front of BN: its gradient is 0 up to rounding on both devices.
        EXPECT_LT(amax(abs(p.grad())).item<float>(), 1e-5f) << name;
        continue;
      }
      const double scale = amax(abs(expected)).item<float>();
      EXPECT_TRUE(test::all_close(p.grad().cpu(), expected, 2e-3, 2e-3 * scale + 1e-7))
          << name << " bn " << batch_norm;
    }
    std::vector<Detections> dets = net.detect(pred);
    ASSERT_EQ(dets.size(), 2u);
    EXPECT_TRUE(dets[0].keypoints.is_cuda());
    EXPECT_EQ(dets[0].descriptors.size(0), dets[0].keypoints.size(0));
  }
}

}  // namespace
}  // namespace sp::models
