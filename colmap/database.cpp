#include "colmap/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "tensor/check.h"

namespace fs = std::filesystem;

namespace sp::colmap {

namespace {

// COLMAP 3.9-3.11's tables (database.cc), and the rig/frame tables of 3.12+.
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cameras (camera_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  model INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, params BLOB,
  prior_focal_length INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS images (image_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  name TEXT NOT NULL UNIQUE, camera_id INTEGER NOT NULL,
  CONSTRAINT image_id_check CHECK(image_id >= 0 and image_id < 2147483647),
  FOREIGN KEY(camera_id) REFERENCES cameras(camera_id));
CREATE UNIQUE INDEX IF NOT EXISTS index_name ON images(name);
CREATE TABLE IF NOT EXISTS keypoints (image_id INTEGER PRIMARY KEY NOT NULL,
  rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB,
  FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS matches (pair_id INTEGER PRIMARY KEY NOT NULL,
  rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB);
CREATE TABLE IF NOT EXISTS two_view_geometries (pair_id INTEGER PRIMARY KEY NOT NULL,
  rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB, config INTEGER NOT NULL,
  F BLOB, E BLOB, H BLOB, qvec BLOB, tvec BLOB);
CREATE TABLE IF NOT EXISTS rigs (rig_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  ref_sensor_id INTEGER NOT NULL, ref_sensor_type INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS rig_ref_sensor_assignment ON rigs(ref_sensor_id, ref_sensor_type);
CREATE TABLE IF NOT EXISTS rig_sensors (rig_id INTEGER NOT NULL, sensor_id INTEGER NOT NULL,
  sensor_type INTEGER NOT NULL, sensor_from_rig BLOB,
  FOREIGN KEY(rig_id) REFERENCES rigs(rig_id) ON DELETE CASCADE);
CREATE UNIQUE INDEX IF NOT EXISTS rig_sensor_assignment ON rig_sensors(sensor_id, sensor_type);
CREATE TABLE IF NOT EXISTS frames (frame_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  rig_id INTEGER NOT NULL, FOREIGN KEY(rig_id) REFERENCES rigs(rig_id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS frame_data (frame_id INTEGER NOT NULL, data_id INTEGER NOT NULL,
  sensor_id INTEGER NOT NULL, sensor_type INTEGER NOT NULL,
  FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE);
CREATE UNIQUE INDEX IF NOT EXISTS frame_sensor_assignment ON frame_data(data_id, sensor_type);
)sql";

constexpr int kSensorCamera = 0;  // COLMAP's SensorType::CAMERA

// A prepared statement finalized on scope exit.
struct Statement {
  sqlite3_stmt* s = nullptr;
  ~Statement() { sqlite3_finalize(s); }
};

std::vector<double> row_major(const Eigen::Matrix3d& m) {
  std::vector<double> v(9);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) v[size_t(3 * r + c)] = m(r, c);
  return v;
}

Eigen::Matrix3d matrix_of(const void* data, int bytes) {
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  if (bytes != 9 * int(sizeof(double))) return m;
  double v[9];
  std::memcpy(v, data, sizeof(v));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m(r, c) = v[3 * r + c];
  return m;
}

// A [rows, 2] uint32 BLOB of a matches or two_view_geometries row; `what` names it.
std::vector<std::array<uint32_t, 2>> pairs_of(sqlite3_stmt* st, int rows_col, int data_col,
                                              const std::string& what) {
  const int64_t rows = sqlite3_column_int64(st, rows_col);
  const int64_t cols = sqlite3_column_int64(st, rows_col + 1);
  const int64_t bytes = sqlite3_column_bytes(st, data_col);
  SP_CHECK(rows >= 0 && rows <= bytes && (cols == 2 || rows == 0) &&
               bytes == rows * 2 * int64_t(sizeof(uint32_t)),
           "colmap: expected ", what, " to hold [rows, 2] uint32 point indices, got rows ", rows,
           ", cols ", cols, " and ", bytes, " bytes of data");
  std::vector<std::array<uint32_t, 2>> out(static_cast<size_t>(rows));
  if (rows > 0) std::memcpy(out.data(), sqlite3_column_blob(st, data_col), size_t(bytes));
  return out;
}

}  // namespace

CameraModel parse_camera_model(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), ::tolower);
  std::replace(n.begin(), n.end(), '_', '-');
  if (n == "simple-pinhole") return CameraModel::SimplePinhole;
  if (n == "pinhole") return CameraModel::Pinhole;
  if (n == "simple-radial") return CameraModel::SimpleRadial;
  if (n == "radial") return CameraModel::Radial;
  if (n == "opencv") return CameraModel::OpenCV;
  SP_FAIL(
      "colmap: expected a camera model simple-pinhole | pinhole | simple-radial | radial | "
      "opencv, got '",
      name, "'");
}

const char* camera_model_name(CameraModel model) {
  switch (model) {
    case CameraModel::SimplePinhole:
      return "SIMPLE_PINHOLE";
    case CameraModel::Pinhole:
      return "PINHOLE";
    case CameraModel::SimpleRadial:
      return "SIMPLE_RADIAL";
    case CameraModel::Radial:
      return "RADIAL";
    case CameraModel::OpenCV:
      return "OPENCV";
  }
  return "?";
}

std::vector<double> default_camera_params(CameraModel model, double focal, int64_t width,
                                          int64_t height) {
  const double cx = 0.5 * double(width), cy = 0.5 * double(height);
  switch (model) {
    case CameraModel::SimplePinhole:
      return {focal, cx, cy};
    case CameraModel::Pinhole:
      return {focal, focal, cx, cy};
    case CameraModel::SimpleRadial:
      return {focal, cx, cy, 0.0};
    case CameraModel::Radial:
      return {focal, cx, cy, 0.0, 0.0};
    case CameraModel::OpenCV:
      return {focal, focal, cx, cy, 0.0, 0.0, 0.0, 0.0};
  }
  return {};
}

int64_t pair_id(int64_t id1, int64_t id2) {
  SP_CHECK(id1 >= 0 && id1 < kMaxImageId && id2 >= 0 && id2 < kMaxImageId,
           "colmap: expected image ids in [0, 2147483647), got ", id1, " and ", id2);
  if (id1 > id2) std::swap(id1, id2);
  return id1 * kMaxImageId + id2;
}

std::pair<int64_t, int64_t> image_ids_of_pair(int64_t pair_id) {
  const int64_t id2 = pair_id % kMaxImageId;
  return {(pair_id - id2) / kMaxImageId, id2};
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::Create)
    SP_CHECK(!fs::exists(path), "colmap: expected a new database file, got '", path, "' (exists)");
  else
    SP_CHECK(fs::exists(path), "colmap: expected a COLMAP database, got '", path, "' (missing)");
  const int flags =
      mode == Mode::Create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    SP_FAIL("colmap: expected an SQLite database at '", path, "', got an error: ", message);
  }
  if (mode == Mode::Create) {
    exec("PRAGMA foreign_keys = ON;");
    exec(kSchema);
  }
}

