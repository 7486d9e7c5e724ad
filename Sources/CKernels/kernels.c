// The element-wise kernels of CKernels.h. Each body is written once over 16-float vectors
// (GCC/Clang vector extensions) and inlined into three wrappers compiled for different
// instruction sets; the operations and their order are the same in every wrapper (and the
// same as the Swift code these replaced), so the results are too.
#include "CKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)
// The 16-float vectors never cross a call (every body is inlined), so their ABI does not matter.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef uint32_t u16 __attribute__((vector_size(64)));
typedef uint8_t b16 __attribute__((vector_size(16)));

#define INLINE static inline __attribute__((always_inline))

INLINE v16 splat(float c) { return (v16){0} + c; }
INLINE v16 load(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store(float *p, v16 v) { memcpy(p, &v, sizeof v); }
INLINE v16 load_part(const float *p, long r) { v16 v = {0}; memcpy(&v, p, (size_t)r * 4); return v; }
INLINE void store_part(float *p, v16 v, long r) { memcpy(p, &v, (size_t)r * 4); }
INLINE v8 load8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }

/// The sum of eight lanes in lane order from -0, as Swift's SIMD8.sum().
INLINE float lanes_sum(v8 lanes) {
    float s = -0.0f;
    for (int i = 0; i < 8; i++) s += lanes[i];
    return s;
}

/// Keep factors of 16 mask bytes (0 or 1): 0 or `keep`.
INLINE v16 factors(const uint8_t *m, long r, float keep) {
    b16 b = {0};
    memcpy(&b, m, (size_t)r);
    return __builtin_convertvector(b, v16) * keep;
}

/// e^x within 2 ulp for x in [-87, 88] (clamped outside): x = k ln2 + r, e^r by its Taylor
/// series to r^6, times 2^k built in the exponent bits; k rounded by adding 1.5 * 2^23.
INLINE v16 exp16(v16 x) {
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, splat(-87.0f)), splat(88.0f));
    v16 shifted = x * 1.44269504f + 12582912.0f;
    v16 k = shifted - 12582912.0f;
    v16 r = (x - k * 0.69314575f) - k * 1.4286068e-6f;
    v16 p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6.0f + r * (1.0f / 24.0f + r * (1.0f / 120.0f + r * (1.0f / 720.0f))))));
    u16 bits = (((u16)shifted - 0x4B400000u) + 127u) << 23;
    return p * (v16)bits;
}

/// GELU(v) and GELU'(v), tanh form: u = c(v + 0.044715 v^3) clamped to +-20, e = e^2u,
/// r = 1/(e + 1); GELU = v e r, GELU' = e r (1 + 2 v r c (1 + 3 * 0.044715 v^2)). At +-20
/// tanh(u) is +-1 within 1e-17, so e stays finite and the slope far left is ~e^-40 (a clamp
/// at +-9 left 6e-6 at v = -12).
INLINE void gelu16(v16 v, v16 *value, v16 *slope) {
    const float c = 0.79788456f;
    v16 u = c * (v + 0.044715f * v * v * v);
    u = __builtin_elementwise_min(__builtin_elementwise_max(u, splat(-20.0f)), splat(20.0f));
    v16 e = exp16(2.0f * u), r = 1.0f / (e + 1.0f), er = e * r;
    *value = v * er;
    if (slope) *slope = er * (1.0f + 2.0f * v * r * c * (1.0f + 3.0f * 0.044715f * v * v));
}

INLINE float exponentiate_body(const float *x, float *out, long n, float *top) {
    v16 lanes = splat(-INFINITY);
    long j = 0;
    for (; j + 16 <= n; j += 16) lanes = __builtin_elementwise_max(lanes, load(x + j));
    float m = lanes[0];
    for (int i = 1; i < 16; i++) m = lanes[i] > m ? lanes[i] : m;
    for (; j < n; j++) m = x[j] >= m ? x[j] : m;
    j = 0;
    for (; j + 16 <= n; j += 16) store(out + j, exp16(load(x + j) - m));
    if (j < n) store_part(out + j, exp16(load_part(x + j, n - j) - m), n - j);
    // The sum over eight lanes, each in index order, then the lanes in order, then the tail.
    v8 acc = {0};
    j = 0;
    for (; j + 8 <= n; j += 8) acc += load8(out + j);
    float s = lanes_sum(acc);
    for (; j < n; j++) s += out[j];
    *top = m;
    return s;
}

INLINE void softmax_gradient_body(float *row, long n, long target, float scale, float *top, float *sum) {
    float s = exponentiate_body(row, row, n, top);
    float factor = scale / s;
    long j = 0;
    for (; j + 16 <= n; j += 16) store(row + j, load(row + j) * factor);
    for (; j < n; j++) row[j] *= factor;
    row[target] -= scale;
    *sum = s;
}

