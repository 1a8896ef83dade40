// Homography Adaptation on a tiny MagicPoint: aggregation invariants, the identity-only
// case against a single forward's detections, and the resumable label export.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "procedures/homography_adaptation.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::procedures {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<models::SuperPoint> tiny_model(bool detector_only = true) {
  models::SuperPointConfig c;
  c.detector_only = detector_only;
  c.width = 0.25;
  c.descriptor_dim = 16;
  auto m = std::make_shared<models::SuperPoint>(c);
  m->eval();
  return m;
}

// A smooth random texture [1, H, W] in [0, 1].
Tensor texture(int64_t h, int64_t w, uint64_t seed) {
  std::vector<float> v(size_t(h * w));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      v[size_t(y * w + x)] =
          float(0.5 + 0.25 * std::sin(0.3 * x + seed) * std::cos(0.23 * y - 0.7 * seed) +
                0.2 * (((x / 8 + y / 8 + seed) % 2) ? 1 : -1));
  return from_vector<float>(v, Shape{1, h, w});
}

HomographyAdaptationConfig small_config(int64_t num) {
  HomographyAdaptationConfig c = ps_export_defaults();
  c.num = num;
  c.detect.options.threshold = 0.0f;  // random weights: keep every NMS survivor
  c.detect.options.top_k = 50;
  c.subpixel = false;
  return c;
}

TEST(ExportHomographyAdaptation, SamplesIdentityFirstAndIsSeeded) {
  HomographyAdaptationConfig c = small_config(4);
  Tensor h = sample_adaptation_homographies(c, 64, 80, 7);
  ASSERT_EQ(h.shape(), (Shape{4, 3, 3}));
  EXPECT_TRUE(test::equal(h.select(0, 0), eye(3, 3, DType::F64)));
  EXPECT_TRUE(test::equal(h, sample_adaptation_homographies(c, 64, 80, 7)));
  EXPECT_FALSE(test::all_close(h, sample_adaptation_homographies(c, 64, 80, 8)));
  EXPECT_NE(image_seed(0, "a"), image_seed(0, "b"));
}

// Rows (x, y, score) ordered by position: near-tied scores of a random network may
// swap ranks between two float paths, the point sets must not differ.
std::vector<std::array<float, 3>> by_position(const Tensor& xy, const Tensor& scores) {
  std::vector<float> p = xy.cpu().contiguous().to_vector<float>(),
                     s = scores.cpu().contiguous().to_vector<float>();
  std::vector<std::array<float, 3>> rows;
  for (size_t i = 0; i < s.size(); ++i) rows.push_back({p[2 * i + 1], p[2 * i], s[i]});
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(ExportHomographyAdaptation, IdentityOnlyEqualsSingleForwardDetections) {
  auto model = tiny_model();
  Tensor image = texture(64, 80, 1).unsqueeze(0);
  for (models::NmsKind nms : {models::NmsKind::Grid, models::NmsKind::MaxPool}) {
    HomographyAdaptationConfig c = small_config(1);
    c.detect.nms = nms;
    c.detect.options.top_k = -1;
    Tensor points = homography_adaptation(*model, image, c, 3);
    ag::NoGradGuard no_grad;
    auto [logits, desc] = model->forward_image(ag::Var(image));
    models::Detections d = models::detect(logits.data(), Tensor(), c.detect).front();
    ASSERT_EQ(points.size(0), d.keypoints.size(0));
    ASSERT_GT(points.size(0), 0);
    auto a = by_position(points.narrow(1, 0, 2), points.select(1, 2)),
         b = by_position(d.keypoints, d.scores);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i][0], b[i][0]) << i;
      EXPECT_EQ(a[i][1], b[i][1]) << i;
      EXPECT_NEAR(a[i][2], b[i][2], 1e-6) << i;
    }
    // Scores stay sorted in descending order.
    std::vector<float> s = points.select(1, 2).contiguous().to_vector<float>();
    EXPECT_TRUE(std::is_sorted(s.rbegin(), s.rend()));
  }
}