Database::~Database() {
  if (db_) sqlite3_close(db_);
}

void Database::close() {
  if (!db_) return;
  check(sqlite3_close(db_), "closing the database");
  db_ = nullptr;
}

void Database::check(int code, const std::string& what) const {
  SP_CHECK(code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW, "colmap: ", what,
           " in '", path_, "' failed: ", db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code));
}

void Database::exec(const std::string& sql) const {
  SP_CHECK(db_ != nullptr, "colmap: '", path_, "' is closed");
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  SP_CHECK(rc == SQLITE_OK, "colmap: SQL on '", path_, "' failed: ", message, " (",
           sql.substr(0, 60), "...)");
}

sqlite3_stmt* Database::prepare(const std::string& sql) const {
  SP_CHECK(db_ != nullptr, "colmap: '", path_, "' is closed");
  sqlite3_stmt* s = nullptr;
  check(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), "preparing '" + sql + "'");
  return s;
}

void Database::begin_transaction() {
  exec("BEGIN TRANSACTION;");
}
void Database::commit_transaction() {
  exec("COMMIT;");
}

int64_t Database::add_camera(const Camera& c) {
  SP_CHECK(c.width > 0 && c.height > 0, "colmap: expected a camera size, got ", c.width, " x ",
           c.height);
  Statement st{
      prepare("INSERT INTO cameras(model, width, height, params, prior_focal_length) "
              "VALUES(?, ?, ?, ?, ?);")};
  sqlite3_bind_int64(st.s, 1, int(c.model));
  sqlite3_bind_int64(st.s, 2, c.width);
  sqlite3_bind_int64(st.s, 3, c.height);
  sqlite3_bind_blob(st.s, 4, c.params.data(), int(c.params.size() * sizeof(double)),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 5, c.prior_focal_length ? 1 : 0);
  check(sqlite3_step(st.s), "adding a camera");
  const int64_t camera_id = sqlite3_last_insert_rowid(db_);
  // COLMAP >= 3.12: a rig of this one camera.
  Statement rig{prepare("INSERT INTO rigs(ref_sensor_id, ref_sensor_type) VALUES(?, ?);")};
  sqlite3_bind_int64(rig.s, 1, camera_id);
  sqlite3_bind_int64(rig.s, 2, kSensorCamera);
  check(sqlite3_step(rig.s), "adding the rig of camera " + std::to_string(camera_id));
  return camera_id;
}

