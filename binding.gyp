{
  "targets": [
    {
      "target_name": "distprompt",
      "sources": [
        "<!@(node scripts/gyp-sources.mjs)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/torch-gyp.mjs includes)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "DP_TORCH_PREFIX=\"<!(node scripts/torch-gyp.mjs prefix)\"",
        "_GLIBCXX_USE_CXX11_ABI=<!(node scripts/torch-gyp.mjs abi)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-O3", "-fexceptions", "-frtti", "-Wno-unused-parameter"],
      "libraries": [
        "-L<!(node scripts/torch-gyp.mjs libdir)",
        "-Wl,-rpath,<!(node scripts/torch-gyp.mjs libdir)",
        "-ltorch", "-ltorch_cpu", "-lc10"
      ]
    }
  ]
}
