#include "models/gt_labeller.h"

namespace sp::models {

std::unique_ptr<GtLabeller> GtLabeller::from(ConfigView& c) {
  const std::string kind = c.get_string("name", "");
  SP_CHECK(kind == "homography" || kind == "depth",
           "two_view_pipeline: expected model.ground_truth.name homography or depth, got '", kind,
           "'");
  geometry::HomographyGtOptions h;
  geometry::DepthGtOptions d;
  if (kind == "homography") {
    h.th_positive = c.get_double("th_positive", h.th_positive);
    h.th_negative = c.get_double("th_negative", h.th_negative);
  } else {
    d.th_positive = c.get_double("th_positive", d.th_positive);
    d.th_negative = c.get_double("th_negative", d.th_negative);
    d.th_epi = c.get_double("th_epi", d.th_epi);
  }
  return std::make_unique<GtLabeller>(kind, h, d);
}

GtLabeller::GtLabeller(std::string kind, geometry::HomographyGtOptions homography,
                       geometry::DepthGtOptions depth)
    : kind_(std::move(kind)), homography_(homography), depth_(depth) {}

std::vector<std::string> GtLabeller::required_keys() const {
  if (kind_ == "homography") return {"H_0to1"};
  return {"depth0", "depth1", "K0", "K1", "T_0to1"};
}

geometry::GtMatches GtLabeller::label(const features::Features& f0, const features::Features& f1,
                                      const Batch& batch) const {
  batch.require(required_keys());
  const Device dev = f0.device();
  if (kind_ == "homography")
    return geometry::gt_matches_from_homography(
        f0.keypoints, f1.keypoints, batch.at("H_0to1").to(dev), f0.mask, f1.mask, homography_);
  geometry::PosedPairs p;
  p.depth0 = batch.at("depth0").to(dev);
  p.depth1 = batch.at("depth1").to(dev);
  p.K0 = batch.at("K0").to(dev);
  p.K1 = batch.at("K1").to(dev);
  p.T_0to1 = batch.at("T_0to1").to(dev);
  // The cameras' sizes: the batch's (before padding), else the features'.
  p.image_size0 = batch.has("image_size0") ? batch.at("image_size0").to(dev) : f0.image_size;
  p.image_size1 = batch.has("image_size1") ? batch.at("image_size1").to(dev) : f1.image_size;
  return geometry::gt_matches_from_depth(f0.keypoints, f1.keypoints, p, f0.mask, f1.mask, depth_);
}

void GtLabeller::put(Predictions& pred, const features::Features& f0, const features::Features& f1,
                     const Batch& batch) const {
  const geometry::GtMatches gt = label(f0, f1, batch);
  pred.set("gt_matches0", ag::Var(gt.matches0));
  pred.set("gt_matches1", ag::Var(gt.matches1));
  pred.set("gt_assignment", ag::Var(gt.assignment));
}

}  // namespace sp::models
