// Writes the seed inputs of tests/fuzz/corpus/<harness>/seed-* (docs/FUZZING.md): tiny
// valid files of every kind each reader accepts, made with sp's own writers, libpng,
// libturbojpeg and libhdf5, plus copies of test fixtures and configs/. Not part of CI:
//   cmake --build build --target fuzz_make_seeds && build/tests/fuzz/fuzz_make_seeds
#include <png.h>
#include <sqlite3.h>
#include <turbojpeg.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "colmap/database.h"
#include "data/datasets.h"
#include "data/image_io.h"
#include "features/feature_files.h"
#include "nn/checkpoint.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/optim/adam.h"
#include "nn/training_state.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace {

using namespace sp;
namespace fs = std::filesystem;
using Bytes = std::string;

const fs::path kCorpus = fs::path(SP_SOURCE_DIR) / "tests/fuzz/corpus";

void save(const std::string& harness, const std::string& name, const Bytes& bytes) {
  fs::create_directories(kCorpus / harness);
  std::ofstream(kCorpus / harness / ("seed-" + name), std::ios::binary) << bytes;
  std::cout << harness << "/seed-" << name << ": " << bytes.size() << " bytes\n";
}
Bytes slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
const std::string kTmp = (fs::temp_directory_path() / "sp-fuzz-seeds").string();

