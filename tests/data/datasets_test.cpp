#include "data/datasets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

namespace fs = std::filesystem;

ShapesConfig small_shapes() {
  ShapesConfig c;
  c.canvas_height = 240, c.canvas_width = 320, c.blur_size = 5, c.height = 60, c.width = 80;
  c.split_sizes = {10, 4, 5};
  return c;
}

// An image with bright 3x3 squares at the given points.
Tensor dots(int64_t h, int64_t w, const std::vector<float>& pts) {
  Tensor t = zeros({1, h, w});
  for (size_t i = 0; i < pts.size(); i += 2)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        t.data<float>()[(int64_t(pts[i + 1]) + dy) * w + int64_t(pts[i]) + dx] = 1.0f;
  return t;
}

TEST(Datasets, SyntheticSplitsTruncateAndShuffle) {
  ShapesConfig full;
  EXPECT_EQ(SyntheticShapesDataset(full, Split::Train, {}).size(), 66000);
  EXPECT_EQ(SyntheticShapesDataset(full, Split::Val, {}).size(), 1320);
  EXPECT_EQ(SyntheticShapesDataset(full, Split::Test, {}).size(), 3300);
  SyntheticShapesDataset ds(small_shapes(), Split::Train, {});
  EXPECT_EQ(ds.size(), 66);
  EXPECT_NE(ds.item(0), ds.item(1));
  Sample s = ds.get(3, 0);
  EXPECT_EQ(s.at("image").shape(), (Shape{1, 60, 80}));
  EXPECT_EQ(s.at("labels_2D").shape(), (Shape{1, 60, 80}));
  EXPECT_EQ(s.at("labels_res").shape(), (Shape{2, 60, 80}));
  EXPECT_TRUE(test::equal(s.at("valid_mask"), ones({1, 60, 80})));
  EXPECT_SP_ERROR(ds.get(66, 0), "[0, 66)");
}

TEST(Datasets, SyntheticAugmentationIsDeterministicPerSeed) {
  AugmentConfig aug;
  aug.photometric = aug.homographic = true;
  aug.photometric_params = PhotometricParams::synthetic_shapes();
  aug.homography_params = HomographyParams::synthetic_shapes();
  SyntheticShapesDataset ds(small_shapes(), Split::Train, aug);
  Sample a = ds.get(5, 100), b = ds.get(5, 100), c = ds.get(5, 101);
  EXPECT_TRUE(test::equal(a.at("image"), b.at("image")));
  EXPECT_TRUE(test::equal(a.at("valid_mask"), b.at("valid_mask")));
  EXPECT_FALSE(test::equal(a.at("image"), c.at("image")));
}

TEST(Datasets, AugmentedLabelsFollowTheWarpedPixels) {
  std::vector<float> pts = {20, 15, 40, 30, 60, 45, 30, 40};
  Tensor img = dots(60, 80, pts);
  AugmentConfig aug;
  aug.homographic = true;
  aug.homography_params = HomographyParams::warped_pair();
  int checked = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Sample s = augment_sample(img, from_vector(pts, {4, 2}), aug, seed);
    const float* lab = s.at("labels_2D").data<float>();
    const float* im = s.at("image").data<float>();
    for (int64_t i = 0; i < 60 * 80; ++i)
      if (lab[i] == 1.0f) {
        EXPECT_GT(im[i], 0.2f) << "seed " << seed << " pixel " << i;
        ++checked;
      }
  }
  EXPECT_GT(checked, 10);
}

TEST(Datasets, WarpedPairMapsLabelsWithTheHomography) {
  std::vector<float> pts = {20, 15, 40, 30, 60, 45};
  Tensor img = dots(60, 80, pts);
  AugmentConfig aug;
  aug.homography_params = HomographyParams::warped_pair();
  Sample s = warped_pair(img, from_vector(pts, {3, 2}), aug, 7);
  for (const char* k :
       {"image", "warped_image", "labels_2D", "warped_labels", "valid_mask", "warped_valid_mask"})
    EXPECT_EQ(s.at(k).shape(), (Shape{1, 60, 80})) << k;
  EXPECT_TRUE(test::equal(s.at("image"), img));
  Tensor h = s.at("homography"), hinv = s.at("inv_homography");
  Mat3 m, mi;
  for (int i = 0; i < 9; ++i)
    m(i / 3, i % 3) = h.data<float>()[i], mi(i / 3, i % 3) = hinv.data<float>()[i];
  EXPECT_LT((m * mi - Mat3::Identity()).norm(), 1e-4);
  Tensor w = filter_points(warp_points(from_vector(pts, {3, 2}), m), 60, 80);
  const float* wl = s.at("warped_labels").data<float>();
  for (int64_t i = 0; i < w.size(0); ++i) {
    int64_t x = std::lround(w.data<float>()[2 * i]), y = std::lround(w.data<float>()[2 * i + 1]);
    EXPECT_EQ(wl[y * 80 + x], 1.0f);
    EXPECT_GT(s.at("warped_image").data<float>()[y * 80 + x], 0.2f);
  }
}

