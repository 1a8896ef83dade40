// DISK against kornia 0.9.0 (tests/reference/models_disk.py): a small random-weight
// network in the official file's layout, its maps and features on images that need
// padding, and the detection rules on tie-heavy heatmaps.
#include "models/disk.h"

#include <gtest/gtest.h>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "models/disk_detect.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

DiskConfig tiny_config() {
  DiskConfig c;
  c.descriptor_dim = 8;
  c.down = {4, 8, 8, 8, 8};
  c.up = {8, 8, 8};
  return c;
}

std::shared_ptr<DISK> tiny_disk(DiskConfig c = tiny_config()) {
  auto m = std::make_shared<DISK>(c);
  m->load_pretrained(test::fixture_path("models_disk_tiny.pth"));
  m->eval();
  return m;
}

Batch image_batch(const Tensor& image) {
  Batch b("batch");
  b.set("image", image);
  return b;
}

TEST(Disk, ParameterNamesAndCountAreThoseOfTheOfficialWeights) {
  DISK disk{DiskConfig{}};
  int64_t count = 0;
  for (const auto& [name, p] : disk.named_parameters()) count += p.numel();
  EXPECT_EQ(count, 1092369);  // matchers.md 4.1
  const auto state = disk.state_dict();
  EXPECT_EQ(state.at("unet.path_down.0.1.3.weight").shape(), (Shape{16, 3, 5, 5}));
  EXPECT_EQ(state.count("unet.path_down.0.1.1.weight"), 0u);  // level 0: no PReLU
  EXPECT_EQ(state.at("unet.path_down.1.1.1.weight").shape(), (Shape{16}));
  EXPECT_EQ(state.at("unet.path_down.4.1.3.weight").shape(), (Shape{64, 64, 5, 5}));
  EXPECT_EQ(state.at("unet.path_up.0.conv.1.weight").shape(), (Shape{128}));
  EXPECT_EQ(state.at("unet.path_up.3.conv.3.weight").shape(), (Shape{129, 80, 5, 5}));
  EXPECT_EQ(state.at("unet.path_up.3.conv.3.bias").shape(), (Shape{129}));
  EXPECT_EQ(state.size(),
            2u + 4 * 3 + 4 * 3);  // level 0 conv, levels 1-4 and 4 up blocks: PReLU + conv
}

TEST(Disk, MapsMatchKorniaOnImagesThatArePadded) {
  auto fx = test::load_fixture("models_disk.h5");
  auto disk = tiny_disk();
  ag::NoGradGuard no_grad;
  Predictions p = disk->run(image_batch(fx.at("images")));  // [2, 3, 40, 56] -> padded to 48 x 64
  EXPECT_TRUE(test::all_close(p.at("heatmap").data().contiguous(), fx.at("heatmap"), 1e-4, 1e-5));
  EXPECT_TRUE(
      test::all_close(p.at("descriptors").data().contiguous(), fx.at("descriptors"), 1e-4, 1e-5));
}

TEST(Disk, FeaturesMatchKorniaWithAndWithoutTopN) {
  auto fx = test::load_fixture("models_disk.h5");
  for (const auto& [tag, n] : {std::pair<std::string, int64_t>{"all", -1}, {"n12", 12}}) {
    DiskConfig c = tiny_config();
    c.max_keypoints = n;
    auto disk = tiny_disk(c);
    features::Features f = disk->extract(fx.at("images"));
    ASSERT_EQ(f.batch_size(), 2);
    for (int64_t b = 0; b < 2; ++b) {
      const std::string k = tag + "/" + std::to_string(b) + "/";
      features::ImageFeatures im = f.image(b);
      EXPECT_EQ(im.width, 56);
      EXPECT_EQ(im.height, 40);
      EXPECT_TRUE(test::equal(im.keypoints, fx.at(k + "keypoints"))) << k;
      EXPECT_TRUE(test::all_close(im.scores, fx.at(k + "scores"), 1e-4, 1e-5)) << k;
      EXPECT_TRUE(test::all_close(im.descriptors, fx.at(k + "descriptors"), 1e-4, 1e-5)) << k;
    }
  }
}

TEST(Disk, DetectionFollowsKorniaOnTiesPlateausAndTheBorder) {
  auto fx = test::load_fixture("models_disk.h5");
  struct Case {
    std::string source, tag;
    int64_t n;
    double threshold;
    int64_t window;
  };
  for (const Case& k : {Case{"ties", "t0_all", -1, 0.0, 5}, Case{"ties", "t0_n5", 5, 0.0, 5},
                        Case{"ties", "t25_n3", 3, 2.5, 5}, Case{"ties", "w3_all", -1, 0.0, 3},
                        Case{"ties", "w3_n10", 10, 0.0, 3}, Case{"spikes", "all", -1, 0.0, 5},
                        Case{"spikes", "n7", 7, 0.0, 5}, Case{"spikes", "t15_n4", 4, 1.5, 5}}) {
    DiskConfig c = tiny_config();
    c.max_keypoints = k.n;
    c.detection_threshold = k.threshold;
    c.nms_window = k.window;
    DISK disk(c);
    const Tensor heat = fx.at(k.source + "/heatmap");
    const Tensor desc = ones({2, 1, heat.size(2), heat.size(3)});
    std::vector<DiskDetections> dets = disk.detect(heat, desc);
    ASSERT_EQ(dets.size(), 2u);
    for (size_t b = 0; b < 2; ++b) {
      const std::string key = k.source + "/" + k.tag + "/" + std::to_string(b) + "/";
      EXPECT_TRUE(test::equal(dets[b].keypoints, fx.at(key + "keypoints"))) << key;
      EXPECT_TRUE(test::equal(dets[b].scores, fx.at(key + "scores"))) << key;
    }
  }
}

