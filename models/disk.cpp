#include "models/disk.h"

#include "autograd/functions/conv.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/pool.h"
#include "autograd/functions/sample.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "models/disk_detect.h"
#include "nn/layers.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {

DiskConfig DiskConfig::from(ConfigView& c) {
  DiskConfig d;
  d.descriptor_dim = c.get_int("descriptor_dim", d.descriptor_dim);
  d.down = c.get_int_list("down", d.down);
  d.up = c.get_int_list("up", d.up);
  d.kernel_size = c.get_int("kernel_size", d.kernel_size);
  d.nms_window = c.get_int("nms_window", d.nms_window);
  d.detection_threshold = c.get_double("detection_threshold", d.detection_threshold);
  d.max_keypoints = c.get_int("max_keypoints", d.max_keypoints);
  d.pad_if_not_divisible = c.get_bool("pad_if_not_divisible", d.pad_if_not_divisible);
  SP_CHECK(d.descriptor_dim > 0, "disk config: expected descriptor_dim > 0, got ",
           d.descriptor_dim);
  SP_CHECK(d.down.size() >= 2 && d.up.size() + 2 == d.down.size(),
           "disk config: expected down with at least 2 widths and up with len(down) - 2 (the "
           "last up block has descriptor_dim + 1 outputs), got ",
           d.down.size(), " and ", d.up.size());
  for (int64_t w : d.down) SP_CHECK(w > 0, "disk config: expected positive down widths, got ", w);
  for (int64_t w : d.up) SP_CHECK(w > 0, "disk config: expected positive up widths, got ", w);
  SP_CHECK(d.kernel_size % 2 == 1 && d.kernel_size > 0,
           "disk config: expected an odd kernel_size, got ", d.kernel_size);
  SP_CHECK(d.nms_window >= 1, "disk config: expected nms_window >= 1, got ", d.nms_window);
  return d;
}

namespace {

using nn::Sequential;

// kornia's Conv: Sequential(norm, PReLU, dropout, conv), the first three empty on the
// first level, so the parameters are named "1.weight" and "3.weight" / "3.bias".
std::shared_ptr<Sequential> conv_block(int64_t in, int64_t out, int64_t k, bool plain) {
  auto block = std::make_shared<Sequential>();
  if (plain) {
    block->push_back(std::make_shared<Sequential>());
    block->push_back(std::make_shared<Sequential>());
  } else {
    block->push_back(std::make_shared<nn::InstanceNorm2d>(in));
    block->push_back(std::make_shared<nn::PReLU>(in));
  }
  block->push_back(std::make_shared<Sequential>());  // dropout: none
  block->push_back(std::make_shared<nn::Conv2d>(in, out, k, 1, k / 2));
  return block;
}

// kornia's ThinUnetUpBlock: its conv block is the child "conv".
class UpBlock : public nn::Module {
 public:
  UpBlock(int64_t bottom, int64_t horizontal, int64_t out, int64_t k)
      : nn::Module("ThinUnetUpBlock"),
        conv_(register_module("conv", conv_block(bottom + horizontal, out, k, false))) {}
  // Bilinear x2 of the deeper map, concatenated before the skip.
  ag::Var forward(const ag::Var& bottom, const ag::Var& horizontal) {
    const ag::Var big = ag::interpolate(bottom, 2 * bottom.size(2), 2 * bottom.size(3),
                                        InterpMode::Bilinear, /*align_corners=*/false);
    return (*conv_)(ag::cat({big, horizontal}, 1));
  }

 private:
  std::shared_ptr<Sequential> conv_;
};

class Unet : public nn::Module {
 public:
  Unet(int64_t in, const std::vector<int64_t>& down, const std::vector<int64_t>& up, int64_t k)
      : nn::Module("Unet"),
        path_down_(register_module("path_down", std::make_shared<nn::ModuleList<Sequential>>())),
        path_up_(register_module("path_up", std::make_shared<nn::ModuleList<UpBlock>>())) {
    int64_t c = in;
    for (size_t i = 0; i < down.size(); ++i) {
      auto level = std::make_shared<Sequential>();
      if (i == 0)
        level->push_back(std::make_shared<Sequential>());
      else
        level->push_back(std::make_shared<nn::AvgPool2d>(Pool2dArgs{}));
      level->push_back(conv_block(c, down[i], k, i == 0));
      path_down_->push_back(level);
      c = down[i];
    }
    for (size_t i = 0; i < up.size(); ++i) {
      const int64_t skip = down[down.size() - 2 - i];
      path_up_->push_back(std::make_shared<UpBlock>(c, skip, up[i], k));
      c = up[i];
    }
  }

