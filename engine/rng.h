/* rng.h - a small seeded generator (xoshiro256**, seeded through splitmix64), so that every noise
 * draw, sample and resample is reproducible from a seed printed next to the result. */
#ifndef IV_RNG_H
#define IV_RNG_H

#include <stdint.h>

typedef struct iv_rng {
    uint64_t s[4];
    double spare;      /* second normal from the last polar draw */
    int has_spare;
} iv_rng;

void iv_rng_seed(iv_rng *r, uint64_t seed);
uint64_t iv_rng_next(iv_rng *r);
double iv_rng_uniform(iv_rng *r);            /* [0, 1) */
uint64_t iv_rng_below(iv_rng *r, uint64_t n); /* uniform in [0, n), n > 0, no modulo bias */
double iv_rng_normal(iv_rng *r);             /* N(0, 1) */

#endif
