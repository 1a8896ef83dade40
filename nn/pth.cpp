#include "nn/pth.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <vector>

#include "nn/pickle.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using pickle::Value;
using pickle::ValuePtr;
using Bytes = std::vector<uint8_t>;

uint64_t read_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

// ---- zip archives of stored (uncompressed) entries, as torch.save writes them --------

struct ZipEntry {
  uint64_t offset = 0;  // of the data
  uint64_t size = 0;
};

class ZipReader {
 public:
  ZipReader(const Bytes& data, const std::string& what) : d_(data), what_(what) {
    read_directory();
  }

  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  const uint8_t* data(const ZipEntry& e) const { return d_.data() + e.offset; }

 private:
  void need(uint64_t at, uint64_t n, const char* part) const {
    SP_CHECK(at <= d_.size() && n <= d_.size() - at, what_, ": expected a complete zip ", part,
             " at byte ", at, ", got a file of ", d_.size(), " bytes (truncated?)");
  }
  uint64_t u(uint64_t at, int n) const {
    need(at, n, "record");
    return read_le(d_.data() + at, n);
  }

  void read_directory() {
    // The end-of-central-directory record sits in the last 22 + 65535 bytes.
    SP_CHECK(d_.size() >= 22, what_, ": expected a zip end record, got a file of ", d_.size(),
             " bytes (truncated?)");
    int64_t eocd = -1;
    int64_t lowest = std::max<int64_t>(0, int64_t(d_.size()) - 22 - 65535);
    for (int64_t at = int64_t(d_.size()) - 22; at >= lowest; --at)
      if (read_le(d_.data() + at, 4) == 0x06054b50) {
        eocd = at;
        break;
      }
    SP_CHECK(eocd >= 0, what_,
             ": expected a zip end-of-central-directory record, got none (truncated file?)");
    uint64_t count = u(eocd + 10, 2), dir_offset = u(eocd + 16, 4);
    if (count == 0xFFFF || dir_offset == 0xFFFFFFFF) {  // ZIP64: locator right before the EOCD
      SP_CHECK(eocd >= 20 && u(eocd - 20, 4) == 0x07064b50, what_,
               ": expected a ZIP64 locator before the end record");
      uint64_t z64 = u(eocd - 20 + 8, 8);
      SP_CHECK(u(z64, 4) == 0x06064b50, what_, ": expected a ZIP64 end record at byte ", z64);
      count = u(z64 + 32, 8);
      dir_offset = u(z64 + 48, 8);
    }
    uint64_t at = dir_offset;
    for (uint64_t k = 0; k < count; ++k) {
      SP_CHECK(u(at, 4) == 0x02014b50, what_, ": expected a zip central directory entry at byte ",
               at);
      uint64_t method = u(at + 10, 2), size = u(at + 20, 4), usize = u(at + 24, 4);
      uint64_t name_len = u(at + 28, 2), extra_len = u(at + 30, 2), comment_len = u(at + 32, 2);
      uint64_t local = u(at + 42, 4);
      need(at + 46, name_len + extra_len, "entry name");
      std::string name(reinterpret_cast<const char*>(d_.data() + at + 46), name_len);
      // ZIP64 extra field (id 1): 8-byte values for the fields saturated above, in order.
      for (uint64_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
        uint64_t id = u(e, 2), len = u(e + 2, 2), p = e + 4;
        if (id == 1) {
          if (usize == 0xFFFFFFFF) usize = u(p, 8), p += 8;
          if (size == 0xFFFFFFFF) size = u(p, 8), p += 8;
          if (local == 0xFFFFFFFF) local = u(p, 8), p += 8;
        }
        e += 4 + len;
      }
      SP_CHECK(method == 0 && size == usize, what_,
               ": expected stored (uncompressed) zip entries, got compression ", method, " for ",
               name, "; hint: torch.save writes stored entries; re-save the file with torch.save");
      SP_CHECK(u(local, 4) == 0x04034b50, what_, ": expected a zip local header for ", name,
               " at byte ", local);
      uint64_t data = local + 30 + u(local + 26, 2) + u(local + 28, 2);
      need(data, size, "entry");
      entries_[name] = {data, size};
      at += 46 + name_len + extra_len + comment_len;
    }
  }

