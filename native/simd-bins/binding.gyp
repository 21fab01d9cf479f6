{
  "targets": [
    {
      "target_name": "simd_bins",
      "sources": ["simd_bins.cc"],
      "cflags_cc": ["-O3"]
    }
  ]
}
