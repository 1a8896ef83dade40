// spdetect / spmatch / spcolmap end to end with the small random-weight DISK of
// tests/reference/models_disk.py on generated images: layouts, resuming, skipping
// unreadable images, refusing foreign files, and the COLMAP database they produce.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "colmap/database.h"
#include "data/image_io.h"
#include "features/feature_files.h"
#include "features/nearest_neighbor.h"
#include "helpers/test_helpers.h"
#include "procedures/colmap_export.h"
#include "procedures/detect_features.h"
#include "procedures/match_features.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::procedures {
namespace {

namespace fs = std::filesystem;

// A textured image, shifted by `shift` px (so pairs match).
void write_image(const fs::path& path, int64_t h, int64_t w, double shift) {
  std::vector<float> v(size_t(3 * h * w));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const double xs = double(x) - shift;
        v[size_t((c * h + y) * w + x)] =
            float(0.5 + 0.25 * std::sin(0.5 * xs + c) * std::cos(0.37 * double(y)) +
                  0.2 * std::sin(0.11 * xs * double(y % 7)));
      }
  fs::create_directories(path.parent_path());
  data::write_png(path.string(), from_vector<float>(v, Shape{3, h, w}));
}

DetectCommand tiny_detect(const std::string& images, const std::string& out) {
  DetectCommand c;
  c.images = images;
  c.output = out;
  c.model_path = test::fixture_path("models_disk_tiny.pth");
  c.model_options = {{"descriptor_dim", "8"}, {"down", "[4, 8, 8, 8, 8]"}, {"up", "[8, 8, 8]"}};
  c.device = "cpu";
  return c;
}

std::string make_images(const std::string& tag) {
  const std::string dir = test::temp_dir(tag) + "/images";
  write_image(fs::path(dir) / "a.png", 40, 56, 0);
  write_image(fs::path(dir) / "b.png", 40, 56, 2);
  write_image(fs::path(dir) / "sub" / "c.png", 48, 40, 1);
  std::ofstream(fs::path(dir) / "broken.jpg") << "not a jpeg";
  return dir;
}

