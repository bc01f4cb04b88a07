# node-gyp build of the native addon (what the prebuilt-binary tooling uses).
# It compiles the same native/*.cc as CMakeLists.txt against the same libtorch:
# include dirs, lib dir, rpath, C++ ABI and CUDA come from scripts/find-libtorch.js
# (env LIBTORCH, then python3's torch, then the system libtorch-dev).
# Run-time search path: $ORIGIN/torch-lib first (scripts/install.js links it to
# the user's libtorch lib folder next to a prebuilt binary), then the lib folder
# of the libtorch it was built against. "$$" is make's escape for "$"; the
# quotes keep the shell from expanding $ORIGIN.
{
  "targets": [
    {
      "target_name": "selfsup",
      "sources": [
        "<!@(node -e \"console.log(require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).sort().map(f => 'native/' + f).join(' '))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.js --include-dirs)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "<!@(node scripts/find-libtorch.js --defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=<!(node scripts/find-libtorch.js --cxx-std)", "-fexceptions", "-frtti", "-fvisibility=hidden", "-Wno-unused-parameter",
                    "-idirafter", "<(module_root_dir)/native-compat"],
      "ldflags": ["<!@(node scripts/find-libtorch.js --blas-ldflags)", "-Wl,-rpath,'$$ORIGIN/torch-lib'",
                  "<!@(node scripts/find-libtorch.js --ldflags)"],
      "libraries": ["<!@(node scripts/find-libtorch.js --libraries)"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "<!(node scripts/find-libtorch.js --cxx-std)"
      }
    }
  ]
}
