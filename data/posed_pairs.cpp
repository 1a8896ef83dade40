#include "data/posed_pairs.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "data/colmap.h"
#include "data/image_io.h"
#include "data/text_number.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::data {

// The feature cache: one HDF5 file, a group per view name (sp layout, f32 or f16).
class CacheFile {
 public:
  explicit CacheFile(const std::string& path) : file(path, io::H5File::Mode::Read) {}
  io::H5File file;
};

namespace {

Tensor f32(const Tensor& t) {
  return t.to(DType::F32).contiguous();
}

Tensor scalar(double v, DType dtype = DType::F32) {
  return full({}, v, dtype);
}

}  // namespace

PosedImages read_posed_images(const std::string& root) {
  namespace fs = std::filesystem;
  PosedImages out;
  const std::string views_path = root + "/views.txt", pairs_path = root + "/pairs.txt";
  std::ifstream views(views_path);
  SP_CHECK(views.good(), "posed images: expected ", views_path,
           " (name R(9) t(3) MODEL W H params per line)");
  std::map<std::string, int64_t> by_name;
  std::string line;
  auto number = [](const std::string& s, const std::string& where) {
    return parse_number(s, "posed images", where);
  };
  for (int line_no = 1; std::getline(views, line); ++line_no) {
    std::istringstream row(line);
    std::vector<std::string> tok;
    for (std::string t; row >> t;) tok.push_back(t);
    if (tok.empty()) continue;
    const std::string where = views_path + ":" + std::to_string(line_no);
    SP_CHECK(tok.size() >= 16, "posed images: expected name R(9) t(3) MODEL W H params in ", where,
             ", got ", tok.size(), " tokens");
    PosedView v;
    v.name = tok[0];
    v.image = root + "/images/" + tok[0];
    const std::string depth = root + "/depths/" + fs::path(tok[0]).stem().string() + ".h5";
    if (fs::exists(depth)) v.depth = depth;
    for (int i = 0; i < 9; ++i) v.R(i / 3, i % 3) = number(tok[1 + size_t(i)], where);
    for (int i = 0; i < 3; ++i) v.t(i) = number(tok[10 + size_t(i)], where);
    // Checked before the cast (casting nan, inf or values past int64 is undefined).
    auto size = [&](const std::string& s) {
      const double d = number(s, where);
      SP_CHECK(d >= 0 && d <= 1e9 && d == double(int64_t(d)), "posed images: expected an image ",
               "size (an integer >= 0) in ", where, ", got '", s, "'");
      return int64_t(d);
    };
    v.width = size(tok[14]);
    v.height = size(tok[15]);
    std::vector<double> params;
    for (size_t i = 16; i < tok.size(); ++i) params.push_back(number(tok[i], where));
    v.K = colmap_intrinsics(tok[13], params, where);
    by_name[v.name] = int64_t(out.views.size());
    out.views.push_back(std::move(v));
  }
  std::ifstream pairs(pairs_path);
  SP_CHECK(pairs.good(), "posed images: expected ", pairs_path, " (name0 name1 per line)");
  for (int line_no = 1; std::getline(pairs, line); ++line_no) {
    std::istringstream row(line);
    std::string a, b;
    if (!(row >> a)) continue;
    const std::string where = pairs_path + ":" + std::to_string(line_no);
    SP_CHECK(bool(row >> b), "posed images: expected name0 name1 in ", where, ", got '", line, "'");
    auto i0 = by_name.find(a), i1 = by_name.find(b);
    if (i0 == by_name.end() || i1 == by_name.end()) {
      std::cerr << "posed images: skipping " << where << ": " << (i0 == by_name.end() ? a : b)
                << " is not in " << views_path << "\n";
      ++out.skipped;
      continue;
    }
    out.pairs.push_back({0, i0->second, i1->second, 1.0});
    out.pair_lines.push_back(where);
  }
  return out;
}

Eigen::Matrix4d relative_pose(const PosedView& v0, const PosedView& v1) {
  Eigen::Matrix4d T = Eigen::Matrix4d::Identity();
  T.topLeftCorner<3, 3>() = v1.R * v0.R.transpose();
  T.topRightCorner<3, 1>() = v1.t - T.topLeftCorner<3, 3>() * v0.t;
  return T;
}

Tensor read_depth_map(const std::string& path) {
  io::H5File f(path, io::H5File::Mode::Read);
  SP_CHECK(f.has("depth"), "depth: expected the dataset /depth in ", path);
  const Tensor d = f.read("depth");
  SP_CHECK(d.dim() == 2, "depth: expected /depth [H, W] in ", path, ", got ", d.meta());
  return f32(d);
}

PosedPairDataset::PosedPairDataset(std::vector<PosedView> views, std::vector<PosedPair> pairs,
                                   PosedPairsOptions options)
    : views_(std::move(views)), pairs_(std::move(pairs)), options_(std::move(options)) {
  options_.resize.validate("posed pairs");
  for (const PosedPair& p : pairs_)
    SP_CHECK(p.view0 >= 0 && p.view1 >= 0 && p.view0 < int64_t(views_.size()) &&
                 p.view1 < int64_t(views_.size()),
             "posed pairs: expected view indices below ", views_.size(), ", got ", p.view0, " ",
             p.view1);
  if (!options_.cache.empty()) cache_ = std::make_shared<CacheFile>(options_.cache);
  SP_CHECK(options_.read_images || cache_, "posed pairs: expected a feature cache when images ",
           "are not read (read_images = false)");
}

PosedPairDataset::~PosedPairDataset() = default;

int64_t PosedPairDataset::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return int64_t(pairs_.size());
}

