#include "procedures/homography_adaptation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>

#include "autograd/grad_mode.h"
#include "data/device_warp.h"
#include "data/image_io.h"
#include "data/random.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/reduce.h"
#include "train/progress.h"

namespace fs = std::filesystem;

namespace sp::procedures {

void HomographyAdaptationConfig::validate() const {
  SP_CHECK(num >= 1, "homography_adaptation: expected num >= 1, got ", num);
  SP_CHECK(aggregation == "sum" || aggregation == "max",
           "homography_adaptation: expected aggregation \"sum\" or \"max\", got \"", aggregation,
           "\"");
  SP_CHECK(
      valid_border_margin >= 0 && batch_size >= 0 && filter_counts >= 0,
      "homography_adaptation: expected valid_border_margin, batch_size, filter_counts >= 0, got ",
      valid_border_margin, ", ", batch_size, ", ", filter_counts);
  homographies.validate();
}

HomographyAdaptationConfig ps_export_defaults() {
  HomographyAdaptationConfig c;
  c.detect.options.threshold = 0.015f;
  c.detect.options.nms_radius = 4;
  c.detect.options.border = 4;
  c.detect.options.top_k = 600;
  c.detect.nms = models::NmsKind::Grid;
  c.subpixel = true;
  return c;
}

Tensor sample_adaptation_homographies(const HomographyAdaptationConfig& config, int64_t height,
                                      int64_t width, uint64_t seed) {
  config.validate();
  data::Rng rng({seed, 0x4841ull});  // "HA" stream tag
  std::vector<double> values;
  values.reserve(size_t(config.num) * 9);
  for (int64_t i = 0; i < config.num; ++i) {
    data::Mat3 h = data::Mat3::Identity();
    if (i > 0)
      h = data::normalized_to_pixel(data::sample_homography(config.homographies, rng), height,
                                    width);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) values.push_back(h(r, c));
  }
  return from_vector<double>(values, Shape{config.num, 3, 3});
}

namespace {

Tensor inverse_homographies(const Tensor& h) {
  Tensor host = h.to(DType::F64).cpu().contiguous();
  std::vector<double> v = host.to_vector<double>();
  for (int64_t n = 0; n < h.size(0); ++n) {
    Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>> m(v.data() + 9 * n);
    Eigen::Matrix3d inv = Eigen::Matrix3d(m).inverse();
    SP_CHECK(inv.allFinite(), "homography_adaptation: expected invertible homographies, view ", n,
             " is singular");
    m = inv;
  }
  return from_vector<double>(v, h.shape());
}

}  // namespace

Tensor adapted_heatmap(models::SuperPoint& model, const Tensor& image, const Tensor& homographies,
                       const HomographyAdaptationConfig& config) {
  config.validate();
  SP_CHECK(image.dim() == 4 && image.size(0) == 1 && image.size(1) == 1,
           "homography_adaptation: expected an image [1, 1, H, W], got ", image.shape());
  SP_CHECK(homographies.dim() == 3 && homographies.size(1) == 3 && homographies.size(2) == 3 &&
               homographies.size(0) >= 1,
           "homography_adaptation: expected homographies [N, 3, 3], got ", homographies.shape());
  ag::NoGradGuard no_grad;
  const Device device = image.device();
  const int64_t N = homographies.size(0), H = image.size(2), W = image.size(3);
  const int64_t chunk = config.batch_size > 0 ? std::min(config.batch_size, N) : N;
  // Projections in f64 (the homographies' dtype), images in f32.
  Tensor forward_h = homographies.to(DType::F64).to(device);
  Tensor backward_h = inverse_homographies(homographies).to(device);
  Tensor img = image.to(DType::F32);
  Tensor total, counts;
  for (int64_t start = 0; start < N; start += chunk) {
    const int64_t n = std::min(chunk, N - start);
    Tensor fh = forward_h.narrow(0, start, n), bh = backward_h.narrow(0, start, n);
    Tensor warped = data::warp_batch(img.expand({n, 1, H, W}).contiguous(), fh);
    Tensor mask = data::valid_mask_batch(H, W, fh, config.valid_border_margin);
    auto [logits, descriptors] = model.forward_image(ag::Var(warped));
    Tensor prob = mul(models::detector_probabilities(logits.data()), mask);
    Tensor unwarped = data::warp_batch(prob, bh);
    Tensor count = data::warp_batch(mask, bh);
    Tensor part_total =
        config.aggregation == "max" ? amax(unwarped, {0}, true) : sum(unwarped, {0}, true);
    Tensor part_count = sum(count, {0}, true);
    if (!total.defined()) {
      total = part_total, counts = part_count;
    } else {
      total = config.aggregation == "max" ? maximum(total, part_total) : add(total, part_total);
      counts = add(counts, part_count);
    }
  }
  Tensor heat = total;
  if (config.aggregation == "sum")
    heat = where(gt(counts, Scalar(0.0)), div(total, clamp(counts, Scalar(1e-12), std::nullopt)),
                 Scalar(0.0));
  if (config.filter_counts > 0)
    heat = where(lt(counts, Scalar(config.filter_counts)), Scalar(0.0), heat);
  return heat;
}

