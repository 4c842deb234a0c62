#include "addon/tensor_handle.h"

#include "addon/common.h"
#include "addon/env_state.h"

#include <cstring>

namespace dp {

std::atomic<int64_t> TensorHandle::live_{0};

Napi::Function TensorHandle::Init(Napi::Env env) {
  auto fn =
      DefineClass(env, "NativeTensor",
                  {InstanceMethod("shape", &TensorHandle::Shape), InstanceMethod("dtype", &TensorHandle::Dtype),
                   InstanceMethod("device", &TensorHandle::Device), InstanceMethod("toArray", &TensorHandle::ToArray),
                   InstanceMethod("read", &TensorHandle::Read), InstanceMethod("dispose", &TensorHandle::Dispose),
                   InstanceAccessor("disposed", &TensorHandle::Disposed, nullptr)});
  envState(env).tensorCtor = Napi::Persistent(fn);
  return fn;
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "NativeTensor is made by distprompt, not constructed directly");
  auto* t = info[0].As<Napi::External<torch::Tensor>>().Data();
  tensor_ = *t;
  bytes_ = tensor_.is_cpu() ? static_cast<int64_t>(tensor_.nbytes()) : 0;
  // Native bytes the GC should know about (tfjs-node grew until killed without this).
  if (bytes_) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes_);
  live_++;
}

TensorHandle::~TensorHandle() {
  if (!disposed_) live_--;
}

void TensorHandle::release(Napi::Env env) {
  if (disposed_) return;
  disposed_ = true;
  tensor_ = torch::Tensor();
  if (bytes_) Napi::MemoryManagement::AdjustExternalMemory(env, -bytes_);
  live_--;
}

Napi::Object TensorHandle::Wrap(Napi::Env env, torch::Tensor t) {
  torch::Tensor copy = std::move(t);
  return envState(env).tensorCtor.New({Napi::External<torch::Tensor>::New(env, &copy)});
}

bool TensorHandle::Is(const Napi::Value& v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(envState(v.Env()).tensorCtor.Value());
}

torch::Tensor TensorHandle::TensorOf(const Napi::Value& v, const char* what) {
  if (!Is(v)) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a NativeTensor");
  auto* h = Napi::ObjectWrap<TensorHandle>::Unwrap(v.As<Napi::Object>());
  if (h->disposed_) throw Napi::Error::New(v.Env(), std::string(what) + " was disposed");
  return h->tensor_;
}

Napi::Value TensorHandle::Shape(const Napi::CallbackInfo& info) {
  if (disposed_) throw Napi::Error::New(info.Env(), "tensor was disposed");
  auto arr = Napi::Array::New(info.Env(), tensor_.dim());
  for (int64_t i = 0; i < tensor_.dim(); ++i) arr.Set(i, Napi::Number::New(info.Env(), tensor_.size(i)));
  return arr;
}
Napi::Value TensorHandle::Dtype(const Napi::CallbackInfo& info) {
  if (disposed_) throw Napi::Error::New(info.Env(), "tensor was disposed");
  return Napi::String::New(info.Env(), dtypeName(tensor_.scalar_type()));
}
Napi::Value TensorHandle::Device(const Napi::CallbackInfo& info) {
  if (disposed_) throw Napi::Error::New(info.Env(), "tensor was disposed");
  return Napi::String::New(info.Env(), tensor_.device().str());
}
Napi::Value TensorHandle::ToArray(const Napi::CallbackInfo& info) {
  if (disposed_) throw Napi::Error::New(info.Env(), "tensor was disposed");
  if (tensor_.scalar_type() == torch::kInt64 || tensor_.scalar_type() == torch::kInt32)
    return toInt32Array(info.Env(), tensor_);
  return toFloat32Array(info.Env(), tensor_);
}
// read(): toArray's copy of a float32 tensor on the pool, resolving to a new Float32Array, so
// that tens of MB (fresh pages, a device download) never hold the JavaScript thread. The array
// is made here (its pages are untouched until the copy) and pinned until the copy is done.
Napi::Value TensorHandle::Read(const Napi::CallbackInfo& info) {
  if (disposed_) throw Napi::Error::New(info.Env(), "tensor was disposed");
  if (tensor_.scalar_type() != torch::kFloat32)
    throw Napi::TypeError::New(info.Env(), "read() copies float32 tensors; use toArray() for " +
                                               std::string(dtypeName(tensor_.scalar_type())));
  auto out = Napi::Float32Array::New(info.Env(), static_cast<size_t>(tensor_.numel()));
  auto pin = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
  float* dst = out.Data();
  auto t = tensor_;  // shares the storage: a dispose() meanwhile cannot free it
  return runAsync<bool>(
      info.Env(),
      [t, dst]() {
        auto c = t.to(torch::kCPU).contiguous();
        if (c.numel() > 0) std::memcpy(dst, c.data_ptr<float>(), static_cast<size_t>(c.numel()) * sizeof(float));
        return true;
      },
      [pin](Napi::Env, bool&) -> Napi::Value {
        Napi::Value v = pin->Value();
        pin->Reset();
        return v;
      });
}

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  release(info.Env());
  return info.Env().Undefined();
}
namespace {

struct Upload {
  std::vector<int64_t> shape;
  torch::Device device;
  Napi::Float32Array data;
};

Upload readUpload(const Napi::CallbackInfo& info, const char* what) {
  auto o = argObject(info, 0, what);
  if (!o.Get("shape").IsArray()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": shape must be an array");
  auto shapeArr = o.Get("shape").As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < shapeArr.Length(); ++i)
    shape.push_back(integerValue(shapeArr.Get(i), std::string(what) + ": shape"));
  auto device = parseDevice(getString(o, "device", "cpu"));
  auto v = o.Get("data");
  floatTensorCheck(v, shape, "data");
  return {shape, device, v.As<Napi::Float32Array>()};
}

}  // namespace

// tensorFromArray({ data: Float32Array, shape: number[], device? }): one upload, then a handle
// that native calls can use again and again without copying from JavaScript.
Napi::Value TensorFromArray(const Napi::CallbackInfo& info) {
  auto u = readUpload(info, "tensorFromArray({ data, shape, device })");
  auto t = torch::from_blob(u.data.Data(), u.shape, torch::kFloat32);
  return TensorHandle::Wrap(info.Env(), t.to(u.device, torch::kFloat32, false, /*copy=*/true));
}

// uploadTensor({ data, shape, device? }): tensorFromArray's copy on the pool, resolving to the
// handle, so that a large upload (tens of MB, the first touch of fresh pages) never holds the
// JavaScript thread. The array is pinned until the copy is done; it must not change meanwhile.
Napi::Value UploadTensor(const Napi::CallbackInfo& info) {
  auto u = readUpload(info, "uploadTensor({ data, shape, device })");
  auto pin = std::make_shared<Napi::ObjectReference>(Napi::Persistent(u.data.As<Napi::Object>()));
  float* data = u.data.Data();
  auto shape = u.shape;
  auto device = u.device;
  return runAsync<torch::Tensor>(
      info.Env(),
      [data, shape, device]() {
        return torch::from_blob(data, shape, torch::kFloat32).to(device, torch::kFloat32, false, /*copy=*/true);
      },
      [pin](Napi::Env env, torch::Tensor& t) -> Napi::Value {
        pin->Reset();
        return TensorHandle::Wrap(env, t);
      });
}

Napi::Value TensorHandle::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

}  // namespace dp
