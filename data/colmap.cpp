#include "data/colmap.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/text_number.h"
#include "tensor/check.h"

namespace fs = std::filesystem;

namespace sp::data {

namespace {

struct ModelInfo {
  const char* name;
  int params;
};
constexpr ModelInfo kModels[] = {{"SIMPLE_PINHOLE", 3},
                                 {"PINHOLE", 4},
                                 {"SIMPLE_RADIAL", 4},
                                 {"RADIAL", 5},
                                 {"OPENCV", 8},
                                 {"OPENCV_FISHEYE", 8},
                                 {"FULL_OPENCV", 12},
                                 {"FOV", 5},
                                 {"SIMPLE_RADIAL_FISHEYE", 4},
                                 {"RADIAL_FISHEYE", 5},
                                 {"THIN_PRISM_FISHEYE", 12}};

// Little-endian reads of a whole file, failing with its name when it ends early.
class BinaryReader {
 public:
  explicit BinaryReader(const std::string& path) : path_(path) {
    std::ifstream in(path, std::ios::binary);
    SP_CHECK(in.good(), "colmap: expected a readable ", path);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  template <typename T>
  T get() {
    SP_CHECK(pos_ + sizeof(T) <= bytes_.size(), "colmap: expected more data in ", path_,
             " at byte ", pos_, ", got the end of the file (truncated?)");
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    std::string s;
    for (char c; (c = get<char>()) != '\0';) s.push_back(c);
    return s;
  }
  // A count of items each at least `min_bytes` long: bounded by what the file holds.
  uint64_t get_count(size_t min_bytes) {
    const uint64_t n = get<uint64_t>();
    SP_CHECK(n <= (bytes_.size() - pos_) / std::max<size_t>(1, min_bytes), "colmap: expected a ",
             "count that fits ", path_, " at byte ", pos_ - 8, ", got ", n);
    return n;
  }
  bool done() const { return pos_ == bytes_.size(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<char> bytes_;
  size_t pos_ = 0;
};

// Non-comment, non-empty lines of a text file as token lists, with their line numbers.
std::vector<std::pair<int, std::vector<std::string>>> text_rows(const std::string& path,
                                                                bool keep_empty = false) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "colmap: expected a readable ", path);
  std::vector<std::pair<int, std::vector<std::string>>> rows;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line[0] == '#') continue;
    std::istringstream s(line);
    std::vector<std::string> tok;
    for (std::string t; s >> t;) tok.push_back(t);
    if (!tok.empty() || keep_empty) rows.emplace_back(n, tok);
  }
  return rows;
}

double to_double(const std::string& s, const std::string& where) {
  return parse_number(s, "colmap", where);
}

int64_t to_int(const std::string& s, const std::string& where) {
  const double v = to_double(s, where);
  // In range before the cast (casting nan, inf or |v| >= 2^63 is undefined).
  SP_CHECK(v >= -0x1p63 && v < 0x1p63 && v == double(int64_t(v)), "colmap: expected an integer in ",
           where, ", got '", s, "'");
  return int64_t(v);
}

}  // namespace

std::string colmap_model_name(int id) {
  SP_CHECK(id >= 0 && id < int(std::size(kModels)), "colmap: expected a camera model id 0..",
           std::size(kModels) - 1, ", got ", id);
  return kModels[id].name;
}

int colmap_model_params(const std::string& model) {
  for (const ModelInfo& m : kModels)
    if (model == m.name) return m.params;
  SP_FAIL("colmap: expected a known camera model, got '", model, "'");
}