namespace {

// Intensity-weighted centroid of the 5x5 heatmap patch around each point (zero padding),
// the closed form of [PS]'s soft-argmax refinement (spec 8.3).
void refine_subpixel(const Tensor& heat_hw, std::vector<float>& xy) {
  const int64_t H = heat_hw.size(0), W = heat_hw.size(1);
  std::vector<float> h = heat_hw.to(DType::F32).cpu().contiguous().to_vector<float>();
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    const int64_t x = std::lround(xy[i]), y = std::lround(xy[i + 1]);
    double s = 0, sx = 0, sy = 0;
    for (int64_t dy = -2; dy <= 2; ++dy)
      for (int64_t dx = -2; dx <= 2; ++dx) {
        const int64_t yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        const double p = h[size_t(yy * W + xx)];
        s += p, sx += p * double(dx), sy += p * double(dy);
      }
    if (s > 0) xy[i] = float(double(x) + sx / s), xy[i + 1] = float(double(y) + sy / s);
  }
}

}  // namespace

Tensor heatmap_points(const Tensor& heatmap, const models::DetectConfig& detect, bool subpixel) {
  SP_CHECK(
      (heatmap.dim() == 4 && heatmap.size(0) == 1 && heatmap.size(1) == 1) || heatmap.dim() == 2,
      "heatmap_points: expected a heatmap [1, 1, H, W] or [H, W], got ", heatmap.shape());
  Tensor heat = heatmap.dim() == 2 ? heatmap : heatmap.select(0, 0).select(0, 0);
  heat = heat.to(DType::F32);
  const models::DetectOptions& o = detect.options;
  const int64_t H = heat.size(0), W = heat.size(1);
  Tensor xy, scores;
  if (detect.nms == models::NmsKind::Grid) {
    models::Keypoints k = models::extract_keypoints(heat.cpu().contiguous(), o);
    xy = k.xy, scores = k.scores;
  } else {
    Tensor nms =
        models::maxpool_nms(heat.view({1, 1, H, W}), o.nms_radius).select(0, 0).select(0, 0);
    Tensor mask = logical_and(ge(heat, Scalar(double(o.threshold))), gt(nms, Scalar(0.0)));
    const int64_t bh = std::max<int64_t>(H - 2 * o.border, 0),
                  bw = std::max<int64_t>(W - 2 * o.border, 0);
    Tensor inside = zeros({H, W}, DType::Bool);
    if (bh > 0 && bw > 0) inside.narrow(0, o.border, bh).narrow(1, o.border, bw).fill_(1.0);
    mask = logical_and(mask, inside.to(heat.device()));
    Tensor idx = nonzero(mask);  // [K, 2] (y, x), row-major: ties keep row-major order
    Tensor flat = add(mul(idx.select(1, 0), Scalar(W)), idx.select(1, 1));
    Tensor all_scores = index_select(heat.reshape({-1}), 0, flat);
    const int64_t K = all_scores.size(0), k = o.top_k >= 0 ? std::min<int64_t>(o.top_k, K) : K;
    ValuesIndices best = topk(all_scores, k, 0, true, true);
    xy = stack({index_select(idx.select(1, 1), 0, best.indices),
                index_select(idx.select(1, 0), 0, best.indices)},
               1)
             .to(DType::F32)
             .cpu();
    scores = best.values.cpu();
  }
  const int64_t K = xy.size(0);
  std::vector<float> p = xy.contiguous().to_vector<float>();
  if (subpixel && K > 0) refine_subpixel(heat, p);
  std::vector<float> s = scores.to(DType::F32).contiguous().to_vector<float>();
  std::vector<float> out(size_t(K) * 3);
  for (int64_t i = 0; i < K; ++i) {
    out[size_t(3 * i)] = p[size_t(2 * i)];
    out[size_t(3 * i + 1)] = p[size_t(2 * i + 1)];
    out[size_t(3 * i + 2)] = s[size_t(i)];
  }
  return from_vector<float>(out, Shape{K, 3});
}

Tensor homography_adaptation(models::SuperPoint& model, const Tensor& image,
                             const HomographyAdaptationConfig& config, uint64_t seed) {
  SP_CHECK(image.dim() == 4, "homography_adaptation: expected an image [1, 1, H, W], got ",
           image.shape());
  Tensor h = sample_adaptation_homographies(config, image.size(2), image.size(3), seed);
  return heatmap_points(adapted_heatmap(model, image, h, config), config.detect, config.subpixel);
}

uint64_t image_seed(uint64_t seed, const std::string& stem) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : stem) hash = (hash ^ c) * 1099511628211ull;
  return data::hash_key({seed, hash});
}