// ---- images: a w x h gradient in every PNG color type / depth, JPEG flavours, PNM
Bytes png(int color, int depth, bool interlace, int w = 3, int h = 2) {
  Bytes out;
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(p);
  png_set_write_fn(
      p, &out,
      [](png_structp s, png_bytep d, png_size_t n) {
        static_cast<Bytes*>(png_get_io_ptr(s))->append(reinterpret_cast<const char*>(d), n);
      },
      nullptr);
  png_set_IHDR(p, info, w, h, depth, color, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (color == PNG_COLOR_TYPE_PALETTE) {
    png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    png_set_PLTE(p, info, pal, 4);
    png_byte trans[2] = {0, 128};
    png_set_tRNS(p, info, trans, 2, nullptr);
  }
  png_write_info(p, info);
  const int passes = interlace ? png_set_interlace_handling(p) : 1;
  const size_t row = png_get_rowbytes(p, info);
  std::vector<png_byte> r(row);
  for (int pass = 0; pass < passes; ++pass)
    for (int y = 0; y < h; ++y) {
      for (size_t k = 0; k < row; ++k) r[k] = png_byte(37 * (k + 1) + 91 * y);
      png_write_row(p, r.data());
    }
  png_write_end(p, nullptr);
  png_destroy_write_struct(&p, &info);
  return out;
}

Bytes jpeg(int subsamp, int flags, int w = 8, int h = 8) {
  tjhandle tj = tjInitCompress();
  std::vector<unsigned char> rgb(size_t(w) * h * 3);
  for (size_t k = 0; k < rgb.size(); ++k) rgb[k] = (unsigned char)(k * 29);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  tjCompress2(tj, rgb.data(), w, 0, h, TJPF_RGB, &buf, &size, subsamp, 75, flags);
  Bytes out(reinterpret_cast<const char*>(buf), size);
  tjFree(buf);
  tjDestroy(tj);
  return out;
}

void images() {
  fs::create_directories(kTmp);
  save("png", "gray8", png(PNG_COLOR_TYPE_GRAY, 8, false));
  save("png", "gray1", png(PNG_COLOR_TYPE_GRAY, 1, false, 9, 2));
  save("png", "gray16", png(PNG_COLOR_TYPE_GRAY, 16, false));
  save("png", "gray-alpha", png(PNG_COLOR_TYPE_GRAY_ALPHA, 8, false));
  save("png", "rgb8", png(PNG_COLOR_TYPE_RGB, 8, false));
  save("png", "rgba16-interlaced", png(PNG_COLOR_TYPE_RGB_ALPHA, 16, true, 5, 5));
  save("png", "palette-trns", png(PNG_COLOR_TYPE_PALETTE, 2, false));
  data::write_png(kTmp + "/sp.png", full({3, 2, 3}, 0.25));
  save("png", "sp-write-png", slurp(kTmp + "/sp.png"));
  save("png", "fixture-16bit", slurp(fs::path(SP_FIXTURE_DIR) / "data_16bit.png"));
  save("png", "fixture-rgba", slurp(fs::path(SP_FIXTURE_DIR) / "data_rgba.png"));

  save("jpeg", "444", jpeg(TJSAMP_444, 0));
  save("jpeg", "420", jpeg(TJSAMP_420, 0, 16, 16));
  save("jpeg", "gray", jpeg(TJSAMP_GRAY, 0));
  save("jpeg", "progressive", jpeg(TJSAMP_422, TJFLAG_PROGRESSIVE, 16, 8));
  save("jpeg", "fixture-small", slurp(fs::path(SP_FIXTURE_DIR) / "data_small.jpg"));

  using namespace std::string_literals;
  save("pnm", "p5", "P5\n3 2\n255\n\x00\x10\x20\x80\xc0\xff"s);
  save("pnm", "p6-comment",
       Bytes("P6\n# a comment\n2 1\n255\n") + Bytes("\x01\x02\x03\xfd\xfe\xff", 6));
  save("pnm", "p5-16bit", Bytes("P5 2 1 65535 ") + Bytes("\x12\x34\xff\xff", 4));
  save("pnm", "p6-maxval-1000", Bytes("P6\n1 1\n1000\n") + Bytes("\x03\xe8\x01\xf4\x00\x00", 6));
  data::write_ppm(kTmp + "/sp.ppm", full({3, 2, 3}, 0.75));
  save("pnm", "sp-write-ppm", slurp(kTmp + "/sp.ppm"));
}

// ---- configs: the shipped configs, and overrides after a NUL
void configs() {
  for (const auto& e : fs::directory_iterator(fs::path(SP_SOURCE_DIR) / "configs"))
    if (e.path().extension() == ".toml")
      save("config", e.path().filename().string(), slurp(e.path()));
  using namespace std::string_literals;
  save("config", "overrides",
       "[train]\nlr = 0.001\n[data]\nsize = [240, 320]\n\0train.lr=0.1\0data.size=[1, 2]\0"
       "model.name=superpoint\0a.b.c=\"x\"\0train=1"s);
}

// ---- HDF5: raw files (first byte 0) and recipes (first byte 1, h5_recipe.cpp)
Bytes raw_h5(const std::string& path) {
  return Bytes(1, '\0') + slurp(path);
}

// Writes h5_recipe.cpp's encoding with names, keys and strings always given as text.
struct Recipe {
  Bytes b = Bytes(1, '\x01');
  void byte(int v) { b += char(v); }
  void text(const std::string& s) {
    byte(int(s.size()));
    b += s;
  }
  void name(const std::string& s) {
    byte(224);
    text(s);
    byte(0);  // no extra level
  }
  // type: h5_recipe's index (0 f32, 1 f64, 4 u8, 7 i32, 8 i64); rank 0..4, dims < 9 or
  // multiples of 8 below 320; data: the raw little-endian bytes.
  void dataset(const std::string& n, int type, std::vector<int> dims, const Bytes& data) {
    byte(0);
    name(n);
    byte(type);
    byte(4);                                        // contiguous, written
    byte(dims.empty() ? 0 : 3 + int(dims.size()));  // scalar, or rank 1..4
    for (int d : dims) byte(d < 9 ? d : 200 + d / 8);
    byte(int(std::min<size_t>(255, (data.size() + 6) / 8)));
    b += data;
  }
  void attr_string(const std::string& key, const std::string& value) {
    byte(2);
    byte(0);  // on the root group
    byte(224);
    text(key);
    byte(0);  // fixed-length string
    byte(0);  // scalar
    byte(192);
    text(value);
    byte(1);  // NUL padded
  }
  void attr_int(const std::string& key, int64_t v) {
    byte(2);
    byte(0);
    byte(224);
    text(key);
    byte(6);  // i64
    byte(0);  // scalar
    byte(1);  // 8 bytes follow
    b += Bytes(reinterpret_cast<const char*>(&v), 8);
  }
};

template <typename T>
Bytes raw(std::vector<T> v) {
  return Bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

void checkpoints() {
  fs::create_directories(kTmp);
  auto module = std::make_shared<nn::Sequential>();
  module->push_back(std::make_shared<nn::Linear>(2, 3));
  module->push_back(std::make_shared<nn::BatchNorm2d>(3));
  nn::optim::Adam adam(module->parameters(), {});
  nn::save_checkpoint(kTmp + "/c.h5",
                      nn::capture(*module, &adam, 5, Generator(1, 2), "[train]\nlr = 0.1\n"));
  save("checkpoint", "raw-checkpoint", raw_h5(kTmp + "/c.h5"));
  nn::save_state_dict_file(kTmp + "/s.h5", module->state_dict());
  save("checkpoint", "raw-state-dict", raw_h5(kTmp + "/s.h5"));

  Recipe r;
  r.attr_string("format", "sp-checkpoint");
  r.attr_int("version", 1);
  r.attr_int("step", 5);
  r.attr_int("rng_seed", 1);
  r.attr_int("rng_offset", 2);
  r.dataset("parameters/0.weight", 0, {3, 2}, raw<float>({1, 2, 3, 4, 5, 6}));
  r.dataset("parameters/0.bias", 0, {3}, raw<float>({1, 2, 3}));
  r.dataset("parameters/1.weight", 0, {3}, raw<float>({1, 1, 1}));
  r.dataset("parameters/1.bias", 0, {3}, raw<float>({0, 0, 0}));
  r.dataset("buffers/1.running_mean", 0, {3}, raw<float>({0, 0, 0}));
  r.dataset("buffers/1.running_var", 0, {3}, raw<float>({1, 1, 1}));
  r.dataset("buffers/1.num_batches_tracked", 8, {}, raw<int64_t>({4}));
  r.dataset("optimizer/param_groups.0.lr", 1, {}, raw<double>({0.001}));
  r.dataset("optimizer/state.0.step", 8, {}, raw<int64_t>({5}));
  r.dataset("optimizer/state.0.exp_avg", 0, {3, 2}, raw<float>({0, 0, 0, 0, 0, 0}));
  r.dataset("config", 4, {6}, "a = 1\n");
  save("checkpoint", "recipe-checkpoint", r.b);
  Recipe s;
  s.attr_string("format", "sp-state-dict");
  s.attr_int("version", 1);
  s.dataset("0.weight", 0, {3, 2}, raw<float>({1, 2, 3, 4, 5, 6}));
  s.dataset("0.bias", 0, {3}, raw<float>({1, 2, 3}));
  save("checkpoint", "recipe-state-dict", s.b);
}

void labels() {
  data::write_keypoint_labels(kTmp + "/l.h5",
                              from_vector<float>({1, 2, 0.5, 10.4, 3.6, 0.9, 15, 11, 1}, {3, 3}));
  save("labels", "raw-labels", raw_h5(kTmp + "/l.h5"));
  Recipe r;
  r.dataset("points", 0, {2, 3}, raw<float>({1, 2, 0.5, 14.5, 10.5, 0.25}));
  save("labels", "recipe-labels", r.b);
  Recipe e;
  e.dataset("points", 0, {0, 3}, "");
  save("labels", "recipe-no-points", e.b);
}

void predictions() {
  {
    io::H5File f(kTmp + "/p.h5", io::H5File::Mode::Truncate);
    for (int k = 1; k <= 6; ++k) {
      const std::string g = "i_a/" + std::to_string(k);
      f.write(g + "/keypoints", from_vector<float>({1, 1, 5, 3, 10, 8, 14, 2}, {4, 2}));
      f.write(g + "/scores", from_vector<float>({0.9f, 0.5f, 0.7f, 0.2f}));
      f.write(g + "/descriptors",
              from_vector<float>({1, 0, 0, 1, 0.6f, 0.8f, 0.8f, -0.6f}, {4, 2}));
      if (k == 2) {
        f.set_attr(g, "processing_width", int64_t(8));
        f.set_attr(g, "processing_height", int64_t(6));
      }
    }
  }
  save("predictions", "raw-predictions", raw_h5(kTmp + "/p.h5"));
  Recipe r;
  for (int k = 1; k <= 6; ++k) {
    const std::string g = "i_a/" + std::to_string(k);
    r.dataset(g + "/keypoints", 1, {3, 2}, raw<double>({1, 1, 5, 3, 10, 8}));
    r.dataset(g + "/scores", 0, {3}, raw<float>({0.9f, 0.5f, 0.7f}));
    r.dataset(g + "/descriptors", 0, {2, 3}, raw<float>({1, 0, 0.6f, 0, 1, 0.8f}));  // [D, N]
  }
  save("predictions", "recipe-predictions", r.b);
}

// Feature and match files in every layout (feature_files_fuzz.cpp): an HDF5 input, or
// three joined by "#sp-split#" (a DISK folder's keypoints.h5, descriptors.h5, scores.h5).
void feature_files() {
  using namespace features;
  ImageFeatures a;
  a.keypoints = from_vector<float>({1, 2, 5, 3, 10, 8}, {3, 2});
  a.scores = from_vector<float>({0.9f, 0.5f, 0.7f});
  a.descriptors = from_vector<float>({1, 0, 0.6f, 0.8f, 0, 1}, {3, 2});
  a.width = 16, a.height = 12;
  ImageFeatures b = a;
  b.descriptors = from_vector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3});  // square
  const std::string split = "#sp-split#";
  for (FeatureLayout layout : {FeatureLayout::Sp, FeatureLayout::Hloc, FeatureLayout::Disk}) {
    for (bool half : {false, true}) {
      if (layout == FeatureLayout::Sp && half) continue;
      const std::string path = kTmp + "/f-" + layout_name(layout) + (half ? "-half" : "");
      FeatureWriter w(path, layout, {.half = half});
      w.write("a.jpg", a,
              layout == FeatureLayout::Disk
                  ? std::map<std::string, int64_t>{}
                  : std::map<std::string, int64_t>{{"processing_width", 8}});
      w.write(layout == FeatureLayout::Disk ? "a" : "v_boat/1", b);
      w.close();
      const std::string tag = std::string("raw-") + layout_name(layout) + (half ? "-half" : "");
      if (layout == FeatureLayout::Disk)
        save("feature_files", tag,
             raw_h5(path + "/keypoints.h5") + split + raw_h5(path + "/descriptors.h5") + split +
                 raw_h5(path + "/scores.h5"));
      else
        save("feature_files", tag, raw_h5(path));
    }
  }
  const Tensor m0 = from_vector<int64_t>({2, -1, 0}), s0 = from_vector<float>({0.5f, 0, 1});
  for (MatchLayout layout : {MatchLayout::Hloc, MatchLayout::Disk}) {
    const bool hloc = layout == MatchLayout::Hloc;
    const std::string path = kTmp + (hloc ? "/m-hloc.h5" : "/m-disk.h5");
    MatchWriter w(path, layout);
    w.write(hloc ? "a.jpg" : "b", hloc ? "b.jpg" : "a", m0, s0);
    w.close();
    save("feature_files", hloc ? "raw-hloc-matches" : "raw-disk-matches", raw_h5(path));
  }
  Recipe r;  // hloc features of two images and their matches
  for (const char* image : {"a.jpg", "b.jpg"}) {
    const std::string g = image;
    r.dataset(g + "/keypoints", 0, {3, 2}, raw<float>({1, 2, 5, 3, 10, 8}));
    r.dataset(g + "/keypoint_scores", 0, {3}, raw<float>({0.9f, 0.5f, 0.7f}));
    r.dataset(g + "/descriptors", 0, {2, 3}, raw<float>({1, 0, 0.6f, 0, 1, 0.8f}));  // [D, N]
    r.dataset(g + "/image_size", 8, {2}, raw<int64_t>({16, 12}));
  }
  r.dataset("a.jpg/b.jpg/matches0", 8, {3}, raw<int64_t>({2, -1, 0}));
  r.dataset("a.jpg/b.jpg/matching_scores0", 0, {3}, raw<float>({0.5f, 0, 1}));
  r.dataset("a/b", 8, {2, 2}, raw<int64_t>({0, 2, 2, 0}));
  save("feature_files", "recipe-hloc", r.b);
  Recipe k, d, s;  // a DISK folder of one image "a"
  k.dataset("a", 0, {2, 2}, raw<float>({1, 2, 5, 3}));
  d.dataset("a", 0, {2, 4}, raw<float>({1, 0, 0, 0, 0, 1, 0, 0}));
  s.dataset("a", 0, {2}, raw<float>({0.9f, 0.5f}));
  save("feature_files", "recipe-disk", k.b + split + d.b + split + s.b);
}

