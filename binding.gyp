{
  "targets": [
    {
      "target_name": "longrl_native",
      "sources": ["native/addon.cc", "native/pool.cc"],
      "dependencies": ["isa_avx512", "isa_avx2", "isa_portable"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "isa_avx512",
      "type": "static_library",
      "sources": ["native/isa_avx512.cc"],
      "cflags_cc!": ["-O2", "-O0"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-ffp-contract=fast", "-fPIC",
                    "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mf16c", "-mavx2"]
    },
    {
      "target_name": "isa_avx2",
      "type": "static_library",
      "sources": ["native/isa_avx2.cc"],
      "cflags_cc!": ["-O2", "-O0"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-ffp-contract=fast", "-fPIC", "-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "isa_portable",
      "type": "static_library",
      "sources": ["native/isa_portable.cc"],
      "cflags_cc!": ["-O2", "-O0"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-ffp-contract=fast", "-fPIC"]
    }
  ]
}
