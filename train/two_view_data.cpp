// The two-view datasets by name (train/data_config.h registry): homography_pairs,
// megadepth, colmap_pairs, posed_images. Keys (all under [data]):
//   homography_pairs  root, size [H, W], gray, val_root, and [data.homographic] /
//                     [data.photometric] as for image_folder (preset warped_pair)
//   megadepth         root ($SP_DATA_PATH/megadepth), scenes, val_scenes, num_per_scene
//                     (300; <= 0 all), val_num_per_scene (0), min_overlap (0.1),
//                     max_overlap (0.7), num_overlap_bins (3), val_pairs (pair file), seed
//   colmap_pairs      model_dir, image_dir, depth_dir, min_shared (20), min_overlap,
//                     max_overlap, both_orders, val_every (0: no validation; k: every k-th
//                     pair validates)
//   posed_images      root (views.txt, pairs.txt, images/, depths/): validation-style pairs
// and for the posed ones: resize (none | long | short | exact), resize_size, resize_width,
// resize_height, pad (none | square | multiple; multiple = the model's image size
// multiple), gray (true), read_depth (true), cache (a feature file from sptrain
// export_features: keypoints/descriptors instead of images), read_images (false with a
// cache).
#include <cstdlib>
#include <map>
#include <sstream>

#include "data/colmap_dataset.h"
#include "data/homography_pairs.h"
#include "data/megadepth.h"
#include "train/data_config.h"

