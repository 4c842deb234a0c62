#include "model/weights.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace dp {

// Opens `path` for reading and reports its size; throws naming the file.
static int openSized(const std::string& path, uint64_t& size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat");
  }
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    int fd = openSized(path, size_);
    if (size_ > 0) {
      data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        ::close(fd);
        throw std::runtime_error(path + ": mmap failed (" + std::strerror(errno) + ")");
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ && data_ != MAP_FAILED) munmap(data_, size_);
  }
  uint64_t size() const { return size_; }
  const uint8_t* bytes() const { return static_cast<const uint8_t*>(data_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* data_ = nullptr;
  uint64_t size_ = 0;
};

// A file read with pread into owned tensors: a truncated file is a short read (an error), never
// a signal, and nothing of the file is referenced once open() returns.
class ReadFile {
 public:
  explicit ReadFile(const std::string& path) : path_(path) { fd_ = openSized(path, size_); }
  ~ReadFile() { ::close(fd_); }
  ReadFile(const ReadFile&) = delete;
  ReadFile& operator=(const ReadFile&) = delete;
  uint64_t size() const { return size_; }
  void read(uint8_t* out, uint64_t begin, uint64_t bytes, const std::string& where) const {
    for (uint64_t done = 0; done < bytes;) {
      ssize_t n = ::pread(fd_, out + done, bytes - done, static_cast<off_t>(begin + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw std::runtime_error(where + ": " +
                                 (n == 0 ? "the file ended early (it changed while being read)"
                                         : std::string("read failed (") + std::strerror(errno) + ")"));
      done += static_cast<uint64_t>(n);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

static torch::ScalarType scalarOf(const std::string& dtype, const std::string& where) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  throw std::runtime_error(where + ": dtype " + dtype + " is not supported (F32, F16, BF16)");
}

static std::string shapeString(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

WeightStore WeightStore::open(const std::vector<CheckpointFile>& files) {
  WeightStore store;
  for (const auto& f : files) {
    std::shared_ptr<MappedFile> mapped;
    std::unique_ptr<ReadFile> reader;
    if (f.map)
      mapped = std::make_shared<MappedFile>(f.path);
    else
      reader = std::make_unique<ReadFile>(f.path);
    const uint64_t fileSize = f.map ? mapped->size() : reader->size();
    for (const auto& e : f.tensors) {
      std::string where = f.path + " tensor '" + e.name + "'";
      auto st = scalarOf(e.dtype, where);
      // Checked products: a shape whose count wraps could match a short span and reach torch::empty.
      uint64_t n = 1, want = 0;
      for (auto d : e.shape) {
        if (d < 0) throw std::runtime_error(where + ": negative dimension");
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
          throw std::runtime_error(where + ": shape " + shapeString(e.shape) + " holds more values than memory can");
      }
      if (__builtin_mul_overflow(n, static_cast<uint64_t>(c10::elementSize(st)), &want))
        throw std::runtime_error(where + ": shape " + shapeString(e.shape) + " holds more bytes than memory can");
      if (e.end < e.begin || e.end > fileSize || e.end - e.begin != want)
        throw std::runtime_error(where + ": byte span [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                 ") does not fit " + shapeString(e.shape) + " " + e.dtype + " in a file of " +
                                 std::to_string(fileSize) + " bytes");
      torch::Tensor t;
      auto opts = torch::TensorOptions().dtype(st);
      if (n == 0) {
        t = torch::empty(e.shape, opts);
      } else if (!f.map) {
        t = torch::empty(e.shape, opts);
        reader->read(static_cast<uint8_t*>(t.data_ptr()), e.begin, want, where);
      } else if (reinterpret_cast<uintptr_t>(mapped->bytes() + e.begin) % c10::elementSize(st) == 0) {
        // Zero copy: the tensor views the mapping and keeps it alive.
        auto keep = mapped;
        t = torch::from_blob(
            const_cast<uint8_t*>(mapped->bytes() + e.begin), e.shape, [keep](void*) {}, opts);
      } else {
        // Misaligned span (legal in safetensors): one copy is the price of a safe read.
        t = torch::empty(e.shape, opts);
        std::memcpy(t.data_ptr(), mapped->bytes() + e.begin, want);
      }
      store.tensors_[e.name] = t;
      store.fileOf_[e.name] = f.path;
    }
  }
  return store;
}

torch::Tensor WeightStore::get(const std::string& name, std::vector<int64_t> expectShape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error("checkpoint is missing tensor '" + name + "'");
  if (!expectShape.empty() && it->second.sizes().vec() != expectShape)
    throw std::runtime_error("tensor '" + name + "' in " + fileOf_.at(name) + " has shape " +
                             shapeString(it->second.sizes().vec()) + "; the config implies " +
                             shapeString(expectShape));
  return it->second;
}

}  // namespace dp