int64_t Database::add_image(const std::string& name, int64_t camera_id) {
  Statement st{prepare("INSERT INTO images(name, camera_id) VALUES(?, ?);")};
  sqlite3_bind_text(st.s, 1, name.c_str(), int(name.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, camera_id);
  check(sqlite3_step(st.s), "adding image '" + name + "'");
  const int64_t image_id = sqlite3_last_insert_rowid(db_);
  // COLMAP >= 3.12: a frame of the camera's rig holding this image.
  Statement rig{
      prepare("SELECT rig_id FROM rigs WHERE ref_sensor_id = ? AND ref_sensor_type = ?;")};
  sqlite3_bind_int64(rig.s, 1, camera_id);
  sqlite3_bind_int64(rig.s, 2, kSensorCamera);
  SP_CHECK(sqlite3_step(rig.s) == SQLITE_ROW, "colmap: expected camera ", camera_id, " in '", path_,
           "' for image '", name, "'");
  const int64_t rig_id = sqlite3_column_int64(rig.s, 0);
  Statement frame{prepare("INSERT INTO frames(rig_id) VALUES(?);")};
  sqlite3_bind_int64(frame.s, 1, rig_id);
  check(sqlite3_step(frame.s), "adding the frame of image '" + name + "'");
  const int64_t frame_id = sqlite3_last_insert_rowid(db_);
  Statement data{prepare(
      "INSERT INTO frame_data(frame_id, data_id, sensor_id, sensor_type) VALUES(?, ?, ?, ?);")};
  sqlite3_bind_int64(data.s, 1, frame_id);
  sqlite3_bind_int64(data.s, 2, image_id);
  sqlite3_bind_int64(data.s, 3, camera_id);
  sqlite3_bind_int64(data.s, 4, kSensorCamera);
  check(sqlite3_step(data.s), "adding the frame data of image '" + name + "'");
  return image_id;
}

void Database::add_keypoints(int64_t image_id, const std::vector<float>& xy) {
  SP_CHECK(xy.size() % 2 == 0, "colmap: expected keypoints [N, 2], got ", xy.size(), " values");
  Statement st{prepare("INSERT INTO keypoints(image_id, rows, cols, data) VALUES(?, ?, 2, ?);")};
  sqlite3_bind_int64(st.s, 1, image_id);
  sqlite3_bind_int64(st.s, 2, int64_t(xy.size() / 2));
  sqlite3_bind_blob(st.s, 3, xy.data(), int(xy.size() * sizeof(float)), SQLITE_TRANSIENT);
  check(sqlite3_step(st.s), "adding keypoints of image " + std::to_string(image_id));
}

void Database::add_matches(int64_t id1, int64_t id2,
                           const std::vector<std::array<uint32_t, 2>>& matches) {
  SP_CHECK(id1 != id2, "colmap: expected matches of two images, got image ", id1, " twice");
  std::vector<std::array<uint32_t, 2>> m = matches;
  if (id1 > id2)
    for (auto& p : m) std::swap(p[0], p[1]);
  Statement st{prepare("INSERT INTO matches(pair_id, rows, cols, data) VALUES(?, ?, 2, ?);")};
  sqlite3_bind_int64(st.s, 1, pair_id(id1, id2));
  sqlite3_bind_int64(st.s, 2, int64_t(m.size()));
  sqlite3_bind_blob(st.s, 3, m.data(), int(m.size() * sizeof(m[0])), SQLITE_TRANSIENT);
  check(sqlite3_step(st.s),
        "adding matches of images " + std::to_string(id1) + " and " + std::to_string(id2));
}

void Database::add_two_view_geometry(int64_t id1, int64_t id2, const TwoViewGeometry& g) {
  TwoViewGeometry s = g;
  if (id1 > id2) {
    // The geometry of (id2, id1): swapped points, transposed F and E, inverted H and pose.
    for (auto& p : s.inliers) std::swap(p[0], p[1]);
    s.F.transposeInPlace();
    s.E.transposeInPlace();
    if (s.H.determinant() != 0) s.H = s.H.inverse().eval();
    const Eigen::Quaterniond q(g.qvec(0), g.qvec(1), g.qvec(2), g.qvec(3));
    const Eigen::Quaterniond qi = q.conjugate();
    s.qvec = Eigen::Vector4d(qi.w(), qi.x(), qi.y(), qi.z());
    s.tvec = -(qi * g.tvec);
  }
  Statement st{prepare(
      "INSERT INTO two_view_geometries(pair_id, rows, cols, data, config, F, E, H, qvec, tvec) "
      "VALUES(?, ?, 2, ?, ?, ?, ?, ?, ?, ?);")};
  const std::vector<double> F = row_major(s.F), E = row_major(s.E), H = row_major(s.H);
  sqlite3_bind_int64(st.s, 1, pair_id(id1, id2));
  sqlite3_bind_int64(st.s, 2, int64_t(s.inliers.size()));
  sqlite3_bind_blob(st.s, 3, s.inliers.data(), int(s.inliers.size() * sizeof(s.inliers[0])),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 4, int(s.config));
  sqlite3_bind_blob(st.s, 5, F.data(), 9 * sizeof(double), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 6, E.data(), 9 * sizeof(double), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 7, H.data(), 9 * sizeof(double), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 8, s.qvec.data(), 4 * sizeof(double), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.s, 9, s.tvec.data(), 3 * sizeof(double), SQLITE_TRANSIENT);
  check(sqlite3_step(st.s), "adding the two-view geometry of images " + std::to_string(id1) +
                                " and " + std::to_string(id2));
}

int64_t Database::count(const std::string& table) const {
  Statement st{prepare("SELECT COUNT(*) FROM " + table + ";")};
  check(sqlite3_step(st.s), "counting " + table);
  return sqlite3_column_int64(st.s, 0);
}

Camera Database::camera(int64_t camera_id) const {
  Statement st{prepare(
      "SELECT model, width, height, params, prior_focal_length FROM cameras WHERE camera_id = ?;")};
  sqlite3_bind_int64(st.s, 1, camera_id);
  SP_CHECK(sqlite3_step(st.s) == SQLITE_ROW, "colmap: expected camera ", camera_id, " in '", path_,
           "'");
  const std::string where = "camera " + std::to_string(camera_id) + " in '" + path_ + "'";
  const int64_t model = sqlite3_column_int64(st.s, 0);
  SP_CHECK(model >= 0 && model <= int(CameraModel::OpenCV), "colmap: expected ", where,
           " to have a model sp reads (0-4: SIMPLE_PINHOLE ... OPENCV), got model ", model);
  Camera c;
  c.model = CameraModel(model);
  c.width = sqlite3_column_int64(st.s, 1);
  c.height = sqlite3_column_int64(st.s, 2);
  SP_CHECK(c.width > 0 && c.height > 0, "colmap: expected ", where, " to have a size, got ",
           c.width, " x ", c.height);
  const size_t expected = default_camera_params(c.model, 1, 1, 1).size();
  const int bytes = sqlite3_column_bytes(st.s, 3);
  SP_CHECK(size_t(bytes) == expected * sizeof(double), "colmap: expected ", where, " (",
           camera_model_name(c.model), ") to have ", expected, " float64 parameters, got ", bytes,
           " bytes");
  c.params.resize(expected);
  std::memcpy(c.params.data(), sqlite3_column_blob(st.s, 3), size_t(bytes));
  c.prior_focal_length = sqlite3_column_int(st.s, 4) != 0;
  return c;
}

std::vector<std::pair<int64_t, std::string>> Database::images() const {
  Statement st{prepare("SELECT image_id, name FROM images ORDER BY image_id;")};
  std::vector<std::pair<int64_t, std::string>> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(st.s, 0);
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    SP_CHECK(name != nullptr && sqlite3_column_bytes(st.s, 1) > 0, "colmap: expected image ", id,
             " in '", path_, "' to have a name, got none");
    out.emplace_back(id, std::string(name, size_t(sqlite3_column_bytes(st.s, 1))));
  }
  return out;
}

