// SuperGlue under data-parallel training: convert_sync_batch_norm swaps every batch norm of
// the keypoint encoder and the GNN for SyncBatchNorm, and with world size 1 a training step
// is unchanged (models/superglue.cpp hands the norms the points as [1, C, R, 1]).
#include <gtest/gtest.h>

#include <algorithm>

#include "helpers/test_helpers.h"
#include "models/superglue.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"
#include "train/distributed/communicator.h"
#include "train/distributed/sync_batch_norm.h"

namespace sp::train {
namespace {

struct Step {
  Tensor log_assignment;
  std::map<std::string, Tensor> grads;
};

Step training_step(models::SuperGlue& sg, const std::map<std::string, Tensor>& fx) {
  features::NamedTensors t;
  for (const char* v : {"0", "1"}) {
    features::Features f;
    f.keypoints = fx.at(std::string("train/keypoints") + v);
    f.scores = fx.at(std::string("train/scores") + v);
    f.descriptors = fx.at(std::string("train/descriptors") + v);
    const int64_t B = f.keypoints.size(0), N = f.keypoints.size(1);
    f.mask = ones({B, N}, DType::Bool);
    f.image_size = fx.at("train/size").view({1, 2}).expand({B, 2}).contiguous();
    f.put(t, v);
  }
  models::Batch batch = models::make_batch(t);
  batch.set("gt_matches0", fx.at("train/gt_matches0"));
  batch.set("gt_matches1", fx.at("train/gt_matches1"));
  sg.train();
  sg.zero_grad();
  const models::Predictions pred = sg.run(batch);
  ag::backward(sg.loss(pred, batch).total);
  Step s;
  s.log_assignment = pred.at("log_assignment").data().clone();
  for (const auto& [name, v] : sg.named_parameters()) s.grads[name] = v.grad().clone();
  return s;
}

TEST(SuperGlueSyncBatchNorm, WorldSizeOneStepEqualsThePlainOne) {
  auto fx = test::load_fixture("models_superglue.h5");
  models::SuperGlueConfig c;
  c.descriptor_dim = 32;
  c.keypoint_encoder = {8, 16};
  c.num_layers = 4;
  c.sinkhorn_iterations = 10;
  models::SuperGlue plain(c), synced(c);
  plain.load_pretrained(test::fixture_path("models_superglue_tiny.pth"));
  synced.load_pretrained(test::fixture_path("models_superglue_tiny.pth"));
  EXPECT_EQ(convert_sync_batch_norm(synced, std::make_shared<SingleProcessCommunicator>()),
            2 + 4);  // encoder, one per GNN layer
  const Step a = training_step(plain, fx), b = training_step(synced, fx);
  EXPECT_TRUE(test::all_close(b.log_assignment, a.log_assignment, 1e-5, 1e-5));
  for (const auto& [name, g] : a.grads) {
    SCOPED_TRACE(name);
    const double scale = amax(abs(g)).item<float>();
    EXPECT_TRUE(test::all_close(b.grads.at(name), g, 1e-4, 1e-4 * std::max(scale, 1e-2)));
  }
}

}  // namespace
}  // namespace sp::train
