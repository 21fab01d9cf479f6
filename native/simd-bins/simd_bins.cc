// The drift histograms' counting kernel in native SIMD (optional: without it,
// or on a CPU without AVX2, src/monitor/simd-bins.ts counts with its
// WebAssembly kernel, the same counts).
//
// count(values, edges, counts, finite): for edges e_0 < ... < e_{m-1} (the
// same element type as values: float32 columns compare against the edges
// rounded up to float32, as the WebAssembly kernel does), adds to counts
// (a Float64Array of m + 2) the left-closed bins (-inf, e_0), [e_0, e_1), ...,
// [e_{m-1}, +inf), then the values that are NaN in the last slot. Per lane:
// ok = #(x == x), g_i = #(x >= e_i) (ordered: NaN compares false); the bins
// are ok - g_0, g_0 - g_1, ..., g_{m-1}, and n - ok NaN. With `finite` (the
// caller knows there is no NaN) ok is n and its comparison is skipped.
//
// argmaxColumns(values, rows, k, classes): for a column-major [k, rows]
// matrix, adds 1 to classes[j] for each row whose argmax is column j: the
// first greatest value, a NaN best-so-far replaced by the next column
// (exactly as src/monitor/columns.ts argmax decides).
//
// AVX-512 (F, VL, BW, DQ): 16 float32 per comparison into a mask register,
// one masked add per edge into a vector of counters; AVX2: 8 per comparison,
// the all-ones result subtracted. Chosen at load with __builtin_cpu_supports;
// setLevel picks a lower one (tests run every path).
#include <node_api.h>

#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,popcnt")))
#define AVX2 __attribute__((target("avx2,popcnt")))

namespace {

constexpr int kMaxEdges = 15;
// values per call of a kernel: lane counters are 32-bit
constexpr size_t kChunk = size_t(1) << 28;

enum Level { kNone = 0, kAvx2 = 1, kAvx512 = 2 };
Level best = kNone;
Level level = kNone;

// g[0] = ok, g[1 + i] = #(x >= e_i)
template <typename T>
inline void scalarCount(const T* x, size_t n, const T* e, int m, bool finite, int64_t* g) {
  for (size_t r = 0; r < n; r++) {
    const T v = x[r];
    if (finite || v == v) g[0]++;
    for (int i = 0; i < m; i++) g[1 + i] += v >= e[i];
  }
}

// ---- AVX-512 ----------------------------------------------------------------

// lane sums by a store (GCC 12's _mm512_reduce_add_* warns of an uninitialized vector in its own header)
AVX512 inline int64_t sum512i32(__m512i v) {
  alignas(64) int32_t t[16];
  _mm512_store_si512(t, v);
  int64_t s = 0;
  for (int l = 0; l < 16; l++) s += t[l];
  return s;
}

AVX512 inline int64_t sum512i64(__m512i v) {
  alignas(64) int64_t t[8];
  _mm512_store_si512(t, v);
  int64_t s = 0;
  for (int l = 0; l < 8; l++) s += t[l];
  return s;
}

template <int E, bool Finite>
AVX512 void count512f32(const float* x, size_t n, const float* e, int64_t* g) {
  __m512 ev[E > 0 ? E : 1];
  for (int i = 0; i < E; i++) ev[i] = _mm512_set1_ps(e[i]);
  __m512i acc[E + 1];
  for (int i = 0; i <= E; i++) acc[i] = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1);
  size_t r = 0;
  for (; r + 32 <= n; r += 32) {
    const __m512 a = _mm512_loadu_ps(x + r), b = _mm512_loadu_ps(x + r + 16);
    if (!Finite) {
      acc[0] = _mm512_mask_add_epi32(acc[0], _mm512_cmp_ps_mask(a, a, _CMP_ORD_Q), acc[0], one);
      acc[0] = _mm512_mask_add_epi32(acc[0], _mm512_cmp_ps_mask(b, b, _CMP_ORD_Q), acc[0], one);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < E; i++) {
      acc[i + 1] = _mm512_mask_add_epi32(acc[i + 1], _mm512_cmp_ps_mask(a, ev[i], _CMP_GE_OQ), acc[i + 1], one);
      acc[i + 1] = _mm512_mask_add_epi32(acc[i + 1], _mm512_cmp_ps_mask(b, ev[i], _CMP_GE_OQ), acc[i + 1], one);
    }
  }
  for (; r < n; r += 16) {
    const __mmask16 live = n - r >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - r)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(live, x + r);
    if (!Finite) acc[0] = _mm512_mask_add_epi32(acc[0], _mm512_mask_cmp_ps_mask(live, a, a, _CMP_ORD_Q), acc[0], one);
    for (int i = 0; i < E; i++) acc[i + 1] = _mm512_mask_add_epi32(acc[i + 1], _mm512_mask_cmp_ps_mask(live, a, ev[i], _CMP_GE_OQ), acc[i + 1], one);
  }
  g[0] += Finite ? int64_t(n) : sum512i32(acc[0]);
  for (int i = 0; i < E; i++) g[1 + i] += sum512i32(acc[i + 1]);
}