TEST(Spdetect, WritesDisksLayoutSkipsUnreadableImagesAndResumes) {
  const std::string images = make_images("spdetect_disk");
  const std::string out = fs::path(images).parent_path() / "out";
  DetectCommand c = tiny_detect(images, out);
  DetectReport r = detect_features(c);
  EXPECT_EQ(r.images, 4);
  EXPECT_EQ(r.written, 3);
  EXPECT_EQ(r.failed, 1);
  for (const char* f : {"keypoints.h5", "descriptors.h5", "scores.h5", "images.txt"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  EXPECT_FALSE(fs::exists(fs::path(out) / ".spdetect-partial"));
  features::FeatureReader reader(out);
  EXPECT_EQ(reader.names(), (std::vector<std::string>{"a", "b", "sub-c"}));
  const features::ImageFeatures a = reader.read("a");
  ASSERT_GT(a.size(), 0);
  EXPECT_EQ(a.descriptors.size(1), 8);
  // By descending score, integer pixels inside the image.
  const std::vector<float> s = a.scores.to_vector<float>();
  EXPECT_TRUE(std::is_sorted(s.rbegin(), s.rend()));
  for (float v : a.keypoints.contiguous().to_vector<float>()) EXPECT_EQ(v, std::floor(v));
  const std::vector<ImageEntry> index = read_image_index(out + "/images.txt");
  ASSERT_EQ(index.size(), 3u);
  EXPECT_EQ(index[2].path, "sub/c.png");
  EXPECT_EQ(index[2].width, 40);
  EXPECT_EQ(index[2].height, 48);

  // A rerun does nothing new; a new image is the only one detected.
  r = detect_features(c);
  EXPECT_EQ(r.done, 3);
  EXPECT_EQ(r.written, 0);
  write_image(fs::path(images) / "d.png", 40, 56, 3);
  r = detect_features(c);
  EXPECT_EQ(r.done, 3);
  EXPECT_EQ(r.written, 1);
  EXPECT_EQ(features::FeatureReader(out).names().size(), 4u);
  EXPECT_TRUE(test::equal(features::FeatureReader(out).read("a").keypoints, a.keypoints));
}

TEST(Spdetect, CommittedChunksOfAKilledRunCountAsDone) {
  const std::string images = make_images("spdetect_chunks");
  const fs::path root = fs::path(images).parent_path();
  // A run killed after its first chunk: that chunk's folder, and a half-written one.
  const std::string first = (root / "first").string();
  write_image(root / "first" / "a.png", 40, 56, 0);
  detect_features(tiny_detect(first, (root / "first_out").string()));
  const fs::path partial = root / "out" / ".spdetect-partial";
  fs::create_directories(partial / "chunk-000003.tmp");
  fs::copy(root / "first_out", partial / "chunk-000000", fs::copy_options::recursive);
  DetectReport r = detect_features(tiny_detect(images, (root / "out").string()));
  EXPECT_EQ(r.done, 1);
  EXPECT_EQ(r.written, 2);
  EXPECT_FALSE(fs::exists(partial));
  features::FeatureReader reader((root / "out").string());
  EXPECT_EQ(reader.names().size(), 3u);
  EXPECT_TRUE(
      test::equal(reader.read("a").keypoints,
                  features::FeatureReader((root / "first_out").string()).read("a").keypoints));
}

TEST(Spdetect, HlocLayoutAndResizing) {
  const std::string images = make_images("spdetect_hloc");
  DetectCommand c = tiny_detect(images, fs::path(images).parent_path() / "feats.h5");
  c.format = "hloc";
  c.height = 32, c.width = 32;  // scale 32/56, padded
  DetectReport r = detect_features(c);
  EXPECT_EQ(r.written, 3);
  features::FeatureReader reader(c.output);
  EXPECT_EQ(reader.names(), (std::vector<std::string>{"a.png", "b.png", "sub/c.png"}));
  const features::ImageFeatures f = reader.read("a.png");
  EXPECT_EQ(f.width, 56);  // the original size
  EXPECT_EQ(f.height, 40);
  for (float v : f.keypoints.contiguous().to_vector<float>()) {
    EXPECT_GE(v, -0.5f);
    EXPECT_LT(v, 55.5f);
  }
  EXPECT_TRUE(fs::exists(fs::path(images).parent_path() / "feats.images.txt"));
}

TEST(Spdetect, RefusesForeignFilesAndBadSizes) {
  const std::string images = make_images("spdetect_foreign");
  const fs::path out = fs::path(images).parent_path() / "out";
  fs::create_directories(out);
  std::ofstream(out / "keypoints.h5") << "garbage";
  EXPECT_SP_ERROR(detect_features(tiny_detect(images, out.string())),
                  "pass --overwrite to replace it");
  EXPECT_EQ(fs::file_size(out / "keypoints.h5"), 7u);  // untouched
  {
    io::H5File foreign((out / "keypoints.h5").string(), io::H5File::Mode::Truncate);
    foreign.write("x", zeros({3}));
  }
  EXPECT_SP_ERROR(detect_features(tiny_detect(images, out.string())), "keypoints [N, 2]");
  DetectCommand c = tiny_detect(images, out.string());
  c.overwrite = true;
  EXPECT_EQ(detect_features(c).written, 3);
  c.height = 30, c.width = 0;
  EXPECT_SP_ERROR(detect_features(c), "both --height and --width");
  c.model_options.clear();  // the full-size network does not take the tiny weights
  c.height = c.width = 0;
  c.overwrite = true;
  EXPECT_SP_ERROR(detect_features(c), "unet.path_down.0.1.3.weight");
}

TEST(Spmatch, MatchesEveryPairLikeTheNearestNeighbourMatcher) {
  const std::string images = make_images("spmatch");
  const std::string out = fs::path(images).parent_path() / "out";
  detect_features(tiny_detect(images, out));
  MatchCommand m;
  m.features = out;
  m.save_threshold = 0;
  m.ratio_threshold = 0.9;
  m.device = "cpu";
  MatchReport r = match_features(m);
  EXPECT_EQ(r.pairs, 3);
  EXPECT_EQ(r.written, 3);
  {
    // (Scoped: libhdf5 would hand a reopen of a still-open file the cached old content.)
    features::FeatureReader reader(out);
    features::MatchReader matches(out + "/matches.h5", features::MatchLayout::Disk);
    EXPECT_EQ(matches.pairs().size(), 3u);
    const features::ImageFeatures a = reader.read("a"), b = reader.read("b");
    features::NearestNeighborOptions o;
    o.ratio_threshold = 0.9;
    const features::Matches direct = features::match_nearest_neighbors(
        a.descriptors.unsqueeze(0), b.descriptors.unsqueeze(0), Tensor(), Tensor(), o);
    ASSERT_GT(direct.pairs(0).size(0), 0);
    EXPECT_TRUE(test::equal(matches.read("a", "b"), direct.pairs(0)));
  }
  // An existing file is never replaced silently; a broken one is reported.
  EXPECT_SP_ERROR(match_features(m), "pass --overwrite to replace it");
  std::ofstream(out + "/matches.h5") << "garbage";
  EXPECT_SP_ERROR(match_features(m), "to be a disk matches file");
  m.overwrite = true;
  m.save_threshold = 1000000;
  r = match_features(m);
  EXPECT_EQ(r.written, 0);
  // A pair list naming an unknown image.
  const std::string pairs = fs::path(images).parent_path() / "pairs.txt";
  std::ofstream(pairs) << "a b\nb a\na nope\n";
  m.pairs = pairs;
  EXPECT_SP_ERROR(match_features(m), "pairs.txt:3, got 'nope'");
}

TEST(Spcolmap, WritesADatabaseColmapReads) {
  const std::string images = make_images("spcolmap");
  const std::string out = fs::path(images).parent_path() / "out";
  detect_features(tiny_detect(images, out));
  MatchCommand m;
  m.features = out;
  m.save_threshold = 0;
  m.device = "cpu";
  match_features(m);
  ColmapCommand c;
  c.features = out;
  c.images = images;
  c.database = fs::path(images).parent_path() / "database.db";
  c.verify = true;
  ColmapReport r = export_colmap(c);
  EXPECT_EQ(r.images, 3);
  EXPECT_EQ(r.cameras, 3);
  EXPECT_EQ(r.pairs, 3);
  colmap::Database db(c.database, colmap::Database::Mode::Read);
  const auto ids = db.images();
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[2].second, "sub/c.png");
  const colmap::Camera cam = db.camera(db.camera_of_image(ids[2].first));
  EXPECT_EQ(cam.width, 40);
  EXPECT_EQ(cam.params, (std::vector<double>{1.2 * 48, 20, 24, 0}));
  // Keypoints + 0.5, matches as stored by spmatch.
  features::FeatureReader reader(out);
  const std::vector<float> kp = db.keypoints(ids[0].first);
  const std::vector<float> a = reader.read("a").keypoints.contiguous().to_vector<float>();
  ASSERT_EQ(kp.size(), a.size());
  for (size_t i = 0; i < kp.size(); ++i) EXPECT_EQ(kp[i], a[i] + 0.5f);
  const Tensor ab = features::MatchReader(out + "/matches.h5", features::MatchLayout::Disk)
                        .read("a", "b")
                        .contiguous();
  const auto stored = db.matches(ids[0].first, ids[1].first);
  ASSERT_EQ(int64_t(stored.size()), ab.size(0));
  for (size_t k = 0; k < stored.size(); ++k)
    EXPECT_EQ(int64_t(stored[k][0]), ab.data<int64_t>()[2 * k]);
  EXPECT_EQ(db.count("two_view_geometries"), 3);
  db.close();
  // Never overwritten silently; one camera needs one image size.
  EXPECT_SP_ERROR(export_colmap(c), "pass --overwrite to replace it");
  c.overwrite = true;
  c.single_camera = true;
  EXPECT_SP_ERROR(export_colmap(c), "expected images of one size with --single-camera");
  EXPECT_TRUE(fs::exists(c.database));  // the failed run left the old database alone
  EXPECT_FALSE(fs::exists(c.database + ".tmp"));
}

}  // namespace
}  // namespace sp::procedures
