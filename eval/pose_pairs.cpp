#include "eval/pose_pairs.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "data/posed_pairs.h"
#include "data/text_number.h"
#include "tensor/check.h"

namespace fs = std::filesystem;

namespace sp::eval {

namespace {

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream row(line);
  std::vector<std::string> tok;
  for (std::string s; row >> s;) tok.push_back(s);
  return tok;
}

double number(const std::string& s, const std::string& where) {
  return data::parse_number(s, "pose pairs", where);
}

}  // namespace

std::vector<PosePair> read_pose_pairs(const std::string& path) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "speval: expected a readable pair list ", path);
  std::vector<PosePair> pairs;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const std::vector<std::string> tok = tokens(line);
    if (tok.empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    SP_CHECK(tok.size() == 38,
             "speval: expected 38 tokens (name0 name1 rot0 rot1 K0 K1 T_0to1) in ", where, ", got ",
             tok.size());
    SP_CHECK(tok[2] == "0" && tok[3] == "0", "speval: expected EXIF rotations 0 in ", where,
             ", got ", tok[2], " ", tok[3], "; hint: rotated pairs are not supported yet");
    PosePair p;
    p.name0 = tok[0];
    p.name1 = tok[1];
    p.where = where;
    for (int i = 0; i < 9; ++i) {
      p.K0(i / 3, i % 3) = number(tok[4 + i], where);
      p.K1(i / 3, i % 3) = number(tok[13 + i], where);
    }
    Eigen::Matrix4d T;
    for (int i = 0; i < 16; ++i) T(i / 4, i % 4) = number(tok[22 + i], where);
    p.R = T.topLeftCorner<3, 3>();
    p.t = T.topRightCorner<3, 1>();
    pairs.push_back(p);
  }
  return pairs;
}

PosePairs read_posed_images(const std::string& root) {
  const data::PosedImages posed = data::read_posed_images(root);
  PosePairs out;
  out.image_dir = root + "/images";
  out.skipped = posed.skipped;
  for (size_t i = 0; i < posed.pairs.size(); ++i) {
    const data::PosedView& v0 = posed.views[size_t(posed.pairs[i].view0)];
    const data::PosedView& v1 = posed.views[size_t(posed.pairs[i].view1)];
    PosePair p;
    p.name0 = v0.name;
    p.name1 = v1.name;
    p.where = posed.pair_lines[i];
    p.K0 = v0.K;
    p.K1 = v1.K;
    const Eigen::Matrix4d T = data::relative_pose(v0, v1);
    p.R = T.topLeftCorner<3, 3>();
    p.t = T.topRightCorner<3, 1>();
    out.pairs.push_back(p);
  }
  return out;
}

PosePairs read_pose_benchmark(const std::string& path, const std::string& images) {
  if (fs::is_directory(path)) {
    PosePairs p = read_posed_images(path);
    if (!images.empty()) p.image_dir = images;
    return p;
  }
  PosePairs p;
  p.pairs = read_pose_pairs(path);
  p.image_dir = images;
  return p;
}

}  // namespace sp::eval
