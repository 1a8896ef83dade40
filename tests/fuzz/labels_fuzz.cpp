// Homography-adaptation label files (<labels_dir>/<image>.h5 with points [N, 3]):
// read_keypoint_labels and an ImageFolderDataset sample built from them, plain and as a
// warped training pair (data/image_datasets.cpp, data/datasets.cpp), as train_joint
// reads them.
//
// Input: an HDF5 file, raw or built from a recipe (h5_recipe.h). Property: the label
// maps have the image's size and hold only 0/1 labels and residuals in [-0.5, 0.5].
#include <filesystem>

#include "data/datasets.h"
#include "data/image_io.h"
#include "fuzz_util.h"
#include "h5_recipe.h"
#include "tensor/ops/creation.h"

namespace {

using namespace sp;
namespace fs = std::filesystem;

const fuzz::H5Vocabulary& vocabulary() {
  static const fuzz::H5Vocabulary v{
      {"points", "points", "points", "prob", "warped_points", "points/points"},
      {"sp_dtype", "format"},
      {"f16", "bf16", "bool", "f32", "i64", "u8", "i32", "f64"}};
  return v;
}

// One 12 x 16 gray image in <tmp>/images, its label file in <tmp>/labels.
struct Layout {
  std::string images = fuzz::temp_dir() + "/images", labels = fuzz::temp_dir() + "/labels";
  std::string label_file = labels + "/a.h5";
  Layout() {
    fs::create_directories(images);
    fs::create_directories(labels);
    data::write_ppm(images + "/a.pgm", full({1, 12, 16}, 0.5));
  }
  std::unique_ptr<data::ImageFolderDataset> dataset(bool pairs) const {
    data::ImageFolderConfig cfg;
    cfg.root = images;
    cfg.size = {12, 16};
    cfg.labels_dir = labels;
    cfg.pairs = pairs;
    cfg.augment.homographic = true;
    return std::make_unique<data::ImageFolderDataset>(cfg);
  }
};

void check_labels(const Tensor& labels, const Tensor& residuals) {
  SP_FUZZ_ASSERT(labels.shape() == (Shape{1, 12, 16}) && residuals.shape() == (Shape{2, 12, 16}));
  const float* l = labels.data<float>();
  for (int64_t i = 0; i < labels.numel(); ++i) SP_FUZZ_ASSERT(l[i] == 0.0f || l[i] == 1.0f);
  const float* r = residuals.data<float>();
  for (int64_t i = 0; i < residuals.numel(); ++i) SP_FUZZ_ASSERT(r[i] >= -0.5f && r[i] <= 0.5f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Layout layout;
  fuzz::make_h5(data, size, vocabulary(), layout.label_file);
  // After the first label file exists: the dataset keeps only images with labels.
  static const auto plain = layout.dataset(false), pairs = layout.dataset(true);
  Tensor points;
  if (!fuzz::accepts([&] { points = data::read_keypoint_labels(layout.label_file); })) return 0;
  SP_FUZZ_ASSERT(points.dtype() == DType::F32 && points.dim() == 2 && points.size(1) == 3);
  data::Sample s;
  if (fuzz::accepts([&] { s = plain->get(0, size); }))
    check_labels(s.at("labels_2D"), s.at("labels_res"));
  if (fuzz::accepts([&] { s = pairs->get(0, size); })) {
    check_labels(s.at("labels_2D"), s.at("labels_res"));
    check_labels(s.at("warped_labels"), s.at("warped_res"));
  }
  return 0;
}