template <int E, bool Finite>
AVX512 void count512f64(const double* x, size_t n, const double* e, int64_t* g) {
  __m512d ev[E > 0 ? E : 1];
  for (int i = 0; i < E; i++) ev[i] = _mm512_set1_pd(e[i]);
  __m512i acc[E + 1];
  for (int i = 0; i <= E; i++) acc[i] = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi64(1);
  size_t r = 0;
  for (; r + 16 <= n; r += 16) {
    const __m512d a = _mm512_loadu_pd(x + r), b = _mm512_loadu_pd(x + r + 8);
    if (!Finite) {
      acc[0] = _mm512_mask_add_epi64(acc[0], _mm512_cmp_pd_mask(a, a, _CMP_ORD_Q), acc[0], one);
      acc[0] = _mm512_mask_add_epi64(acc[0], _mm512_cmp_pd_mask(b, b, _CMP_ORD_Q), acc[0], one);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < E; i++) {
      acc[i + 1] = _mm512_mask_add_epi64(acc[i + 1], _mm512_cmp_pd_mask(a, ev[i], _CMP_GE_OQ), acc[i + 1], one);
      acc[i + 1] = _mm512_mask_add_epi64(acc[i + 1], _mm512_cmp_pd_mask(b, ev[i], _CMP_GE_OQ), acc[i + 1], one);
    }
  }
  for (; r < n; r += 8) {
    const __mmask8 live = n - r >= 8 ? __mmask8(0xff) : __mmask8((1u << (n - r)) - 1);
    const __m512d a = _mm512_maskz_loadu_pd(live, x + r);
    if (!Finite) acc[0] = _mm512_mask_add_epi64(acc[0], _mm512_mask_cmp_pd_mask(live, a, a, _CMP_ORD_Q), acc[0], one);
    for (int i = 0; i < E; i++) acc[i + 1] = _mm512_mask_add_epi64(acc[i + 1], _mm512_mask_cmp_pd_mask(live, a, ev[i], _CMP_GE_OQ), acc[i + 1], one);
  }
  g[0] += Finite ? int64_t(n) : sum512i64(acc[0]);
  for (int i = 0; i < E; i++) g[1 + i] += sum512i64(acc[i + 1]);
}

// ---- AVX2 -------------------------------------------------------------------

