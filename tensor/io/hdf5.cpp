#include "tensor/io/hdf5.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <utility>

#include "tensor/ops/creation.h"

namespace sp::io {

namespace {

// Turns HDF5's own error printing off once: sp reports its own messages.
void quiet_hdf5() {
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// RAII for an hid_t with its close function.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Handle() {
    if (id >= 0) close(id);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id; }
};

hid_t native_type(DType t) {
  switch (t) {
    case DType::F32:
      return H5T_NATIVE_FLOAT;
    case DType::F64:
      return H5T_NATIVE_DOUBLE;
    case DType::I32:
      return H5T_NATIVE_INT32;
    case DType::I64:
      return H5T_NATIVE_INT64;
    case DType::U8:
      return H5T_NATIVE_UINT8;
    case DType::Bool:
      return H5T_NATIVE_UINT8;  // h5py writes bool as an enum of int8
    case DType::F16:
    case DType::BF16:
      return H5T_NATIVE_UINT16;
  }
  return H5T_NATIVE_FLOAT;
}

// The dtype to read a dataset as, from its stored type.
DType dtype_from_file(hid_t type, const std::string& where) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 8) return DType::F64;
    if (size == 4) return DType::F32;
    if (size == 2) return DType::F16;
  } else if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 8) return DType::I64;
    if (size == 4) return DType::I32;
    if (size == 1 && !is_signed) return DType::U8;
    if (size == 1 || size == 2) return DType::I32;
    if (size == 2 && !is_signed) return DType::I32;
  } else if (cls == H5T_ENUM) {  // h5py's bool
    return DType::Bool;
  }
  SP_FAIL("hdf5: expected a float, integer or bool dataset in ", where,
          ", got an HDF5 type of class ", int(cls), " and size ", size);
}

std::string where(const std::string& path, const std::string& name) {
  return path + ":" + name;
}

