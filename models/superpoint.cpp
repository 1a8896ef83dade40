#include "models/superpoint.h"

#include <cmath>

#include "autograd/functions/conv.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "nn/conv_batch_norm.h"
#include "nn/layers.h"
#include "tensor/ops/index.h"

namespace sp::models {

SuperPointConfig SuperPointConfig::from(ConfigView& c, bool detector_only) {
  SuperPointConfig s;
  s.detector_only = c.get_bool("detector_only", detector_only);
  s.batch_norm = c.get_bool("batch_norm", s.batch_norm);
  s.descriptor_dim = c.get_int("descriptor_dim", s.descriptor_dim);
  s.width = c.get_double("width", s.width);
  s.detection_threshold = c.get_double("detection_threshold", s.detection_threshold);
  s.nms_radius = c.get_int("nms_radius", s.nms_radius);
  s.border = c.get_int("border", s.border);
  s.top_k = c.get_int("top_k", s.top_k);
  s.nms = c.get_string("nms", s.nms);
  s.force_num_keypoints = c.get_bool("force_num_keypoints", s.force_num_keypoints);
  s.detector_loss = c.get_string("detector_loss", s.detector_loss);
  s.lambda_d = c.get_double("lambda_d", s.lambda_d);
  s.positive_margin = c.get_double("positive_margin", s.positive_margin);
  s.negative_margin = c.get_double("negative_margin", s.negative_margin);
  s.descriptor_dist = c.get_double("descriptor_dist", s.descriptor_dist);
  s.lambda_loss = c.get_double("lambda_loss", s.lambda_loss);
  s.descriptor_chunk_rows = c.get_int("descriptor_chunk_rows", s.descriptor_chunk_rows);
  s.metrics_distance = c.get_double("metrics_distance", s.metrics_distance);
  // Validate the names now, so a bad config fails at construction.
  nms_kind(s.nms);
  detector_loss_kind(s.detector_loss);
  SP_CHECK(s.descriptor_dim > 0 && s.width > 0,
           "superpoint config: expected descriptor_dim > 0 and width > 0, got ", s.descriptor_dim,
           " and ", s.width);
  SP_CHECK(!s.force_num_keypoints || s.top_k > 0,
           "superpoint config: expected top_k > 0 with force_num_keypoints, got top_k ", s.top_k);
  SP_CHECK(s.nms_radius >= 0 && s.border >= 0,
           "superpoint config: expected nms_radius >= 0 and border >= 0, got ", s.nms_radius,
           " and ", s.border);
  return s;
}

DetectConfig SuperPointConfig::detect_config() const {
  DetectConfig d;
  d.options.threshold = float(detection_threshold);
  d.options.nms_radius = int(nms_radius);
  d.options.border = int(border);
  d.options.top_k = int(top_k);
  d.nms = nms_kind(nms);
  return d;
}

DescriptorLossOptions SuperPointConfig::descriptor_loss_options() const {
  DescriptorLossOptions o;
  o.lambda_d = lambda_d;
  o.positive_margin = positive_margin;
  o.negative_margin = negative_margin;
  o.distance = descriptor_dist;
  o.chunk_rows = descriptor_chunk_rows;
  return o;
}

namespace {

// A module forwarding to one named child: PyTorch's wrapper modules (inconv, down,
// double_conv) that exist only to give the parameters their dotted names.
class Wrap : public nn::UnaryModule {
 public:
  Wrap(const std::string& type, const std::string& child_name,
       std::shared_ptr<nn::UnaryModule> child)
      : nn::UnaryModule(type), child_(register_module(child_name, std::move(child))) {}
  ag::Var forward(const ag::Var& x) override { return (*child_)(x); }