// colmap_database: byte 0 = 0 then a database file sp wrote; byte 0 = 1 then rows of
// (table, then per column a kind byte and its value) as colmap_database_fuzz.cpp reads them.
void colmap_database() {
  const std::string path = kTmp + "/database.db";
  fs::remove(path);
  {
    colmap::Database db(path, colmap::Database::Mode::Create);
    colmap::Camera c;
    c.width = 16, c.height = 12;
    c.params = colmap::default_camera_params(c.model, 20, c.width, c.height);
    const int64_t cam = db.add_camera(c);
    const int64_t a = db.add_image("a.jpg", cam), b = db.add_image("b.jpg", cam);
    db.add_keypoints(a, {1.5f, 2.5f, 5.5f, 3.5f});
    db.add_keypoints(b, {0.5f, 0.5f, 4.5f, 7.5f});
    db.add_matches(b, a, {{0, 1}, {1, 0}});
    colmap::TwoViewGeometry g;
    g.config = colmap::TwoViewConfig::Uncalibrated;
    g.inliers = {{1, 0}};
    g.F = Eigen::Matrix3d::Identity();
    db.add_two_view_geometry(a, b, g);
  }
  sqlite3* raw = nullptr;  // 512-byte pages: the file is 16 pages, 8 KiB instead of 64
  sqlite3_open(path.c_str(), &raw);
  sqlite3_exec(raw, "PRAGMA page_size = 512; VACUUM;", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  save("colmap_database", "raw-sp", Bytes(1, '\0') + slurp(path));

  auto i8 = [](int v) { return Bytes{'\1', char(v)}; };
  auto blob = [](const Bytes& b) { return Bytes{'\7', char(b.size())} + b; };
  auto text = [](const Bytes& t) { return Bytes{'\5', char(t.size())} + t; };
  auto i64 = [](int64_t v) {
    Bytes b(1, '\3');
    for (int k = 0; k < 8; ++k) b += char((uint64_t(v) >> (8 * k)) & 0xff);
    return b;
  };
  auto bytes_of = [](const auto& values) {
    return Bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(values[0]));
  };
  const std::vector<double> params{20, 8, 6, 0};
  const std::vector<float> xy{1.5f, 2.5f, 5.5f, 3.5f, 9.5f, 1.5f};
  const std::vector<uint32_t> pairs{0, 1, 2, 0};
  const Bytes camera =
      Bytes(1, '\0') + i8(1) + i8(2) + i8(16) + i8(12) + blob(bytes_of(params)) + i8(0);
  const Bytes images = Bytes(1, '\1') + i8(1) + text("a.jpg") + i8(1) + Bytes(1, '\1') + i8(2) +
                       text("b.jpg") + i8(1);
  const Bytes keypoints = Bytes(1, '\2') + i8(1) + i8(3) + i8(2) + blob(bytes_of(xy));
  const Bytes matches =
      Bytes(1, '\3') + i64(colmap::pair_id(1, 2)) + i8(2) + i8(2) + blob(bytes_of(pairs));
  save("colmap_database", "rows-valid", Bytes(1, '\1') + camera + images + keypoints + matches);
  save("colmap_database", "rows-keypoints-short",
       Bytes(1, '\1') + camera + images + Bytes(1, '\2') + i8(1) + i8(100) + i8(2) +
           blob(bytes_of(xy)));
}

void pth() {
  for (const char* f : {"nn_pth_zip.pth", "nn_pth_nested_zip.pth"})
    save("pth_zip", f, slurp(fs::path(SP_FIXTURE_DIR) / f));
  for (const char* f : {"nn_pth_legacy.pth", "nn_pth_nested_legacy.pth"})
    save("pth_legacy", f, slurp(fs::path(SP_FIXTURE_DIR) / f));
}

}  // namespace

int main() {
  images();
  configs();
  checkpoints();
  labels();
  predictions();
  feature_files();
  pth();
  colmap_database();
  fs::remove_all(kTmp);
}