std::vector<PosedPair> PosedPairDataset::pairs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pairs_;
}

void PosedPairDataset::set_pairs(std::vector<PosedPair> pairs) const {
  std::lock_guard<std::mutex> lock(mu_);
  SP_ASSERT(pairs.size() == pairs_.size(), "posed pairs: the pair count changed between epochs");
  pairs_ = std::move(pairs);
}

void PosedPairDataset::read_view(const PosedView& view, const std::string& s, Sample& out) const {
  int64_t w = view.width, h = view.height;
  Tensor image;
  if (options_.read_images) {
    image = read_image(view.image, options_.gray);
    SP_CHECK(w == 0 || (image.size(2) == w && image.size(1) == h), "posed pairs: expected ",
             view.image, " of ", w, " x ", h, " pixels (its camera), got ", image.size(2), " x ",
             image.size(1));
    w = image.size(2);
    h = image.size(1);
  } else {
    if (w == 0 && cache_->file.has_attr(view.name, "original_width")) {
      w = cache_->file.attr_int(view.name, "original_width");
      h = cache_->file.attr_int(view.name, "original_height");
    }
    SP_CHECK(w > 0 && h > 0, "posed pairs: expected the size of ", view.image, " from its ",
             "camera or the cache ", options_.cache, ", got neither");
  }
  const auto [rw, rh] = resized_size(w, h, options_.resize);
  const double sx = double(rw) / double(w), sy = double(rh) / double(h);
  int64_t pw = rw, ph = rh;
  if (options_.read_images) {
    const Resized r = resize_image(image, options_.resize);
    out["image" + s] = r.image;
    ph = r.image.size(1);
    pw = r.image.size(2);
  } else if (options_.resize.pad == "square") {
    pw = ph = std::max(options_.resize.size, std::max(rw, rh));
  } else if (options_.resize.pad == "multiple") {
    const int64_t m = options_.resize.multiple;
    pw = (rw + m - 1) / m * m;
    ph = (rh + m - 1) / m * m;
  }
  out["image_size" + s] = from_vector<float>({float(rw), float(rh)}, {2});
  out["scales" + s] = from_vector<float>({float(sx), float(sy)}, {2});
  out["K" + s] = matrix_tensor(scale_intrinsics(view.K, sx, sy));
  if (options_.read_depth && !view.depth.empty()) {
    const Tensor d = read_depth_map(view.depth);
    SP_CHECK(d.size(0) == h && d.size(1) == w, "posed pairs: expected the depth map ", view.depth,
             " of its image's size ", w, " x ", h, ", got ", d.size(1), " x ", d.size(0));
    out["depth" + s] = resize_depth(d, rw, rh, pw, ph);
  } else if (options_.read_depth && !view.sparse.empty()) {
    Tensor d = zeros({ph, pw});
    float* p = d.data<float>();
    for (const Eigen::Vector3d& q : view.sparse) {
      const double x = std::nearbyint((q.x() + 0.5) * sx - 0.5);
      const double y = std::nearbyint((q.y() + 0.5) * sy - 0.5);
      if (x >= 0 && y >= 0 && x < double(rw) && y < double(rh) && q.z() > 0)
        p[int64_t(y) * pw + int64_t(x)] = float(q.z());
    }
    out["depth" + s] = d;
  }
  if (cache_) {
    const std::string g = view.name;
    SP_CHECK(cache_->file.has(g + "/keypoints"), "posed pairs: expected the features of '", g,
             "' in the cache ", options_.cache, "; hint: export them with sptrain export_features");
    Tensor kp = f32(cache_->file.read(g + "/keypoints"));
    // Original pixels -> resized pixels: (x + 0.5) s - 0.5.
    if (kp.numel() > 0) {
      std::vector<float> v = kp.to_vector<float>();
      for (size_t k = 0; k + 1 < v.size(); k += 2) {
        v[k] = float((double(v[k]) + 0.5) * sx - 0.5);
        v[k + 1] = float((double(v[k + 1]) + 0.5) * sy - 0.5);
      }
      kp = from_vector(v, kp.shape());
    }
    out["keypoints" + s] = kp;
    const int64_t n = kp.size(0);
    out["keypoint_scores" + s] =
        cache_->file.has(g + "/scores") ? f32(cache_->file.read(g + "/scores")) : zeros({n});
    if (cache_->file.has(g + "/descriptors")) {
      Tensor desc = f32(cache_->file.read(g + "/descriptors"));
      SP_CHECK(desc.dim() == 2 && desc.size(0) == n, "posed pairs: expected descriptors [", n,
               ", D] of '", g, "' in ", options_.cache, ", got ", desc.meta());
      out["descriptors" + s] = desc;
    }
  }
}

Sample PosedPairDataset::get(int64_t index, uint64_t seed) const {
  (void)seed;
  PosedPair p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SP_CHECK(index >= 0 && index < int64_t(pairs_.size()), "posed pairs: expected an index below ",
             pairs_.size(), ", got ", index);
    p = pairs_[size_t(index)];
  }
  const PosedView &v0 = views_[size_t(p.view0)], &v1 = views_[size_t(p.view1)];
  Sample out;
  read_view(v0, "0", out);
  read_view(v1, "1", out);
  out["T_0to1"] = matrix_tensor(relative_pose(v0, v1));
  out["overlap"] = scalar(p.overlap);
  out["scene"] = scalar(double(p.scene), DType::I64);
  out["index0"] = scalar(double(p.view0), DType::I64);
  out["index1"] = scalar(double(p.view1), DType::I64);
  return out;
}

}  // namespace sp::data