 private:
  std::shared_ptr<nn::UnaryModule> child_;
};

// [PS] double_conv: (conv 3x3 -> BN -> ReLU) x 2 under the name "conv".
std::shared_ptr<nn::UnaryModule> double_conv(int64_t in, int64_t out) {
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::Conv2d>(in, out, 3, 1, 1));
  seq->push_back(std::make_shared<nn::BatchNorm2d>(out));
  seq->push_back(std::make_shared<nn::ReLU>());
  seq->push_back(std::make_shared<nn::Conv2d>(out, out, 3, 1, 1));
  seq->push_back(std::make_shared<nn::BatchNorm2d>(out));
  seq->push_back(std::make_shared<nn::ReLU>());
  return std::make_shared<Wrap>("double_conv", "conv", seq);
}

// [PS] down: max-pool 2x2 then double_conv, as Sequential "mpconv".
std::shared_ptr<nn::UnaryModule> down(int64_t in, int64_t out) {
  Pool2dArgs pool;
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::MaxPool2d>(pool));
  seq->push_back(double_conv(in, out));
  return std::make_shared<Wrap>("down", "mpconv", seq);
}

int64_t scaled(int64_t channels, double width) {
  return std::max<int64_t>(1, std::llround(channels * width));
}

ag::Var pool2(const ag::Var& x) {
  return nn::F::max_pool2d(x, Pool2dArgs{});
}

}  // namespace

SuperPoint::SuperPoint(SuperPointConfig config)
    : Extractor(config.detector_only ? "MagicPoint" : "SuperPoint"), config_(std::move(config)) {
  const int64_t c1 = scaled(64, config_.width), c3 = scaled(128, config_.width),
                c5 = scaled(256, config_.width);
  const int64_t D = config_.descriptor_dim;
  auto conv = [&](const std::string& name, int64_t in, int64_t out, int64_t k) {
    register_module(name, std::make_shared<nn::Conv2d>(in, out, k, 1, k / 2));
  };
  auto bn = [&](const std::string& name, int64_t channels) {
    register_module(name, std::make_shared<nn::BatchNorm2d>(channels));
  };
  if (config_.batch_norm) {
    register_module("inc", std::make_shared<Wrap>("inconv", "conv", double_conv(1, c1)));
    register_module("down1", down(c1, c1));
    register_module("down2", down(c1, c3));
    register_module("down3", down(c3, c3));
  } else {
    conv("conv1a", 1, c1, 3), conv("conv1b", c1, c1, 3);
    conv("conv2a", c1, c1, 3), conv("conv2b", c1, c1, 3);
    conv("conv3a", c1, c3, 3), conv("conv3b", c3, c3, 3);
    conv("conv4a", c3, c3, 3), conv("conv4b", c3, c3, 3);
  }
  const bool norm = config_.batch_norm;
  conv("convPa", c3, c5, 3);
  if (norm) bn("bnPa", c5);
  conv("convPb", c5, kCell * kCell + 1, 1);
  if (norm) bn("bnPb", kCell * kCell + 1);
  if (!config_.detector_only) {
    conv("convDa", c3, c5, 3);
    if (norm) bn("bnDa", c5);
    conv("convDb", c5, D, 1);
    if (norm) bn("bnDb", D);
  }
}

namespace {

nn::UnaryModule& child(const nn::Module& m, const std::string& name) {
  for (const auto& [n, c] : m.children())
    if (n == name) return static_cast<nn::UnaryModule&>(*c);
  SP_CHECK(false, m.type_name(), ": expected a submodule '", name, "'");
  return static_cast<nn::UnaryModule&>(*m.children().front().second);
}

// relu(conv(x)) of the no-BN layout as one fused op (bias + ReLU in one CUDA pass, and
// the ReLU and bias gradients in one pass backward).
ag::Var conv_relu(const nn::Module& m, const std::string& name, const ag::Var& x) {
  const auto& conv = static_cast<const nn::Conv2d&>(child(m, name));
  return ag::conv2d_relu(x, conv.param("weight"),
                         conv.has_param("bias") ? conv.param("bias") : ag::Var(),
                         conv.options().args);
}

}  // namespace

ag::Var SuperPoint::encode(const ag::Var& image) {
  SP_CHECK(image.dim() == 4 && image.size(1) == 1 && image.size(2) % kCell == 0 &&
               image.size(3) % kCell == 0,
           type_name(), ": expected images [B, 1, H, W] with H and W multiples of 8, got ",
           image.shape());
  if (config_.batch_norm) {
    ag::Var x = image;
    for (const char* stage : {"inc", "down1", "down2", "down3"}) x = child(*this, stage)(x);
    return x;
  }
  auto layer = [&](const char* name, const ag::Var& x) { return conv_relu(*this, name, x); };
  ag::Var x = layer("conv1b", layer("conv1a", image));
  x = layer("conv2b", layer("conv2a", pool2(x)));
  x = layer("conv3b", layer("conv3a", pool2(x)));
  return layer("conv4b", layer("conv4a", pool2(x)));
}

