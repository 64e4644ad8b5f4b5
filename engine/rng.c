/* rng.c - xoshiro256** seeded through splitmix64, with uniform, bounded and normal draws.
 *
 * The streams are part of the user-visible contract: a seed printed next to a result must rebuild
 * it, so changing any algorithm here silently changes every saved result. */
#include "rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64 spreads any seed, 0 included, into a well-mixed, never all-zero state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void iv_rng_seed(iv_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
    r->spare = 0;
    r->has_spare = 0;
}

uint64_t iv_rng_next(iv_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double iv_rng_uniform(iv_rng *r)
{
    /* The top 53 bits fill a double's mantissa exactly, so every value is a multiple of 2^-53. */
    return (double)(iv_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t iv_rng_below(iv_rng *r, uint64_t n)
{
    /* Draws below 2^64 mod n would make the small residues likelier; reject them. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = iv_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

double iv_rng_normal(iv_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* Marsaglia's polar method: a point uniform in the unit disc yields two independent normals. */
    double u, v, s;
    do {
        u = 2.0 * iv_rng_uniform(r) - 1.0;
        v = 2.0 * iv_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}