TEST(Datasets, ImageFoldersCocoKittiAndLabels) {
  std::string root = test::temp_dir("folders");
  std::string kitti = root + "/KITTI/2011_09_26/2011_09_26_drive_0001_sync";
  for (std::string d : {root + "/COCO/train2014", kitti + "/image_02/data",
                        kitti + "/image_00/data", root + "/labels"})
    fs::create_directories(d);
  Tensor img = dots(48, 64, {10, 10, 30, 20});
  for (const char* n : {"a", "b", "c"})
    write_png(root + "/COCO/train2014/" + std::string(n) + ".png", img);
  write_png(kitti + "/image_02/data/0000000000.png", img);
  write_png(kitti + "/image_00/data/0000000000.png", img);
  write_keypoint_labels(root + "/labels/a.h5",
                        from_vector<float>({5, 5, 0.9f, 15, 10, 0.5f}, {2, 3}));
  write_keypoint_labels(root + "/labels/c.h5", from_vector<float>({1, 2, 0.3f}, {1, 3}));
  EXPECT_EQ(read_keypoint_labels(root + "/labels/a.h5").shape(), (Shape{2, 3}));

  ImageFolderConfig cfg;
  cfg.root = root;
  cfg.layout = "coco";
  cfg.size = {24, 32};
  EXPECT_EQ(ImageFolderDataset(cfg).size(), 3);
  EXPECT_EQ(ImageFolderDataset(cfg).get(0, 0).at("image").shape(), (Shape{1, 24, 32}));
  cfg.labels_dir = root + "/labels";
  cfg.pairs = true;
  ImageFolderDataset coco(cfg);
  ASSERT_EQ(coco.size(), 2);
  Sample s = coco.get(0, 3);
  EXPECT_EQ(s.at("warped_image").shape(), (Shape{1, 24, 32}));
  EXPECT_EQ(s.at("labels_2D").data<float>()[5 * 32 + 5], 1.0f);
  EXPECT_EQ(s.at("labels_2D").data<float>()[10 * 32 + 15], 1.0f);

  ImageFolderConfig k;
  k.root = root;
  k.layout = "kitti";
  EXPECT_EQ(ImageFolderDataset(k).size(), 1);  // image_02 only
  // Frame names repeat across drives: label names keep the path below KITTI/.
  const std::string drive2 = root + "/KITTI/2011_09_26/2011_09_26_drive_0002_sync/image_02/data";
  fs::create_directories(drive2);
  write_png(drive2 + "/0000000000.png", img);
  ImageFolderDataset drives(k);
  ASSERT_EQ(drives.size(), 2);
  EXPECT_EQ(drives.label_name(0), "2011_09_26/2011_09_26_drive_0001_sync/image_02/data/0000000000");
  EXPECT_EQ(drives.label_name(1), "2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000000");
  const std::string kitti_labels =
      root + "/kitti_labels/2011_09_26/2011_09_26_drive_0002_sync/image_02/data";
  fs::create_directories(kitti_labels);
  write_keypoint_labels(kitti_labels + "/0000000000.h5", from_vector<float>({7, 3, 0.8f}, {1, 3}));
  k.labels_dir = root + "/kitti_labels";
  k.size = {48, 64};
  ImageFolderDataset labelled(k);
  ASSERT_EQ(labelled.size(), 1);  // only drive 0002 has labels
  EXPECT_EQ(labelled.path(0), drive2 + "/0000000000.png");
  EXPECT_EQ(labelled.get(0, 0).at("labels_2D").data<float>()[3 * 64 + 7], 1.0f);
  EXPECT_EQ(coco.label_name(1), "c");
  k.layout = "imagenet";
  EXPECT_SP_ERROR(ImageFolderDataset{k}, "coco|kitti|folder");
  cfg.root = root + "/nowhere";
  EXPECT_SP_ERROR(ImageFolderDataset{cfg}, "nowhere");
}

TEST(Datasets, HPatchesPairsAndAdaptedHomographies) {
  std::string root = test::temp_dir("hpatches");
  for (std::string seq : {"i_x", "v_y"}) {
    std::string d = root + "/hpatches-sequences-release/" + seq;
    fs::create_directories(d);
    write_ppm(d + "/1.ppm", dots(60, 80, {20, 20}));
    for (int k = 2; k <= 6; ++k) {
      // Image k is image 1 at twice the size: pixel centers map as p -> 2p + 0.5.
      write_ppm(d + "/" + std::to_string(k) + ".ppm", resize(dots(60, 80, {20, 20}), 120, 160));
      std::ofstream(d + "/H_1_" + std::to_string(k)) << "2 0 0.5\n0 2 0.5\n0 0 1\n";
    }
  }
  fs::create_directories(root + "/hpatches-sequences-release/README_dir");
  EXPECT_EQ(HPatchesDataset(root).size(), 10);
  EXPECT_EQ(HPatchesDataset(root, "v").size(), 5);
  HPatchesDataset ds(root, "i", {30, 40});
  EXPECT_EQ(ds.name(0), "i_x/2");
  Sample s = ds.get(0, 0);
  EXPECT_EQ(s.at("image").shape(), (Shape{1, 30, 40}));
  EXPECT_EQ(s.at("warped_image").shape(), (Shape{1, 30, 40}));
  EXPECT_TRUE(test::all_close(s.at("homography"), eye(3), 0, 1e-5));
  EXPECT_SP_ERROR(HPatchesDataset(root, "x"), "all|i|v");
  EXPECT_SP_ERROR(HPatchesDataset(root + "/none"), "hpatches-sequences-release");
}

}  // namespace
}  // namespace sp::data
