#include "h5_recipe.h"

#include <hdf5.h>

#include <algorithm>
#include <cstring>

#include "fuzz_util.h"

namespace sp::fuzz {
namespace {

// The recipe encoding (docs/FUZZING.md); every field is one byte unless stated:
//   op        := byte % 6: 0 dataset, 1 group, 2 attribute, 3 hard link, 4 soft link, 5 external
//   link name      := pick [text if pick >= 224] deeper   pick < 224: vocab.names[pick % size];
//                text := len, then len % 49 bytes; deeper % 8 == 7 adds "/a".."/d" (+1 byte)
//   dataset   := name type layout space [payload]
//   type      := byte % 16: f32 f64 f16 i8 u8 i16 u16 i32 i64 u64be bool-enum string(+1: size)
//                compound f32be odd-size-float(+1) f32-array(+1)
//   layout    := byte: % 4 = contiguous, chunked, chunked + deflate, chunked + fletcher32;
//                / 4 % 4 != 0: written (payload follows) when it has at most 64 KiB
//   space     := r [dims]: r % 16 = 0..2 scalar, 15 null, 14 rank 9, else rank 1 + r % 4
//                (attributes: rank 1 + r % 2); one byte v per dim: v % 9 below 200, 8 (v - 200)
//                below 240, else a big one (kBigDims; 1 in attributes)
//   payload   := len, then min(bytes, 1 + 8 len) bytes repeated to fill the dataset
//   group     := name
//   attribute := object key kind space value    object: byte % (objects made so far; 0 = root)
//                key: pick [text if pick >= 224]; kind % 8: 0 fixed string, 1 variable
//                string, else numeric (i64 f64 i32 u8 f32 u64); string value: pick [text if
//                pick >= 192], fixed strings then a pad byte; numeric value: a payload
//   hard link := object name;   soft link := name (target) name;
//   external link := self object name   (self % 2: to this file, else to a missing one)
enum Op { kDataset, kGroup, kAttribute, kHardLink, kSoftLink, kExternalLink };

// Sizes worth trying as dimensions: small ones, and ones whose products overflow or do
// not fit in memory (a dataset that is never written needs no storage for them).
constexpr uint64_t kBigDims[] = {
    255, 4096, 65536, uint64_t(1) << 31, uint64_t(1) << 40, uint64_t(1) << 62};

class Recipe {
 public:
  Recipe(Input& in, const H5Vocabulary& vocab, const std::string& path)
      : in_(in), vocab_(vocab), path_(path) {
    objects_.push_back("/");
  }

  void run(hid_t file) {
    file_ = file;
    lcpl_ = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl_, 1);
    for (int ops = 0; !in_.empty() && ops < 64; ++ops) {
      switch (in_.u8() % 6) {
        case kDataset:
          dataset();
          break;
        case kGroup:
          group();
          break;
        case kAttribute:
          attribute();
          break;
        case kHardLink: {  // to "/" or an ancestor: a cycle
          const std::string target = object(), link = name();
          H5Lcreate_hard(file_, target.c_str(), file_, link.c_str(), lcpl_, H5P_DEFAULT);
          break;
        }
        case kSoftLink: {
          const std::string target = name(), link = name();
          H5Lcreate_soft(target.c_str(), file_, link.c_str(), lcpl_, H5P_DEFAULT);
          break;
        }
        case kExternalLink: {  // to this very file (a loop through the file system) or a missing
                               // one
          const std::string file = in_.u8() % 2 ? path_ : path_ + ".missing";
          const std::string target = object(), link = name();
          H5Lcreate_external(file.c_str(), target.c_str(), file_, link.c_str(), lcpl_, H5P_DEFAULT);
          break;
        }
      }
    }
    H5Pclose(lcpl_);
  }

 private:
  std::string name() {
    const uint8_t pick = in_.u8();
    std::string n = pick < 224 && !vocab_.names.empty() ? vocab_.names[pick % vocab_.names.size()]
                                                        : in_.text(48);
    if (in_.u8() % 8 == 7) {  // one level deeper
      n += '/';
      n += char('a' + in_.u8() % 4);
    }
    return n;
  }
  std::string object() { return objects_[in_.below(objects_.size())]; }