namespace sp::train {

namespace {

std::string data_root(ConfigReader& r, const std::string& key, const std::string& sub) {
  std::string root = r.get<std::string>(key, "");
  if (!root.empty()) return root;
  const char* env = std::getenv("SP_DATA_PATH");
  return std::string(env && *env ? env : "data") + "/" + sub;
}

data::PosedPairsOptions read_posed(ConfigReader& r, const std::string& t, const DataOptions& o) {
  data::PosedPairsOptions p;
  data::ResizeConfig& z = p.resize;
  z.mode = r.get<std::string>(t + ".resize", "none");
  z.size = r.get<int64_t>(t + ".resize_size", 0);
  z.width = r.get<int64_t>(t + ".resize_width", 0);
  z.height = r.get<int64_t>(t + ".resize_height", 0);
  z.pad = r.get<std::string>(t + ".pad", z.mode == "none" ? "multiple" : "none");
  z.multiple = std::max<int64_t>(1, o.size_multiple);
  z.validate("config " + t);
  SP_CHECK(z.pad != "square" || z.size % z.multiple == 0, "config: expected ", t,
           ".resize_size to be a multiple of ", z.multiple,
           o.model.empty() ? "" : " for " + o.model, " with pad square, got ", z.size);
  p.gray = r.get<bool>(t + ".gray", true);
  p.read_depth = r.get<bool>(t + ".read_depth", true);
  p.cache = r.get<std::string>(t + ".cache", "");
  p.read_images = r.get<bool>(t + ".read_images", p.cache.empty());
  return p;
}

std::string describe(const std::string& name, const data::Dataset& train, const data::Dataset* val,
                     const data::PosedPairsOptions* posed) {
  std::ostringstream d;
  d << name << ": " << train.size() << " train pairs"
    << (val ? ", " + std::to_string(val->size()) + " val" : std::string(", no validation"));
  if (posed && !posed->cache.empty()) d << ", features from the cache " << posed->cache;
  return d.str();
}

DataSets homography_pairs(ConfigReader& r, const std::string& t, const DataOptions& o) {
  data::HomographyPairsConfig c;
  c.root = r.require<std::string>(t + ".root");
  std::vector<int64_t> size = r.get<std::vector<int64_t>>(t + ".size", {c.size[0], c.size[1]});
  SP_CHECK(size.size() == 2, "config: expected 2 values for ", t, ".size, got ", size.size());
  c.size = {size[0], size[1]};
  const int64_t m = std::max<int64_t>(1, o.size_multiple);
  SP_CHECK(c.size[0] % m == 0 && c.size[1] % m == 0, "config: expected ", t,
           ".size to be multiples of ", m, o.model.empty() ? "" : " for " + o.model, ", got [",
           c.size[0], ", ", c.size[1], "]");
  c.gray = r.get<bool>(t + ".gray", true);
  const data::AugmentConfig a = read_augment(r, t);
  if (r.has(t + ".homographic.preset")) c.homography = a.homography_params;
  c.photometric = a.photometric;
  c.photometric_params = a.photometric_params;
  const std::string val_root = r.get<std::string>(t + ".val_root", "");
  DataSets out;
  out.train = std::make_shared<data::HomographyPairDataset>(c);
  if (!val_root.empty()) {
    data::HomographyPairsConfig v = c;
    v.root = val_root;
    v.photometric = false;
    out.val = std::make_shared<data::HomographyPairDataset>(v);
  }
  out.description = describe("homography_pairs " + c.root, *out.train, out.val.get(), nullptr);
  return out;
}

DataSets megadepth(ConfigReader& r, const std::string& t, const DataOptions& o) {
  data::MegaDepthConfig c;
  c.root = data_root(r, t + ".root", "megadepth");
  c.scenes = r.get<std::vector<std::string>>(t + ".scenes", {});
  c.num_per_scene = r.get<int64_t>(t + ".num_per_scene", c.num_per_scene);
  c.min_overlap = r.get<double>(t + ".min_overlap", c.min_overlap);
  c.max_overlap = r.get<double>(t + ".max_overlap", c.max_overlap);
  c.num_overlap_bins = r.get<int64_t>(t + ".num_overlap_bins", c.num_overlap_bins);
  c.seed = uint64_t(r.get<int64_t>(t + ".seed", 0));
  c.posed = read_posed(r, t, o);
  const std::vector<std::string> val_scenes =
      r.get<std::vector<std::string>>(t + ".val_scenes", {});
  const std::string val_pairs = r.get<std::string>(t + ".val_pairs", "");
  const int64_t val_num = r.get<int64_t>(t + ".val_num_per_scene", 0);
  DataSets out;
  if (o.train) out.train = std::make_shared<data::MegaDepthDataset>(c);
  if (!val_scenes.empty() || !val_pairs.empty()) {
    data::MegaDepthConfig v = c;
    v.scenes = val_scenes;
    v.pairs_file = val_pairs;
    v.num_per_scene = val_num;
    out.val = std::make_shared<data::MegaDepthDataset>(v);
  }
  if (!out.train) out.train = out.val;
  out.description = describe("megadepth " + c.root, *out.train, out.val.get(), &c.posed);
  return out;
}

DataSets colmap_pairs(ConfigReader& r, const std::string& t, const DataOptions& o) {
  data::ColmapDatasetConfig c;
  c.model_dir = r.require<std::string>(t + ".model_dir");
  c.image_dir = r.require<std::string>(t + ".image_dir");
  c.depth_dir = r.get<std::string>(t + ".depth_dir", "");
  c.min_shared = r.get<int64_t>(t + ".min_shared", c.min_shared);
  c.min_overlap = r.get<double>(t + ".min_overlap", c.min_overlap);
  c.max_overlap = r.get<double>(t + ".max_overlap", c.max_overlap);
  c.both_orders = r.get<bool>(t + ".both_orders", c.both_orders);
  c.posed = read_posed(r, t, o);
  const int64_t val_every = r.get<int64_t>(t + ".val_every", 0);
  data::ColmapPairDataset::Built b =
      data::ColmapPairDataset::build(c, data::Reconstruction::read(c.model_dir));
  std::vector<data::PosedPair> train, val;
  for (size_t i = 0; i < b.pairs.size(); ++i)
    (val_every > 0 && int64_t(i) % val_every == val_every - 1 ? val : train).push_back(b.pairs[i]);
  DataSets out;
  out.train = std::make_shared<data::PosedPairDataset>(b.views, train, c.posed);
  if (!val.empty()) out.val = std::make_shared<data::PosedPairDataset>(b.views, val, c.posed);
  out.description = describe("colmap_pairs " + c.model_dir, *out.train, out.val.get(), &c.posed);
  return out;
}

DataSets posed_images(ConfigReader& r, const std::string& t, const DataOptions& o) {
  const std::string root = r.require<std::string>(t + ".root");
  const data::PosedPairsOptions p = read_posed(r, t, o);
  data::PosedImages posed = data::read_posed_images(root);
  DataSets out;
  out.train = std::make_shared<data::PosedPairDataset>(posed.views, posed.pairs, p);
  out.val = out.train;
  out.description = describe("posed_images " + root, *out.train, out.val.get(), &p) +
                    (posed.skipped ? ", " + std::to_string(posed.skipped) + " pairs skipped" : "");
  return out;
}

}  // namespace

std::map<std::string, DatasetFactory> two_view_datasets() {
  return {{"homography_pairs", homography_pairs},
          {"megadepth", megadepth},
          {"colmap_pairs", colmap_pairs},
          {"posed_images", posed_images}};
}

}  // namespace sp::train
