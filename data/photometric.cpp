#include "data/photometric.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/draw.h"

namespace sp::data {

PhotometricParams PhotometricParams::synthetic_shapes() {
  PhotometricParams p;
  p.brightness_max_abs_change = 75;
  p.contrast_range = {0.3, 1.8};
  p.noise_stddev_range = {0, 15};
  p.speckle_prob_range = {0, 0.0035};
  p.shade_transparency_range = {-0.5, 0.8};
  p.shade_kernel_size_range = {50, 100};
  p.motion_blur_max_kernel_size = 7;
  return p;
}

PhotometricParams PhotometricParams::superpoint_coco() {
  PhotometricParams p;
  p.brightness_max_abs_change = 50;
  p.contrast_range = {0.5, 1.5};
  p.noise_stddev_range = {0, 10};
  p.speckle_prob_range = {0, 0.0035};
  p.shade_transparency_range = {-0.5, 0.5};
  p.shade_kernel_size_range = {100, 150};
  p.motion_blur_max_kernel_size = 3;
  return p;
}

PhotometricParams PhotometricParams::magicpoint_coco() {
  PhotometricParams p = superpoint_coco();
  p.contrast_range = {0.3, 1.5};
  return p;
}

void PhotometricParams::validate() const {
  auto ordered = [](auto r) { return r[0] <= r[1]; };
  SP_CHECK(brightness_max_abs_change >= 0, "photometric: expected brightness >= 0, got ",
           brightness_max_abs_change);
  SP_CHECK(ordered(contrast_range) && contrast_range[0] >= 0,
           "photometric: expected 0 <= contrast lo <= hi, got [", contrast_range[0], ", ",
           contrast_range[1], "]");
  SP_CHECK(ordered(noise_stddev_range) && noise_stddev_range[0] >= 0,
           "photometric: expected 0 <= noise stddev lo <= hi, got [", noise_stddev_range[0], ", ",
           noise_stddev_range[1], "]");
  SP_CHECK(
      ordered(speckle_prob_range) && speckle_prob_range[0] >= 0 && speckle_prob_range[1] <= 0.5,
      "photometric: expected speckle probabilities in [0, 0.5], got [", speckle_prob_range[0], ", ",
      speckle_prob_range[1], "]");
  SP_CHECK(ordered(shade_transparency_range) && ordered(shade_kernel_size_range) &&
               shade_kernel_size_range[0] >= 1,
           "photometric: expected ordered shade ranges with kernel size >= 1");
  SP_CHECK(motion_blur_max_kernel_size >= 1,
           "photometric: expected motion_blur max_kernel_size >= 1, got ",
           motion_blur_max_kernel_size);
}

static void clip255(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], 0.0f, 255.0f);
}

void random_brightness(float* x, int64_t n, double m, Rng& rng) {
  float d = float(rng.uniform(-m, m));
  for (int64_t i = 0; i < n; ++i) x[i] += d;
  clip255(x, n);
}

void random_contrast(float* x, int64_t n, std::array<double, 2> r, Rng& rng) {
  double f = rng.uniform(r[0], r[1]), mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= double(std::max<int64_t>(n, 1));
  for (int64_t i = 0; i < n; ++i) x[i] = float((x[i] - mean) * f + mean);
  clip255(x, n);
}

void additive_gaussian_noise(float* x, int64_t n, std::array<double, 2> r, Rng& rng) {
  double sigma = rng.uniform(r[0], r[1]);
  for (int64_t i = 0; i < n; ++i) x[i] += float(sigma * rng.normal());
  clip255(x, n);
}

void additive_speckle_noise(float* x, int64_t n, std::array<double, 2> r, Rng& rng) {
  double p = rng.uniform(r[0], r[1]);
  for (int64_t i = 0; i < n; ++i) {
    double u = rng.uniform();
    if (u <= p)
      x[i] = 0.0f;
    else if (u >= 1.0 - p)
      x[i] = 255.0f;
  }
}