  const Bytes& d_;
  const std::string& what_;
  std::map<std::string, ZipEntry> entries_;
};

// ---- persistent ids: ('storage', torch.FloatStorage, key, location, numel, ...) -------

struct StorageRef {
  std::string key;
  DType dtype;
  int64_t numel;
};

StorageRef parse_pid(const ValuePtr& pid, const std::string& what) {
  SP_CHECK(pid->is(Value::Kind::Tuple) && pid->items.size() >= 5 &&
               pid->items[0]->is(Value::Kind::String) && pid->items[0]->s == "storage",
           what, ": expected a persistent id ('storage', type, key, location, size), got ",
           pid->describe());
  const auto& it = pid->items;
  SP_CHECK(it[1]->is(Value::Kind::Global), what, ": expected a storage type, got ",
           it[1]->describe());
  SP_CHECK(it[2]->is(Value::Kind::String), what, ": expected a storage key, got ",
           it[2]->describe());
  SP_CHECK(it[4]->is(Value::Kind::Int) && it[4]->i >= 0, what, ": expected a storage size, got ",
           it[4]->describe());
  SP_CHECK(it.size() < 6 || it[5]->is(Value::Kind::None), what,
           ": expected no storage view metadata, got ", it[5]->describe(),
           "; hint: re-save with a recent torch");
  return {it[2]->s, pickle::storage_dtype(it[1]->s, what), it[4]->i};
}

// A bool must hold 0 or 1 (any other byte is undefined behaviour when read as bool):
// nonzero bytes read as true, as numpy and torch do.
void normalize_bools(const Tensor& storage) {
  if (storage.dtype() != DType::Bool) return;
  auto* b = static_cast<uint8_t*>(storage.data_ptr());
  for (int64_t i = 0; i < storage.numel(); ++i) b[i] = b[i] != 0;
}

ValuePtr tensor_value(const Tensor& t) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::Tensor;
  v->tensor = t;
  return v;
}

ValuePtr load_zip(const Bytes& bytes, const std::string& what) {
  ZipReader zip(bytes, what);
  // Entries are "<archive name>/data.pkl" and "<archive name>/data/<key>".
  std::string root;
  for (const auto& [name, entry] : zip.entries()) {
    size_t slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl")
      root = name.substr(0, slash + 1);
  }
  SP_CHECK(!root.empty(), what, ": expected a data.pkl entry in the zip archive, got ",
           zip.entries().size(), " entries; hint: is this a torch.save file?");
  std::map<std::string, Tensor> storages;
  auto persistent_load = [&](const ValuePtr& pid) {
    StorageRef ref = parse_pid(pid, what);
    auto cached = storages.find(ref.key);
    if (cached != storages.end()) return tensor_value(cached->second);
    auto it = zip.entries().find(root + "data/" + ref.key);
    SP_CHECK(it != zip.entries().end(), what, ": expected a zip entry ", root, "data/", ref.key,
             ", got none");
    const uint64_t element = size_of(ref.dtype);  // numel * element may overflow: divide instead
    SP_CHECK(it->second.size % element == 0 && uint64_t(ref.numel) == it->second.size / element,
             what, ": expected ", ref.numel, " x ", ref.dtype, " for storage ", ref.key, ", got ",
             it->second.size, " bytes");
    Tensor storage = from_data(zip.data(it->second), {ref.numel}, ref.dtype);
    normalize_bools(storage);
    storages[ref.key] = storage;
    return tensor_value(storage);
  };
  const ZipEntry& pkl = zip.entries().at(root + "data.pkl");
  size_t pos = 0;
  return pickle::load(zip.data(pkl), pkl.size, pos, persistent_load, what + ": data.pkl");
}

