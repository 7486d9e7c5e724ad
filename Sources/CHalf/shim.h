// Float <-> IEEE fp16 in bulk with x86's F16C instructions (VCVTPS2PH / VCVTPH2PS), which
// convert 8 values per instruction where the portable Swift code converts one. Both round to
// nearest, ties to even, keep subnormals and quiet a NaN keeping its top payload bits, so
// the bits match HalfPrecision's portable routines exactly. Compiled for F16C whatever the
// build's target: call them only where trellis_half_hardware() says the CPU has it.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

static inline int trellis_half_hardware(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
}

// n floats from src to n little-endian fp16 values at dst (any alignment).
__attribute__((target("avx,f16c")))
static inline void trellis_half_encode(const float *src, void *dst, size_t n) {
    uint8_t *out = (uint8_t *)dst;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(out + 2 * i), h);
    }
    if (i < n) {
        float rest[8] = {0};
        uint16_t halves[8];
        memcpy(rest, src + i, (n - i) * sizeof(float));
        _mm_storeu_si128((__m128i *)halves, _mm256_cvtps_ph(_mm256_loadu_ps(rest), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        memcpy(out + 2 * i, halves, (n - i) * sizeof(uint16_t));
    }
}

// n little-endian fp16 values at src (any alignment) to n floats at dst.
__attribute__((target("avx,f16c")))
static inline void trellis_half_decode(const void *src, float *dst, size_t n) {
    const uint8_t *in = (const uint8_t *)src;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + 2 * i))));
    }
    if (i < n) {
        uint16_t halves[8] = {0};
        float rest[8];
        memcpy(halves, in + 2 * i, (n - i) * sizeof(uint16_t));
        _mm256_storeu_ps(rest, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)halves)));
        memcpy(dst + i, rest, (n - i) * sizeof(float));
    }
}
#else
static inline int trellis_half_hardware(void) { return 0; }
static inline void trellis_half_encode(const float *src, void *dst, size_t n) { (void)src; (void)dst; (void)n; }
static inline void trellis_half_decode(const void *src, float *dst, size_t n) { (void)src; (void)dst; (void)n; }
#endif
