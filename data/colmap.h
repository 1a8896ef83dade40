// COLMAP sparse reconstructions (cameras, images, points3D) in COLMAP's binary (.bin) and
// text (.txt) formats, as colmap and pycolmap write them (read_write_model.py layout):
//   cameras: id, model, width, height, params
//   images: id, qvec (w, x, y, z) and tvec of the world -> camera pose, camera id, name,
//           2-D points (x, y, point3D id or -1)
//   points3D: id, xyz, rgb, error, track of (image id, point2D index)
// Pixel coordinates are COLMAP's (the top-left pixel's centre at (0.5, 0.5));
// intrinsics() converts them to sp's integer pixel centres.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/homography.h"

namespace sp::data {

struct ColmapCamera {
  int64_t id = 0;
  std::string model;  // "PINHOLE", "SIMPLE_RADIAL", ...
  int64_t width = 0, height = 0;
  std::vector<double> params;
};

struct ColmapImage {
  int64_t id = 0;
  Eigen::Quaterniond q{1, 0, 0, 0};  // world -> camera rotation
  Eigen::Vector3d t = Eigen::Vector3d::Zero();
  int64_t camera_id = 0;
  std::string name;
  std::vector<Eigen::Vector2d> points2d;  // COLMAP pixel coordinates
  std::vector<int64_t> point3d_ids;       // -1: not triangulated

  Mat3 R() const { return q.normalized().toRotationMatrix(); }
};

struct ColmapPoint {
  int64_t id = 0;
  Eigen::Vector3d xyz = Eigen::Vector3d::Zero();
  double error = 0;
  std::vector<std::pair<int64_t, int64_t>> track;  // (image id, point2D index)
};

struct Reconstruction {
  std::map<int64_t, ColmapCamera> cameras;
  std::map<int64_t, ColmapImage> images;
  std::map<int64_t, ColmapPoint> points;

  // Reads <dir>/{cameras,images,points3D}.bin, or the .txt files when the .bin are absent.
  // Truncated or malformed files are errors naming the file (and line for text).
  static Reconstruction read(const std::string& dir);
  static Reconstruction read_binary(const std::string& dir);
  static Reconstruction read_text(const std::string& dir);
};

// A COLMAP camera's pinhole part in sp's pixel-centre convention (cx, cy - 0.5):
// SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV and the fisheye
// variants (their distortion is ignored: undistorted images are expected). Unknown models
// and short parameter lists name `where`.
Mat3 colmap_intrinsics(const std::string& model, const std::vector<double>& params,
                       const std::string& where);

// COLMAP's numeric camera model ids (cameras.bin) and their parameter counts.
std::string colmap_model_name(int id);
int colmap_model_params(const std::string& model);

}  // namespace sp::data