ValuePtr load_legacy(const Bytes& bytes, const std::string& what) {
  size_t pos = 0;
  const uint8_t* d = bytes.data();
  ValuePtr magic = pickle::load(d, bytes.size(), pos, {}, what + ": magic number");
  const std::string expected_magic = {'\x6c', '\xfc', '\x9c', '\x46', '\xf9',
                                      '\x20', '\x6a', '\xa8', '\x50', '\x19'};
  SP_CHECK(magic->is(Value::Kind::BigInt) && magic->s == expected_magic, what,
           ": expected the legacy torch.save magic number, got ", magic->describe());
  ValuePtr protocol = pickle::load(d, bytes.size(), pos, {}, what + ": protocol version");
  SP_CHECK(protocol->is(Value::Kind::Int) && protocol->i == 1001, what,
           ": expected protocol version 1001, got ", protocol->describe());
  ValuePtr sys_info = pickle::load(d, bytes.size(), pos, {}, what + ": sys_info");
  if (sys_info->is(Value::Kind::Dict))
    for (size_t k = 0; k + 1 < sys_info->items.size(); k += 2)
      if (sys_info->items[k]->s == "little_endian")
        SP_CHECK(sys_info->items[k + 1]->i == 1, what,
                 ": expected a little-endian file, got big-endian");

  // Storages follow the main pickle, so they are allocated here and filled afterwards.
  std::map<std::string, Tensor> storages;
  auto persistent_load = [&](const ValuePtr& pid) {
    StorageRef ref = parse_pid(pid, what);
    auto it = storages.find(ref.key);
    // The storage's bytes follow in this file: it cannot be larger than the file.
    SP_CHECK(uint64_t(ref.numel) <= bytes.size() / size_of(ref.dtype), what, ": expected storage ",
             ref.key, " to fit in the file of ", bytes.size(), " bytes, got ", ref.numel, " x ",
             ref.dtype);
    if (it == storages.end()) it = storages.emplace(ref.key, empty({ref.numel}, ref.dtype)).first;
    SP_CHECK(it->second.dtype() == ref.dtype && it->second.numel() == ref.numel, what, ": storage ",
             ref.key, " is referenced as ", ref.dtype, "[", ref.numel, "] and as ",
             it->second.meta());
    return tensor_value(it->second);
  };
  ValuePtr result = pickle::load(d, bytes.size(), pos, persistent_load, what + ": data pickle");
  ValuePtr keys = pickle::load(d, bytes.size(), pos, {}, what + ": storage keys");
  SP_CHECK(keys->is(Value::Kind::List), what, ": expected a list of storage keys, got ",
           keys->describe());
  for (const auto& key : keys->items) {
    SP_CHECK(key->is(Value::Kind::String), what, ": expected a storage key, got ", key->describe());
    auto it = storages.find(key->s);
    SP_CHECK(it != storages.end(), what, ": storage ", key->s, " is listed but never referenced");
    const Tensor& storage = it->second;
    SP_CHECK(bytes.size() - pos >= 8, what, ": expected the size of storage ", key->s,
             ", got end of file (truncated?)");
    int64_t count = int64_t(read_le(d + pos, 8));
    pos += 8;
    SP_CHECK(count == storage.numel(), what, ": expected ", storage.numel(),
             " elements in storage ", key->s, ", got ", count);
    SP_CHECK(bytes.size() - pos >= storage.nbytes(), what, ": expected ", storage.nbytes(),
             " bytes of storage ", key->s, ", got ", bytes.size() - pos, " (truncated?)");
    std::memcpy(storage.data_ptr(), d + pos, storage.nbytes());
    normalize_bools(storage);
    pos += storage.nbytes();
  }
  SP_CHECK(keys->items.size() == storages.size(), what, ": expected data for all ", storages.size(),
           " storages, got ", keys->items.size());
  return result;
}