  // A file type by index, with its size in bytes; the caller closes it.
  hid_t make_type(uint8_t which) {
    switch (which % 16) {
      case 0:
        return H5Tcopy(H5T_IEEE_F32LE);
      case 1:
        return H5Tcopy(H5T_IEEE_F64LE);
      case 2: {  // IEEE half, as numpy/h5py store float16
        hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        return t;
      }
      case 3:
        return H5Tcopy(H5T_STD_I8LE);
      case 4:
        return H5Tcopy(H5T_STD_U8LE);
      case 5:
        return H5Tcopy(H5T_STD_I16LE);
      case 6:
        return H5Tcopy(H5T_STD_U16LE);
      case 7:
        return H5Tcopy(H5T_STD_I32LE);
      case 8:
        return H5Tcopy(H5T_STD_I64LE);
      case 9:
        return H5Tcopy(H5T_STD_U64BE);
      case 10: {  // h5py's bool: an int8 enum FALSE=0, TRUE=1
        hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
        int8_t f = 0, tr = 1;
        H5Tenum_insert(t, "FALSE", &f);
        H5Tenum_insert(t, "TRUE", &tr);
        return t;
      }
      case 11: {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 1 + in_.u8() % 16);
        return t;
      }
      case 12: {
        hid_t t = H5Tcreate(H5T_COMPOUND, 12);
        H5Tinsert(t, "a", 0, H5T_STD_I32LE);
        H5Tinsert(t, "b", 4, H5T_IEEE_F64LE);
        return t;
      }
      case 13:
        return H5Tcopy(H5T_IEEE_F32BE);
      case 14: {
        hid_t t = H5Tcopy(H5T_IEEE_F64LE);  // a float of an odd size
        H5Tset_size(t, 3 + in_.u8() % 14);
        return t;
      }
      default: {
        hsize_t n = 1 + in_.u8() % 4;
        return H5Tarray_create2(H5T_IEEE_F32LE, 1, &n);
      }
    }
  }

  // A dataspace: scalar, null, or simple of rank 1..9 (rank > 8 exceeds sp's kMaxRank).
  hid_t make_space(hsize_t* total, bool small_only) {
    const uint8_t r = in_.u8();
    if (r % 16 == 15) {
      *total = 0;
      return H5Screate(H5S_NULL);
    }
    int rank = r % 16 < 3 ? 0 : (r % 16 == 14 && !small_only ? 9 : 1 + r % (small_only ? 2 : 4));
    if (rank == 0) {
      *total = 1;
      return H5Screate(H5S_SCALAR);
    }
    hsize_t dims[16];
    *total = 1;
    for (int d = 0; d < rank; ++d) {
      const uint8_t v = in_.u8();
      dims[d] = v < 200      ? v % 9
                : v < 240    ? (v - 200) * 8
                : small_only ? 1
                             : kBigDims[v % std::size(kBigDims)];
      *total = dims[d] && *total > (uint64_t(1) << 62) / dims[d] ? (uint64_t(1) << 62)
                                                                 : *total * dims[d];
    }
    return H5Screate_simple(rank, dims, nullptr);
  }

  // Fills n bytes from the input (zeros past its end).
  std::vector<uint8_t> payload(size_t n) {
    std::vector<uint8_t> buf(n);
    std::string_view src = in_.take(std::min<size_t>(n, 1 + in_.u8() * 8));
    if (!src.empty())
      for (size_t k = 0; k < n; ++k) buf[k] = uint8_t(src[k % src.size()]);
    return buf;
  }

  void dataset() {
    const std::string n = name();
    hid_t type = make_type(in_.u8());
    hsize_t total = 0;
    const uint8_t layout = in_.u8();
    hid_t space = make_space(&total, false);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const int rank = H5Sget_simple_extent_ndims(space);
    if (layout % 4 != 0 &&
        rank > 0) {  // chunked (needed for huge unwritten datasets), maybe deflated
      hsize_t dims[32], chunk[32];
      H5Sget_simple_extent_dims(space, dims, nullptr);
      for (int d = 0; d < rank; ++d) chunk[d] = std::clamp<hsize_t>(dims[d], 1, 16);
      H5Pset_chunk(dcpl, rank, chunk);
      if (layout % 4 == 2) H5Pset_deflate(dcpl, 1);
      if (layout % 4 == 3) H5Pset_fletcher32(dcpl);
    }
    hid_t ds = H5Dcreate2(file_, n.c_str(), type, space, lcpl_, dcpl, H5P_DEFAULT);
    if (ds >= 0) {
      objects_.push_back(n);
      const size_t bytes = size_t(total) * H5Tget_size(type);
      if (layout / 4 % 4 != 0 && total > 0 &&
          bytes <= 65536) {  // written (else never: fill value only)
        std::vector<uint8_t> buf = payload(bytes);
        H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());  // raw bytes, no conversion
      }
      H5Dclose(ds);
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
  }

