// Label maps, augmentation, warped pairs and the Synthetic Shapes dataset.
#include "data/datasets.h"

#include <algorithm>
#include <cmath>

#include "tensor/ops/creation.h"

namespace sp::data {

namespace {
Tensor mat_tensor(const Mat3& m) {
  std::vector<float> v;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) v.push_back(float(m(r, c)));
  return from_vector(v, {3, 3});
}
constexpr uint64_t kHomographyStream = 0x484f4d4full;  // "HOMO"
constexpr uint64_t kPairStream = 0x50414952ull;        // "PAIR"
}  // namespace

void points_to_labels(const Tensor& points, int64_t height, int64_t width, Tensor& labels,
                      Tensor& residuals) {
  SP_CHECK(points.dim() == 2 && points.size(1) >= 2,
           "points_to_labels: expected points [N, 2] (x, y), got ", points.shape());
  Tensor p = points.to(DType::F32).cpu().contiguous();
  labels = zeros({1, height, width});
  residuals = zeros({2, height, width});
  const float* s = p.data<float>();
  int64_t stride = p.size(1);
  for (int64_t i = 0; i < p.size(0); ++i) {
    float x = s[i * stride], y = s[i * stride + 1];
    if (!(x >= 0 && y >= 0 && x <= float(width - 1) && y <= float(height - 1))) continue;
    int64_t ix = std::min<int64_t>(std::lround(x), width - 1),
            iy = std::min<int64_t>(std::lround(y), height - 1);
    labels.data<float>()[iy * width + ix] = 1.0f;
    residuals.data<float>()[iy * width + ix] = x - float(ix);
    residuals.data<float>()[height * width + iy * width + ix] = y - float(iy);
  }
}

Sample augment_sample(const Tensor& image, const Tensor& points, const AugmentConfig& cfg,
                      uint64_t seed) {
  SP_CHECK(image.dim() == 3, "augment_sample: expected an image [C, H, W], got ", image.shape());
  int64_t h = image.size(1), w = image.size(2);
  Tensor img = cfg.photometric ? photometric_augment(image, cfg.photometric_params, seed)
                               : image.contiguous();
  Tensor pts = points;
  Mat3 homography = Mat3::Identity();
  Tensor valid = ones({1, h, w});
  if (cfg.homographic) {
    Rng rng({seed, kHomographyStream});
    Mat3 hs = normalized_to_pixel(sample_homography(cfg.homography_params, rng), h, w);
    img = warp_image(img, {hs})[0];
    homography = hs.inverse();
    pts = filter_points(warp_points(points, homography), h, w);
    valid = valid_masks(h, w, {hs}, cfg.valid_border_margin)[0];
  }
  Sample s;
  s["image"] = img;
  points_to_labels(pts, h, w, s["labels_2D"], s["labels_res"]);
  s["valid_mask"] = valid;
  s["homography"] = mat_tensor(homography);
  return s;
}

Sample warped_pair(const Tensor& image, const Tensor& points, const AugmentConfig& cfg,
                   uint64_t seed) {
  SP_CHECK(image.dim() == 3, "warped_pair: expected an image [C, H, W], got ", image.shape());
  int64_t h = image.size(1), w = image.size(2);
  AugmentConfig first = cfg;
  first.homographic = false;
  Sample s = augment_sample(image, points, first, seed);
  Rng rng({seed, kPairStream});
  Mat3 hs = normalized_to_pixel(sample_homography(cfg.homography_params, rng), h, w);
  Mat3 homography = hs.inverse();  // image -> warped
  Tensor warped = warp_image(image.contiguous(), {hs})[0];
  if (cfg.photometric)
    warped = photometric_augment(warped, cfg.photometric_params, seed ^ kPairStream);
  Tensor wpts = filter_points(warp_points(points, homography), h, w);
  s["warped_image"] = warped;
  points_to_labels(wpts, h, w, s["warped_labels"], s["warped_res"]);
  s["warped_valid_mask"] = valid_masks(h, w, {hs}, cfg.valid_border_margin)[0];
  s["homography"] = mat_tensor(homography);
  s["inv_homography"] = mat_tensor(hs);
  return s;
}

SyntheticShapesDataset::SyntheticShapesDataset(ShapesConfig shapes, Split split,
                                               AugmentConfig augment, uint64_t data_seed,
                                               std::vector<Primitive> primitives)
    : shapes_(shapes), split_(split), augment_(augment), data_seed_(data_seed) {
  shapes_.validate();
  for (Primitive p : primitives) {
    int64_t n = int64_t(shapes_.truncate(p) * double(shapes_.split_sizes[size_t(split)]));
    for (int64_t i = 0; i < n; ++i) items_.push_back({p, i});
  }
  Rng rng({data_seed, uint64_t(split), 0x53485546ull});  // "SHUF"
  for (size_t i = items_.size(); i > 1; --i)
    std::swap(items_[i - 1], items_[size_t(rng.randint(int64_t(0), int64_t(i)))]);
}

void SyntheticShapesDataset::cache(const std::string& dir, int threads, bool verbose) {
  std::map<Primitive, int64_t> counts;
  for (auto [prim, local] : items_) counts[prim] = std::max(counts[prim], local + 1);
  for (auto [prim, count] : counts)
    stores_[prim] = std::make_shared<const ShapesStore>(
        ShapesStore::build(prim, split_, count, shapes_, data_seed_, dir, threads, verbose));
}

Sample SyntheticShapesDataset::get(int64_t index, uint64_t seed) const {
  SP_CHECK(index >= 0 && index < size(), "SyntheticShapesDataset: expected an index in [0, ",
           size(), "), got ", index);
  auto [prim, local] = items_[size_t(index)];
  auto stored = stores_.find(prim);
  ShapeSample shape = stored != stores_.end()
                          ? stored->second->get(local)
                          : generate_shape(prim, shapes_, data_seed_, split_, local);
  if (!augment_.photometric && !augment_.homographic) {
    Sample s;
    s["image"] = shape.image;
    points_to_labels(shape.points, shapes_.height, shapes_.width, s["labels_2D"], s["labels_res"]);
    s["valid_mask"] = ones({1, shapes_.height, shapes_.width});
    return s;
  }
  Sample s = augment_sample(shape.image, shape.points, augment_, seed);
  s.erase("homography");
  return s;
}

}  // namespace sp::data