TEST(ExportHomographyAdaptation, MeanOfRepeatedViewsAndChunksAgree) {
  auto model = tiny_model();
  Tensor image = texture(64, 80, 2).unsqueeze(0);
  HomographyAdaptationConfig c = small_config(1);
  Tensor single = adapted_heatmap(*model, image, eye(3, 3, DType::F64).unsqueeze(0), c);
  // Three identical identity views: the masked mean is the single map.
  Tensor same = adapted_heatmap(
      *model, image, eye(3, 3, DType::F64).unsqueeze(0).expand({3, 3, 3}).contiguous(), c);
  EXPECT_TRUE(test::all_close(same, single, 1e-5, 1e-7));
  // Sampled views: values stay probabilities, and chunked forwards give the same mean.
  c.num = 5;
  Tensor h = sample_adaptation_homographies(c, 64, 80, 11);
  Tensor all = adapted_heatmap(*model, image, h, c);
  EXPECT_EQ(all.shape(), (Shape{1, 1, 64, 80}));
  EXPECT_LE(max(all).item<float>(), 1.0f);
  EXPECT_GE(min(all).item<float>(), 0.0f);
  c.batch_size = 2;
  EXPECT_TRUE(test::all_close(adapted_heatmap(*model, image, h, c), all, 1e-4, 1e-6));
  c.aggregation = "max";
  EXPECT_GE(max(adapted_heatmap(*model, image, h, c)).item<float>(),
            max(single).item<float>() - 1e-6f);
  c.aggregation = "median";
  EXPECT_SP_ERROR(adapted_heatmap(*model, image, h, c), "aggregation");
}

TEST(ExportHomographyAdaptation, SubpixelStaysNearTheGridPoint) {
  auto model = tiny_model();
  Tensor image = texture(64, 80, 3).unsqueeze(0);
  HomographyAdaptationConfig c = small_config(1);
  Tensor grid = homography_adaptation(*model, image, c, 0);
  c.subpixel = true;
  Tensor refined = homography_adaptation(*model, image, c, 0);
  ASSERT_EQ(refined.shape(), grid.shape());
  Tensor diff = (refined - grid).narrow(1, 0, 2);
  EXPECT_LE(max(abs(diff)).item<float>(), 2.0f);
  EXPECT_TRUE(test::equal(refined.select(1, 2).contiguous(), grid.select(1, 2).contiguous()));
}

TEST(ExportHomographyAdaptation, ExportWritesLabelsAndResumes) {
  const std::string dir = test::temp_dir("export_ha");
  fs::remove_all(dir);
  fs::create_directories(dir + "/images/sub");
  for (int i = 0; i < 3; ++i)
    data::write_png(dir + (i == 2 ? "/images/sub/img" : "/images/img") + std::to_string(i) + ".png",
                    texture(48 + 8 * i, 72, uint64_t(i)));
  auto model = tiny_model();
  DetectorExportOptions o;
  o.images.root = dir + "/images";
  o.images.layout = "folder";
  o.images.size = {64, 80};
  o.output_dir = dir + "/predictions/train";
  o.pictures_dir = dir + "/pictures";
  o.adaptation = small_config(4);
  o.progress = false;
  DetectorExportSummary s = export_detector_labels(*model, o);
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.written, 3);
  EXPECT_EQ(s.failed, 0);
  Tensor first;
  for (int i = 0; i < 3; ++i) {
    // Label files mirror the image folders: images/sub/img2.png -> predictions/train/sub/img2.h5.
    const std::string name = (i == 2 ? "/sub/img" : "/img") + std::to_string(i);
    const std::string path = o.output_dir + name + ".h5";
    ASSERT_TRUE(fs::exists(path)) << path;
    Tensor p = data::read_keypoint_labels(path);
    EXPECT_EQ(p.dtype(), DType::F32);
    ASSERT_EQ(p.dim(), 2);
    EXPECT_EQ(p.size(1), 3);
    EXPECT_GT(p.size(0), 0);
    EXPECT_LE(p.size(0), 50);
    std::vector<float> v = p.to_vector<float>();
    for (int64_t k = 0; k < p.size(0); ++k) {
      EXPECT_GE(v[size_t(3 * k)], 4.0f);
      EXPECT_LT(v[size_t(3 * k)], 76.0f);
      EXPECT_GE(v[size_t(3 * k + 1)], 4.0f);
      EXPECT_LT(v[size_t(3 * k + 1)], 60.0f);
      if (k > 0) {
        EXPECT_LE(v[size_t(3 * k + 2)], v[size_t(3 * k - 1)]);
      }
    }
    EXPECT_TRUE(fs::exists(o.pictures_dir + name + ".png"));
    if (i == 0) first = p;
  }
  EXPECT_TRUE(fs::exists(o.output_dir + "/export.txt"));
  // Resume: nothing left to do; a removed file is redone identically (seeded per image).
  s = export_detector_labels(*model, o);
  EXPECT_EQ(s.written, 0);
  EXPECT_EQ(s.skipped, 3);
  fs::remove(o.output_dir + "/img0.h5");
  s = export_detector_labels(*model, o);
  EXPECT_EQ(s.written, 1);
  EXPECT_EQ(s.skipped, 2);
  EXPECT_TRUE(test::equal(data::read_keypoint_labels(o.output_dir + "/img0.h5"), first));
}

