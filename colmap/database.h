// COLMAP's database.db (matchers.md 6.4): an SQLite file with cameras, images,
// keypoints, matches and two_view_geometries, which `colmap mapper` and pycolmap's
// incremental mapping read. Written in the schema COLMAP 3.9-3.11 creates, plus the rig
// and frame tables of COLMAP >= 3.12 (one trivial rig per camera, one frame per image),
// so every current COLMAP opens it (newer versions migrate what they add themselves).
//
// Conventions (COLMAP's): keypoints are float32 (x, y) with (0.5, 0.5) the centre of the
// top-left pixel; matches and inlier matches are uint32 [K, 2] point indices, column 0
// in the image with the smaller id (callers may pass either order: pairs are swapped
// here, like COLMAP's WriteMatches); pair_id = id1 * 2147483647 + id2 with id1 < id2;
// matrices are stored row-major float64, qvec (w, x, y, z) and tvec as cam2_from_cam1.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geometry/eigen.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sp::colmap {

// COLMAP's camera model ids.
enum class CameraModel : int {
  SimplePinhole = 0,  // f, cx, cy
  Pinhole = 1,        // fx, fy, cx, cy
  SimpleRadial = 2,   // f, cx, cy, k
  Radial = 3,         // f, cx, cy, k1, k2
  OpenCV = 4,         // fx, fy, cx, cy, k1, k2, p1, p2
};
// "simple-pinhole" | "pinhole" | "simple-radial" | "radial" | "opencv" (also COLMAP's
// upper-case names, SIMPLE_RADIAL); others throw listing them.
CameraModel parse_camera_model(const std::string& name);
const char* camera_model_name(CameraModel model);  // COLMAP's: "SIMPLE_RADIAL"
// The parameters of a camera of `width` x `height` with focal length `focal`, principal
// point at the centre and no distortion.
std::vector<double> default_camera_params(CameraModel model, double focal, int64_t width,
                                          int64_t height);

struct Camera {
  CameraModel model = CameraModel::SimpleRadial;
  int64_t width = 0, height = 0;
  std::vector<double> params;
  bool prior_focal_length = false;  // the focal length comes from EXIF
};

// COLMAP's TwoViewGeometry::ConfigurationType.
enum class TwoViewConfig : int {
  Undefined = 0,
  Degenerate = 1,
  Calibrated = 2,
  Uncalibrated = 3,
  Planar = 4,
  Panoramic = 5,
  PlanarOrPanoramic = 6,
  Watermark = 7,
  Multiple = 8,
};

struct TwoViewGeometry {
  TwoViewConfig config = TwoViewConfig::Undefined;
  std::vector<std::array<uint32_t, 2>> inliers;  // point indices (image 1, image 2)
  Eigen::Matrix3d F = Eigen::Matrix3d::Zero(), E = Eigen::Matrix3d::Zero(),
                  H = Eigen::Matrix3d::Zero();
  Eigen::Vector4d qvec{1, 0, 0, 0};  // cam2_from_cam1 rotation (w, x, y, z)
  Eigen::Vector3d tvec = Eigen::Vector3d::Zero();
};

inline constexpr int64_t kMaxImageId = 2147483647;
int64_t pair_id(int64_t image_id1, int64_t image_id2);  // throws unless both in [0, kMaxImageId)
std::pair<int64_t, int64_t> image_ids_of_pair(int64_t pair_id);

class Database {
 public:
  enum class Mode { Create, Read };
  // Create: a new file (an existing one is an error naming it); Read: an existing
  // COLMAP database.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int64_t add_camera(const Camera& camera);                       // returns camera_id (1, 2, ...)
  int64_t add_image(const std::string& name, int64_t camera_id);  // returns image_id
  // xy [N, 2] row-major float32 (COLMAP pixel convention).
  void add_keypoints(int64_t image_id, const std::vector<float>& xy);
  void add_matches(int64_t image_id1, int64_t image_id2,
                   const std::vector<std::array<uint32_t, 2>>& matches);
  void add_two_view_geometry(int64_t image_id1, int64_t image_id2, const TwoViewGeometry& g);

  void begin_transaction();
  void commit_transaction();
  void close();

  // Reading back (tests, checks). A row that does not hold what COLMAP's layout says
  // (a model sp does not read, a parameter or point BLOB of the wrong size, an unnamed
  // image, ids outside [0, 2^31 - 1)) is an error naming the file; keypoints with
  // COLMAP's affine shape columns (cols 4 or 6) come back as their (x, y).
  int64_t count(const std::string& table) const;
  Camera camera(int64_t camera_id) const;
  std::vector<std::pair<int64_t, std::string>> images() const;  // (image_id, name) by id
  int64_t camera_of_image(int64_t image_id) const;
  std::vector<float> keypoints(int64_t image_id) const;  // [N, 2] row-major
  // Stored with column 0 in the smaller id (as COLMAP keeps them).
  std::vector<std::array<uint32_t, 2>> matches(int64_t image_id1, int64_t image_id2) const;
  TwoViewGeometry two_view_geometry(int64_t image_id1, int64_t image_id2) const;
  const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql) const;
  sqlite3_stmt* prepare(const std::string& sql) const;
  void check(int code, const std::string& what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

// Throws naming `path` unless it is an SQLite file holding COLMAP's cameras and images
// tables; returns its number of images.
int64_t check_colmap_database(const std::string& path);

}  // namespace sp::colmap
