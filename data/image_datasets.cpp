// Image-folder datasets (COCO, KITTI raw, plain folders), HPatches, label files.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/datasets.h"
#include "data/image_io.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::data {

namespace {

bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".ppm" || e == ".pgm";
}

std::vector<std::string> list_images(const fs::path& dir, bool recursive,
                                     const std::string& must_contain = "") {
  SP_CHECK(fs::is_directory(dir), "dataset: expected an image folder, got '", dir.string(),
           "' (missing)");
  std::vector<std::string> out;
  auto take = [&](const fs::directory_entry& e) {
    if (e.is_regular_file() && is_image(e.path()) &&
        (must_contain.empty() || e.path().string().find(must_contain) != std::string::npos))
      out.push_back(e.path().string());
  };
  if (recursive)
    for (auto& e : fs::recursive_directory_iterator(dir)) take(e);
  else
    for (auto& e : fs::directory_iterator(dir)) take(e);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void write_keypoint_labels(const std::string& path, const Tensor& points) {
  SP_CHECK(points.dim() == 2 && points.size(1) == 3,
           "write_keypoint_labels: expected points [N, 3] (x, y, prob), got ", points.shape());
  io::write_atomically(
      path, [&](io::H5File& f) { f.write("points", points.to(DType::F32).cpu().contiguous()); });
}

Tensor read_keypoint_labels(const std::string& path) {
  io::H5File f(path, io::H5File::Mode::Read);
  SP_CHECK(f.has("points"), "read_keypoint_labels: expected a dataset 'points' in '", path, "'");
  Tensor p = f.read("points").to(DType::F32);
  SP_CHECK(p.dim() == 2 && p.size(1) == 3, "read_keypoint_labels: expected 'points' [N, 3] in '",
           path, "', got ", p.shape());
  return p;
}

ImageFolderDataset::ImageFolderDataset(ImageFolderConfig cfg) : cfg_(std::move(cfg)) {
  fs::path root(cfg_.root);
  if (cfg_.layout == "coco") {
    SP_CHECK(cfg_.split == "train" || cfg_.split == "val",
             "ImageFolderDataset: expected coco split train|val, got '", cfg_.split, "'");
    image_dir_ = (root / "COCO" / (cfg_.split + "2014")).string();
    paths_ = list_images(image_dir_, false);
  } else if (cfg_.layout == "kitti") {
    image_dir_ = (root / "KITTI").string();
    paths_ = list_images(image_dir_, true, "/image_02/data/");
  } else {
    SP_CHECK(cfg_.layout == "folder",
             "ImageFolderDataset: expected layout coco|kitti|folder, got '", cfg_.layout, "'");
    image_dir_ = root.string();
    paths_ = list_images(root, true);
  }
  if (!cfg_.labels_dir.empty()) {
    std::vector<std::string> kept;
    for (const auto& p : paths_)
      if (fs::exists(label_path(p))) kept.push_back(p);
    paths_.swap(kept);
  }
  SP_CHECK(!paths_.empty(),
           "ImageFolderDataset: expected images (with labels if labels_dir is set) under '",
           cfg_.root, "' (layout ", cfg_.layout, "), got none");
}

std::string ImageFolderDataset::relative_name(const std::string& image_path) const {
  return fs::path(image_path).lexically_relative(image_dir_).replace_extension("").generic_string();
}

std::string ImageFolderDataset::label_name(int64_t index) const {
  SP_CHECK(index >= 0 && index < size(), "ImageFolderDataset: expected an index in [0, ", size(),
           "), got ", index);
  return relative_name(paths_[size_t(index)]);
}

std::string ImageFolderDataset::label_path(const std::string& image_path) const {
  return (fs::path(cfg_.labels_dir) / (relative_name(image_path) + ".h5")).string();
}

Sample ImageFolderDataset::get(int64_t index, uint64_t seed) const {
  SP_CHECK(index >= 0 && index < size(), "ImageFolderDataset: expected an index in [0, ", size(),
           "), got ", index);
  const std::string& path = paths_[size_t(index)];
  Tensor img = read_image(path, true);
  img = resize(img, cfg_.size[0], cfg_.size[1], Interp::Area);
  if (cfg_.labels_dir.empty()) {
    Sample s;
    s["image"] = cfg_.augment.photometric
                     ? photometric_augment(img, cfg_.augment.photometric_params, seed)
                     : img;
    return s;
  }
  Tensor labels = read_keypoint_labels(label_path(path));
  // Labels are in the resized frame (the export runs on the resized image, spec 6.1).
  Tensor pts = labels.narrow(1, 0, 2).contiguous().clone();
  if (cfg_.pairs) return warped_pair(img, pts, cfg_.augment, seed);
  return augment_sample(img, pts, cfg_.augment, seed);
}

Mat3 read_homography_text(const std::string& path) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "read_homography_text: expected a readable file, got '", path, "'");
  Mat3 m;
  for (int i = 0; i < 9; ++i) {
    double v;
    SP_CHECK(bool(in >> v), "read_homography_text: expected 9 numbers in '", path, "', got ", i);
    m(i / 3, i % 3) = v;
  }
  return m;
}

