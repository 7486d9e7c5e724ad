#ifndef TRELLIS_CKERNELS_H
#define TRELLIS_CKERNELS_H

// Element-wise kernels compiled three times (baseline x86-64, AVX2, AVX-512) and chosen when
// the process starts, so one portable binary runs 16 lanes wide on a host that has them.
// Every version does the same operations in the same order (no fused multiply-adds, sums
// over the same eight lanes), so all three give the same bits: a run's numbers do not
// depend on the host it lands on. TRELLIS_KERNELS=baseline|avx2|avx512 forces a version;
// another name, or a version the CPU lacks, stops the process at start (exit 2, a message
// on stderr).

#include <stdint.h>

/// The version in use: "baseline", "avx2" or "avx512".
const char *trellis_kernels_name(void);
/// Chooses a version by name (as TRELLIS_KERNELS does); returns 0 if the CPU lacks it or the
/// name is unknown, leaving the choice as it was. For tests.
int trellis_kernels_select(const char *name);

/// out[j] = e^(x[j] - max x) over n >= 1 floats (`out` may be `x`); *top = max x; returns
/// the sum of the outs (eight lanes, in order, then the tail).
float trellis_exponentiate(const float *x, float *out, long n, float *top);

/// A softmax row turned into its cross-entropy gradient in place: row = softmax(row) * scale,
/// row[target] -= scale; *top and *sum as `trellis_exponentiate` gives them.
void trellis_softmax_gradient(float *row, long n, long target, float scale, float *top, float *sum);

/// GELU (tanh form, from one exponential) of n values: y = GELU(x); slope (if not NULL) = GELU'(x).
void trellis_gelu(const float *x, float *y, float *slope, long n);
/// g[i] *= GELU'(x[i]).
void trellis_gelu_backward(const float *x, float *g, long n);
/// GELU then inverted dropout: y = dropped(GELU(x)), slope = dropped(GELU'(x)), where
/// dropped(v) is v * keep for mask 1 and v * 0 for mask 0.
void trellis_gelu_dropout(const float *x, const uint8_t *mask, float keep, float *y, float *slope, long n);
/// out[i] = dropped(x[i]) (see above).
void trellis_apply_mask(const float *x, const uint8_t *mask, float keep, float *out, long n);

/// Layer norm of `rows` rows of width c: mean and variance over each row (eight lanes, in
/// order), inverse[r] = 1 / sqrt(var + epsilon), normalised = (x - mean) * inverse,
/// y = normalised * gamma + beta.
void trellis_layer_norm(const float *x, const float *gamma, const float *beta, float epsilon, long rows, long c,
                        float *normalised, float *inverse, float *y);
/// Its input gradient: dx = inverse / c * (c * dxhat - sum(dxhat) - normalised * sum(dxhat * normalised)),
/// dxhat = d * gamma, per row.
void trellis_layer_norm_backward(const float *d, const float *gamma, const float *normalised, const float *inverse,
                                 long rows, long c, float *dx);

#endif