AVX2 inline int64_t sum256i32(__m256i v) {
  alignas(32) int32_t t[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  int64_t s = 0;
  for (int l = 0; l < 8; l++) s += t[l];
  return s;
}

AVX2 inline int64_t sum256i64(__m256i v) {
  alignas(32) int64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  return t[0] + t[1] + t[2] + t[3];
}

template <int E, bool Finite>
AVX2 void count256f32(const float* x, size_t n, const float* e, int64_t* g) {
  __m256 ev[E > 0 ? E : 1];
  for (int i = 0; i < E; i++) ev[i] = _mm256_set1_ps(e[i]);
  __m256i acc[E + 1];
  for (int i = 0; i <= E; i++) acc[i] = _mm256_setzero_si256();
  size_t r = 0;
  for (; r + 8 <= n; r += 8) {
    const __m256 a = _mm256_loadu_ps(x + r);
    if (!Finite) acc[0] = _mm256_sub_epi32(acc[0], _mm256_castps_si256(_mm256_cmp_ps(a, a, _CMP_ORD_Q)));
    _Pragma("GCC unroll 16") for (int i = 0; i < E; i++) {
      acc[i + 1] = _mm256_sub_epi32(acc[i + 1], _mm256_castps_si256(_mm256_cmp_ps(a, ev[i], _CMP_GE_OQ)));
    }
  }
  g[0] += Finite ? int64_t(r) : sum256i32(acc[0]);
  for (int i = 0; i < E; i++) g[1 + i] += sum256i32(acc[i + 1]);
  scalarCount(x + r, n - r, e, E, Finite, g);
}

template <int E, bool Finite>
AVX2 void count256f64(const double* x, size_t n, const double* e, int64_t* g) {
  __m256d ev[E > 0 ? E : 1];
  for (int i = 0; i < E; i++) ev[i] = _mm256_set1_pd(e[i]);
  __m256i acc[E + 1];
  for (int i = 0; i <= E; i++) acc[i] = _mm256_setzero_si256();
  size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const __m256d a = _mm256_loadu_pd(x + r);
    if (!Finite) acc[0] = _mm256_sub_epi64(acc[0], _mm256_castpd_si256(_mm256_cmp_pd(a, a, _CMP_ORD_Q)));
    _Pragma("GCC unroll 16") for (int i = 0; i < E; i++) {
      acc[i + 1] = _mm256_sub_epi64(acc[i + 1], _mm256_castpd_si256(_mm256_cmp_pd(a, ev[i], _CMP_GE_OQ)));
    }
  }
  g[0] += Finite ? int64_t(r) : sum256i64(acc[0]);
  for (int i = 0; i < E; i++) g[1 + i] += sum256i64(acc[i + 1]);
  scalarCount(x + r, n - r, e, E, Finite, g);
}

// ---- dispatch: one function per level, element type, edge count and NaN check ----

template <typename T>
using CountFn = void (*)(const T*, size_t, const T*, int64_t*);

template <typename T, Level L, int E, bool F>
constexpr CountFn<T> pick() {
  if constexpr (L == kAvx512) {
    if constexpr (sizeof(T) == 4) return count512f32<E, F>; else return count512f64<E, F>;
  } else {
    if constexpr (sizeof(T) == 4) return count256f32<E, F>; else return count256f64<E, F>;
  }
}

template <typename T, Level L, bool F, int... E>
constexpr std::array<CountFn<T>, sizeof...(E)> table(std::integer_sequence<int, E...>) {
  return {pick<T, L, E, F>()...};
}

using Seq = std::make_integer_sequence<int, kMaxEdges + 1>;

template <typename T>
CountFn<T> countFn(Level l, int m, bool finite) {
  static const auto a512 = table<T, kAvx512, false>(Seq{});
  static const auto a512f = table<T, kAvx512, true>(Seq{});
  static const auto a256 = table<T, kAvx2, false>(Seq{});
  static const auto a256f = table<T, kAvx2, true>(Seq{});
  if (l == kAvx512) return finite ? a512f[m] : a512[m];
  return finite ? a256f[m] : a256[m];
}

template <typename T>
void countInto(const T* x, size_t n, const T* e, int m, bool finite, double* counts) {
  int64_t g[kMaxEdges + 1] = {0};
  const CountFn<T> fn = countFn<T>(level, m, finite);
  for (size_t at = 0; at < n; at += kChunk) fn(x + at, n - at < kChunk ? n - at : kChunk, e, g);
  int64_t prev = g[0];
  for (int i = 0; i < m; i++) {
    counts[i] += double(prev - g[1 + i]);
    prev = g[1 + i];
  }
  counts[m] += double(prev);
  counts[m + 1] += double(int64_t(n) - g[0]);
}

// ---- argmax of a column-major [k, rows] matrix --------------------------------

template <typename T>
inline void argmaxScalar(const T* x, size_t rows, size_t k, size_t from, uint64_t* cls) {
  for (size_t r = from; r < rows; r++) {
    T bv = x[r];
    size_t best = 0;
    for (size_t j = 1; j < k; j++) {
      const T v = x[j * rows + r];
      if (v > bv || bv != bv) { bv = v; best = j; }
    }
    cls[best]++;
  }
}

