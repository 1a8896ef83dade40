// `spcolmap OUT IMAGES --database-path DB`: a COLMAP database (colmap/database.h) from
// spdetect's features and spmatch's matches in OUT, so that `colmap mapper` (or
// pycolmap's incremental mapping) runs on it directly (DISK's colmap/h5_to_db.py, plus
// the geometric verification it leaves to `colmap exhaustive_matcher`).
//
//   images    named by their path below IMAGES (OUT/images.txt maps feature names to
//             them; without it DISK names are looked up among the files);
//   cameras   one per image, or one for all with single_camera (every image must then have
//             the same size); focal length from EXIF FocalLengthIn35mmFilm (f35 / 35 *
//             max(W, H), prior_focal_length set), else 1.2 * max(W, H); principal point at
//             the centre; no distortion;
//   keypoints the features' keypoints + 0.5 (COLMAP's frame: (0.5, 0.5) is the centre of
//             the top-left pixel);
//   matches   every stored pair;
//   two_view_geometries (verify): colmap/two_view_geometry.h with max_error px.
// The database is written next to its path and renamed into place at the end; an
// existing file is an error naming it (a foreign or corrupt one is reported as such)
// unless `overwrite`.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace sp::procedures {

struct ColmapCommand {
  std::string features;  // OUT of spdetect/spmatch
  std::string images;    // the image folder given to spdetect
  std::string database;  // --database-path
  std::string matches;   // empty: spmatch's default file in OUT
  std::string camera_model = "simple-radial";
  bool single_camera = false;
  bool verify = false;
  double max_error = 4.0;  // px, RANSAC inlier threshold of the verification
  bool overwrite = false;
  std::ostream* progress = nullptr;
};

struct ColmapReport {
  int64_t images = 0, cameras = 0, pairs = 0, matches = 0;
  int64_t verified_pairs = 0, inliers = 0;  // pairs with a non-degenerate geometry
};

ColmapReport export_colmap(const ColmapCommand& command);

}  // namespace sp::procedures
