{
  "targets": [{
    "target_name": "e2b_node",
    "sources": ["src/addon.cc", "src/ports.cc", "src/code.cc", "src/production.cc", "src/prodb.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../include"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "libraries": ["-ldl"]
  }]
}