TEST(Disk, TopNKeepsTheStrongestWithTiesInOrder) {
  EXPECT_EQ(top_n_in_order({1, 3, 2, 3, 3, 0}, 2), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(top_n_in_order({1, 3, 2, 3, 3, 0}, 4), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(top_n_in_order({1, 3, 2}, 3), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(top_n_in_order({1, 3, 2}, -1), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(top_n_in_order({}, 4).empty());
}

TEST(Disk, PaddedRegionIsNeverLookedAt) {
  // A spike inside the padding must neither be a keypoint nor suppress one.
  Tensor heat = full({1, 1, 16, 16}, -1.0);
  Tensor h = heat.select(0, 0).select(0, 0);
  h.select(0, 5).select(0, 5).fill_(2.0);
  h.select(0, 5).select(0, 12).fill_(9.0);  // in the padding when the image is 16 x 11
  const Tensor all = disk_maxima_mask(heat, 5, 0.0);
  EXPECT_EQ(sum(all).item<int64_t>(), 2);
  const Tensor image = disk_maxima_mask(heat, 5, 0.0, 16, 11);
  EXPECT_EQ(sum(image).item<int64_t>(), 1);
  EXPECT_TRUE(image.select(0, 0).select(0, 5).select(0, 5).item<bool>());
  // x = 9 is a maximum of the full map, but its window runs past x = 10, the image edge.
  h.select(0, 9).select(0, 9).fill_(3.0);
  EXPECT_EQ(sum(disk_maxima_mask(heat, 5, 0.0)).item<int64_t>(), 3);
  EXPECT_EQ(sum(disk_maxima_mask(heat, 5, 0.0, 16, 11)).item<int64_t>(), 1);
}

TEST(Disk, ErrorsNameTheProblem) {
  register_builtin_models();
  MapConfig config({{"pad_if_not_divisible", "false"},
                    {"descriptor_dim", "8"},
                    {"down", "[4, 8, 8, 8, 8]"},
                    {"up", "[8, 8, 8]"}});
  auto model = create_model("disk", config);
  auto* disk = dynamic_cast<DISK*>(model.get());
  ASSERT_NE(disk, nullptr);
  EXPECT_EQ(disk->image_size_multiple(), 16);
  EXPECT_SP_ERROR(disk->extract(zeros({1, 3, 40, 56})),
                  "expected H and W multiples of 16, got [1, 3, 40, 56]");
  EXPECT_SP_ERROR(disk->extract(zeros({1, 1, 32, 32})), "expected RGB images [B, 3, H, W]");
  EXPECT_SP_ERROR(disk->run(Batch("batch")), "expected key 'image'");
  // A weights file of another model names the first key it lacks.
  EXPECT_SP_ERROR(disk->load_pretrained(test::fixture_path("models_superpoint_tiny.pth")),
                  "missing unet.path_down.0.1.3.weight");
  // The full-size network does not take the tiny weights: the shape is named.
  DISK full{DiskConfig{}};
  EXPECT_SP_ERROR(
      full.load_pretrained(test::fixture_path("models_disk_tiny.pth")),
      "expected 'unet.path_down.0.1.3.weight' of shape [16, 3, 5, 5], got [4, 3, 5, 5]");
  MapConfig bad_up(std::map<std::string, std::string>{{"up", "[64, 64, 64, 129]"}});
  EXPECT_SP_ERROR(create_model("disk", bad_up), "up with len(down) - 2");
  EXPECT_SP_ERROR(disk->loss(Predictions(), Batch()), "not implemented yet");
}

TEST(DiskGpu, MaximaMaskAndFeaturesMatchTheCpu) {
  SP_SKIP_WITHOUT_GPU();
  auto fx = test::load_fixture("models_disk.h5");
  for (const char* src : {"ties/heatmap", "spikes/heatmap", "heatmap"}) {
    const Tensor heat = fx.at(src);
    for (int64_t window : {3, 5})
      EXPECT_TRUE(test::equal(disk_maxima_mask(heat.cuda(), window, 0.0, heat.size(2) - 3).cpu(),
                              disk_maxima_mask(heat, window, 0.0, heat.size(2) - 3)))
          << src;
  }
  DiskConfig c = tiny_config();
  c.max_keypoints = 12;
  auto disk = tiny_disk(c);
  features::Features cpu = disk->extract(fx.at("images"));
  disk->to(cuda_device(0));
  features::Features gpu = disk->extract(fx.at("images").cuda()).to(kCPU);
  EXPECT_TRUE(test::equal(gpu.keypoints, cpu.keypoints));
  EXPECT_TRUE(test::all_close(gpu.scores, cpu.scores, 1e-4, 1e-5));
  EXPECT_TRUE(test::all_close(gpu.descriptors, cpu.descriptors, 1e-4, 1e-5));
}

}  // namespace
}  // namespace sp::models