int64_t Database::camera_of_image(int64_t image_id) const {
  Statement st{prepare("SELECT camera_id FROM images WHERE image_id = ?;")};
  sqlite3_bind_int64(st.s, 1, image_id);
  SP_CHECK(sqlite3_step(st.s) == SQLITE_ROW, "colmap: expected image ", image_id, " in '", path_,
           "'");
  return sqlite3_column_int64(st.s, 0);
}

std::vector<float> Database::keypoints(int64_t image_id) const {
  Statement st{prepare("SELECT rows, cols, data FROM keypoints WHERE image_id = ?;")};
  sqlite3_bind_int64(st.s, 1, image_id);
  if (sqlite3_step(st.s) != SQLITE_ROW) return {};
  // COLMAP stores (x, y) and, for affine features, 2 or 4 shape values after them.
  const int64_t rows = sqlite3_column_int64(st.s, 0), cols = sqlite3_column_int64(st.s, 1);
  const int64_t bytes = sqlite3_column_bytes(st.s, 2);
  SP_CHECK(rows >= 0 && rows <= bytes && (cols == 2 || cols == 4 || cols == 6) &&
               bytes == rows * cols * int64_t(sizeof(float)),
           "colmap: expected the keypoints of image ", image_id, " in '", path_,
           "' to be [rows, 2, 4 or 6] float32, got rows ", rows, ", cols ", cols, " and ", bytes,
           " bytes of data");
  std::vector<float> all(size_t(rows * cols));
  if (rows > 0) std::memcpy(all.data(), sqlite3_column_blob(st.s, 2), size_t(bytes));
  std::vector<float> xy(size_t(rows * 2));
  for (int64_t r = 0; r < rows; ++r) {
    xy[size_t(2 * r)] = all[size_t(r * cols)];
    xy[size_t(2 * r + 1)] = all[size_t(r * cols + 1)];
  }
  return xy;
}

