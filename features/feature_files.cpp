#include "features/feature_files.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "tensor/check.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/movement.h"

namespace fs = std::filesystem;

namespace sp::features {

namespace {

using FileType = io::H5File::FileType;

std::string temporary_next_to(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void make_parent(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
}

// Writes f32 data, or float16 when `half`.
void write_float(io::H5File& file, const std::string& name, const Tensor& t, bool half) {
  if (half)
    file.write_as(name, t, FileType::Float16);
  else
    file.write(name, t.to(DType::F32).cpu().contiguous());
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keypoints and scores are compared, sorted and rounded to pixels by their users: a
// NaN or infinity (also a float64 beyond float32's range) is refused here.
void check_finite(const Tensor& t, const std::string& what, const std::string& where) {
  const Tensor c = t.contiguous();
  const float* p = c.data<float>();
  for (int64_t i = 0; i < c.numel(); ++i)
    SP_CHECK(std::isfinite(p[i]), "features: expected finite ", what, " in ", where, ", got ", p[i],
             " at ", i);
}

// Match indices are read as int64: a float dataset (whose NaN or 1e30 has no int64
// value) is refused.
Tensor read_indices(const io::H5File& file, const std::string& key, const std::string& path) {
  const Tensor t = file.read(key);
  SP_CHECK(is_integral(t.dtype()), "matches: expected integer indices in ", path, ":", key,
           ", got ", sp::name(t.dtype()));
  return t.to(DType::I64).contiguous();
}

}  // namespace

FeatureLayout parse_feature_layout(const std::string& name) {
  if (name == "sp") return FeatureLayout::Sp;
  if (name == "hloc") return FeatureLayout::Hloc;
  if (name == "disk") return FeatureLayout::Disk;
  SP_FAIL("features: expected a feature layout sp | hloc | disk, got '", name, "'");
}

const char* layout_name(FeatureLayout layout) {
  switch (layout) {
    case FeatureLayout::Sp:
      return "sp";
    case FeatureLayout::Hloc:
      return "hloc";
    case FeatureLayout::Disk:
      return "disk";
  }
  return "?";
}

MatchLayout parse_match_layout(const std::string& name) {
  if (name == "hloc") return MatchLayout::Hloc;
  if (name == "disk") return MatchLayout::Disk;
  SP_FAIL("features: expected a match layout hloc | disk, got '", name, "'");
}

std::string hloc_pair_key(const std::string& name0, const std::string& name1) {
  auto flat = [](std::string s) {
    std::replace(s.begin(), s.end(), '/', '-');
    return s;
  };
  return flat(name0) + "/" + flat(name1);
}

// ---- FeatureWriter

struct FeatureWriter::Part {
  std::string path, tmp;
  std::unique_ptr<io::H5File> file;
};

FeatureWriter::FeatureWriter(std::string path, FeatureLayout layout, FeatureFileOptions options)
    : path_(std::move(path)), layout_(layout), options_(options) {
  SP_CHECK(!path_.empty(), "features: expected an output path for the ", layout_name(layout),
           " feature file");
  std::vector<std::string> files;
  if (layout_ == FeatureLayout::Disk) {
    fs::create_directories(path_);
    for (const char* f : {"keypoints.h5", "descriptors.h5", "scores.h5"})
      files.push_back((fs::path(path_) / f).string());
  } else {
    make_parent(path_);
    files.push_back(path_);
  }
  for (const std::string& f : files) {
    auto part = std::make_unique<Part>();
    part->path = f;
    part->tmp = temporary_next_to(f);
    part->file = std::make_unique<io::H5File>(part->tmp, io::H5File::Mode::Truncate);
    parts_.push_back(std::move(part));
  }
}

FeatureWriter::~FeatureWriter() {
  for (auto& part : parts_) {
    part->file.reset();
    std::error_code ec;
    fs::remove(part->tmp, ec);
  }
}

void FeatureWriter::write(const std::string& name, const ImageFeatures& f,
                          const std::map<std::string, int64_t>& attributes) {
  SP_CHECK(!parts_.empty() && parts_[0]->file, "features: ", path_, " is already closed");
  SP_CHECK(!name.empty() && name.front() != '/',
           "features: expected an image name (not empty, no leading '/'), got '", name, "'");
  f.check("features of " + name + " for " + path_);
  const Tensor kp = f.keypoints.to(DType::F32).cpu().contiguous();
  const Tensor scores = f.scores.to(DType::F32).cpu().contiguous();
  switch (layout_) {
    case FeatureLayout::Sp: {
      io::H5File& h5 = *parts_[0]->file;
      h5.write(name + "/keypoints", kp);
      h5.write(name + "/scores", scores);
      if (f.has_descriptors())
        h5.write(name + "/descriptors", f.descriptors.to(DType::F32).cpu().contiguous());
      for (const auto& [key, value] : attributes) h5.set_attr(name, key, value);
      break;
    }
    case FeatureLayout::Hloc: {
      // A square [D, N] is read back as hloc's only next to an image_size.
      SP_CHECK(!f.has_descriptors() || f.size() != f.descriptors.size(1) || f.size() == 0 ||
                   (f.width > 0 && f.height > 0),
               "features: the hloc layout needs the image size (width, height) of ", name, ": its ",
               f.size(), " x ", f.size(),
               " descriptors would read back transposed without image_size");
      io::H5File& h5 = *parts_[0]->file;
      write_float(h5, name + "/keypoints", kp, options_.half);
      write_float(h5, name + "/scores", scores, options_.half);
      if (f.has_descriptors())
        write_float(h5, name + "/descriptors", f.descriptors.t().contiguous(), options_.half);
      if (f.width > 0 && f.height > 0)
        h5.write(name + "/image_size", from_vector<int64_t>({f.width, f.height}));
      for (const auto& [key, value] : attributes) h5.set_attr(name, key, value);
      break;
    }
    case FeatureLayout::Disk: {
      parts_[0]->file->write(name, kp);
      if (f.has_descriptors()) write_float(*parts_[1]->file, name, f.descriptors, options_.half);
      parts_[2]->file->write(name, scores);
      break;
    }
  }
  ++written_;
}

void FeatureWriter::close() {
  for (auto& part : parts_) {
    if (!part->file) continue;
    part->file->close();
    part->file.reset();
    io::commit_file(part->tmp, part->path);
  }
}

// ---- FeatureReader

FeatureReader::FeatureReader(const std::string& path) : path_(path) {
  SP_CHECK(fs::exists(path), "features: expected a feature file or DISK folder, got '", path,
           "' (missing)");
  if (fs::is_directory(path)) {
    layout_ = FeatureLayout::Disk;
    const fs::path kp = fs::path(path) / "keypoints.h5";
    SP_CHECK(fs::exists(kp), "features: expected ", kp.string(), " in the DISK feature folder ",
             path);
    main_ = std::make_unique<io::H5File>(kp.string(), io::H5File::Mode::Read);
    const fs::path desc = fs::path(path) / "descriptors.h5", sc = fs::path(path) / "scores.h5";
    if (fs::exists(desc))
      descriptors_ = std::make_unique<io::H5File>(desc.string(), io::H5File::Mode::Read);
    if (fs::exists(sc)) scores_ = std::make_unique<io::H5File>(sc.string(), io::H5File::Mode::Read);
    return;
  }
  main_ = std::make_unique<io::H5File>(path, io::H5File::Mode::Read);
  layout_ = FeatureLayout::Sp;  // sp and hloc files are told apart per dataset
}

FeatureReader::~FeatureReader() = default;

std::vector<std::string> FeatureReader::names() const {
  std::vector<std::string> out;
  for (const std::string& d : main_->datasets()) {
    if (layout_ == FeatureLayout::Disk)
      out.push_back(d);
    else if (ends_with(d, "/keypoints"))
      out.push_back(d.substr(0, d.size() - 10));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool FeatureReader::has(const std::string& name) const {
  return layout_ == FeatureLayout::Disk ? main_->has(name) : main_->has(name + "/keypoints");
}

ImageFeatures FeatureReader::read(const std::string& name) const {
  SP_CHECK(has(name), "features: expected features of '", name, "' in ", path_,
           layout_ == FeatureLayout::Disk ? "/keypoints.h5" : "",
           "; hint: image names are their paths",
           layout_ == FeatureLayout::Disk ? " without extension" : "", " (", names().size(),
           " images there)");
  ImageFeatures f;
  const std::string where = path_ + ":" + name;
  const bool disk = layout_ == FeatureLayout::Disk;
  // Each tensor is read in its stored type and converted to f32 once its shape is
  // checked: a 64 MiB dataset of the wrong shape costs no 256 MB copy.
  f.keypoints = main_->read(disk ? name : name + "/keypoints");
  SP_CHECK(f.keypoints.dim() == 2 && f.keypoints.size(1) == 2,
           "features: expected keypoints [N, 2] in ", where, ", got ", f.keypoints.shape());
  const int64_t n = f.keypoints.size(0);
  if (disk) {
    if (scores_ && scores_->has(name)) f.scores = scores_->read(name);
    if (descriptors_ && descriptors_->has(name)) f.descriptors = descriptors_->read(name);
  } else {
    for (const char* key : {"/scores", "/keypoint_scores"})
      if (!f.scores.defined() && main_->has(name + key)) f.scores = main_->read(name + key);
    if (main_->has(name + "/descriptors")) f.descriptors = main_->read(name + "/descriptors");
    if (main_->has(name + "/image_size")) {
      const Tensor size = main_->read(name + "/image_size").to(DType::F64).contiguous();
      SP_CHECK(size.numel() == 2, "features: expected image_size [2] (W, H) in ", where, ", got ",
               size.shape());
      // Whole pixels, positive (a size of 0 would read as "unknown" and change how
      // square descriptors are read); checked before the conversion to int64.
      const double w = size.data<double>()[0], h = size.data<double>()[1];
      auto pixels = [](double v) { return v >= 1 && v < 2147483648.0 && v == std::floor(v); };
      SP_CHECK(pixels(w) && pixels(h), "features: expected image_size (W, H) in whole pixels",
               " >= 1 in ", where, ", got (", w, ", ", h, ")");
      f.width = int64_t(w);
      f.height = int64_t(h);
    }
  }
  if (!f.scores.defined()) f.scores = zeros({n});
  SP_CHECK(f.scores.numel() == n, "features: expected ", n, " scores in ", where, ", got ",
           f.scores.shape());
  f.keypoints = f.keypoints.to(DType::F32);
  f.scores = f.scores.reshape({n}).to(DType::F32);
  check_finite(f.keypoints, "keypoints", where);
  check_finite(f.scores, "scores", where);
  if (f.descriptors.defined()) {
    const Tensor& d = f.descriptors;
    SP_CHECK(d.dim() == 2 && (d.size(0) == n || d.size(1) == n),
             "features: expected descriptors [N, D] or [D, N]", " with N = ", n, " in ", where,
             ", got ", d.shape());
    // hloc stores [D, N]; an sp file [N, D]. Only a square matrix is ambiguous: it is
    // hloc's when the file carries hloc's image_size.
    const bool transposed = d.size(0) != n || (d.size(1) == n && f.width > 0 && !disk);
    f.descriptors = transposed ? d.t().to(DType::F32).contiguous() : d.to(DType::F32);
  }
  return f;
}

int64_t FeatureReader::attribute(const std::string& name, const std::string& key,
                                 int64_t fallback) const {
  if (layout_ == FeatureLayout::Disk || !main_->has(name) || !main_->has_attr(name, key))
    return fallback;
  return main_->attr_int(name, key);
}

// ---- matches

MatchWriter::MatchWriter(std::string path, MatchLayout layout, FeatureFileOptions options)
    : path_(std::move(path)), layout_(layout), options_(options) {
  if (layout_ == MatchLayout::Disk &&
      (fs::is_directory(path_) || fs::path(path_).extension() != ".h5"))
    path_ = (fs::path(path_) / "matches.h5").string();
  make_parent(path_);
  tmp_ = temporary_next_to(path_);
  file_ = std::make_unique<io::H5File>(tmp_, io::H5File::Mode::Truncate);
}

MatchWriter::~MatchWriter() {
  if (!file_) return;
  file_.reset();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void MatchWriter::write(const std::string& name0, const std::string& name1, const Tensor& matches0,
                        const Tensor& scores0) {
  SP_CHECK(file_, "matches: ", path_, " is already closed");
  SP_CHECK(matches0.dim() == 1, "matches: expected matches0 [N] for ", name0, " -> ", name1,
           ", got ", matches0.shape());
  const Tensor m = matches0.to(DType::I64).cpu().contiguous();
  if (layout_ == MatchLayout::Hloc) {
    SP_CHECK(scores0.defined() && scores0.numel() == m.numel(), "matches: expected ", m.numel(),
             " matching scores for ", name0, " -> ", name1, ", got ",
             scores0.defined() ? scores0.shape() : Shape{});
    const std::string key = hloc_pair_key(name0, name1);
    file_->write_as(key + "/matches0", m, FileType::Int16);
    file_->write_as(key + "/matching_scores0", scores0.reshape({m.numel()}), FileType::Float16);
    return;
  }
  // DISK: [2, K] with the lexicographically smaller name first.
  std::vector<int64_t> a, b;
  const int64_t* p = m.data<int64_t>();
  for (int64_t i = 0; i < m.numel(); ++i)
    if (p[i] >= 0) a.push_back(i), b.push_back(p[i]);
  const bool swap = name1 < name0;
  if (swap) {
    std::vector<size_t> order(a.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return b[x] < b[y]; });
    std::vector<int64_t> a2, b2;
    for (size_t k : order) a2.push_back(b[k]), b2.push_back(a[k]);
    a = a2, b = b2;
  }
  std::vector<int64_t> rows = a;
  rows.insert(rows.end(), b.begin(), b.end());
  const Tensor pairs = from_vector<int64_t>(rows, Shape{2, int64_t(a.size())});
  const std::string key = (swap ? name1 : name0) + "/" + (swap ? name0 : name1);
  if (options_.half)
    file_->write_as(key, pairs, FileType::UInt16);
  else
    file_->write(key, pairs);
}

void MatchWriter::close() {
  if (!file_) return;
  file_->close();
  file_.reset();
  io::commit_file(tmp_, path_);
}

MatchReader::MatchReader(const std::string& path, MatchLayout layout)
    : path_(path), layout_(layout) {
  if (layout_ == MatchLayout::Disk && fs::is_directory(path_))
    path_ = (fs::path(path_) / "matches.h5").string();
  SP_CHECK(fs::exists(path_), "matches: expected a match file, got '", path_, "' (missing)");
  file_ = std::make_unique<io::H5File>(path_, io::H5File::Mode::Read);
}

MatchReader::~MatchReader() = default;

std::vector<std::pair<std::string, std::string>> MatchReader::pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& d : file_->datasets()) {
    std::string key = d;
    if (layout_ == MatchLayout::Hloc) {
      if (!ends_with(d, "/matches0")) continue;
      key = d.substr(0, d.size() - 9);
    }
    const size_t slash = key.find('/');
    SP_CHECK(slash != std::string::npos && key.find('/', slash + 1) == std::string::npos,
             "matches: expected pair keys <name0>/<name1> in ", path_, ", got '", d, "'");
    out.emplace_back(key.substr(0, slash), key.substr(slash + 1));
  }
  return out;
}

bool MatchReader::has(const std::string& name0, const std::string& name1) const {
  if (layout_ == MatchLayout::Disk)
    return file_->has(name0 + "/" + name1) || file_->has(name1 + "/" + name0);
  return file_->has(hloc_pair_key(name0, name1) + "/matches0") ||
         file_->has(hloc_pair_key(name1, name0) + "/matches0");
}

Tensor MatchReader::read(const std::string& name0, const std::string& name1) const {
  SP_CHECK(has(name0, name1), "matches: expected matches of '", name0, "' and '", name1, "' in ",
           path_);
  if (layout_ == MatchLayout::Disk) {
    const bool flipped = !file_->has(name0 + "/" + name1);
    const std::string key = flipped ? name1 + "/" + name0 : name0 + "/" + name1;
    Tensor p = read_indices(*file_, key, path_);
    SP_CHECK(p.dim() == 2 && p.size(0) == 2, "matches: expected [2, K] in ", path_, ":", key,
             ", got ", p.shape());
    const int64_t* v = p.data<int64_t>();
    for (int64_t i = 0; i < p.numel(); ++i)
      SP_CHECK(v[i] >= 0, "matches: expected keypoint indices >= 0 in ", path_, ":", key, ", got ",
               v[i]);
    p = p.t();  // [K, 2]
    if (!flipped) return p.contiguous();
    // Column 0 in name0, ordered by it, like a pair stored this way round.
    std::vector<int64_t> a = p.select(1, 1).contiguous().to_vector<int64_t>();
    std::vector<int64_t> b = p.select(1, 0).contiguous().to_vector<int64_t>();
    std::vector<size_t> order(a.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x] < a[y]; });
    std::vector<int64_t> rows;
    for (size_t k : order) rows.insert(rows.end(), {a[k], b[k]});
    return from_vector<int64_t>(rows, Shape{int64_t(order.size()), 2});
  }
  const bool flipped = !file_->has(hloc_pair_key(name0, name1) + "/matches0");
  const std::string key = flipped ? hloc_pair_key(name1, name0) : hloc_pair_key(name0, name1);
  const Tensor m = read_indices(*file_, key + "/matches0", path_);
  SP_CHECK(m.dim() == 1, "matches: expected matches0 [N] in ", path_, ":", key, ", got ",
           m.shape());
  const int64_t* p = m.data<int64_t>();
  for (int64_t i = 0; i < m.numel(); ++i)
    SP_CHECK(p[i] >= -1, "matches: expected keypoint indices or -1 (unmatched) in ", path_, ":",
             key, "/matches0, got ", p[i]);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 0; i < m.numel(); ++i)
    if (p[i] >= 0) pairs.push_back(flipped ? std::pair{p[i], i} : std::pair{i, p[i]});
  std::sort(pairs.begin(), pairs.end());  // by the index in name0
  std::vector<int64_t> rows;
  for (const auto& [i, j] : pairs) rows.insert(rows.end(), {i, j});
  return from_vector<int64_t>(rows, Shape{int64_t(pairs.size()), 2});
}

}  // namespace sp::features
