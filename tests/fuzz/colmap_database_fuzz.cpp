// COLMAP databases read back (colmap/database.cpp): check_colmap_database, which spcolmap
// runs on an existing --database, and every Database(Mode::Read) accessor.
//
// Input: byte 0 picks the mode. Bit 0 clear: the rest is the database file itself (SQLite
// must reject or open it). Bit 0 set: sp writes a fresh database (COLMAP's schema), then
// each following record inserts one row into one of its tables with fuzzed column values
// (NULL, integer, real, text or blob, whatever the declared type), the way a database
// edited by other tools or damaged on disk can hold them. Properties: a reader returns
// what its type promises (a camera's parameter count is its model's, keypoints are
// [N, 2], names are text) or throws sp::Error naming the file.
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "colmap/database.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;
using sp::colmap::Database;

namespace {

struct TableSpec {
  const char* name;
  int columns;  // all of them, including the id
};
constexpr TableSpec kTables[] = {
    {"cameras", 6},  // camera_id, model, width, height, params, prior_focal_length
    {"images", 3},   // image_id, name, camera_id
    {"keypoints", 4}, {"matches", 4}, {"two_view_geometries", 10},
};

// Binds one fuzzed value of a fuzzed kind to parameter k.
void bind_value(sqlite3_stmt* st, int k, sp::fuzz::Input& in) {
  switch (in.u8() % 8) {
    case 0:
      sqlite3_bind_null(st, k);
      break;
    case 1:
    case 2:  // small integers: ids, counts and models that point somewhere
      sqlite3_bind_int64(st, k, int64_t(int8_t(in.u8())));
      break;
    case 3:
      sqlite3_bind_int64(st, k, int64_t(in.bits(8)));
      break;
    case 4: {
      const uint64_t bits = in.bits(8);
      double v;
      std::memcpy(&v, &bits, sizeof(v));
      sqlite3_bind_double(st, k, v);
      break;
    }
    case 5: {
      const std::string s = in.text(24);
      sqlite3_bind_text(st, k, s.data(), int(s.size()), SQLITE_TRANSIENT);
      break;
    }
    default: {
      const std::string_view b = in.take(in.u8() % 160);
      sqlite3_bind_blob(st, k, b.data(), int(b.size()), SQLITE_TRANSIENT);
    }
  }
}

// Rows of fuzzed values, inserted without constraints (as another tool could).
void insert_rows(const std::string& path, sp::fuzz::Input& in) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return;
  }
  // One transaction, no journal, no sync: the rows are what matters, not durability.
  sqlite3_exec(db,
               "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON; "
               "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;",
               nullptr, nullptr, nullptr);
  for (int row = 0; row < 24 && !in.empty(); ++row) {
    const TableSpec& t = kTables[in.u8() % std::size(kTables)];
    std::string sql = std::string("INSERT OR REPLACE INTO ") + t.name + " VALUES(?";
    for (int c = 1; c < t.columns; ++c) sql += ", ?";
    sql += ");";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      for (int c = 1; c <= t.columns; ++c) bind_value(st, c, in);
      sqlite3_step(st);  // a NOT NULL or type conflict just skips the row
    }
    sqlite3_finalize(st);
  }
  sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

int params_of(sp::colmap::CameraModel model) {
  return int(sp::colmap::default_camera_params(model, 1, 1, 1).size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sp::fuzz::temp_path("database.db");
  sp::fuzz::Input in(data, size);
  const bool structured = in.u8() & 1;
  fs::remove(path);
  if (structured) {
    // sp's empty database, made once (creating the schema per input costs a tenfold).
    static const std::string fresh = [] {
      const std::string p = sp::fuzz::temp_path("fresh.db");
      fs::remove(p);
      { Database db(p, Database::Mode::Create); }
      std::ifstream f(p, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(f), {});
    }();
    sp::fuzz::write_file(path, reinterpret_cast<const uint8_t*>(fresh.data()), fresh.size());
    insert_rows(path, in);
  } else {
    const std::string_view bytes = in.take(in.left());
    sp::fuzz::write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }

  int64_t images = -1;
  if (!sp::fuzz::accepts([&] { images = sp::colmap::check_colmap_database(path); })) return 0;
  SP_FUZZ_ASSERT(images >= 0);

  std::unique_ptr<Database> db;
  if (!sp::fuzz::accepts([&] { db = std::make_unique<Database>(path, Database::Mode::Read); }))
    return 0;
  for (const char* table : {"cameras", "keypoints", "matches", "two_view_geometries"})
    sp::fuzz::accepts([&] { SP_FUZZ_ASSERT(db->count(table) >= 0); });
  std::vector<std::pair<int64_t, std::string>> list;
  if (!sp::fuzz::accepts([&] { list = db->images(); })) return 0;
  SP_FUZZ_ASSERT(int64_t(list.size()) == images);
  for (size_t i = 0; i < list.size() && i < 8; ++i) {
    const int64_t id = list[i].first;
    sp::fuzz::accepts([&] {
      const sp::colmap::Camera c = db->camera(db->camera_of_image(id));
      SP_FUZZ_ASSERT(int(c.params.size()) == params_of(c.model));
      SP_FUZZ_ASSERT(c.width > 0 && c.height > 0);
    });
    sp::fuzz::accepts([&] { SP_FUZZ_ASSERT(db->keypoints(id).size() % 2 == 0); });
    for (size_t j = i + 1; j < list.size() && j < 8; ++j) {
      const int64_t other = list[j].first;
      sp::fuzz::accepts([&] { (void)db->matches(id, other); });
      sp::fuzz::accepts([&] { (void)db->two_view_geometry(other, id); });
    }
  }
  // Rows whose ids no image holds are read by id as well.
  for (int64_t id = -1; id <= 3; ++id) {
    sp::fuzz::accepts([&] { (void)db->camera(id); });
    sp::fuzz::accepts([&] { SP_FUZZ_ASSERT(db->keypoints(id).size() % 2 == 0); });
    sp::fuzz::accepts([&] { (void)db->matches(id, id + 1); });
    sp::fuzz::accepts([&] { (void)db->two_view_geometry(id, id + 1); });
  }
  return 0;
}