AVX512 void argmax512f32(const float* x, size_t rows, size_t k, uint64_t* cls) {
  size_t r = 0;
  alignas(64) int32_t idx[16];
  for (; r + 16 <= rows; r += 16) {
    __m512 bv = _mm512_loadu_ps(x + r);
    __m512i bi = _mm512_setzero_si512();
    if (_mm512_cmp_ps_mask(bv, bv, _CMP_UNORD_Q) == 0) {
      // no NaN best so far in any lane: none can become one (only a greater value replaces it)
      for (size_t j = 1; j < k; j++) {
        const __m512 v = _mm512_loadu_ps(x + j * rows + r);
        const __mmask16 t = _mm512_cmp_ps_mask(v, bv, _CMP_GT_OQ);
        bv = _mm512_mask_mov_ps(bv, t, v);
        bi = _mm512_mask_mov_epi32(bi, t, _mm512_set1_epi32(int32_t(j)));
      }
    } else {
      for (size_t j = 1; j < k; j++) {
        const __m512 v = _mm512_loadu_ps(x + j * rows + r);
        const __mmask16 t = _mm512_cmp_ps_mask(v, bv, _CMP_GT_OQ) | _mm512_cmp_ps_mask(bv, bv, _CMP_UNORD_Q);
        bv = _mm512_mask_mov_ps(bv, t, v);
        bi = _mm512_mask_mov_epi32(bi, t, _mm512_set1_epi32(int32_t(j)));
      }
    }
    if (k <= 16) {
      for (size_t j = 0; j < k; j++) cls[j] += __builtin_popcount(_mm512_cmpeq_epi32_mask(bi, _mm512_set1_epi32(int32_t(j))));
    } else {
      _mm512_store_si512(idx, bi);
      for (int l = 0; l < 16; l++) cls[idx[l]]++;
    }
  }
  argmaxScalar(x, rows, k, r, cls);
}

AVX512 void argmax512f64(const double* x, size_t rows, size_t k, uint64_t* cls) {
  size_t r = 0;
  alignas(64) int64_t idx[8];
  for (; r + 8 <= rows; r += 8) {
    __m512d bv = _mm512_loadu_pd(x + r);
    __m512i bi = _mm512_setzero_si512();
    for (size_t j = 1; j < k; j++) {
      const __m512d v = _mm512_loadu_pd(x + j * rows + r);
      const __mmask8 t = _mm512_cmp_pd_mask(v, bv, _CMP_GT_OQ) | _mm512_cmp_pd_mask(bv, bv, _CMP_UNORD_Q);
      bv = _mm512_mask_mov_pd(bv, t, v);
      bi = _mm512_mask_mov_epi64(bi, t, _mm512_set1_epi64(int64_t(j)));
    }
    _mm512_store_si512(idx, bi);
    for (int l = 0; l < 8; l++) cls[idx[l]]++;
  }
  argmaxScalar(x, rows, k, r, cls);
}

AVX2 void argmax256f32(const float* x, size_t rows, size_t k, uint64_t* cls) {
  size_t r = 0;
  alignas(32) int32_t idx[8];
  for (; r + 8 <= rows; r += 8) {
    __m256 bv = _mm256_loadu_ps(x + r);
    __m256 bi = _mm256_setzero_ps();  // class numbers as int32 bits
    for (size_t j = 1; j < k; j++) {
      const __m256 v = _mm256_loadu_ps(x + j * rows + r);
      const __m256 t = _mm256_or_ps(_mm256_cmp_ps(v, bv, _CMP_GT_OQ), _mm256_cmp_ps(bv, bv, _CMP_UNORD_Q));
      bv = _mm256_blendv_ps(bv, v, t);
      bi = _mm256_blendv_ps(bi, _mm256_castsi256_ps(_mm256_set1_epi32(int32_t(j))), t);
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), _mm256_castps_si256(bi));
    for (int l = 0; l < 8; l++) cls[idx[l]]++;
  }
  argmaxScalar(x, rows, k, r, cls);
}