// <dir>/images at 64x80 with two homographies into <dir>/out, without a progress line.
DetectorExportOptions quiet_folder_export(const std::string& dir) {
  DetectorExportOptions o;
  o.images.root = dir + "/images";
  o.images.size = {64, 80};
  o.output_dir = dir + "/out";
  o.adaptation = small_config(2);
  o.progress = false;
  return o;
}

TEST(ExportHomographyAdaptation, BrokenImageIsNamedAndSkipped) {
  const std::string dir = test::temp_dir("export_ha_broken");
  fs::remove_all(dir);
  fs::create_directories(dir + "/images");
  data::write_png(dir + "/images/good.png", texture(64, 80, 5));
  { std::ofstream(dir + "/images/bad.png") << "not a png"; }
  auto model = tiny_model();
  DetectorExportOptions o = quiet_folder_export(dir);
  testing::internal::CaptureStderr();
  DetectorExportSummary s = export_detector_labels(*model, o);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.written, 1);
  EXPECT_EQ(s.failed, 1);
  EXPECT_NE(err.find("bad.png"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir + "/out/bad.h5"));
  o.images.size = {60, 80};
  EXPECT_SP_ERROR(export_detector_labels(*model, o), "multiples of 8");
}

// Labels are written on a background thread: a label that cannot be written is named and
// counted as failed there, and the images before and after it are still written.
TEST(ExportHomographyAdaptation, UnwritableLabelIsNamedAndTheOthersWritten) {
  const std::string dir = test::temp_dir("export_ha_unwritable");
  fs::remove_all(dir);
  fs::create_directories(dir + "/images/sub");
  data::write_png(dir + "/images/a.png", texture(64, 80, 6));
  data::write_png(dir + "/images/sub/b.png", texture(64, 80, 7));
  data::write_png(dir + "/images/c.png", texture(64, 80, 8));
  fs::create_directories(dir + "/out");
  { std::ofstream(dir + "/out/sub") << "a file where the label folder should go"; }
  auto model = tiny_model();
  DetectorExportOptions o = quiet_folder_export(dir);
  testing::internal::CaptureStderr();
  DetectorExportSummary s = export_detector_labels(*model, o);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.written, 2);
  EXPECT_EQ(s.failed, 1);
  EXPECT_NE(err.find("b.png"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(dir + "/out/a.h5"));
  EXPECT_TRUE(fs::exists(dir + "/out/c.h5"));
}

TEST(ExportHomographyAdaptationGpu, CudaMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  auto cpu_model = tiny_model(), gpu_model = tiny_model();
  gpu_model->load_state_dict(cpu_model->state_dict());
  gpu_model->to(cuda_device(0));
  Tensor image = texture(64, 80, 4).unsqueeze(0);
  HomographyAdaptationConfig c = small_config(6);
  c.batch_size = 4;
  c.valid_border_margin = 3;
  Tensor h = sample_adaptation_homographies(c, 64, 80, 21);
  Tensor on_cpu = adapted_heatmap(*cpu_model, image, h, c);
  Tensor on_gpu = adapted_heatmap(*gpu_model, image.cuda(), h, c);
  EXPECT_TRUE(on_gpu.is_cuda());
  EXPECT_TRUE(test::all_close(on_gpu.cpu(), on_cpu, 1e-3, 1e-5));
  c.detect.nms = models::NmsKind::MaxPool;
  Tensor p_cpu = heatmap_points(on_cpu, c.detect, true),
         p_gpu = heatmap_points(on_gpu, c.detect, true);
  EXPECT_FALSE(p_gpu.is_cuda());
  EXPECT_NEAR(double(p_gpu.size(0)), double(p_cpu.size(0)), 2.0);
}

}  // namespace
}  // namespace sp::procedures
