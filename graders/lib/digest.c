/*
 * digest.c: FNV-1a 64 digests and splitmix64 numbers (see digest.h).
 */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void digest_init(struct digest *d)
{
	d->h = 0xcbf29ce484222325ull;
}

void digest_update(struct digest *d, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		d->h ^= p[i];
		d->h *= 0x100000001b3ull;
	}
}

int digest_file(const char *path, uint64_t *out)
{
	char buf[65536];
	struct digest d;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	digest_init(&d);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		digest_update(&d, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -EIO;
	*out = d.h;
	return 0;
}

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

void rng_fill(struct rng *r, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		uint64_t v = rng_next(r);
		size_t m = n < 8 ? n : 8;

		memcpy(p, &v, m);
		p += m;
		n -= m;
	}
}
