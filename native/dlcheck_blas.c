/*
 * dlcheck_blas: an optional Node-API addon exposing OpenBLAS's cblas_dgemm on row-major
 * Float64Arrays, for the three products the MLP's gradients and Hessian-vector products use
 * (C += A·Bᵀ, C += A·B, C += Aᵀ·B).
 *
 *   gemm(transA, transB, m, n, k, A, offsetA, lda, B, offsetB, ldb, C, offsetC, ldc): undefined
 *     C[offsetC + i·ldc + j] += Σ_p op(A)[i][p]·op(B)[p][j]   (0 ≤ i < m, 0 ≤ j < n, 0 ≤ p < k)
 *     op(A) is m×k: A[offsetA + i·lda + p], or A[offsetA + p·lda + i] when transA;
 *     op(B) is k×n: B[offsetB + p·ldb + j], or B[offsetB + j·ldb + p] when transB.
 *   info(): { library: 'OpenBLAS', version, config, coreType, threads }
 *
 * Built against Node-API only (node-api-headers), so one binary serves every Node version that
 * has Node-API 8; the napi_* symbols stay undefined in the .node and are resolved against the
 * node executable when it is loaded (Linux lets a shared object have undefined symbols).
 *
 * Every argument is checked before OpenBLAS sees it: a wrong type, a non-integer, a leading
 * dimension smaller than a row, or a matrix that does not fit in its array after its offset
 * throws a TypeError or RangeError instead of reading or writing outside the buffer. The checks
 * are at least as strict as cblas_dgemm's own, so OpenBLAS's xerbla (which prints to stderr and
 * returns without computing) is never reached.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <node_api.h>

/* cblas.h also comes from the reference CBLAS, ATLAS or BLIS on Debian (an "alternatives"
 * symlink); the openblas_* functions below exist only in OpenBLAS's, which defines this. */
#ifndef OPENBLAS_VERSION
#error "cblas.h is not OpenBLAS's: build with -I pointing at OpenBLAS's include directory"
#endif

/* Debian's libopenblas0 is the LP64 build (32-bit blasint); the 64-bit-integer build is a
 * different library (libopenblas64), so dimensions are limited to what blasint holds. */
#define MAX_DIM ((double)INT_MAX)

/* Throws a JS error of the given kind and makes the caller return NULL (undefined to JS). */
#define THROW(kind, msg)                              \
  do {                                                \
    napi_throw_##kind##_error(env, NULL, (msg));      \
    return NULL;                                      \
  } while (0)

/* A failing napi_* call has already set a pending exception or is an engine failure; either
 * way the only safe thing is to return to JS at once. */
#define CHECK_NAPI(call)                                                    \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      bool pending_ = false;                                                \
      napi_is_exception_pending(env, &pending_);                            \
      if (!pending_) napi_throw_error(env, NULL, "Node-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

/* Reads a boolean argument strictly (no truthiness), so a mistaken argument order fails. */
static bool get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a boolean", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  return napi_get_value_bool(env, v, out) == napi_ok;
}

/* Reads an integer argument in [0, max]: a Number with no fractional part (NaN, ±Infinity,
 * 1.5 and -1 are refused). Read as a double so that 2^40 is refused rather than wrapped. */