Tensor draw_points(const Tensor& image, const Tensor& points) {
  SP_CHECK(image.dim() == 3 && image.size(0) == 1,
           "draw_points: expected a gray image [1, H, W], got ", image.shape());
  const int64_t H = image.size(1), W = image.size(2);
  Tensor rgb = image.to(DType::F32).cpu().expand({3, H, W}).contiguous().clone();
  float* px = rgb.data<float>();
  std::vector<float> p = points.to(DType::F32).cpu().contiguous().to_vector<float>();
  const int64_t cols = points.dim() == 2 ? points.size(1) : 2;
  for (size_t i = 0; i + 1 < p.size(); i += size_t(cols)) {
    const int64_t x = std::lround(p[i]), y = std::lround(p[i + 1]);
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx) {
        const int64_t yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        px[yy * W + xx] = 1.0f, px[H * W + yy * W + xx] = 0.0f, px[2 * H * W + yy * W + xx] = 0.0f;
      }
  }
  return rgb;
}

DetectorExportSummary export_detector_labels(models::SuperPoint& model,
                                             const DetectorExportOptions& options) {
  options.adaptation.validate();
  SP_CHECK(!options.output_dir.empty(), "export_detector_homoAdapt: expected an output folder");
  SP_CHECK(options.images.size[0] % 8 == 0 && options.images.size[1] % 8 == 0,
           "export_detector_homoAdapt: expected an image size of multiples of 8, got [",
           options.images.size[0], ", ", options.images.size[1], "]");
  data::ImageFolderConfig images = options.images;
  images.labels_dir.clear(), images.pairs = false, images.augment = data::AugmentConfig{};
  data::ImageFolderDataset dataset(images);
  fs::create_directories(options.output_dir);
  if (!options.pictures_dir.empty()) fs::create_directories(options.pictures_dir);
  {
    std::ofstream note(fs::path(options.output_dir) / "export.txt", std::ios::app);
    note << "model: " << options.model_description
         << " | homography_adaptation.num: " << options.adaptation.num
         << " | images: " << images.root << " (" << images.layout << ", " << images.split << ")\n";
  }
  const Device device =
      model.parameters().empty() ? kCPU : model.parameters().front().data().device();
  DetectorExportSummary summary;
  summary.images = options.limit >= 0 ? std::min(options.limit, dataset.size()) : dataset.size();
  // Files already there are done: count them first so the rate and ETA cover the rest.
  std::vector<int64_t> todo;
  for (int64_t i = 0; i < summary.images; ++i) {
    fs::path out = fs::path(options.output_dir) / (dataset.label_name(i) + ".h5");
    if (fs::exists(out))
      ++summary.skipped;
    else
      todo.push_back(i);
  }
  train::Progress progress("image", summary.images, summary.skipped);
  const auto t0 = std::chrono::steady_clock::now();
  int64_t done = summary.skipped;
  // Three stages overlap: the next image is read and decoded on one thread, the current
  // one adapted here (on the model's device), the previous one's label and picture
  // written on another. std::async hands each stage's exception to get(), where this
  // thread names the image and counts it.
  auto load = [&dataset](int64_t i) { return dataset.get(i, 0).at("image"); };
  auto write = [&options](const std::string& name, const Tensor& image, const Tensor& points) {
    const fs::path label = fs::path(options.output_dir) / (name + ".h5");
    fs::create_directories(label.parent_path());
    data::write_keypoint_labels(label.string(), points);
    if (!options.pictures_dir.empty()) {
      const fs::path picture = fs::path(options.pictures_dir) / (name + ".png");
      fs::create_directories(picture.parent_path());
      data::write_png(picture.string(), draw_points(image, points));
    }
  };
  auto fail = [&summary](const std::string& path, const std::string& error) {
    ++summary.failed;
    std::cerr << "export_detector_homoAdapt: failed on '" << path << "': " << error << "\n";
  };
  std::future<Tensor> next;
  if (!todo.empty()) next = std::async(std::launch::async, load, todo.front());
  std::future<void> writing;
  std::string writing_path;
  auto finish_writing = [&] {
    if (!writing.valid()) return;
    try {
      writing.get();
      ++summary.written;
    } catch (const std::exception& e) {
      fail(writing_path, e.what());
    }
  };
  for (size_t k = 0; k < todo.size(); ++k) {
    const int64_t i = todo[k];
    const std::string& path = dataset.path(i);
    // Label files mirror the images' folders (KITTI frame names repeat across drives).
    const std::string name = dataset.label_name(i);
    std::future<Tensor> current = std::move(next);
    if (k + 1 < todo.size()) next = std::async(std::launch::async, load, todo[k + 1]);
    try {
      Tensor image = current.get();
      Tensor batch = image.unsqueeze(0).to(device);
      Tensor points = homography_adaptation(model, batch, options.adaptation,
                                            image_seed(options.adaptation.seed, name));
      finish_writing();
      writing_path = path;
      writing = std::async(std::launch::async, write, name, image, points);
    } catch (const std::exception& e) {
      fail(path, e.what());
    }
    ++done;
    if (summary.first_image_seconds == 0)
      summary.first_image_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (options.progress) progress.update(done);
  }
  finish_writing();
  if (options.progress) progress.finish();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace sp::procedures
