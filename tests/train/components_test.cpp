#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "models/superpoint.h"
#include "tensor/ops/creation.h"
#include "train/checkpoints.h"
#include "train/data_config.h"
#include "train/model_config.h"
#include "train/train_config.h"

namespace sp::train {
namespace {

DataOptions quiet() {
  DataOptions o;
  o.verbose = false;
  return o;
}

TEST(Checkpoints, ParsesNamesAndKeepsTrainerState) {
  auto f = parse_checkpoint_name("checkpoint_3_1200_interrupted.h5");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->epoch, 3);
  EXPECT_EQ(f->step, 1200);
  EXPECT_TRUE(f->interrupted);
  EXPECT_FALSE(parse_checkpoint_name("checkpoint_best.h5").has_value());
  EXPECT_FALSE(parse_checkpoint_name("checkpoint_1_2.h5.tmp").has_value());

  nn::Checkpoint c;
  c.optimizer["param_groups.0.lr"] = scalar_tensor(0.1, DType::F64);
  put_trainer_state(
      c, TrainerState{.epoch = 4, .best_value = 0.25, .has_best = true, .best_step = 90});
  const std::string dir = test::temp_dir("ckpt");
  CheckpointManager m(dir, 2);
  c.step = 100;
  m.save(c, 4);
  nn::Checkpoint back = nn::load_checkpoint(dir + "/checkpoint_4_100.h5");
  TrainerState s = split_trainer_state(back);
  EXPECT_EQ(s.epoch, 4);
  EXPECT_EQ(s.best_step, 90);
  EXPECT_DOUBLE_EQ(s.best_value, 0.25);
  EXPECT_EQ(back.optimizer.size(), 1u);  // only the optimizer's own keys remain
}

TEST(Checkpoints, PrunesOldAndStaleInterruptedOnes) {
  const std::string dir = test::temp_dir("prune");
  CheckpointManager m(dir, 2);
  nn::Checkpoint c;
  for (int64_t step : {1, 2}) {
    c.step = step;
    m.save(c, 0, /*interrupted=*/step == 2);
  }
  EXPECT_EQ(m.list().size(), 2u);  // the interrupted one is the newest: kept
  c.step = 3;
  m.save(c, 0);
  auto files = m.list();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].step, 1);
  EXPECT_EQ(files[1].step, 3);
  EXPECT_EQ(m.latest()->step, 3);
}

TEST(TrainConfigTest, ReadsScheduleAndRejectsBadValues) {
  Config c = Config::from_string(
      "[train]\nlr = 0.1\nmax_steps = 10\n[train.lr_schedule]\ntype = \"exp\"\nstart = "
      "2\nexp_div_10 = 4\n");
  ConfigReader r(c);
  TrainConfig tc = TrainConfig::from(r);
  r.finish();
  EXPECT_FALSE(tc.tf32);  // FMA math unless asked
  auto s = make_lr_schedule(tc, 10);
  EXPECT_DOUBLE_EQ(s->lr(0), 0.1);
  EXPECT_DOUBLE_EQ(s->lr(1), 0.1);
  // Glue Factory's multiplicative form: steps 2..t each divide by 10^(1/4).
  EXPECT_NEAR(s->lr(5), 0.1 * std::pow(10.0, -1.0), 1e-12);

  Config w = Config::from_string(
      "[train]\nmax_steps = 10\n[train.lr_schedule]\ntype = \"cosine\"\nwarmup = 2\n");
  ConfigReader rw(w);
  auto sw = make_lr_schedule(TrainConfig::from(rw), 10);
  EXPECT_NEAR(sw->lr(0), 1e-4, 1e-12);  // 0.1 * default lr 1e-3
  EXPECT_NEAR(sw->lr(2), 1e-3, 1e-12);

  Config bad = Config::from_string("[train]\nbest_mode = \"up\"\n");
  ConfigReader rb(bad);
  EXPECT_SP_ERROR(TrainConfig::from(rb), "train.best_mode");
  Config tf32 = Config::from_string("[train]\ntf32 = true\n");
  ConfigReader rt(tf32);
  EXPECT_TRUE(TrainConfig::from(rt).tf32);
  Config dev = Config::from_string("[train]\ndevice = \"tpu\"\n");
  ConfigReader rd(dev);
  EXPECT_SP_ERROR(TrainConfig::from(rd), "train.device");
}

TEST(ModelConfig, ReadsTheModelTableStrictly) {
  Config c = Config::from_string(
      "[model]\nname = \"magicpoint\"\nwidth = 0.125\nnms_radius = 2\n[train]\nlr = 1.0\n");
  auto model = build_model(c);
  auto* sp = dynamic_cast<models::SuperPoint*>(model.get());
  ASSERT_NE(sp, nullptr);
  EXPECT_TRUE(sp->config().detector_only);
  EXPECT_EQ(sp->config().nms_radius, 2);
  c.apply_override("model.nms_radus=3");
  EXPECT_SP_ERROR(build_model(c), "did you mean model.nms_radius?");
  Config wrong = Config::from_string("[model]\nname = \"magicpoint\"\nwidth = \"wide\"\n");
  EXPECT_SP_ERROR(build_model(wrong), "model.width");
  Config unknown = Config::from_string("[model]\nname = \"magicpont\"\n");
  EXPECT_SP_ERROR(build_model(unknown), "magicpoint");
}

TEST(DataConfig, BuildsSmallSyntheticShapesStrictly) {
  Config c = Config::from_string(R"(
[data]
name = "synthetic_shapes"
canvas = [64, 80]
blur_size = 3
resize = [32, 40]
split_sizes = [2, 1, 0]
primitives = ["draw_lines", "draw_polygon"]
[data.photometric]
enable = true
noise_stddev_range = [0, 5]
[data.homographic]
enable = true
patch_ratio = 0.9
)");
  ConfigReader r(c);
  DataSets d = make_datasets(r, quiet());
  r.finish();
  ASSERT_TRUE(d.train && d.val);
  EXPECT_EQ(d.train->size(), 4);
  EXPECT_EQ(d.val->size(), 2);
  data::Sample s = d.train->get(0, 5);
  EXPECT_EQ(s.at("image").shape(), Shape({1, 32, 40}));
  EXPECT_EQ(s.at("labels_2D").shape(), Shape({1, 32, 40}));
  EXPECT_EQ(s.at("valid_mask").shape(), Shape({1, 32, 40}));
  c.apply_override("data.homographic.patch_ration=0.5");
  ConfigReader r2(c);
  make_datasets(r2, quiet());
  EXPECT_SP_ERROR(r2.finish(), "did you mean data.homographic.patch_ratio?");
  Config odd = Config::from_string("[data]\nname = \"synthetic_shapes\"\nresize = [30, 40]\n");
  ConfigReader r3(odd);
  DataOptions superpoint = quiet();
  superpoint.size_multiple = 8, superpoint.model = "SuperPoint";
  EXPECT_SP_ERROR(make_datasets(r3, superpoint),
                  "data.resize to be multiples of 8 for SuperPoint, got [30, 40]");
}

}  // namespace
}  // namespace sp::train