std::vector<std::array<uint32_t, 2>> Database::matches(int64_t id1, int64_t id2) const {
  Statement st{prepare("SELECT rows, cols, data FROM matches WHERE pair_id = ?;")};
  sqlite3_bind_int64(st.s, 1, pair_id(id1, id2));
  if (sqlite3_step(st.s) != SQLITE_ROW) return {};
  return pairs_of(st.s, 0, 2,
                  "the matches of images " + std::to_string(id1) + " and " + std::to_string(id2) +
                      " in '" + path_ + "'");
}

TwoViewGeometry Database::two_view_geometry(int64_t id1, int64_t id2) const {
  Statement st{
      prepare("SELECT rows, cols, data, config, F, E, H, qvec, tvec FROM two_view_geometries "
              "WHERE pair_id = ?;")};
  sqlite3_bind_int64(st.s, 1, pair_id(id1, id2));
  TwoViewGeometry g;
  if (sqlite3_step(st.s) != SQLITE_ROW) return g;
  g.inliers = pairs_of(st.s, 0, 2,
                       "the two-view geometry of images " + std::to_string(id1) + " and " +
                           std::to_string(id2) + " in '" + path_ + "'");
  g.config = TwoViewConfig(sqlite3_column_int(st.s, 3));
  g.F = matrix_of(sqlite3_column_blob(st.s, 4), sqlite3_column_bytes(st.s, 4));
  g.E = matrix_of(sqlite3_column_blob(st.s, 5), sqlite3_column_bytes(st.s, 5));
  g.H = matrix_of(sqlite3_column_blob(st.s, 6), sqlite3_column_bytes(st.s, 6));
  if (sqlite3_column_bytes(st.s, 7) == 4 * int(sizeof(double)))
    std::memcpy(g.qvec.data(), sqlite3_column_blob(st.s, 7), 4 * sizeof(double));
  if (sqlite3_column_bytes(st.s, 8) == 3 * int(sizeof(double)))
    std::memcpy(g.tvec.data(), sqlite3_column_blob(st.s, 8), 3 * sizeof(double));
  return g;
}

int64_t check_colmap_database(const std::string& path) {
  try {
    Database db(path, Database::Mode::Read);
    return db.count("images") + 0 * db.count("cameras");
  } catch (const Error& e) {
    SP_FAIL("colmap: expected '", path, "' to be a COLMAP database, got one that is not (",
            e.what(), "); hint: move it away, or pass --overwrite to replace it");
  }
}

}  // namespace sp::colmap
