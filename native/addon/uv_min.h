// The few libuv calls the addon makes (env_state.cc's exit watch), declared here: the addon builds
// against the Node-API headers alone, which carry no uv.h. libuv keeps these signatures and the
// handle-type numbering for all of 1.x, and Node exports them to every addon. A handle's memory
// is uv_handle_size(type) bytes whose first field is the public `void* data`.
#pragma once
#include <node_api.h>  // struct uv_loop_s

#include <cstddef>

extern "C" {
struct uv_handle_s {
  void* data;  // the rest of the handle is libuv's, of uv_handle_size() bytes in all
};
using uv_handle_t = uv_handle_s;
using uv_close_cb = void (*)(uv_handle_t*);
using uv_prepare_cb = void (*)(uv_handle_t*);
inline constexpr int UV_PREPARE = 9;  // UV_HANDLE_TYPE_MAP's ninth type (UV_UNKNOWN_HANDLE is 0)
size_t uv_handle_size(int type);
int uv_prepare_init(uv_loop_s* loop, uv_handle_t* prepare);
int uv_prepare_start(uv_handle_t* prepare, uv_prepare_cb cb);
void uv_unref(uv_handle_t* handle);
void uv_close(uv_handle_t* handle, uv_close_cb cb);
}