  void group() {
    const std::string n = name();
    hid_t g = H5Gcreate2(file_, n.c_str(), lcpl_, H5P_DEFAULT, H5P_DEFAULT);
    if (g >= 0) {
      objects_.push_back(n);
      H5Gclose(g);
    }
  }

  void attribute() {
    const std::string obj = object();
    const uint8_t pick = in_.u8();
    const std::string key = pick < 224 && !vocab_.attrs.empty()
                                ? vocab_.attrs[pick % vocab_.attrs.size()]
                                : in_.text(24);
    const uint8_t kind = in_.u8();
    hsize_t total = 0;
    hid_t space = make_space(&total, true);
    hid_t type;
    std::vector<uint8_t> value;
    std::vector<const char*> strings;
    std::string text;
    switch (kind % 8) {
      case 0: {  // fixed-length string, NUL padded (how sp writes them)
        const uint8_t s = in_.u8();
        text = s < 192 && !vocab_.strings.empty() ? vocab_.strings[s % vocab_.strings.size()]
                                                  : in_.text(48);
        type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, std::max<size_t>(text.size(), 1));
        H5Tset_strpad(type, in_.u8() % 2 ? H5T_STR_NULLPAD : H5T_STR_NULLTERM);
        value.assign(size_t(total) * std::max<size_t>(text.size(), 1), 0);
        for (size_t k = 0; k < total; ++k)
          std::memcpy(value.data() + k * std::max<size_t>(text.size(), 1), text.data(),
                      text.size());
        break;
      }
      case 1: {  // variable-length string (how h5py writes str attributes)
        const uint8_t s = in_.u8();
        text = s < 192 && !vocab_.strings.empty() ? vocab_.strings[s % vocab_.strings.size()]
                                                  : in_.text(48);
        type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        strings.assign(size_t(total), text.c_str());
        break;
      }
      default: {
        static const hid_t* numeric[] = {&H5T_STD_I64LE_g, &H5T_IEEE_F64LE_g, &H5T_STD_I32LE_g,
                                         &H5T_STD_U8LE_g,  &H5T_IEEE_F32LE_g, &H5T_STD_U64LE_g};
        type = H5Tcopy(*numeric[kind % std::size(numeric)]);
        value = payload(size_t(total) * H5Tget_size(type));
        break;
      }
    }
    hid_t obj_id = H5Oopen(file_, obj.c_str(), H5P_DEFAULT);
    if (obj_id >= 0) {
      if (H5Aexists(obj_id, key.c_str()) > 0) H5Adelete(obj_id, key.c_str());
      hid_t attr = H5Acreate2(obj_id, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      if (attr >= 0) {
        if (total > 0)
          H5Awrite(attr, type,
                   strings.empty() ? static_cast<const void*>(value.data()) : strings.data());
        H5Aclose(attr);
      }
      H5Oclose(obj_id);
    }
    H5Tclose(type);
    H5Sclose(space);
  }

  Input& in_;
  const H5Vocabulary& vocab_;
  const std::string& path_;
  hid_t file_ = -1, lcpl_ = -1;
  std::vector<std::string> objects_;
};

}  // namespace

void make_h5(const uint8_t* data, size_t size, const H5Vocabulary& vocab, const std::string& path) {
  static const bool quiet = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)quiet;
  if (size == 0 || data[0] % 2 == 0)
    return write_file(path, size ? data + 1 : data, size ? size - 1 : 0);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  SP_FUZZ_ASSERT(file >= 0);
  Input in(data + 1, size - 1);
  Recipe(in, vocab, path).run(file);
  H5Fclose(file);
}

}  // namespace sp::fuzz