static bool get_index(napi_env env, napi_value v, const char *name, double max, int64_t *out) {
  napi_valuetype t;
  double d;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= max) || d != (double)(int64_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer in [0, %.0f]", name, max);
    napi_throw_range_error(env, NULL, msg);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

/* Reads a Float64Array argument: its first element and its length in elements. */
static bool get_f64(napi_env env, napi_value v, const char *name, double **data, int64_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *ptr = NULL;
  char msg[96];
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &len, &ptr, NULL, NULL) != napi_ok ||
      type != napi_float64_array) {
    snprintf(msg, sizeof msg, "%s must be a Float64Array", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  /* A detached buffer reports length 0 (and may report a NULL pointer): any non-empty matrix
   * then fails the range check below, and an empty one is never passed to OpenBLAS. */
  *data = (double *)ptr;
  *length = (int64_t)len;
  return true;
}

/*
 * Checks that a rows×cols row-major matrix with leading dimension ld, starting at offset, lies
 * inside an array of `length` elements, and returns the half-open element range it touches.
 * ld ≥ max(1, cols) is what cblas requires, and it also makes distinct (row, column) pairs
 * distinct elements. All quantities are below 2^31, so the products fit in int64_t.
 */
static bool check_matrix(napi_env env, const char *name, int64_t rows, int64_t cols, int64_t ld,
                         int64_t offset, int64_t length, int64_t *end) {
  char msg[192];
  if (ld < (cols > 1 ? cols : 1)) {
    snprintf(msg, sizeof msg, "leading dimension of %s (%lld) is less than max(1, %lld)", name,
             (long long)ld, (long long)cols);
    napi_throw_range_error(env, NULL, msg);
    return false;
  }
  if (offset > length) {
    snprintf(msg, sizeof msg, "offset of %s (%lld) is beyond its length (%lld)", name,
             (long long)offset, (long long)length);
    napi_throw_range_error(env, NULL, msg);
    return false;
  }
  *end = (rows == 0 || cols == 0) ? offset : offset + (rows - 1) * ld + cols;
  if (*end > length) {
    snprintf(msg, sizeof msg,
             "%s (%lld×%lld, leading dimension %lld, offset %lld) needs %lld elements but has %lld",
             name, (long long)rows, (long long)cols, (long long)ld, (long long)offset,
             (long long)*end, (long long)length);
    napi_throw_range_error(env, NULL, msg);
    return false;
  }
  return true;
}

/* Whether the byte ranges [a, a_end) and [b, b_end) share a byte. */
static bool overlaps(const double *a, const double *a_end, const double *b, const double *b_end) {
  return a < a_end && b < b_end && (uintptr_t)a < (uintptr_t)b_end && (uintptr_t)b < (uintptr_t)a_end;
}

static napi_value gemm(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK_NAPI(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc != 14) {
    THROW(type, "gemm(transA, transB, m, n, k, A, offsetA, lda, B, offsetB, ldb, C, offsetC, ldc) "
                "takes 14 arguments");
  }

  bool trans_a, trans_b;
  int64_t m, n, k, off_a, lda, off_b, ldb, off_c, ldc, len_a, len_b, len_c;
  double *a, *b, *c;
  if (!get_bool(env, argv[0], "transA", &trans_a) || !get_bool(env, argv[1], "transB", &trans_b) ||
      !get_index(env, argv[2], "m", MAX_DIM, &m) || !get_index(env, argv[3], "n", MAX_DIM, &n) ||
      !get_index(env, argv[4], "k", MAX_DIM, &k) ||
      !get_f64(env, argv[5], "A", &a, &len_a) ||
      !get_index(env, argv[6], "offsetA", 9007199254740991.0, &off_a) ||
      !get_index(env, argv[7], "lda", MAX_DIM, &lda) ||
      !get_f64(env, argv[8], "B", &b, &len_b) ||
      !get_index(env, argv[9], "offsetB", 9007199254740991.0, &off_b) ||
      !get_index(env, argv[10], "ldb", MAX_DIM, &ldb) ||
      !get_f64(env, argv[11], "C", &c, &len_c) ||
      !get_index(env, argv[12], "offsetC", 9007199254740991.0, &off_c) ||
      !get_index(env, argv[13], "ldc", MAX_DIM, &ldc)) {
    return NULL;
  }

  /* The stored shapes: op(A) = A is m×k, op(A) = Aᵀ means A is stored k×m; likewise B. */
  int64_t end_a, end_b, end_c;
  if (!check_matrix(env, "A", trans_a ? k : m, trans_a ? m : k, lda, off_a, len_a, &end_a) ||
      !check_matrix(env, "B", trans_b ? n : k, trans_b ? k : n, ldb, off_b, len_b, &end_b) ||
      !check_matrix(env, "C", m, n, ldc, off_c, len_c, &end_c)) {
    return NULL;
  }

  /* Nothing to add: return before touching pointers, which may be NULL for empty or detached
   * arrays. (OpenBLAS would also return, but this keeps NULL away from it.) */
  if (m == 0 || n == 0 || k == 0) return NULL;

  /* dgemm's result is undefined when C shares memory with A or B (it reads A and B while it
   * writes C, in blocks). The same ArrayBuffer viewed twice, or a SharedArrayBuffer, can make
   * them overlap, so refuse that rather than return a silently wrong C. Overlap is checked on
   * each operand's whole extent, which is conservative for strided views. */
  if (overlaps(c + off_c, c + end_c, a + off_a, a + end_a) ||
      overlaps(c + off_c, c + end_c, b + off_b, b + end_b)) {
    THROW(range, "C must not share memory with A or B");
  }

  /* Synchronous on the calling thread: the service runs one computation per worker thread, so
   * blocking that thread is the point, and OpenBLAS is restricted to one thread at load. */
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              (blasint)m, (blasint)n, (blasint)k, 1.0, a + off_a, (blasint)lda, b + off_b, (blasint)ldb,
              1.0, c + off_c, (blasint)ldc);
  return NULL;
}