Mat3 colmap_intrinsics(const std::string& model, const std::vector<double>& params,
                       const std::string& where) {
  const bool one_focal = model == "SIMPLE_PINHOLE" || model == "SIMPLE_RADIAL" ||
                         model == "RADIAL" || model == "SIMPLE_RADIAL_FISHEYE" ||
                         model == "RADIAL_FISHEYE" || model == "FOV";
  const bool two_focals = model == "PINHOLE" || model == "OPENCV" || model == "FULL_OPENCV" ||
                          model == "OPENCV_FISHEYE" || model == "THIN_PRISM_FISHEYE";
  SP_CHECK(one_focal || two_focals, "camera: expected a COLMAP camera model (SIMPLE_PINHOLE, ",
           "PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV, ...) in ", where, ", got '", model,
           "'");
  const size_t needed = one_focal ? 3 : 4;
  SP_CHECK(params.size() >= needed, "camera: expected at least ", needed, " parameters for ", model,
           " in ", where, ", got ", params.size());
  const double fx = params[0], fy = one_focal ? params[0] : params[1];
  const double cx = params[one_focal ? 1 : 2], cy = params[one_focal ? 2 : 3];
  SP_CHECK(fx > 0 && fy > 0, "camera: expected positive focal lengths in ", where, ", got ", fx,
           ", ", fy);
  Mat3 K;
  K << fx, 0, cx - 0.5, 0, fy, cy - 0.5, 0, 0, 1;
  return K;
}

Reconstruction Reconstruction::read(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "cameras.bin")) return read_binary(dir);
  SP_CHECK(fs::exists(fs::path(dir) / "cameras.txt"), "colmap: expected cameras.bin or ",
           "cameras.txt (with images and points3D) in ", dir);
  return read_text(dir);
}

Reconstruction Reconstruction::read_binary(const std::string& dir) {
  Reconstruction r;
  BinaryReader cams(dir + "/cameras.bin");
  for (uint64_t n = cams.get_count(24), i = 0; i < n; ++i) {
    ColmapCamera c;
    c.id = cams.get<uint32_t>();
    c.model = colmap_model_name(cams.get<int32_t>());
    c.width = int64_t(cams.get<uint64_t>());
    c.height = int64_t(cams.get<uint64_t>());
    c.params.resize(size_t(colmap_model_params(c.model)));
    for (double& p : c.params) p = cams.get<double>();
    r.cameras[c.id] = c;
  }
  BinaryReader imgs(dir + "/images.bin");
  for (uint64_t n = imgs.get_count(64), i = 0; i < n; ++i) {
    ColmapImage im;
    im.id = imgs.get<uint32_t>();
    const double qw = imgs.get<double>(), qx = imgs.get<double>(), qy = imgs.get<double>(),
                 qz = imgs.get<double>();
    im.q = Eigen::Quaterniond(qw, qx, qy, qz);
    for (int k = 0; k < 3; ++k) im.t(k) = imgs.get<double>();
    im.camera_id = imgs.get<uint32_t>();
    im.name = imgs.get_string();
    const uint64_t np = imgs.get_count(24);
    for (uint64_t k = 0; k < np; ++k) {
      const double x = imgs.get<double>(), y = imgs.get<double>();
      im.points2d.emplace_back(x, y);
      im.point3d_ids.push_back(int64_t(imgs.get<uint64_t>()));  // max uint64 -> -1
    }
    r.images[im.id] = im;
  }
  BinaryReader pts(dir + "/points3D.bin");
  for (uint64_t n = pts.get_count(51), i = 0; i < n; ++i) {
    ColmapPoint p;
    p.id = int64_t(pts.get<uint64_t>());
    for (int k = 0; k < 3; ++k) p.xyz(k) = pts.get<double>();
    for (int k = 0; k < 3; ++k) pts.get<uint8_t>();  // rgb
    p.error = pts.get<double>();
    for (uint64_t t = pts.get_count(8), k = 0; k < t; ++k) {
      const int64_t image = pts.get<uint32_t>();
      p.track.emplace_back(image, int64_t(pts.get<uint32_t>()));
    }
    r.points[p.id] = p;
  }
  for (const BinaryReader* b : {&cams, &imgs, &pts})
    SP_CHECK(b->done(), "colmap: expected the end of ", b->path(), " after its records, got more");
  return r;
}