std::pair<ag::Var, ag::Var> SuperPoint::forward_image(const ag::Var& image) {
  const bool norm = config_.batch_norm;
  ag::Var features = encode(image);
  auto head = [&](const char* conv_a, const char* bn_a, const char* conv_b, const char* bn_b) {
    if (!norm) return child(*this, conv_b)(conv_relu(*this, conv_a, features));
    auto& ca = static_cast<nn::Conv2d&>(child(*this, conv_a));
    auto& cb = static_cast<nn::Conv2d&>(child(*this, conv_b));
    auto& na = static_cast<nn::BatchNorm2d&>(child(*this, bn_a));
    auto& nb = static_cast<nn::BatchNorm2d&>(child(*this, bn_b));
    return nn::conv_batch_norm(cb, nb, nn::conv_batch_norm(ca, na, features, /*relu=*/true),
                               /*relu=*/false);
  };
  ag::Var logits = head("convPa", "bnPa", "convPb", "bnPb");
  if (config_.detector_only) return {logits, ag::Var()};
  ag::Var desc = head("convDa", "bnDa", "convDb", "bnDb");
  // L2 normalisation per cell inside the network ([ML], [PS]); eps only guards 0.
  desc = ag::normalize(desc, 2.0, 1);
  return {logits, desc};
}

Predictions SuperPoint::forward(const Batch& batch) {
  Predictions pred("predictions");
  ag::Var image(batch.at("image"));
  const bool pair = !config_.detector_only && batch.has("warped_image");
  if (!pair) {
    auto [logits, desc] = forward_image(image);
    pred.set("logits", logits);
    if (desc.defined()) pred.set("descriptors", desc);
    return pred;
  }
  // Both images in one pass: one set of batch statistics for the pair in the BN variant.
  const Tensor& warped = batch.at("warped_image");
  SP_CHECK(warped.shape() == image.shape(), type_name(), ": expected warped_image of shape ",
           image.shape(), ", got ", warped.shape());
  const int64_t B = image.size(0);
  auto [logits, desc] = forward_image(ag::cat({image, ag::Var(warped)}, 0));
  pred.set("logits", ag::narrow(logits, 0, 0, B));
  pred.set("warped_logits", ag::narrow(logits, 0, B, B));
  pred.set("descriptors", ag::narrow(desc, 0, 0, B));
  pred.set("warped_descriptors", ag::narrow(desc, 0, B, B));
  return pred;
}

Losses SuperPoint::loss(const Predictions& pred, const Batch& batch) {
  const DetectorLossKind kind = detector_loss_kind(config_.detector_loss);
  auto optional = [&](const char* key) { return batch.has(key) ? batch.at(key) : Tensor(); };
  Losses out;
  ag::Var det =
      detector_loss(pred.at("logits"), batch.at("labels_2D"), optional("valid_mask"), kind);
  out.total = det;
  out.terms["detector"] = det.data();
  if (pred.has("warped_logits")) {
    ag::Var det_w = detector_loss(pred.at("warped_logits"), batch.at("warped_labels"),
                                  optional("warped_valid_mask"), kind);
    ag::Var desc = descriptor_loss(pred.at("descriptors"), pred.at("warped_descriptors"),
                                   batch.at("homography"), optional("warped_valid_mask"),
                                   config_.descriptor_loss_options());
    out.total = out.total + det_w + config_.lambda_loss * desc;
    out.terms["detector_warped"] = det_w.data();
    out.terms["descriptor"] = desc.data();
  }
  out.terms["total"] = out.total.data();
  return out;
}

std::vector<Detections> SuperPoint::detect(const Predictions& pred) const {
  Tensor desc = pred.has("descriptors") ? pred.at("descriptors").data() : Tensor();
  return models::detect(pred.at("logits").data(), desc, config_.detect_config());
}

}  // namespace sp::models