static bool set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         napi_set_named_property(env, obj, key, v) == napi_ok;
}

static napi_value info(napi_env env, napi_callback_info cbinfo) {
  (void)cbinfo;
  napi_value obj, threads;
  /* openblas_get_config() is e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY
   * SkylakeX MAX_THREADS=64": the core type comes from the library that is actually loaded,
   * which is what matters (the headers compiled against may be of another version). */
  const char *config = openblas_get_config();
  const char *core = openblas_get_corename();
  char version[32] = "";
  if (config != NULL && strncmp(config, "OpenBLAS ", 9) == 0) {
    size_t i = 0;
    const char *p = config + 9;
    while (p[i] != '\0' && p[i] != ' ' && i + 1 < sizeof version) {
      version[i] = p[i];
      i++;
    }
    version[i] = '\0';
  }
  CHECK_NAPI(napi_create_object(env, &obj));
  if (!set_string(env, obj, "library", "OpenBLAS") || !set_string(env, obj, "version", version) ||
      !set_string(env, obj, "config", config ? config : "") ||
      !set_string(env, obj, "coreType", core ? core : "")) {
    return NULL;
  }
  CHECK_NAPI(napi_create_int32(env, openblas_get_num_threads(), &threads));
  CHECK_NAPI(napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

/*
 * OpenBLAS's thread count is process-wide, while this init runs once per Node environment (the
 * main thread and every worker_threads Worker that loads the addon). Setting it once is enough,
 * and doing it only once avoids calling openblas_set_num_threads while another worker's dgemm
 * is running. One thread because the service already runs one computation per worker thread:
 * OpenBLAS's own threads would compete with the other workers for the same cores.
 * (OPENBLAS_NUM_THREADS=1 in the environment before the library loads, which the JS loader sets,
 * additionally keeps OpenBLAS from starting its idle thread pool at all.)
 */
static pthread_once_t single_thread_once = PTHREAD_ONCE_INIT;
static void make_single_threaded(void) { openblas_set_num_threads(1); }

/* NAPI_MODULE_INIT rather than NAPI_MODULE/napi_module_register: it exports the
 * napi_register_module_v1 symbol, which Node calls for every environment that loads the
 * addon, so the addon is context-aware and loads in worker threads. It keeps no per-environment
 * state, so it needs no instance data or cleanup hooks. */
NAPI_MODULE_INIT() {
  pthread_once(&single_thread_once, make_single_threaded);
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
