#include "colmap/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "colmap/exif.h"
#include "helpers/test_helpers.h"

namespace fs = std::filesystem;

namespace sp::colmap {
namespace {

TEST(ColmapDatabase, PairIdsAreColmaps) {
  EXPECT_EQ(pair_id(1, 2), int64_t(2147483647) + 2);
  EXPECT_EQ(pair_id(2, 1), pair_id(1, 2));
  EXPECT_EQ(image_ids_of_pair(pair_id(7, 3)), (std::pair<int64_t, int64_t>{3, 7}));
}

TEST(ColmapDatabase, CameraModelsByNameAndTheirParameters) {
  EXPECT_EQ(parse_camera_model("simple-radial"), CameraModel::SimpleRadial);
  EXPECT_EQ(parse_camera_model("SIMPLE_RADIAL"), CameraModel::SimpleRadial);
  EXPECT_EQ(parse_camera_model("pinhole"), CameraModel::Pinhole);
  EXPECT_SP_ERROR(parse_camera_model("fisheye"), "got 'fisheye'");
  EXPECT_EQ(default_camera_params(CameraModel::SimpleRadial, 100, 640, 480),
            (std::vector<double>{100, 320, 240, 0}));
  EXPECT_EQ(default_camera_params(CameraModel::OpenCV, 100, 640, 480).size(), 8u);
  EXPECT_EQ(int(CameraModel::OpenCV), 4);
}

TEST(ColmapDatabase, WritesAndReadsBackInColmapsConventions) {
  const std::string path = test::temp_dir("colmap_db") + "/database.db";
  {
    Database db(path, Database::Mode::Create);
    db.begin_transaction();
    Camera cam;
    cam.model = CameraModel::SimpleRadial;
    cam.width = 640, cam.height = 480;
    cam.params = default_camera_params(cam.model, 768, 640, 480);
    EXPECT_EQ(db.add_camera(cam), 1);
    EXPECT_EQ(db.add_image("a.jpg", 1), 1);
    EXPECT_EQ(db.add_image("sub/b.jpg", 1), 2);
    db.add_keypoints(1, {0.5f, 1.5f, 10.5f, 20.5f});
    db.add_keypoints(2, {3.5f, 4.5f});
    // Given as (2, 1): stored as (1, 2) with the columns swapped.
    db.add_matches(2, 1, {{0, 1}});
    TwoViewGeometry g;
    g.config = TwoViewConfig::Uncalibrated;
    g.inliers = {{0, 1}};
    g.F << 0, 1, 2, 3, 4, 5, 6, 7, 8;
    db.add_two_view_geometry(2, 1, g);
    EXPECT_SP_ERROR(db.add_image("a.jpg", 1), "adding image 'a.jpg'");
    db.commit_transaction();
    db.close();
  }
  Database db(path, Database::Mode::Read);
  EXPECT_EQ(db.count("images"), 2);
  EXPECT_EQ(db.count("rigs"), 1);
  EXPECT_EQ(db.count("frames"), 2);
  EXPECT_EQ(db.count("frame_data"), 2);
  const Camera c = db.camera(1);
  EXPECT_EQ(c.model, CameraModel::SimpleRadial);
  EXPECT_EQ(c.params, (std::vector<double>{768, 320, 240, 0}));
  EXPECT_EQ(db.images()[1], (std::pair<int64_t, std::string>{2, "sub/b.jpg"}));
  EXPECT_EQ(db.keypoints(1), (std::vector<float>{0.5f, 1.5f, 10.5f, 20.5f}));
  EXPECT_EQ(db.matches(1, 2), (std::vector<std::array<uint32_t, 2>>{{1, 0}}));
  const TwoViewGeometry back = db.two_view_geometry(1, 2);
  EXPECT_EQ(back.config, TwoViewConfig::Uncalibrated);
  EXPECT_EQ(back.inliers, (std::vector<std::array<uint32_t, 2>>{{1, 0}}));
  EXPECT_EQ(back.F(0, 1), 3.0);  // transposed for the swapped pair
  EXPECT_EQ(check_colmap_database(path), 2);
  EXPECT_SP_ERROR(Database(path, Database::Mode::Create), "(exists)");
}

TEST(ColmapDatabase, ForeignFilesAreReported) {
  const std::string dir = test::temp_dir("colmap_foreign");
  std::ofstream(dir + "/text.db") << "this is not a database at all, just some text";
  EXPECT_SP_ERROR(check_colmap_database(dir + "/text.db"), "to be a COLMAP database");
  EXPECT_SP_ERROR(check_colmap_database(dir + "/missing.db"), "(missing)");
}

// Rows another tool (or a damaged disk) left: each reader names the file and the row
// instead of reading past a BLOB or trusting its row count (docs/FUZZING.md, findings
// 36-40, from the review for colmap_database_fuzz).
TEST(ColmapDatabase, DamagedRowsAreReportedNotTrusted) {
  const std::string path = test::temp_dir("colmap_damaged") + "/database.db";
  {
    Database db(path, Database::Mode::Create);
    Camera cam;
    cam.width = 16, cam.height = 12;
    cam.params = default_camera_params(cam.model, 20, 16, 12);
    db.add_camera(cam);
    db.add_image("a.jpg", 1);
    db.add_image("b.jpg", 1);
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const float xy[6] = {1, 2, 3, 4, 5, 6};
  const uint32_t pairs[2] = {0, 1};
  auto insert = [&](const char* sql, const void* blob, int bytes) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, sql, -1, &st, nullptr), SQLITE_OK) << sql;
    sqlite3_bind_blob(st, 1, blob, bytes, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sql;
    sqlite3_finalize(st);
  };
  // Image 1: 100 rows claimed, 3 stored; image 2: COLMAP's affine layout (cols 6).
  insert("INSERT INTO keypoints VALUES(1, 100, 2, ?);", xy, sizeof(xy));
  insert("INSERT INTO keypoints VALUES(2, 1, 6, ?);", xy, sizeof(xy));
  insert("INSERT INTO matches VALUES(2147483649, 1, 2, ?);", pairs, 6);  // a torn BLOB
  insert("INSERT INTO cameras VALUES(2, 99, 16, 12, ?, 0);", xy, 8);     // unknown model
  insert("INSERT INTO cameras VALUES(3, 0, 16, 12, ?, 0);", xy, 8);      // 1 of 3 params
  insert("INSERT INTO images VALUES(3, '', 1);", nullptr, 0);            // unnamed
  sqlite3_close(raw);