void additive_shade(float* x, int64_t h, int64_t w, const PhotometricParams& p, Rng& rng) {
  Canvas mask(h, w, 0.0f);
  double m = double(std::min(h, w)) / 4;
  for (int i = 0; i < p.shade_nb_ellipses; ++i) {
    double ax = double(int64_t(std::max(rng.uniform() * m, m / 5))),
           ay = double(int64_t(std::max(rng.uniform() * m, m / 5)));
    double r = std::max(ax, ay);
    Pt c{double(rng.randint(r, double(w) - r)), double(rng.randint(r, double(h) - r))};
    fill_ellipse(mask, c, ax, ay, rng.uniform() * 90, 255.0f);
  }
  double t = rng.uniform(p.shade_transparency_range[0], p.shade_transparency_range[1]);
  int64_t k =
      rng.randint(int64_t(p.shade_kernel_size_range[0]), int64_t(p.shade_kernel_size_range[1]));
  if (k % 2 == 0) ++k;
  gaussian_blur(mask, int(k));
  for (int64_t i = 0; i < h * w; ++i)
    x[i] = float(x[i] * (1.0 - t * mask.pixels[size_t(i)] / 255.0));
  clip255(x, h * w);
}

void motion_blur(float* x, int64_t h, int64_t w, int max_kernel_size, Rng& rng) {
  int mode = int(rng.randint(int64_t(0), int64_t(4)));  // h, v, diag_down, diag_up
  int64_t k = 2 * rng.randint(int64_t(0), int64_t((max_kernel_size + 1) / 2)) + 1;
  if (k <= 1) return;
  int64_t c = k / 2;
  std::vector<double> kern(size_t(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i) {
    int64_t r = mode == 0 ? c : i, q = mode == 1 ? c : mode == 3 ? k - 1 - i : i;
    kern[size_t(r * k + q)] = 1.0;
  }
  double var = double(k * k) / 16.0, sum = 0;
  for (int64_t r = 0; r < k; ++r)
    for (int64_t q = 0; q < k; ++q) {
      kern[size_t(r * k + q)] *=
          std::exp(-double((r - c) * (r - c) + (q - c) * (q - c)) / (2 * var));
      sum += kern[size_t(r * k + q)];
    }
  std::vector<float> src(x, x + h * w);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t xx = 0; xx < w; ++xx) {
      double acc = 0;
      for (int64_t r = 0; r < k; ++r)
        for (int64_t q = 0; q < k; ++q) {
          double kv = kern[size_t(r * k + q)];
          if (kv == 0) continue;
          acc += kv * src[size_t(reflect101(y + r - c, h) * w + reflect101(xx + q - c, w))];
        }
      x[y * w + xx] = float(acc / sum);
    }
}

Tensor photometric_augment(const Tensor& image, const PhotometricParams& p, uint64_t seed) {
  check_defined(image, "photometric_augment");
  SP_CHECK(image.dim() == 3, "photometric_augment: expected an image [C, H, W], got ",
           image.shape());
  p.validate();
  Tensor out = image.to(DType::F32).cpu().contiguous().clone();
  int64_t ch = out.size(0), h = out.size(1), w = out.size(2), n = h * w;
  float* base = out.data<float>();
  for (int64_t i = 0; i < out.numel(); ++i) base[i] *= 255.0f;
  Rng rng({seed, 0x50484f54ull});  // "PHOT"
  std::vector<int> order;
  bool on[6] = {p.brightness,    p.contrast, p.gaussian_noise,
                p.speckle_noise, p.shade,    p.motion_blur};
  for (int i = 0; i < 6; ++i)
    if (on[i]) order.push_back(i);
  if (p.random_order)
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[size_t(rng.randint(int64_t(0), int64_t(i)))]);
  for (int op : order) {
    uint64_t op_seed = rng.bits();  // same parameters for every channel of this sample
    for (int64_t c = 0; c < ch; ++c) {
      Rng r(op_seed);
      float* x = base + c * n;
      switch (op) {
        case 0:
          random_brightness(x, n, p.brightness_max_abs_change, r);
          break;
        case 1:
          random_contrast(x, n, p.contrast_range, r);
          break;
        case 2:
          additive_gaussian_noise(x, n, p.noise_stddev_range, r);
          break;
        case 3:
          additive_speckle_noise(x, n, p.speckle_prob_range, r);
          break;
        case 4:
          additive_shade(x, h, w, p, r);
          break;
        default:
          motion_blur(x, h, w, p.motion_blur_max_kernel_size, r);
          break;
      }
    }
  }
  for (int64_t i = 0; i < out.numel(); ++i) base[i] = std::clamp(base[i] / 255.0f, 0.0f, 1.0f);
  return out;
}

}  // namespace sp::data