AVX2 void argmax256f64(const double* x, size_t rows, size_t k, uint64_t* cls) {
  size_t r = 0;
  alignas(32) int64_t idx[4];
  for (; r + 4 <= rows; r += 4) {
    __m256d bv = _mm256_loadu_pd(x + r);
    __m256d bi = _mm256_setzero_pd();
    for (size_t j = 1; j < k; j++) {
      const __m256d v = _mm256_loadu_pd(x + j * rows + r);
      const __m256d t = _mm256_or_pd(_mm256_cmp_pd(v, bv, _CMP_GT_OQ), _mm256_cmp_pd(bv, bv, _CMP_UNORD_Q));
      bv = _mm256_blendv_pd(bv, v, t);
      bi = _mm256_blendv_pd(bi, _mm256_castsi256_pd(_mm256_set1_epi64x(int64_t(j))), t);
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), _mm256_castpd_si256(bi));
    for (int l = 0; l < 4; l++) cls[idx[l]]++;
  }
  argmaxScalar(x, rows, k, r, cls);
}

// ---- N-API ------------------------------------------------------------------

const char* levelName(Level l) { return l == kAvx512 ? "avx512" : l == kAvx2 ? "avx2" : "none"; }

napi_value fail(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

struct Typed {
  napi_typedarray_type type;
  size_t length;
  void* data;
};

bool typed(napi_env env, napi_value v, Typed* out) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_value buffer;
  size_t offset;
  return napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buffer, &offset) == napi_ok;
}

// count(values, edges, counts, finite)
napi_value Count(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (level == kNone) return fail(env, "simd-bins: no AVX2 on this CPU");
  Typed x, e, c;
  if (argc < 3 || !typed(env, argv[0], &x) || !typed(env, argv[1], &e) || !typed(env, argv[2], &c)) return fail(env, "count(values, edges, counts[, finite]): typed arrays expected");
  bool finite = false;
  if (argc > 3) napi_get_value_bool(env, argv[3], &finite);
  if (x.type != e.type || (x.type != napi_float32_array && x.type != napi_float64_array)) return fail(env, "count: values and edges must both be float32 or both float64");
  if (c.type != napi_float64_array || e.length > size_t(kMaxEdges) || c.length < e.length + 2) return fail(env, "count: at most 15 edges, counts a Float64Array of edges + 2");
  const int m = int(e.length);
  if (x.type == napi_float32_array) countInto(static_cast<const float*>(x.data), x.length, static_cast<const float*>(e.data), m, finite, static_cast<double*>(c.data));
  else countInto(static_cast<const double*>(x.data), x.length, static_cast<const double*>(e.data), m, finite, static_cast<double*>(c.data));
  return nullptr;
}