  ag::Var forward(const ag::Var& x) {
    std::vector<ag::Var> levels;
    ag::Var y = x;
    for (const auto& level : *path_down_) levels.push_back(y = (*level)(y));
    for (size_t i = 0; i < path_up_->size(); ++i)
      y = (*path_up_)[i].forward(y, levels[levels.size() - 2 - i]);
    return y;
  }

 private:
  std::shared_ptr<nn::ModuleList<Sequential>> path_down_;
  std::shared_ptr<nn::ModuleList<UpBlock>> path_up_;
};

Unet& unet_of(const nn::Module& m) {
  return static_cast<Unet&>(*m.children().front().second);
}

// Zero padding bottom/right of images [B, C, H, W] to multiples of `multiple`.
ag::Var pad_to_multiple(const ag::Var& x, int64_t multiple) {
  const int64_t H = x.size(2), W = x.size(3);
  const int64_t ph = (multiple - H % multiple) % multiple,
                pw = (multiple - W % multiple) % multiple;
  if (ph == 0 && pw == 0) return x;
  return ag::pad(x, {0, pw, 0, ph});
}

}  // namespace

DISK::DISK(DiskConfig config) : Extractor("DISK"), config_(std::move(config)) {
  std::vector<int64_t> up = config_.up;
  up.push_back(config_.descriptor_dim + 1);
  register_module("unet", std::make_shared<Unet>(3, config_.down, up, config_.kernel_size));
}

ag::Var DISK::unet(const ag::Var& images) {
  const int64_t m = config_.size_multiple();
  SP_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) % m == 0 &&
               images.size(3) % m == 0,
           type_name(), ": expected RGB images [B, 3, H, W] with H and W multiples of ", m,
           ", got ", images.shape());
  return unet_of(*this).forward(images);
}

std::pair<ag::Var, ag::Var> DISK::heatmap_and_descriptors(const ag::Var& images) {
  SP_CHECK(images.dim() == 4 && images.size(1) == 3, type_name(),
           ": expected RGB images [B, 3, H, W], got ", images.shape());
  const int64_t H = images.size(2), W = images.size(3), m = config_.size_multiple();
  SP_CHECK(config_.pad_if_not_divisible || (H % m == 0 && W % m == 0), type_name(),
           ": expected H and W multiples of ", m, ", got ", images.shape(),
           "; hint: pad_if_not_divisible = true pads them, or resize the images");
  ag::Var out = unet(pad_to_multiple(images, m));
  if (out.size(2) != H || out.size(3) != W) out = ag::narrow(ag::narrow(out, 2, 0, H), 3, 0, W);
  const int64_t D = config_.descriptor_dim;
  return {ag::narrow(out, 1, D, 1), ag::narrow(out, 1, 0, D)};
}

void DISK::load_pretrained(const std::string& path) {
  if (nn::is_hdf5_file(path)) {
    nn::load_weights(*this, path, /*strict=*/true);
    return;
  }
  const std::map<std::string, Tensor> all = nn::load_pth(path);
  std::string select;
  for (const char* key : {"extractor", "disk"})
    for (const auto& [name, t] : all)
      if (select.empty() && name.rfind(std::string(key) + ".", 0) == 0) select = key;
  load_state_dict(nn::load_pth_weights(path, {.select = select, .strip_prefix = ""}),
                  /*strict=*/true, path);
}

Predictions DISK::forward(const Batch& batch) {
  auto [heatmap, descriptors] = heatmap_and_descriptors(ag::Var(batch.at("image")));
  Predictions pred("predictions");
  pred.set("heatmap", heatmap);
  pred.set("descriptors", descriptors);
  return pred;
}

Losses DISK::loss(const Predictions&, const Batch&) {
  SP_FAIL(type_name(),
          ": expected no training call; DISK's policy-gradient training (matchers.md 4.2, 4.5) "
          "is not implemented yet, only inference with pretrained weights");
}

std::map<std::string, double> DISK::metrics(const Predictions& pred, const Batch&) {
  ag::NoGradGuard no_grad;
  const std::vector<DiskDetections> dets =
      detect(pred.at("heatmap").data().contiguous(), pred.at("descriptors").data().contiguous());
  double total = 0;
  for (const DiskDetections& d : dets) total += double(d.keypoints.size(0));
  return {{"num_keypoints", dets.empty() ? 0.0 : total / double(dets.size())}};
}

