// Feature and match files (features/feature_files.cpp): FeatureReader on an .h5 file
// (the sp and hloc layouts, told apart per image) and on a DISK folder, and MatchReader
// on the same file in the hloc and DISK layouts, every image and pair of the vocabulary
// plus every name the file lists.
//
// Input: up to three HDF5 inputs (raw or recipe, h5_recipe.h) separated by kSplit: the
// first is the .h5 feature file, the match file and the DISK folder's keypoints.h5; the
// second and third are its descriptors.h5 and scores.h5 (a copy of the first when not
// given, absent when given empty).
// Properties: read() returns f32 keypoints [N, 2] and scores [N], both finite,
// descriptors [N, D], an image size of two positive sides or none, and passes
// ImageFeatures::check; what it returns is written again by FeatureWriter in every layout
// and read back identically; names() is sorted and each name has() features; a name
// without features is an sp::Error. Matches are [K, 2] i64 pairs of indices >= 0, the
// hloc ones ordered by column 0.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "features/feature_files.h"
#include "fuzz_util.h"
#include "h5_recipe.h"

namespace {

using namespace sp;
using namespace sp::features;
namespace fs = std::filesystem;

constexpr std::string_view kSplit = "#sp-split#";

const char* const kImages[] = {"a.jpg", "b.jpg", "v_boat/1", "a", "b"};
const char* const kPairs[][2] = {
    {"a.jpg", "b.jpg"}, {"b.jpg", "a.jpg"}, {"v_boat/1", "a.jpg"}, {"a", "b"}, {"b", "a"}};

const fuzz::H5Vocabulary& vocabulary() {
  static const fuzz::H5Vocabulary v = [] {
    fuzz::H5Vocabulary v;
    for (const char* image : kImages) {
      v.names.push_back(image);
      for (const char* key :
           {"keypoints", "descriptors", "scores", "keypoint_scores", "image_size"})
        v.names.push_back(std::string(image) + "/" + key);
    }
    for (const char* pair : {"a.jpg/b.jpg", "b.jpg/a.jpg", "v_boat-1/a.jpg"})
      for (const char* key : {"matches0", "matching_scores0"})
        v.names.push_back(std::string(pair) + "/" + key);
    for (const char* pair : {"a/b", "b/a", "a.jpg/b.jpg", "v_boat/1/a.jpg"})
      v.names.push_back(pair);
    v.attrs = {"processing_width", "processing_height", "sp_dtype"};
    v.strings = {"f16", "bf16", "bool", "f64", "i64"};
    return v;
  }();
  return v;
}

bool all_finite(const Tensor& t) {
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

bool same(const Tensor& a, const Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  if (a.shape() != b.shape() || a.dtype() != DType::F32 || b.dtype() != DType::F32) return false;
  const Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.data<float>(), y.data<float>(), size_t(x.numel()) * 4) == 0;
}

// What read() promises about one image's features.
void check_features(const ImageFeatures& f) {
  SP_FUZZ_ASSERT(fuzz::accepts([&] { f.check("fuzz"); }));
  SP_FUZZ_ASSERT(f.keypoints.dtype() == DType::F32 && f.scores.dtype() == DType::F32);
  SP_FUZZ_ASSERT(!f.has_descriptors() || f.descriptors.dtype() == DType::F32);
  SP_FUZZ_ASSERT(all_finite(f.keypoints.contiguous()) && all_finite(f.scores.contiguous()));
  SP_FUZZ_ASSERT(f.width >= 0 && f.height >= 0 && (f.width > 0) == (f.height > 0));
}

// Writes `f` in every layout and reads it back.
void round_trip(const ImageFeatures& f) {
  static const std::string dir = fuzz::temp_dir() + "/round_trip";
  for (FeatureLayout layout : {FeatureLayout::Sp, FeatureLayout::Hloc, FeatureLayout::Disk}) {
    const std::string path =
        dir + "/" + layout_name(layout) + (layout == FeatureLayout::Disk ? "" : ".h5");
    FeatureWriter w(path, layout);
    // hloc's square [D, N] needs the image size (FeatureWriter refuses it without).
    const bool ambiguous = layout == FeatureLayout::Hloc && f.has_descriptors() && f.size() > 0 &&
                           f.descriptors.size(1) == f.size() && f.width == 0;
    if (!fuzz::accepts([&] { w.write("x", f); })) {
      SP_FUZZ_ASSERT(ambiguous);
      continue;
    }
    SP_FUZZ_ASSERT(!ambiguous);
    w.close();
    const ImageFeatures g = FeatureReader(path).read("x");
    SP_FUZZ_ASSERT(same(f.keypoints, g.keypoints) && same(f.scores, g.scores));
    SP_FUZZ_ASSERT(same(f.descriptors, g.descriptors));
    if (layout == FeatureLayout::Hloc && f.width > 0 && f.height > 0)
      SP_FUZZ_ASSERT(g.width == f.width && g.height == f.height);
  }
}

void read_features(const std::string& path) {
  std::unique_ptr<FeatureReader> r;
  if (!fuzz::accepts([&] { r = std::make_unique<FeatureReader>(path); })) return;
  std::vector<std::string> names;
  if (!fuzz::accepts([&] { names = r->names(); })) return;
  SP_FUZZ_ASSERT(std::is_sorted(names.begin(), names.end()));
  if (names.size() > 8) names.resize(8);
  for (const std::string& name : names) SP_FUZZ_ASSERT(r->has(name));
  names.insert(names.end(), std::begin(kImages), std::end(kImages));
  int round_trips = 0;
  for (const std::string& name : names) {
    ImageFeatures f;
    const bool has = r->has(name);
    if (!fuzz::accepts([&] { f = r->read(name); })) continue;
    SP_FUZZ_ASSERT(has);
    check_features(f);
    fuzz::accepts([&] { r->attribute(name, "processing_width", 0); });
    if (round_trips++ < 2) round_trip(f);
  }
}

void read_matches(const std::string& path, MatchLayout layout) {
  std::unique_ptr<MatchReader> r;
  if (!fuzz::accepts([&] { r = std::make_unique<MatchReader>(path, layout); })) return;
  for (const auto& pair : kPairs) {
    const std::string n0 = pair[0], n1 = pair[1];  // (clang 14 captures no bindings)
    Tensor m;
    const bool has = r->has(n0, n1);
    if (!fuzz::accepts([&] { m = r->read(n0, n1); })) continue;
    SP_FUZZ_ASSERT(has);
    SP_FUZZ_ASSERT(m.dtype() == DType::I64 && m.dim() == 2 && m.size(1) == 2);
    const Tensor c = m.contiguous();
    const int64_t* p = c.data<int64_t>();
    for (int64_t k = 0; k < m.size(0); ++k) {
      SP_FUZZ_ASSERT(p[2 * k] >= 0 && p[2 * k + 1] >= 0);
      if (layout == MatchLayout::Hloc && k > 0) SP_FUZZ_ASSERT(p[2 * k] >= p[2 * k - 2]);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string file = fuzz::temp_path("features.h5");
  static const std::string disk = fuzz::temp_dir() + "/disk";
  static const bool made = fs::create_directories(disk);
  (void)made;
  // Split the input into the main file and the DISK folder's descriptors and scores.
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3] = {in, {}, {}};
  int given = 1;
  for (; given < 3; ++given) {
    const size_t at = parts[given - 1].find(kSplit);
    if (at == std::string_view::npos) break;
    parts[given] = parts[given - 1].substr(at + kSplit.size());
    parts[given - 1] = parts[given - 1].substr(0, at);
  }
  auto make = [&](std::string_view part, const std::string& path) {
    fuzz::make_h5(reinterpret_cast<const uint8_t*>(part.data()), part.size(), vocabulary(), path);
  };
  make(parts[0], file);
  fs::copy_file(file, disk + "/keypoints.h5", fs::copy_options::overwrite_existing);
  for (int k : {1, 2}) {
    const std::string path = disk + (k == 1 ? "/descriptors.h5" : "/scores.h5");
    if (k >= given)
      fs::copy_file(file, path, fs::copy_options::overwrite_existing);
    else if (parts[k].empty())
      fs::remove(path);
    else
      make(parts[k], path);
  }

  read_features(file);
  read_features(disk);
  read_matches(file, MatchLayout::Hloc);
  read_matches(file, MatchLayout::Disk);
  return 0;
}
