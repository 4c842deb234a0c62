// Checkpoint tensors, read into memory the store owns (the default: a file changed or truncated
// after load cannot touch the model) or, when asked, memory-mapped (zero copy; then the file must
// not change while the model lives: truncating it raises SIGBUS). The headers were parsed and validated in TypeScript
// (lib/checkpoint/safetensors.ts); the spans are checked again here against the mapped file
// before any pointer is formed, so a file that changed underneath cannot be read out of bounds.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dp {

struct TensorEntry {
  std::string name;
  std::string dtype;  // F32 | F16 | BF16
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // absolute byte offsets in the file
  uint64_t end = 0;
};

struct CheckpointFile {
  std::string path;
  std::vector<TensorEntry> tensors;
  bool map = false;  // view the mapping instead of reading into owned memory
};

class MappedFile;

// Name -> CPU tensor: owned memory read from the file, or (map) a view of the mapped bytes that
// keeps the mapping alive as long as any view.
class WeightStore {
 public:
  static WeightStore open(const std::vector<CheckpointFile>& files);
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  // Throws naming the tensor and, when given, the expected shape.
  torch::Tensor get(const std::string& name, std::vector<int64_t> expectShape = {}) const;
  const std::map<std::string, torch::Tensor>& all() const { return tensors_; }

 private:
  std::map<std::string, torch::Tensor> tensors_;
  std::map<std::string, std::string> fileOf_;
};

}  // namespace dp