// countColumns(values, rows, index, edgeCounts, edges, out, finite): columns index[c] of a
// column-major [k, rows] feed, each against its own edges (edgeCounts[c] of them, one after the
// other in `edges`), into `out` one after the other (edgeCounts[c] + 2 each): one call per feed
// where count per column cost ~0.2 us of call overhead per column
napi_value CountColumns(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (level == kNone) return fail(env, "simd-bins: no AVX2 on this CPU");
  Typed x, idx, m, e, c;
  uint32_t rows = 0;
  if (argc < 6 || !typed(env, argv[0], &x) || napi_get_value_uint32(env, argv[1], &rows) != napi_ok || !typed(env, argv[2], &idx) || !typed(env, argv[3], &m) || !typed(env, argv[4], &e) || !typed(env, argv[5], &c)) {
    return fail(env, "countColumns(values, rows, index, edgeCounts, edges, out[, finite]): typed arrays expected");
  }
  bool finite = false;
  if (argc > 6) napi_get_value_bool(env, argv[6], &finite);
  if (x.type != e.type || (x.type != napi_float32_array && x.type != napi_float64_array)) return fail(env, "countColumns: values and edges must both be float32 or both float64");
  if (idx.type != napi_int32_array || m.type != napi_int32_array || idx.length != m.length || c.type != napi_float64_array) return fail(env, "countColumns: Int32Array index and edgeCounts of one length, a Float64Array out");
  const int32_t* index = static_cast<const int32_t*>(idx.data);
  const int32_t* counts = static_cast<const int32_t*>(m.data);
  // every bound checked before anything is counted
  size_t edgesAt = 0, outAt = 0;
  for (size_t col = 0; col < idx.length; col++) {
    if (index[col] < 0 || (uint64_t(index[col]) + 1) * rows > x.length || counts[col] < 0 || counts[col] > kMaxEdges) return fail(env, "countColumns: a column beyond the values, or more than 15 edges");
    edgesAt += size_t(counts[col]);
    outAt += size_t(counts[col]) + 2;
  }
  if (edgesAt > e.length || outAt > c.length) return fail(env, "countColumns: edges or out shorter than the edge counts say");
  edgesAt = 0;
  outAt = 0;
  double* out = static_cast<double*>(c.data);
  for (size_t col = 0; col < idx.length; col++) {
    const size_t from = size_t(index[col]) * rows;
    if (x.type == napi_float32_array) countInto(static_cast<const float*>(x.data) + from, rows, static_cast<const float*>(e.data) + edgesAt, counts[col], finite, out + outAt);
    else countInto(static_cast<const double*>(x.data) + from, rows, static_cast<const double*>(e.data) + edgesAt, counts[col], finite, out + outAt);
    edgesAt += size_t(counts[col]);
    outAt += size_t(counts[col]) + 2;
  }
  return nullptr;
}

// argmaxColumns(values, rows, k, classes)
napi_value ArgmaxColumns(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (level == kNone) return fail(env, "simd-bins: no AVX2 on this CPU");
  Typed x, c;
  uint32_t rows = 0, k = 0;
  if (argc < 4 || !typed(env, argv[0], &x) || napi_get_value_uint32(env, argv[1], &rows) != napi_ok || napi_get_value_uint32(env, argv[2], &k) != napi_ok || !typed(env, argv[3], &c)) {
    return fail(env, "argmaxColumns(values, rows, k, classes): typed arrays and counts expected");
  }
  if ((x.type != napi_float32_array && x.type != napi_float64_array) || c.type != napi_float64_array) return fail(env, "argmaxColumns: float values, Float64Array classes");
  if (k == 0 || uint64_t(rows) * k > x.length || c.length < k) return fail(env, "argmaxColumns: rows * k beyond the values, or classes shorter than k");
  if (rows == 0) return nullptr;
  std::vector<uint64_t> cls(k, 0);
  const bool wide = level == kAvx512;
  if (x.type == napi_float32_array) (wide ? argmax512f32 : argmax256f32)(static_cast<const float*>(x.data), rows, k, cls.data());
  else (wide ? argmax512f64 : argmax256f64)(static_cast<const double*>(x.data), rows, k, cls.data());
  double* out = static_cast<double*>(c.data);
  for (uint32_t j = 0; j < k; j++) out[j] += double(cls[j]);
  return nullptr;
}

// level() -> "avx512" | "avx2" | "none"
napi_value GetLevel(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, levelName(level), NAPI_AUTO_LENGTH, &s);
  return s;
}

// setLevel(name): the named level if this CPU has it (tests run each path), else unchanged; returns the level in use
napi_value SetLevel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[16] = {0};
  size_t len = 0;
  if (argc >= 1 && napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) == napi_ok) {
    Level want = std::strcmp(name, "avx512") == 0 ? kAvx512 : std::strcmp(name, "avx2") == 0 ? kAvx2 : std::strcmp(name, "best") == 0 ? best : kNone;
    if (want <= best && std::strcmp(name, "none") != 0) level = want;
  }
  return GetLevel(env, info);
}

Level detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) return kAvx512;
  if (__builtin_cpu_supports("avx2")) return kAvx2;
  return kNone;
}

}  // namespace

NAPI_MODULE_INIT() {
  static const bool once = (best = level = detect(), true);
  (void)once;
  const struct { const char* name; napi_callback fn; } fns[] = {
    {"count", Count}, {"countColumns", CountColumns}, {"argmaxColumns", ArgmaxColumns}, {"level", GetLevel}, {"setLevel", SetLevel},
  };
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}