Reconstruction Reconstruction::read_text(const std::string& dir) {
  Reconstruction r;
  const std::string cam_path = dir + "/cameras.txt";
  for (const auto& [line, tok] : text_rows(cam_path)) {
    const std::string where = cam_path + ":" + std::to_string(line);
    SP_CHECK(tok.size() >= 4, "colmap: expected CAMERA_ID MODEL WIDTH HEIGHT PARAMS in ", where,
             ", got ", tok.size(), " tokens");
    ColmapCamera c;
    c.id = to_int(tok[0], where);
    c.model = tok[1];
    c.width = to_int(tok[2], where);
    c.height = to_int(tok[3], where);
    for (size_t k = 4; k < tok.size(); ++k) c.params.push_back(to_double(tok[k], where));
    SP_CHECK(int(c.params.size()) == colmap_model_params(c.model), "colmap: expected ",
             colmap_model_params(c.model), " parameters for ", c.model, " in ", where, ", got ",
             c.params.size());
    r.cameras[c.id] = c;
  }
  // images.txt: two lines per image, the second (the 2-D points) possibly empty.
  const std::string img_path = dir + "/images.txt";
  const auto rows = text_rows(img_path, /*keep_empty=*/true);
  std::vector<std::pair<int, std::vector<std::string>>> lines;
  bool started = false;
  for (const auto& row : rows) {
    if (!started && row.second.empty()) continue;  // blank lines before the first image
    started = true;
    lines.push_back(row);
  }
  for (size_t k = 0; k < lines.size(); k += 2) {
    const auto& [line, tok] = lines[k];
    const std::string where = img_path + ":" + std::to_string(line);
    if (tok.empty()) continue;
    SP_CHECK(tok.size() >= 10, "colmap: expected IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME in ",
             where, ", got ", tok.size(), " tokens");
    ColmapImage im;
    im.id = to_int(tok[0], where);
    im.q = Eigen::Quaterniond(to_double(tok[1], where), to_double(tok[2], where),
                              to_double(tok[3], where), to_double(tok[4], where));
    for (int d = 0; d < 3; ++d) im.t(d) = to_double(tok[5 + d], where);
    im.camera_id = to_int(tok[8], where);
    im.name = tok[9];
    if (k + 1 < lines.size()) {
      const auto& [pline, ptok] = lines[k + 1];
      const std::string pwhere = img_path + ":" + std::to_string(pline);
      SP_CHECK(ptok.size() % 3 == 0, "colmap: expected X Y POINT3D_ID triples in ", pwhere,
               ", got ", ptok.size(), " tokens");
      for (size_t p = 0; p < ptok.size(); p += 3) {
        im.points2d.emplace_back(to_double(ptok[p], pwhere), to_double(ptok[p + 1], pwhere));
        im.point3d_ids.push_back(to_int(ptok[p + 2], pwhere));
      }
    }
    r.images[im.id] = im;
  }
  const std::string pts_path = dir + "/points3D.txt";
  for (const auto& [line, tok] : text_rows(pts_path)) {
    const std::string where = pts_path + ":" + std::to_string(line);
    SP_CHECK(tok.size() >= 8 && tok.size() % 2 == 0,
             "colmap: expected POINT3D_ID X Y Z R G B ERROR (IMAGE_ID POINT2D_IDX)... in ", where,
             ", got ", tok.size(), " tokens");
    ColmapPoint p;
    p.id = to_int(tok[0], where);
    for (int d = 0; d < 3; ++d) p.xyz(d) = to_double(tok[1 + d], where);
    p.error = to_double(tok[7], where);
    for (size_t t = 8; t < tok.size(); t += 2)
      p.track.emplace_back(to_int(tok[t], where), to_int(tok[t + 1], where));
    r.points[p.id] = p;
  }
  return r;
}

}  // namespace sp::data