void ensure_parent_groups(hid_t file, const std::string& name, const std::string& path) {
  for (size_t pos = name.find('/', 1); pos != std::string::npos; pos = name.find('/', pos + 1)) {
    std::string group = name.substr(0, pos);
    if (group.empty()) continue;
    if (H5Lexists(file, group.c_str(), H5P_DEFAULT) > 0) continue;
    Handle g(H5Gcreate2(file, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    SP_CHECK(g.id >= 0, "hdf5: could not create group ", where(path, group));
  }
}

bool path_exists(hid_t file, const std::string& name) {
  if (name.empty() || name == "/") return true;
  // H5Lexists needs every intermediate link to exist: check them one by one.
  for (size_t pos = name.find('/', 1);; pos = name.find('/', pos + 1)) {
    std::string prefix = name.substr(0, pos);
    if (!prefix.empty() && H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

std::string object_name(const std::string& object) {
  return object.empty() ? "/" : object;
}

// A header may claim any dims: before allocating, their product must not overflow, and a
// file cannot make sp allocate much more than it stores. Compression expands at most
// ~1032:1 (deflate); kUnbackedBytes admits small datasets that were never written (they
// read as the fill value); the stored size is also capped by the file's own size.
constexpr uint64_t kMaxExpansion = 1100;
constexpr uint64_t kUnbackedBytes = uint64_t(64) << 20;

void check_size(hid_t file, hid_t ds, const hsize_t* dims, int rank, size_t element,
                const std::string& where) {
  // Strides multiply the dims after a zero one too: [0, 2^62, 2^62] holds nothing but
  // its strides overflow, so the product is checked with each dim at least 1.
  uint64_t bytes = element, extent = element;
  bool overflow = false;
  std::string shape = "[";
  for (int i = 0; i < rank; ++i) {
    bytes *= uint64_t(dims[i]);  // only used when the extent below does not overflow
    overflow |= __builtin_mul_overflow(extent, std::max<uint64_t>(dims[i], 1), &extent);
    shape += (i ? ", " : "") + std::to_string(dims[i]);
  }
  shape += "]";
  overflow |= extent >= (uint64_t(1) << 62);
  hsize_t file_size = 0;
  H5Fget_filesize(file, &file_size);
  const uint64_t stored = std::min<uint64_t>(H5Dget_storage_size(ds), file_size);
  SP_CHECK(!overflow && (bytes <= kUnbackedBytes || bytes / kMaxExpansion <= stored),
           "hdf5: expected a dataset of a size its file backs at ", where, ", got ", shape, " x ",
           element, " bytes (", overflow ? std::string("2^62 or more") : std::to_string(bytes),
           " bytes) for ", stored, " stored bytes (corrupt file?)");
}

}  // namespace

H5File::H5File(const std::string& path, Mode mode) : path_(path) {
  quiet_hdf5();
  if (mode == Mode::Truncate) {
    id_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    SP_CHECK(id_ >= 0, "hdf5: could not create ", path,
             "; hint: check that the folder exists and is writable");
    return;
  }
  SP_CHECK(std::filesystem::exists(path), "hdf5: expected a file at ", path, ", got nothing there");
  SP_CHECK(H5Fis_hdf5(path.c_str()) > 0, "hdf5: expected an HDF5 file at ", path,
           ", got a file that is not HDF5 (truncated or of another format)");
  id_ = H5Fopen(path.c_str(), mode == Mode::Read ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
  SP_CHECK(id_ >= 0, "hdf5: could not open ", path, " (corrupt or truncated)");
}

H5File::~H5File() {
  if (id_ >= 0) H5Fclose(id_);
}

void H5File::flush() {
  SP_CHECK(id_ >= 0 && H5Fflush(id_, H5F_SCOPE_GLOBAL) >= 0, "hdf5: could not flush ", path_,
           "; hint: is the disk full?");
}

void H5File::close() {
  if (id_ < 0) return;
  // HDF5 keeps metadata in its cache until the file closes: a full disk shows up here.
  const herr_t flushed = H5Fflush(id_, H5F_SCOPE_GLOBAL);
  const herr_t closed = H5Fclose(id_);
  id_ = -1;
  SP_CHECK(flushed >= 0 && closed >= 0, "hdf5: could not finish writing ", path_,
           "; hint: is the disk full?");
}

bool H5File::has(const std::string& name) const {
  return path_exists(id_, name);
}

std::vector<std::string> H5File::children(const std::string& group) const {
  std::string g = object_name(group);
  SP_CHECK(has(g), "hdf5: expected a group ", where(path_, g), ", got nothing there");
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  H5Literate_by_name(id_, g.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names, H5P_DEFAULT);
  return names;
}

std::vector<std::string> H5File::datasets(const std::string& group) const {
  // Only hard links are followed, and each group once: links may form cycles (a group
  // linked into itself), point into other files (external links) or nowhere (dangling
  // soft links), and a file cannot make the walk deeper than kMaxDepth.
  constexpr int kMaxDepth = 256;
  std::vector<std::string> out;
  std::set<haddr_t> seen;
  std::function<void(const std::string&, int)> walk = [&](const std::string& g, int depth) {
    SP_CHECK(depth <= kMaxDepth, "hdf5: expected groups nested at most ", kMaxDepth, " deep in ",
             path_, ", got ", where(path_, g));
    H5O_info_t info;
    if (H5Oget_info_by_name2(id_, g.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        !seen.insert(info.addr).second)
      return;
    for (const std::string& child : children(g)) {
      std::string full = (g == "/" || g.empty()) ? child : g + "/" + child;
      H5L_info_t link;
      if (H5Lget_info(id_, full.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
        continue;
      if (H5Oget_info_by_name2(id_, full.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) continue;
      if (info.type == H5O_TYPE_GROUP)
        walk(full, depth + 1);
      else if (info.type == H5O_TYPE_DATASET)
        out.push_back(full);
    }
  };
  walk(object_name(group), 0);
  std::sort(out.begin(), out.end());
  return out;
}

Tensor H5File::read(const std::string& name) const {
  SP_CHECK(has(name), "hdf5: expected a dataset ", where(path_, name), ", got nothing there");
  Handle ds(H5Dopen2(id_, name.c_str(), H5P_DEFAULT), H5Dclose);
  SP_CHECK(ds.id >= 0, "hdf5: expected a dataset at ", where(path_, name), ", got something else");
  Handle space(H5Dget_space(ds), H5Sclose);
  SP_CHECK(H5Sget_simple_extent_type(space) != H5S_NULL, "hdf5: expected a dataset with values at ",
           where(path_, name), ", got an empty (null) dataspace");
  int rank = H5Sget_simple_extent_ndims(space);
  SP_CHECK(rank >= 0 && rank <= kMaxRank, "hdf5: expected a dataset of rank <= ", kMaxRank, " in ",
           where(path_, name), ", got rank ", rank);
  hsize_t dims[kMaxRank];
  H5Sget_simple_extent_dims(space, dims, nullptr);
  Handle type(H5Dget_type(ds), H5Tclose);
  DType dtype = dtype_from_file(type, where(path_, name));
  if (H5Aexists(ds, "sp_dtype") > 0) {
    dtype = parse_dtype(attr_string(name, "sp_dtype"));
    SP_CHECK(H5Tget_size(type) == size_of(dtype), "hdf5: expected ", size_of(dtype),
             "-byte values for sp_dtype ", dtype, " at ", where(path_, name), ", got ",
             H5Tget_size(type), "-byte values");
  }
  check_size(id_, ds, dims, rank, size_of(dtype), where(path_, name));
  Shape shape;
  for (int i = 0; i < rank; ++i) shape.push_back(int64_t(dims[i]));
  Tensor t = empty(shape, dtype);
  hid_t mem = native_type(dtype);
  if (dtype == DType::F16 && H5Tget_class(type) == H5T_FLOAT) {
    // IEEE half stored by numpy: read the raw 16-bit patterns.
    Handle ftype(H5Tcopy(type), H5Tclose);
    H5Tset_order(ftype, H5T_ORDER_LE);
    mem = ftype;
    if (t.numel())
      SP_CHECK(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) >= 0,
               "hdf5: could not read ", where(path_, name), " (corrupt or truncated file)");
    return t;
  }
  if (t.numel())
    SP_CHECK(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) >= 0,
             "hdf5: could not read ", where(path_, name), " (corrupt or truncated file)");
  if (dtype == DType::Bool) {  // a bool must hold 0 or 1: any other byte reads as true
    auto* b = static_cast<uint8_t*>(t.data_ptr());
    const int64_t n = t.numel();  // once: up to 2^26 bytes
    for (int64_t i = 0; i < n; ++i) b[i] = b[i] != 0;
  }
  return t;
}

void H5File::write(const std::string& name, const Tensor& t) {
  check_defined(t, "hdf5 write");
  Tensor host = t.cpu().contiguous();
  ensure_parent_groups(id_, name, path_);
  if (path_exists(id_, name)) H5Ldelete(id_, name.c_str(), H5P_DEFAULT);
  hsize_t dims[kMaxRank];
  for (int i = 0; i < host.dim(); ++i) dims[i] = hsize_t(host.size(i));
  Handle space(
      host.dim() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(host.dim(), dims, nullptr),
      H5Sclose);
  hid_t type = native_type(host.dtype());
  Handle ds(H5Dcreate2(id_, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  SP_CHECK(ds.id >= 0, "hdf5: could not create dataset ", where(path_, name));
  if (host.numel())
    SP_CHECK(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data_ptr()) >= 0,
             "hdf5: could not write ", where(path_, name), "; hint: is the disk full?");
  if (host.dtype() == DType::Bool || host.dtype() == DType::F16 || host.dtype() == DType::BF16)
    set_attr(name, "sp_dtype", std::string(sp::name(host.dtype())));
}

void H5File::write_as(const std::string& name, const Tensor& t, FileType type) {
  check_defined(t, "hdf5 write");
  Tensor host = t.cpu();
  if (type == FileType::Float16) {
    host = host.to(DType::F16).contiguous();
  } else {
    host = host.to(DType::I64).contiguous();
    const int64_t lo = type == FileType::Int16 ? -32768 : 0,
                  hi = type == FileType::Int16 ? 32767 : 65535;
    const int64_t* p = host.data<int64_t>();
    for (int64_t i = 0; i < host.numel(); ++i)
      SP_CHECK(p[i] >= lo && p[i] <= hi, "hdf5: expected values in [", lo, ", ", hi, "] for ",
               type == FileType::Int16 ? "int16" : "uint16", " dataset ", where(path_, name),
               ", got ", p[i]);
  }
  ensure_parent_groups(id_, name, path_);
  if (path_exists(id_, name)) H5Ldelete(id_, name.c_str(), H5P_DEFAULT);
  hsize_t dims[kMaxRank];
  for (int i = 0; i < host.dim(); ++i) dims[i] = hsize_t(host.size(i));
  Handle space(
      host.dim() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(host.dim(), dims, nullptr),
      H5Sclose);
  // IEEE binary16 as numpy/h5py define it: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
  Handle half(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  H5Tset_fields(half, 15, 10, 5, 0, 10);
  H5Tset_size(half, 2);
  H5Tset_ebias(half, 15);
  const hid_t file_type = type == FileType::Float16 ? hid_t(half)
                          : type == FileType::Int16 ? H5T_STD_I16LE
                                                    : H5T_STD_U16LE;
  const hid_t mem_type = type == FileType::Float16 ? hid_t(half) : H5T_NATIVE_INT64;
  Handle ds(H5Dcreate2(id_, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  SP_CHECK(ds.id >= 0, "hdf5: could not create dataset ", where(path_, name));
  if (host.numel())
    SP_CHECK(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data_ptr()) >= 0,
             "hdf5: could not write ", where(path_, name), "; hint: is the disk full?");
}

namespace {
Handle open_object(hid_t file, const std::string& path, const std::string& object) {
  std::string o = object_name(object);
  SP_CHECK(path_exists(file, o), "hdf5: expected an object ", where(path, o),
           ", got nothing there");
  return Handle(H5Oopen(file, o.c_str(), H5P_DEFAULT), H5Oclose);
}

void write_attr(hid_t obj, const std::string& key, hid_t type, const void* value) {
  if (H5Aexists(obj, key.c_str()) > 0) H5Adelete(obj, key.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Awrite(attr, type, value);
}
}  // namespace

void H5File::set_attr(const std::string& object, const std::string& key, const std::string& value) {
  Handle obj = open_object(id_, path_, object);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, std::max<size_t>(value.size(), 1));
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  H5Tset_cset(type, H5T_CSET_UTF8);
  if (H5Aexists(obj, key.c_str()) > 0) H5Adelete(obj, key.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  H5Awrite(attr, type, padded.data());
}

void H5File::set_attr(const std::string& object, const std::string& key, double value) {
  Handle obj = open_object(id_, path_, object);
  write_attr(obj, key, H5T_NATIVE_DOUBLE, &value);
}

void H5File::set_attr(const std::string& object, const std::string& key, int64_t value) {
  Handle obj = open_object(id_, path_, object);
  write_attr(obj, key, H5T_NATIVE_INT64, &value);
}

bool H5File::has_attr(const std::string& object, const std::string& key) const {
  if (!path_exists(id_, object_name(object))) return false;
  Handle obj = open_object(id_, path_, object);
  return H5Aexists(obj, key.c_str()) > 0;
}

namespace {
Handle open_attr(hid_t file, const std::string& path, const std::string& object,
                 const std::string& key) {
  Handle obj = open_object(file, path, object);
  SP_CHECK(H5Aexists(obj, key.c_str()) > 0, "hdf5: expected attribute '", key, "' on ",
           where(path, object_name(object)), ", got none");
  Handle attr(H5Aopen(obj, key.c_str(), H5P_DEFAULT), H5Aclose);
  // Every reader below reads one value into one value's memory.
  Handle space(H5Aget_space(attr), H5Sclose);
  const hssize_t n = space.id >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  SP_CHECK(attr.id >= 0 && n == 1 && H5Sget_simple_extent_type(space) != H5S_NULL,
           "hdf5: expected attribute '", key, "' on ", where(path, object_name(object)),
           " to hold one value, got ", n, " values");
  return Handle(std::exchange(attr.id, -1), H5Aclose);
}
}  // namespace

std::string H5File::attr_string(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(id_, path_, object, key);
  Handle type(H5Aget_type(attr), H5Tclose);
  SP_CHECK(H5Tget_class(type) == H5T_STRING, "hdf5: expected a string attribute '", key, "' on ",
           where(path_, object_name(object)));
  if (H5Tis_variable_str(type) > 0) {
    char* s = nullptr;
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Aread(attr, mem, &s);
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  size_t n = H5Tget_size(type);
  std::string out(n, '\0');
  H5Aread(attr, type, out.data());
  out.resize(std::strlen(out.c_str()));
  return out;
}

double H5File::attr_double(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(id_, path_, object, key);
  double v = 0;
  SP_CHECK(H5Aread(attr, H5T_NATIVE_DOUBLE, &v) >= 0, "hdf5: expected a numeric attribute '", key,
           "' on ", where(path_, object_name(object)));
  return v;
}

int64_t H5File::attr_int(const std::string& object, const std::string& key) const {
  Handle attr = open_attr(id_, path_, object, key);
  int64_t v = 0;
  SP_CHECK(H5Aread(attr, H5T_NATIVE_INT64, &v) >= 0, "hdf5: expected an integer attribute '", key,
           "' on ", where(path_, object_name(object)));
  return v;
}

std::map<std::string, Tensor> read_all(const std::string& path) {
  H5File f(path, H5File::Mode::Read);
  std::map<std::string, Tensor> out;
  for (const std::string& name : f.datasets()) out[name] = f.read(name);
  return out;
}

void commit_file(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY);
  SP_CHECK(fd >= 0, "io: could not reopen ", tmp, " to flush it");
  int rc = ::fsync(fd);
  ::close(fd);
  SP_CHECK(rc == 0, "io: fsync failed on ", tmp, "; hint: is the disk full?");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  SP_CHECK(!ec, "io: could not rename ", tmp, " to ", path, ": ", ec.message());
  std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_atomically(const std::string& path, const std::function<void(H5File&)>& fill) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      H5File f(tmp, H5File::Mode::Truncate);
      fill(f);
      f.close();
    }
    commit_file(tmp, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace sp::io