INLINE void gelu_body(const float *x, float *y, float *slope, long n) {
    v16 value, d;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        gelu16(load(x + j), &value, slope ? &d : NULL);
        store(y + j, value);
        if (slope) store(slope + j, d);
    }
    if (j < n) {
        gelu16(load_part(x + j, n - j), &value, slope ? &d : NULL);
        store_part(y + j, value, n - j);
        if (slope) store_part(slope + j, d, n - j);
    }
}

INLINE void gelu_backward_body(const float *x, float *g, long n) {
    v16 value, d;
    long j = 0;
    for (; j + 16 <= n; j += 16) { gelu16(load(x + j), &value, &d); store(g + j, load(g + j) * d); }
    if (j < n) { gelu16(load_part(x + j, n - j), &value, &d); store_part(g + j, load_part(g + j, n - j) * d, n - j); }
}

INLINE void gelu_dropout_body(const float *x, const uint8_t *mask, float keep, float *y, float *slope, long n) {
    v16 value, d;
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        v16 f = factors(mask + j, 16, keep);
        gelu16(load(x + j), &value, &d);
        store(y + j, value * f);
        store(slope + j, d * f);
    }
    if (j < n) {
        v16 f = factors(mask + j, n - j, keep);
        gelu16(load_part(x + j, n - j), &value, &d);
        store_part(y + j, value * f, n - j);
        store_part(slope + j, d * f, n - j);
    }
}

INLINE void apply_mask_body(const float *x, const uint8_t *mask, float keep, float *out, long n) {
    long j = 0;
    for (; j + 16 <= n; j += 16) store(out + j, load(x + j) * factors(mask + j, 16, keep));
    if (j < n) store_part(out + j, load_part(x + j, n - j) * factors(mask + j, n - j, keep), n - j);
}

INLINE void layer_norm_body(const float *x, const float *gamma, const float *beta, float epsilon, long rows, long c,
                            float *normalised, float *inverse, float *y) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * c;
        v8 acc = {0};
        long j = 0;
        for (; j + 8 <= c; j += 8) acc += load8(row + j);
        float sum = lanes_sum(acc);
        for (; j < c; j++) sum += row[j];
        float mean = sum / (float)c;
        v8 sq = {0};
        j = 0;
        for (; j + 8 <= c; j += 8) { v8 d = load8(row + j) - mean; sq += d * d; }
        float variance = lanes_sum(sq);
        for (; j < c; j++) { float d = row[j] - mean; variance += d * d; }
        float inv = 1.0f / __builtin_sqrtf(variance / (float)c + epsilon);
        inverse[r] = inv;
        float *n = normalised + r * c, *out = y + r * c;
        j = 0;
        for (; j + 16 <= c; j += 16) {
            v16 xhat = (load(row + j) - mean) * inv;
            store(n + j, xhat);
            store(out + j, xhat * load(gamma + j) + load(beta + j));
        }
        for (; j < c; j++) {
            float xhat = (row[j] - mean) * inv;
            n[j] = xhat;
            out[j] = xhat * gamma[j] + beta[j];
        }
    }
}

INLINE void layer_norm_backward_body(const float *d, const float *gamma, const float *normalised, const float *inverse,
                                     long rows, long c, float *dx) {
    const float fc = (float)c;
    for (long r = 0; r < rows; r++) {
        const float *dr = d + r * c, *n = normalised + r * c;
        v8 lanes = {0}, lanesX = {0};
        long j = 0;
        for (; j + 8 <= c; j += 8) {
            v8 dxhat = load8(dr + j) * load8(gamma + j);
            lanes += dxhat;
            lanesX += dxhat * load8(n + j);
        }
        float sum = lanes_sum(lanes), sumX = lanes_sum(lanesX);
        for (; j < c; j++) {
            float dxhat = dr[j] * gamma[j];
            sum += dxhat;
            sumX += dxhat * n[j];
        }
        float scale = inverse[r] / fc;
        float *out = dx + r * c;
        j = 0;
        for (; j + 16 <= c; j += 16) store(out + j, scale * (fc * load(dr + j) * load(gamma + j) - sum - load(n + j) * sumX));
        for (; j < c; j++) out[j] = scale * (fc * dr[j] * gamma[j] - sum - n[j] * sumX);
    }
}

typedef struct {
    const char *name;
    float (*exponentiate)(const float *, float *, long, float *);
    void (*softmax_gradient)(float *, long, long, float, float *, float *);
    void (*gelu)(const float *, float *, float *, long);
    void (*gelu_backward)(const float *, float *, long);
    void (*gelu_dropout)(const float *, const uint8_t *, float, float *, float *, long);
    void (*apply_mask)(const float *, const uint8_t *, float, float *, long);
    void (*layer_norm)(const float *, const float *, const float *, float, long, long, float *, float *, float *);
    void (*layer_norm_backward)(const float *, const float *, const float *, const float *, long, long, float *);
} Kernels;

