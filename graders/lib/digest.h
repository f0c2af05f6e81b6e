/*
 * digest.h: content digests and seeded random numbers for graders.
 *
 * Entry points: digest_init/digest_update (FNV-1a 64), digest_file,
 * rng_seed/rng_next/rng_below/rng_fill (splitmix64: fast, reproducible from
 * kata_seed(), not cryptographic).
 */
#ifndef GRADER_DIGEST_H
#define GRADER_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct digest {
	uint64_t h;
};

void digest_init(struct digest *d);
void digest_update(struct digest *d, const void *buf, size_t n);

/* Digest of a file's contents in *out.  0 or -errno. */
int digest_file(const char *path, uint64_t *out);

struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
void rng_fill(struct rng *r, void *buf, size_t n);

#endif
