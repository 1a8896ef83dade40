#include "data/homography_pairs.h"

#include "data/image_io.h"
#include "data/two_view.h"
#include "tensor/ops/creation.h"

namespace sp::data {

HomographyPairDataset::HomographyPairDataset(HomographyPairsConfig config)
    : config_(std::move(config)) {
  SP_CHECK(config_.size[0] >= 2 && config_.size[1] >= 2,
           "homography pairs: expected a size of at least [2, 2], got [", config_.size[0], ", ",
           config_.size[1], "]");
  config_.homography.validate();
  if (config_.photometric) config_.photometric_params.validate();
  ImageFolderConfig f;
  f.root = config_.root;
  f.layout = "folder";
  f.size = config_.size;
  folder_ = std::make_shared<ImageFolderDataset>(f);
  SP_CHECK(folder_->size() > 0, "homography pairs: expected images below '", config_.root,
           "', got none");
}

int64_t HomographyPairDataset::size() const {
  return folder_->size();
}

const std::string& HomographyPairDataset::path(int64_t index) const {
  return folder_->path(index);
}

Sample HomographyPairDataset::get(int64_t index, uint64_t seed) const {
  const int64_t H = config_.size[0], W = config_.size[1];
  Tensor image = read_image(folder_->path(index), config_.gray);
  image =
      resize(image, H, W, (image.size(1) > H || image.size(2) > W) ? Interp::Area : Interp::Linear);
  Mat3 h[2];
  Tensor views[2];
  for (int k = 0; k < 2; ++k) {
    Rng rng({seed, uint64_t(k), 0x484f4d4f});  // "HOMO"
    h[k] = normalized_to_pixel(sample_homography(config_.homography, rng), H, W);
    views[k] = warp_image(image, {h[k]})[0];
    if (config_.photometric)
      views[k] = photometric_augment(views[k], config_.photometric_params, seed * 2 + uint64_t(k));
  }
  // view_k(p) = image(h_k p): view-0 pixel p -> image h_0 p -> view-1 pixel h_1^-1 h_0 p.
  const Mat3 H01 = h[1].inverse() * h[0];
  Sample s;
  s["image0"] = views[0].contiguous();
  s["image1"] = views[1].contiguous();
  s["H_0to1"] = matrix_tensor(H01 / H01(2, 2));
  s["image_size0"] = from_vector<float>({float(W), float(H)}, {2});
  s["image_size1"] = s["image_size0"].clone();
  return s;
}

}  // namespace sp::data
