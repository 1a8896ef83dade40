#include "data/megadepth.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "data/npy.h"
#include "data/random.h"

namespace fs = std::filesystem;

namespace sp::data {

namespace {

// An object array's element `i` as a matrix of `rows` x `cols` (or a numeric array's slice).
Eigen::MatrixXd element_matrix(const NpyValue& v, int64_t i, int64_t rows, int64_t cols,
                               const std::string& what) {
  Tensor t;
  if (v.kind == NpyValue::Kind::Objects) {
    const NpyValue& e = v.items.at(size_t(i));
    SP_CHECK(e.kind == NpyValue::Kind::Array, what, ": expected a ", rows, "x", cols,
             " array at index ", i, ", got ", e.describe());
    t = e.array;
  } else {
    SP_CHECK(v.kind == NpyValue::Kind::Array && v.array.dim() == 3, what,
             ": expected an object array or [n, ", rows, ", ", cols, "], got ", v.describe());
    t = v.array.select(0, i);
  }
  SP_CHECK(t.shape() == Shape({rows, cols}), what, ": expected a ", rows, "x", cols,
           " array at index ", i, ", got ", t.shape());
  return tensor_matrix(t);
}

// Strings (or None: "") of an object array.
std::vector<std::string> strings(const NpyValue& v, const std::string& what) {
  SP_CHECK(v.kind == NpyValue::Kind::Objects, what, ": expected an object array of paths, got ",
           v.describe());
  std::vector<std::string> out;
  for (const NpyValue& e : v.items) {
    SP_CHECK(e.kind == NpyValue::Kind::String || e.is_none(), what,
             ": expected paths or None, got ", e.describe());
    out.push_back(e.is_none() ? "" : e.string);
  }
  return out;
}

std::vector<PosedPair> sample_n(std::vector<PosedPair> v, int64_t n, Rng& rng) {
  if (int64_t(v.size()) <= n) return v;
  for (int64_t k = 0; k < n; ++k)
    std::swap(v[size_t(k)], v[size_t(rng.randint(k, int64_t(v.size())))]);
  v.resize(size_t(n));
  return v;
}

}  // namespace

MegaDepthDataset::Scenes MegaDepthDataset::read_scenes(const MegaDepthConfig& c) {
  SP_CHECK(!c.root.empty() && fs::is_directory(c.root),
           "megadepth: expected the dataset folder (Undistorted_SfM/, depth_undistorted/, ",
           "scene_info/), got '", c.root, "'");
  const fs::path info_dir = fs::path(c.root) / c.info_dir;
  std::vector<std::string> names = c.scenes;
  if (names.empty()) {
    SP_CHECK(fs::is_directory(info_dir), "megadepth: expected ", info_dir.string());
    for (const auto& e : fs::directory_iterator(info_dir))
      if (e.path().extension() == ".npz") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
  }
  Scenes s;
  for (const std::string& scene : names) {
    const std::string path = (info_dir / (scene + ".npz")).string();
    SP_CHECK(fs::exists(path), "megadepth: expected the scene info ", path, " of scene ", scene);
    const NpzFile npz(path);
    const std::vector<std::string> images = strings(npz.get("image_paths"), path + ": image_paths");
    const std::vector<std::string> depths = strings(npz.get("depth_paths"), path + ": depth_paths");
    const NpyValue K = npz.get("intrinsics"), T = npz.get("poses");
    const NpyValue overlap = npz.get("overlap_matrix");
    const int64_t n = int64_t(images.size());
    SP_CHECK(int64_t(depths.size()) == n, "megadepth: expected ", n, " depth_paths in ", path,
             " (one per image), got ", depths.size());
    SP_CHECK(overlap.kind == NpyValue::Kind::Array && overlap.array.shape() == Shape({n, n}),
             "megadepth: expected overlap_matrix [", n, ", ", n, "] in ", path, ", got ",
             overlap.describe());
    const std::vector<double> ov = overlap.array.to(DType::F64).contiguous().to_vector<double>();
    std::vector<int64_t> ids;
    std::vector<int64_t> local;  // scene image index of each kept view
    for (int64_t i = 0; i < n; ++i) {
      if (images[size_t(i)].empty() || depths[size_t(i)].empty()) continue;
      PosedView v;
      const fs::path image = fs::path(c.root) / images[size_t(i)];
      v.name = scene + "/" + image.filename().string();
      v.image = image.string();
      v.depth =
          (fs::path(c.root) / c.depth_subpath / scene / (image.stem().string() + ".h5")).string();
      v.K = element_matrix(K, i, 3, 3, path + ": intrinsics");
      // MegaDepth's K is COLMAP's (top-left pixel centre at 0.5): to pixel centres.
      v.K(0, 2) -= 0.5;
      v.K(1, 2) -= 0.5;
      const Eigen::MatrixXd P = element_matrix(T, i, 4, 4, path + ": poses");
      v.R = P.topLeftCorner(3, 3);
      v.t = P.topRightCorner(3, 1);
      ids.push_back(int64_t(s.views.size()));
      local.push_back(i);
      s.views.push_back(std::move(v));
    }
    std::vector<std::vector<double>> m(local.size(), std::vector<double>(local.size()));
    for (size_t a = 0; a < local.size(); ++a)
      for (size_t b = 0; b < local.size(); ++b) m[a][b] = ov[size_t(local[a] * n + local[b])];
    s.names.push_back(scene);
    s.view_ids.push_back(std::move(ids));
    s.overlap.push_back(std::move(m));
  }
  return s;
}

std::vector<PosedPair> MegaDepthDataset::sample_pairs(const Scenes& s, const MegaDepthConfig& c,
                                                      uint64_t seed) {
  std::vector<PosedPair> items;
  for (size_t si = 0; si < s.names.size(); ++si) {
    const auto& ids = s.view_ids[si];
    const auto& m = s.overlap[si];
    auto in = [&](double v, double lo, double hi) { return v > lo && v <= hi; };
    if (c.num_per_scene <= 0) {
      for (size_t a = 0; a < ids.size(); ++a)
        for (size_t b = 0; b < ids.size(); ++b)
          if (in(m[a][b], c.min_overlap, c.max_overlap))
            items.push_back({int64_t(si), ids[a], ids[b], m[a][b]});
      continue;
    }
    const int64_t bins = std::max<int64_t>(1, c.num_overlap_bins);
    const double width = (c.max_overlap - c.min_overlap) / double(bins);
    const int64_t per_bin = c.num_per_scene / bins;
    std::vector<std::vector<PosedPair>> candidates(static_cast<size_t>(bins));
    for (int64_t k = 0; k < bins; ++k) {
      const double lo = c.min_overlap + double(k) * width, hi = lo + width;
      for (size_t a = 0; a < ids.size(); ++a)
        for (size_t b = 0; b < ids.size(); ++b)
          if (in(m[a][b], lo, hi))
            candidates[size_t(k)].push_back({int64_t(si), ids[a], ids[b], m[a][b]});
    }
    int64_t kept = 0;
    for (const auto& cand : candidates) kept += int64_t(cand.size()) >= 2 * per_bin;
    const int64_t per_kept = c.num_per_scene / std::max<int64_t>(1, kept);
    for (int64_t k = 0; k < bins; ++k) {
      if (int64_t(candidates[size_t(k)].size()) < 2 * per_bin) continue;
      Rng rng({seed, uint64_t(si), uint64_t(k), 0x4d44});  // "MD"
      for (const PosedPair& p : sample_n(candidates[size_t(k)], per_kept, rng)) items.push_back(p);
    }
  }
  Rng shuffle({seed, 0x53485546});  // "SHUF"
  for (size_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[size_t(shuffle.randint(int64_t(0), int64_t(i)))]);
  return items;
}

MegaDepthDataset::Init MegaDepthDataset::prepare(const MegaDepthConfig& c) {
  SP_CHECK(c.max_overlap > c.min_overlap, "megadepth: expected max_overlap > min_overlap, got ",
           c.min_overlap, " and ", c.max_overlap);
  Init init;
  init.scenes = read_scenes(c);
  if (c.pairs_file.empty()) {
    init.pairs = sample_pairs(init.scenes, c, c.seed);
    return init;
  }
  std::ifstream in(c.pairs_file);
  SP_CHECK(in.good(), "megadepth: expected a readable pair list ", c.pairs_file);
  std::map<std::string, int64_t> by_name;  // "<scene>/<file name>" -> view
  std::map<std::string, int64_t> scene_of;
  for (size_t si = 0; si < init.scenes.names.size(); ++si) {
    scene_of[init.scenes.names[si]] = int64_t(si);
    for (int64_t id : init.scenes.view_ids[si]) by_name[init.scenes.views[size_t(id)].name] = id;
  }
  auto view_of = [&](const std::string& scene, const std::string& image) {
    return by_name.find(scene + "/" + fs::path(image).filename().string());
  };
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    std::istringstream row(line);
    std::string a, b;
    if (!(row >> a >> b)) continue;
    const std::string scene = a.substr(0, a.find('/'));
    auto i0 = view_of(scene, a), i1 = view_of(scene, b);
    if (!scene_of.count(scene) || i0 == by_name.end() || i1 == by_name.end()) {
      std::cerr << "megadepth: skipping " << c.pairs_file << ":" << line_no << ": "
                << (i0 == by_name.end() ? a : b) << " is not a usable image of the scene info\n";
      ++init.skipped;
      continue;
    }
    init.pairs.push_back({scene_of.at(scene), i0->second, i1->second, 1.0});
  }
  return init;
}

MegaDepthDataset::MegaDepthDataset(const MegaDepthConfig& config)
    : MegaDepthDataset(config, prepare(config)) {}

MegaDepthDataset::MegaDepthDataset(const MegaDepthConfig& config, Init init)
    : PosedPairDataset(init.scenes.views, init.pairs, config.posed),
      config_(config),
      scenes_(std::move(init.scenes)),
      skipped_pairs_(init.skipped) {}

void MegaDepthDataset::begin_epoch(int64_t epoch) const {
  if (!config_.pairs_file.empty() || config_.num_per_scene <= 0) return;
  set_pairs(sample_pairs(scenes_, config_, config_.seed + uint64_t(epoch)));
}

}  // namespace sp::data