Tensor resize_and_crop(const Tensor& image, std::array<int64_t, 2> size, Mat3& transform) {
  int64_t h = image.size(1), w = image.size(2);
  double s = std::max(double(size[0]) / double(h), double(size[1]) / double(w));
  int64_t nh = std::max<int64_t>(size[0], std::lround(double(h) * s)),
          nw = std::max<int64_t>(size[1], std::lround(double(w) * s));
  Tensor big = resize(image, nh, nw, Interp::Linear);
  int64_t oy = (nh - size[0]) / 2, ox = (nw - size[1]) / 2;
  double sx = double(nw) / double(w), sy = double(nh) / double(h);
  // Half-pixel-center mapping of the bilinear resize, then the crop offset.
  transform << sx, 0, 0.5 * sx - 0.5 - double(ox), 0, sy, 0.5 * sy - 0.5 - double(oy), 0, 0, 1;
  return big.narrow(1, oy, size[0]).narrow(2, ox, size[1]).contiguous();
}

HPatchesDataset::HPatchesDataset(const std::string& root, std::string alteration,
                                 std::array<int64_t, 2> size)
    : size_(size) {
  SP_CHECK(alteration == "all" || alteration == "i" || alteration == "v",
           "HPatchesDataset: expected alteration all|i|v, got '", alteration, "'");
  fs::path a = fs::path(root) / "hpatches-sequences-release", b = fs::path(root) / "HPatches";
  dir_ = fs::is_directory(a) ? a.string() : b.string();
  SP_CHECK(fs::is_directory(dir_), "HPatchesDataset: expected '", a.string(), "' or '", b.string(),
           "', got neither");
  std::vector<std::string> seqs;
  for (auto& e : fs::directory_iterator(dir_)) {
    std::string n = e.path().filename().string();
    if (!e.is_directory() || n.size() < 2 || (n[0] != 'i' && n[0] != 'v') || n[1] != '_') continue;
    if (alteration != "all" && n[0] != alteration[0]) continue;
    seqs.push_back(n);
  }
  std::sort(seqs.begin(), seqs.end());
  for (const auto& s : seqs)
    for (int k = 2; k <= 6; ++k) pairs_.push_back({s, k});
  SP_CHECK(!pairs_.empty(), "HPatchesDataset: expected i_*/v_* sequences in '", dir_,
           "', got none");
}

std::string HPatchesDataset::name(int64_t index) const {
  return pairs_[size_t(index)].first + "/" + std::to_string(pairs_[size_t(index)].second);
}

Sample HPatchesDataset::get(int64_t index, uint64_t) const {
  SP_CHECK(index >= 0 && index < size(), "HPatchesDataset: expected an index in [0, ", size(),
           "), got ", index);
  auto [seq, k] = pairs_[size_t(index)];
  fs::path d = fs::path(dir_) / seq;
  Mat3 t1, tk;
  Tensor im1 = resize_and_crop(read_image((d / "1.ppm").string(), true), size_, t1);
  Tensor imk =
      resize_and_crop(read_image((d / (std::to_string(k) + ".ppm")).string(), true), size_, tk);
  Mat3 h = tk * read_homography_text((d / ("H_1_" + std::to_string(k))).string()) * t1.inverse();
  std::vector<float> v;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) v.push_back(float(h(r, c) / h(2, 2)));
  return {{"image", im1}, {"warped_image", imk}, {"homography", from_vector(v, {3, 3})}};
}

}  // namespace sp::data
