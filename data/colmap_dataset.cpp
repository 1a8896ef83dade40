#include "data/colmap_dataset.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace sp::data {

ColmapPairDataset::Built ColmapPairDataset::build(const ColmapDatasetConfig& c,
                                                  const Reconstruction& r) {
  SP_CHECK(!r.images.empty(), "colmap dataset: expected registered images in ", c.model_dir,
           ", got none");
  Built b;
  std::vector<std::set<int64_t>> seen;  // per view: its triangulated point ids
  for (const auto& [id, im] : r.images) {
    auto cam = r.cameras.find(im.camera_id);
    SP_CHECK(cam != r.cameras.end(), "colmap dataset: expected camera ", im.camera_id, " of image ",
             im.name, " in ", c.model_dir, ", got none");
    PosedView v;
    v.name = im.name;
    v.image = (fs::path(c.image_dir) / im.name).string();
    if (!c.depth_dir.empty())
      v.depth = (fs::path(c.depth_dir) / fs::path(im.name).replace_extension(".h5")).string();
    v.K = colmap_intrinsics(cam->second.model, cam->second.params,
                            c.model_dir + " camera " + std::to_string(cam->first));
    v.width = cam->second.width;
    v.height = cam->second.height;
    v.R = im.R();
    v.t = im.t;
    std::set<int64_t> ids;
    for (size_t k = 0; k < im.points2d.size(); ++k) {
      const int64_t p = im.point3d_ids[k];
      auto pt = r.points.find(p);
      if (p < 0 || pt == r.points.end()) continue;
      ids.insert(p);
      const Eigen::Vector3d X = v.R * pt->second.xyz + v.t;
      // COLMAP pixels -> pixel centres.
      v.sparse.emplace_back(im.points2d[k].x() - 0.5, im.points2d[k].y() - 0.5, X.z());
    }
    seen.push_back(std::move(ids));
    b.image_ids.push_back(id);
    b.views.push_back(std::move(v));
  }
  const int64_t n = int64_t(b.views.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = c.both_orders ? 0 : i + 1; j < n; ++j) {
      if (i == j) continue;
      int64_t shared = 0;
      for (int64_t p : seen[size_t(i)]) shared += seen[size_t(j)].count(p);
      const int64_t least = int64_t(std::min(seen[size_t(i)].size(), seen[size_t(j)].size()));
      const double overlap = least > 0 ? double(shared) / double(least) : 0.0;
      if (shared >= c.min_shared && overlap > c.min_overlap && overlap <= c.max_overlap)
        b.pairs.push_back({0, i, j, overlap});
    }
  return b;
}

ColmapPairDataset::ColmapPairDataset(const ColmapDatasetConfig& config, Built built)
    : PosedPairDataset(std::move(built.views), std::move(built.pairs), config.posed),
      image_ids_(std::move(built.image_ids)) {}

ColmapPairDataset::ColmapPairDataset(const ColmapDatasetConfig& config,
                                     const Reconstruction& reconstruction)
    : ColmapPairDataset(config, build(config, reconstruction)) {}

ColmapPairDataset::ColmapPairDataset(const ColmapDatasetConfig& config)
    : ColmapPairDataset(config, Reconstruction::read(config.model_dir)) {}

}  // namespace sp::data
