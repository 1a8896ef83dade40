#include "features/features.h"

#include <algorithm>
#include <numeric>

#include "tensor/check.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"

namespace sp::features {

namespace {

Tensor to_device(const Tensor& t, Device device) {
  return t.defined() ? t.to(device) : t;
}

std::string keys_of(const NamedTensors& batch) {
  std::string out;
  for (const auto& [k, v] : batch) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

const Tensor& required(const NamedTensors& batch, const std::string& key, const std::string& what) {
  auto it = batch.find(key);
  SP_CHECK(it != batch.end(), what, ": expected key '", key, "', got keys [", keys_of(batch), "]");
  return it->second;
}

ImageFeatures ImageFeatures::to(Device device) const {
  ImageFeatures f = *this;
  f.keypoints = to_device(keypoints, device);
  f.scores = to_device(scores, device);
  f.descriptors = to_device(descriptors, device);
  return f;
}

void ImageFeatures::check(const std::string& what) const {
  SP_CHECK(keypoints.defined() && keypoints.dim() == 2 && keypoints.size(1) == 2, what,
           ": expected keypoints of shape [N, 2], got ",
           keypoints.defined() ? keypoints.shape() : Shape{});
  const int64_t n = keypoints.size(0);
  SP_CHECK(scores.defined() && scores.dim() == 1 && scores.size(0) == n, what,
           ": expected scores of shape [", n, "], got ",
           scores.defined() ? scores.shape() : Shape{});
  SP_CHECK(!descriptors.defined() || (descriptors.dim() == 2 && descriptors.size(0) == n), what,
           ": expected descriptors of shape [", n, ", D], got ",
           descriptors.defined() ? descriptors.shape() : Shape{});
}

Features Features::to(Device device) const {
  Features f = *this;
  f.keypoints = to_device(keypoints, device);
  f.scores = to_device(scores, device);
  f.descriptors = to_device(descriptors, device);
  f.mask = to_device(mask, device);
  f.image_size = to_device(image_size, device);
  return f;
}

void Features::check(const std::string& what) const {
  SP_CHECK(keypoints.defined() && keypoints.dim() == 3 && keypoints.size(2) == 2, what,
           ": expected keypoints of shape [B, N, 2], got ",
           keypoints.defined() ? keypoints.shape() : Shape{});
  const int64_t B = keypoints.size(0), N = keypoints.size(1);
  auto check_shape = [&](const Tensor& t, const char* name, Shape expected) {
    SP_CHECK(t.defined() && t.shape() == expected, what, ": expected ", name, " of shape ",
             expected, ", got ", t.defined() ? t.shape() : Shape{});
    SP_CHECK(t.device() == keypoints.device(), what, ": expected ", name, " on ",
             keypoints.device(), ", got ", t.device());
  };
  check_shape(scores, "scores", {B, N});
  check_shape(mask, "mask", {B, N});
  check_shape(image_size, "image_size", {B, 2});
  SP_CHECK(mask.dtype() == DType::Bool, what, ": expected a bool mask, got ", mask.dtype());
  if (descriptors.defined()) {
    SP_CHECK(descriptors.dim() == 3, what, ": expected descriptors of shape [", B, ", ", N,
             ", D], got ", descriptors.shape());
    check_shape(descriptors, "descriptors", {B, N, descriptors.size(2)});
  }
}

std::vector<int64_t> Features::counts() const {
  const Tensor m = mask.cpu().to(DType::I64).contiguous();
  std::vector<int64_t> out(size_t(batch_size()), 0);
  const int64_t* p = m.data<int64_t>();
  for (int64_t b = 0; b < batch_size(); ++b)
    for (int64_t i = 0; i < max_keypoints(); ++i) out[size_t(b)] += p[b * max_keypoints() + i];
  return out;
}

ImageFeatures Features::image(int64_t b) const {
  SP_CHECK(b >= 0 && b < batch_size(), "features: expected an image index in [0, ", batch_size(),
           "), got ", b);
  const Tensor idx = nonzero(mask.select(0, b)).select(1, 0);  // [n] i64, ascending
  ImageFeatures f;
  f.keypoints = index_select(keypoints.select(0, b), 0, idx);
  f.scores = index_select(scores.select(0, b), 0, idx);
  if (descriptors.defined()) f.descriptors = index_select(descriptors.select(0, b), 0, idx);
  const Tensor size = image_size.select(0, b).cpu().to(DType::F64).contiguous();
  f.width = int64_t(size.data<double>()[0]);
  f.height = int64_t(size.data<double>()[1]);
  return f;
}

void Features::put(NamedTensors& batch, const std::string& suffix) const {
  batch["keypoints" + suffix] = keypoints;
  batch["keypoint_scores" + suffix] = scores;
  if (descriptors.defined()) batch["descriptors" + suffix] = descriptors;
  batch["keypoint_mask" + suffix] = mask;
  batch["image_size" + suffix] = image_size;
}

Features Features::take(const NamedTensors& batch, const std::string& suffix) {
  Features f;
  f.keypoints = required(batch, "keypoints" + suffix).to(DType::F32);
  SP_CHECK(f.keypoints.dim() == 3 && f.keypoints.size(2) == 2, "features: expected keypoints",
           suffix, " of shape [B, N, 2], got ", f.keypoints.shape());
  const int64_t B = f.keypoints.size(0), N = f.keypoints.size(1);
  const Device device = f.keypoints.device();
  auto s = batch.find("keypoint_scores" + suffix);
  f.scores = s != batch.end() ? s->second.to(DType::F32) : zeros({B, N}, DType::F32, device);
  auto d = batch.find("descriptors" + suffix);
  if (d != batch.end()) f.descriptors = d->second.to(DType::F32);
  auto m = batch.find("keypoint_mask" + suffix);
  f.mask = m != batch.end() ? m->second.to(DType::Bool) : ones({B, N}, DType::Bool, device);
  auto size = batch.find("image_size" + suffix);
  f.image_size =
      size != batch.end() ? size->second.to(DType::F32) : zeros({B, 2}, DType::F32, device);
  f.check("features" + suffix);
  return f;
}

Features pad(const std::vector<ImageFeatures>& images, int64_t length, Device device) {
  SP_CHECK(!images.empty(), "features: expected at least one image to batch, got none");
  int64_t longest = 0;
  for (size_t b = 0; b < images.size(); ++b) {
    images[b].check("features of image " + std::to_string(b));
    longest = std::max(longest, images[b].size());
    SP_CHECK(images[b].has_descriptors() == images[0].has_descriptors() &&
                 (!images[b].has_descriptors() ||
                  images[b].descriptors.size(1) == images[0].descriptors.size(1)),
             "features: expected every image with descriptors of one size, got image 0 with ",
             images[0].has_descriptors() ? images[0].descriptors.shape() : Shape{}, " and image ",
             b, " with ", images[b].has_descriptors() ? images[b].descriptors.shape() : Shape{});
  }
  const int64_t B = int64_t(images.size()), N = length > 0 ? length : longest;
  const int64_t D = images[0].has_descriptors() ? images[0].descriptors.size(1) : 0;
  Features f;
  f.keypoints = zeros({B, N, 2});
  f.scores = zeros({B, N});
  if (images[0].has_descriptors()) f.descriptors = zeros({B, N, D});
  f.mask = zeros({B, N}, DType::Bool);
  f.image_size = zeros({B, 2});
  for (int64_t b = 0; b < B; ++b) {
    const ImageFeatures& im = images[size_t(b)];
    Tensor keep;  // indices of the kept keypoints, in their original order
    if (im.size() > N) {
      keep = topk(im.scores.cpu().to(DType::F32), N, 0, /*largest=*/true).indices;
      keep = sort(keep, 0).values;
    }
    auto rows = [&](const Tensor& t) {
      Tensor host = t.cpu().to(DType::F32);
      return keep.defined() ? index_select(host, 0, keep) : host;
    };
    const int64_t n = std::min(im.size(), N);
    f.keypoints.select(0, b).narrow(0, 0, n).copy_(rows(im.keypoints));
    f.scores.select(0, b).narrow(0, 0, n).copy_(rows(im.scores));
    if (D > 0) f.descriptors.select(0, b).narrow(0, 0, n).copy_(rows(im.descriptors));
    f.mask.select(0, b).narrow(0, 0, n).fill_(1);
    f.image_size.select(0, b).copy_(from_vector<float>({float(im.width), float(im.height)}));
  }
  return device.is_cpu() ? f : f.to(device);
}

Matches Matches::to(Device device) const {
  Matches m = *this;
  m.matches0 = to_device(matches0, device);
  m.matching_scores0 = to_device(matching_scores0, device);
  m.matches1 = to_device(matches1, device);
  m.matching_scores1 = to_device(matching_scores1, device);
  m.log_assignment = to_device(log_assignment, device);
  return m;
}

Tensor Matches::pairs(int64_t b) const {
  SP_CHECK(b >= 0 && b < batch_size(), "matches: expected an image index in [0, ", batch_size(),
           "), got ", b);
  const Tensor m0 = matches0.select(0, b).cpu().to(DType::I64).contiguous();
  const int64_t* p = m0.data<int64_t>();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < m0.size(0); ++i)
    if (p[i] >= 0) out.insert(out.end(), {i, p[i]});
  return from_vector<int64_t>(out, Shape{int64_t(out.size() / 2), 2});
}

Tensor Matches::pair_scores(int64_t b) const {
  const Tensor i = pairs(b).select(1, 0).contiguous();
  return index_select(matching_scores0.select(0, b).cpu().to(DType::F32), 0, i);
}

void Matches::put(NamedTensors& batch) const {
  batch["matches0"] = matches0;
  batch["matching_scores0"] = matching_scores0;
  batch["matches1"] = matches1;
  batch["matching_scores1"] = matching_scores1;
  if (log_assignment.defined()) batch["log_assignment"] = log_assignment;
}

Matches Matches::take(const NamedTensors& batch) {
  Matches m;
  m.matches0 = required(batch, "matches0");
  m.matching_scores0 = required(batch, "matching_scores0");
  m.matches1 = required(batch, "matches1");
  m.matching_scores1 = required(batch, "matching_scores1");
  auto it = batch.find("log_assignment");
  if (it != batch.end()) m.log_assignment = it->second;
  return m;
}

}  // namespace sp::features