#define VERSION(suffix, attributes)                                                                          \
    attributes static float exponentiate_##suffix(const float *x, float *out, long n, float *top) {          \
        return exponentiate_body(x, out, n, top);                                                            \
    }                                                                                                        \
    attributes static void softmax_gradient_##suffix(float *row, long n, long t, float s, float *m, float *z) { \
        softmax_gradient_body(row, n, t, s, m, z);                                                           \
    }                                                                                                        \
    attributes static void gelu_##suffix(const float *x, float *y, float *slope, long n) {                   \
        gelu_body(x, y, slope, n);                                                                           \
    }                                                                                                        \
    attributes static void gelu_backward_##suffix(const float *x, float *g, long n) {                        \
        gelu_backward_body(x, g, n);                                                                         \
    }                                                                                                        \
    attributes static void gelu_dropout_##suffix(const float *x, const uint8_t *m, float k, float *y,        \
                                                 float *slope, long n) {                                     \
        gelu_dropout_body(x, m, k, y, slope, n);                                                             \
    }                                                                                                        \
    attributes static void apply_mask_##suffix(const float *x, const uint8_t *m, float k, float *out, long n) { \
        apply_mask_body(x, m, k, out, n);                                                                    \
    }                                                                                                        \
    attributes static void layer_norm_##suffix(const float *x, const float *g, const float *b, float e, long rows, \
                                               long c, float *n, float *inv, float *y) {                      \
        layer_norm_body(x, g, b, e, rows, c, n, inv, y);                                                     \
    }                                                                                                        \
    attributes static void layer_norm_backward_##suffix(const float *d, const float *g, const float *n,       \
                                                        const float *inv, long rows, long c, float *dx) {    \
        layer_norm_backward_body(d, g, n, inv, rows, c, dx);                                                 \
    }                                                                                                        \
    static const Kernels kernels_##suffix = {#suffix, exponentiate_##suffix, softmax_gradient_##suffix,      \
                                             gelu_##suffix, gelu_backward_##suffix, gelu_dropout_##suffix,   \
                                             apply_mask_##suffix, layer_norm_##suffix,                       \
                                             layer_norm_backward_##suffix};

VERSION(baseline, )
#if defined(__x86_64__)
VERSION(avx2, __attribute__((target("avx2"))))
VERSION(avx512, __attribute__((target("avx512f"))))
#endif

static const Kernels *chosen;

static const Kernels *named(const char *name) {
    if (strcmp(name, "baseline") == 0) return &kernels_baseline;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") ? &kernels_avx2 : NULL;
    if (strcmp(name, "avx512") == 0) return __builtin_cpu_supports("avx512f") ? &kernels_avx512 : NULL;
#endif
    return NULL;
}

__attribute__((constructor)) static void choose(void) {
    const char *forced = getenv("TRELLIS_KERNELS");
    if (forced) {
        // A typo would otherwise run the slowest version without a word.
        chosen = named(forced);
        if (!chosen) {
            fprintf(stderr, "TRELLIS_KERNELS=%s: expected baseline, avx2 or avx512, and one this CPU runs\n", forced);
            exit(2);
        }
        return;
    }
    const Kernels *k = named("avx512");
    if (!k) k = named("avx2");
    chosen = k ? k : &kernels_baseline;
}

static inline const Kernels *kernels(void) {
    if (!chosen) choose();
    return chosen;
}

const char *trellis_kernels_name(void) { return kernels()->name; }

int trellis_kernels_select(const char *name) {
    const Kernels *k = named(name);
    if (!k) return 0;
    chosen = k;
    return 1;
}

float trellis_exponentiate(const float *x, float *out, long n, float *top) {
    return kernels()->exponentiate(x, out, n, top);
}

void trellis_softmax_gradient(float *row, long n, long target, float scale, float *top, float *sum) {
    kernels()->softmax_gradient(row, n, target, scale, top, sum);
}

void trellis_gelu(const float *x, float *y, float *slope, long n) { kernels()->gelu(x, y, slope, n); }

void trellis_gelu_backward(const float *x, float *g, long n) { kernels()->gelu_backward(x, g, n); }

void trellis_gelu_dropout(const float *x, const uint8_t *mask, float keep, float *y, float *slope, long n) {
    kernels()->gelu_dropout(x, mask, keep, y, slope, n);
}

void trellis_apply_mask(const float *x, const uint8_t *mask, float keep, float *out, long n) {
    kernels()->apply_mask(x, mask, keep, out, n);
}

void trellis_layer_norm(const float *x, const float *gamma, const float *beta, float epsilon, long rows, long c,
                        float *normalised, float *inverse, float *y) {
    kernels()->layer_norm(x, gamma, beta, epsilon, rows, c, normalised, inverse, y);
}

void trellis_layer_norm_backward(const float *d, const float *gamma, const float *normalised, const float *inverse,
                                 long rows, long c, float *dx) {
    kernels()->layer_norm_backward(d, gamma, normalised, inverse, rows, c, dx);
}