std::vector<DiskDetections> DISK::detect(const Tensor& heatmap, const Tensor& descriptors,
                                         int64_t height, int64_t width) const {
  SP_CHECK(heatmap.dim() == 4 && heatmap.size(1) == 1 && descriptors.dim() == 4 &&
               descriptors.size(0) == heatmap.size(0) && descriptors.size(2) == heatmap.size(2) &&
               descriptors.size(3) == heatmap.size(3),
           type_name(), ": expected a heatmap [B, 1, H, W] and descriptors [B, D, H, W], got ",
           heatmap.shape(), " and ", descriptors.shape());
  const Tensor heat = heatmap.to(DType::F32).contiguous();
  const Tensor desc = descriptors.contiguous();
  const int64_t B = heat.size(0), Hp = heat.size(2), Wp = heat.size(3), D = desc.size(1);
  const Tensor mask =
      disk_maxima_mask(heat, config_.nms_window, config_.detection_threshold, height, width);
  std::vector<DiskDetections> out;
  for (int64_t b = 0; b < B; ++b) {
    const Tensor yx = nonzero(mask.select(0, b));  // [K, 2], raster order
    Tensor flat = yx.select(1, 0) * Scalar(Wp) + yx.select(1, 1);
    Tensor scores = index_select(heat.select(0, b).reshape({Hp * Wp}), 0, flat);
    Tensor kept_yx = yx;
    if (config_.max_keypoints > 0 && scores.size(0) > config_.max_keypoints) {
      const std::vector<int64_t> keep =
          top_n_in_order(scores.cpu().to_vector<float>(), config_.max_keypoints);
      const Tensor k = from_vector<int64_t>(keep, Shape{int64_t(keep.size())}).to(heat.device());
      flat = index_select(flat, 0, k);
      scores = index_select(scores, 0, k);
      kept_yx = index_select(yx, 0, k);
    }
    DiskDetections d;
    d.keypoints = stack({kept_yx.select(1, 1), kept_yx.select(1, 0)}, 1).to(DType::F32);
    d.scores = scores.contiguous();
    const Tensor dense = desc.select(0, b).reshape({D, Hp * Wp});
    const Tensor raw = index_select(dense, 1, flat).t().contiguous();  // [K, D]
    d.descriptors = div(raw, clamp(norm(raw, 2.0, {1}, true), Scalar(1e-12), std::nullopt));
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

features::Features to_features(std::vector<DiskDetections> dets, int64_t H, int64_t W,
                               Device device) {
  std::vector<features::ImageFeatures> images;
  for (DiskDetections& d : dets) {
    features::ImageFeatures f;
    f.keypoints = d.keypoints;
    f.scores = d.scores;
    f.descriptors = d.descriptors;
    f.width = W;
    f.height = H;
    images.push_back(std::move(f));
  }
  return features::pad(images, 0, device);
}

}  // namespace

features::Features DISK::extract(const Tensor& images) {
  ag::NoGradGuard no_grad;
  SP_CHECK(images.dim() == 4 && images.size(1) == 3, type_name(),
           ": expected RGB images [B, 3, H, W], got ", images.shape(),
           "; hint: repeat a gray image to 3 channels");
  const int64_t H = images.size(2), W = images.size(3), m = config_.size_multiple();
  SP_CHECK(config_.pad_if_not_divisible || (H % m == 0 && W % m == 0), type_name(),
           ": expected H and W multiples of ", m, ", got ", images.shape(),
           "; hint: pad_if_not_divisible = true pads them, or resize the images");
  // The padded maps as they are: detection looks only at the image region.
  const Tensor out = unet(pad_to_multiple(ag::Var(images), m)).data();
  const int64_t D = config_.descriptor_dim;
  return to_features(detect(out.narrow(1, D, 1), out.narrow(1, 0, D), H, W), H, W, images.device());
}

features::Features DISK::features_of(const Predictions& pred, const Tensor& images) {
  ag::NoGradGuard no_grad;
  const Tensor heat = pred.at("heatmap").data(), desc = pred.at("descriptors").data();
  return to_features(detect(heat, desc), heat.size(2), heat.size(3), images.device());
}

}  // namespace sp::models
