#include "addon/targets_from.h"

#include <string>

#include "addon/common.h"
#include "addon/tensor_handle.h"

namespace dp {

torch::Tensor targetsFrom(const Napi::Value& v, int64_t vocab, int64_t rows, const char* name) {
  if (TensorHandle::Is(v)) {
    auto t = TensorHandle::TensorOf(v, name);
    if (t.dim() != 2 || t.size(1) != vocab)
      throw Napi::RangeError::New(
          v.Env(), std::string(name) + " must have " + std::to_string(vocab) + " columns (the vocabulary)");
    if (rows >= 0 && t.size(0) != rows)
      throw Napi::RangeError::New(v.Env(), std::string(name) + " holds " + std::to_string(t.size(0)) +
                                               " rows; expected " + std::to_string(rows));
    return t;
  }
  if (rows < 0 && v.IsTypedArray()) {
    const auto n = static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength());
    if (n == 0 || n % vocab != 0)
      throw Napi::RangeError::New(v.Env(), std::string(name) + " has " + std::to_string(n) +
                                               " values, not a whole number of rows of " + std::to_string(vocab));
    rows = n / vocab;
  }
  return floatTensorFrom(v, {rows, vocab}, name);
}

}  // namespace dp
