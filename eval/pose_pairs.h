// Image pairs with relative-pose ground truth, in the two layouts users have:
//   SuperGlue pair lists (matchers.md 5.4): `name0 name1 rot0 rot1 K0(9) K1(9) T_0to1(16)`
//     per line, K in pixels of the original image, T_0to1 camera 0 -> camera 1; images
//     under a folder given separately.
//   MegaDepth-1500 (Glue Factory's posed_images layout, matchers.md 5.3): a folder with
//     images/, views.txt (`name R(9) t(3) MODEL W H params...`: world -> camera pose and
//     COLMAP camera) and pairs.txt (`name0 name1`); T_0to1 = T_w2c1 inv(T_w2c0).
// Intrinsics are converted to sp's pixel-centre convention: COLMAP cameras (views.txt,
// data::colmap_intrinsics) put the top-left pixel's centre at (0.5, 0.5): cx, cy lose 0.5;
// SuperGlue's K are already pixel-centre based and are kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geometry/eigen.h"

namespace sp::eval {

struct PosePair {
  std::string name0, name1;  // image paths relative to the image folder
  Eigen::Matrix3d K0, K1, R;
  Eigen::Vector3d t;
  std::string where;  // "<file>:<line>" for messages
};

struct PosePairs {
  std::string image_dir;  // where name0/name1 live ("" when given separately)
  std::vector<PosePair> pairs;
  int64_t skipped = 0;  // pair lines naming an unknown view (posed images)
};

// SuperGlue pair list; rows without ground truth (2 or 4 tokens) are an error naming the
// line; EXIF rotations other than 0 too.
std::vector<PosePair> read_pose_pairs(const std::string& path);

// MegaDepth-1500 / posed-images folder (views.txt, pairs.txt, images/; data/posed_pairs.h).
// A pair naming an image absent from views.txt is skipped and counted.
PosePairs read_posed_images(const std::string& root);

// `path` is a pair list file (SuperGlue) or a posed-images folder; image_dir then comes
// from `images` (SuperGlue; may be empty) or the folder.
PosePairs read_pose_benchmark(const std::string& path, const std::string& images = "");

}  // namespace sp::eval