  Database db(path, Database::Mode::Read);
  EXPECT_SP_ERROR(db.keypoints(1), "rows 100, cols 2 and 24 bytes");
  EXPECT_EQ(db.keypoints(2), (std::vector<float>{1, 2}));
  EXPECT_SP_ERROR(db.matches(1, 2), "rows 1, cols 2 and 6 bytes");
  EXPECT_SP_ERROR(db.camera(2), "got model 99");
  EXPECT_SP_ERROR(db.camera(3), "to have 3 float64 parameters, got 8 bytes");
  EXPECT_EQ(db.camera(1).params.size(), 4u);
  EXPECT_SP_ERROR(db.images(), "image 3 in '" + path + "' to have a name");
  EXPECT_SP_ERROR(db.matches(-1, 2), "image ids in [0, 2147483647), got -1 and 2");
  EXPECT_SP_ERROR(pair_id(int64_t(1) << 40, 1), "image ids in [0, 2147483647)");
}

// A minimal JPEG header with an APP1 Exif segment holding FocalLengthIn35mmFilm.
std::vector<uint8_t> jpeg_with_focal(uint16_t focal, bool little) {
  std::vector<uint8_t> tiff;
  auto u16 = [&](uint32_t v) {
    if (little)
      tiff.insert(tiff.end(), {uint8_t(v), uint8_t(v >> 8)});
    else
      tiff.insert(tiff.end(), {uint8_t(v >> 8), uint8_t(v)});
  };
  auto u32 = [&](uint32_t v) {
    if (little)
      u16(v & 0xFFFF), u16(v >> 16);
    else
      u16(v >> 16), u16(v & 0xFFFF);
  };
  tiff.insert(tiff.end(), little ? std::initializer_list<uint8_t>{'I', 'I'}
                                 : std::initializer_list<uint8_t>{'M', 'M'});
  u16(42), u32(8);                               // IFD0 at 8
  u16(1), u16(0x8769), u16(4), u32(1), u32(26);  // ExifIFD pointer -> 26
  u32(0);
  u16(1), u16(0xA405), u16(3), u32(1), u16(focal), u16(0);  // FocalLengthIn35mmFilm
  u32(0);
  std::vector<uint8_t> j = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00};  // an APP0 first
  const size_t length = 2 + 6 + tiff.size();
  j.insert(j.end(), {0xFF, 0xE1, uint8_t(length >> 8), uint8_t(length), 'E', 'x', 'i', 'f', 0, 0});
  j.insert(j.end(), tiff.begin(), tiff.end());
  j.insert(j.end(), {0xFF, 0xD9});
  return j;
}

TEST(ColmapExif, ReadsTheFocalLengthIn35mmFilm) {
  EXPECT_EQ(exif_focal_length_35mm(jpeg_with_focal(28, true)), 28.0);
  EXPECT_EQ(exif_focal_length_35mm(jpeg_with_focal(50, false)), 50.0);
  EXPECT_FALSE(exif_focal_length_35mm(jpeg_with_focal(0, true)).has_value());
  std::vector<uint8_t> truncated = jpeg_with_focal(28, true);
  truncated.resize(30);
  EXPECT_FALSE(exif_focal_length_35mm(truncated).has_value());
  EXPECT_FALSE(exif_focal_length_35mm(std::vector<uint8_t>{0x89, 'P', 'N', 'G'}).has_value());
  EXPECT_FALSE(exif_focal_length_35mm(std::string("/nonexistent.jpg")).has_value());
}

}  // namespace
}  // namespace sp::colmap