// `budget` counts the values visited. A tree visits at most one value per pickle byte;
// containers shared through the memo can make a small file a tree of billions of paths.
void flatten(const ValuePtr& v, const std::string& key, std::map<std::string, Tensor>& out,
             size_t& budget, const std::string& what) {
  SP_CHECK(budget-- > 0, what,
           ": expected a tree of values, got containers shared so often that it unfolds to "
           "more values than the file has bytes");
  auto join = [&](const std::string& k) { return key.empty() ? k : key + "." + k; };
  switch (v->kind) {
    case Value::Kind::Tensor:
      out[key] = v->tensor;
      break;
    case Value::Kind::Dict:
      for (size_t k = 0; k + 1 < v->items.size(); k += 2) {
        const ValuePtr& name = v->items[k];
        if (name->is(Value::Kind::String))
          flatten(v->items[k + 1], join(name->s), out, budget, what);
        else if (name->is(Value::Kind::Int))
          flatten(v->items[k + 1], join(std::to_string(name->i)), out, budget, what);
      }
      break;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      for (size_t k = 0; k < v->items.size(); ++k)
        flatten(v->items[k], join(std::to_string(k)), out, budget, what);
      break;
    default:
      break;  // not a tensor: skipped
  }
}

}  // namespace

std::map<std::string, Tensor> load_pth(const std::string& path, const PthOptions& options) {
  const std::string what = "pth: " + path;
  std::ifstream in(path, std::ios::binary);
  SP_CHECK(in, "pth: expected a readable file at ", path, ", got none (missing or no permission)");
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  ValuePtr root;
  if (bytes.size() >= 4 && read_le(bytes.data(), 4) == 0x04034b50) {
    root = load_zip(bytes, what);
  } else if (bytes.size() >= 4 && bytes[0] == 0x80 && bytes[2] == 0x8a && bytes[3] == 10) {
    root = load_legacy(bytes, what);
  } else {
    std::ostringstream head;
    for (size_t k = 0; k < std::min<size_t>(bytes.size(), 8); ++k)
      head << (k ? " " : "") << std::hex << int(bytes[k]);
    SP_FAIL("pth: expected a zip or legacy torch.save file at ", path, ", got ", bytes.size(),
            " bytes starting with [", head.str(), "]");
  }

  std::map<std::string, Tensor> flat;
  size_t budget = bytes.size();
  flatten(root, "", flat, budget, what);
  std::map<std::string, Tensor> out;
  const std::string sel = options.select.empty() ? "" : options.select + ".";
  for (auto& [key, t] : flat) {
    if (key.compare(0, sel.size(), sel) != 0) continue;
    std::string k = key.substr(sel.size());
    if (!options.strip_prefix.empty() &&
        k.compare(0, options.strip_prefix.size(), options.strip_prefix) == 0)
      k = k.substr(options.strip_prefix.size());
    out[k] = t;
  }
  if (!sel.empty() && out.empty()) {
    // Name the top-level keys that do hold tensors, so the right select is easy to find.
    std::set<std::string> tops;
    for (auto& [key, t] : flat) tops.insert(key.substr(0, key.find('.')));
    std::ostringstream list;
    size_t n = 0;
    for (auto& k : tops) list << (n++ ? ", " : "") << k;
    SP_FAIL(what, ": expected tensors under '", options.select, "', got none of ", flat.size(),
            " tensors; top-level keys: ", tops.empty() ? "(none)" : list.str());
  }
  return out;
}

std::map<std::string, Tensor> load_pth_weights(const std::string& path, const PthOptions& options) {
  if (!options.select.empty()) return load_pth(path, options);
  std::map<std::string, Tensor> all = load_pth(path);
  for (const std::string wrapper : {"model_state_dict", "state_dict"}) {
    std::map<std::string, Tensor> inner;
    for (auto& [key, t] : all)
      if (key.compare(0, wrapper.size() + 1, wrapper + ".") == 0)
        inner[key.substr(wrapper.size() + 1)] = t;
    if (!inner.empty()) {
      all = std::move(inner);
      break;
    }
  }
  if (options.strip_prefix.empty()) return all;
  std::map<std::string, Tensor> out;
  for (auto& [key, t] : all)
    out[key.compare(0, options.strip_prefix.size(), options.strip_prefix) == 0
            ? key.substr(options.strip_prefix.size())
            : key] = t;
  return out;
}

bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  return in.gcount() == 8 && std::string(head, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

}  // namespace sp::nn
