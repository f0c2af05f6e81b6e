/*
 * sha256.c: support code shipped with the auth_chat kata (you need not edit
 * it): SHA-256 (FIPS 180-4), written plainly from the standard, and the
 * hashes and random strings the protocol uses.
 *
 * Entry points: ac_sha256_init, ac_sha256_update, ac_sha256_final, ac_hex,
 * ac_password_hash, ac_proof, ac_random_hex (see auth_chat.h).
 */
#include "auth_chat.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* One 64-byte block into the state. */
static void block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2, a, b;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		a = w[i - 15];
		b = w[i - 2];
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(a, 7) ^ ror(a, 18) ^ a >> 3) +
		       (ror(b, 17) ^ ror(b, 19) ^ b >> 10);
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

void ac_sha256_init(struct ac_sha256 *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->fill = 0;
}

void ac_sha256_update(struct ac_sha256 *c, const void *p, size_t n)
{
	const unsigned char *s = p;

	c->len += n;
	while (n > 0) {
		size_t m = 64 - c->fill < n ? 64 - c->fill : n;

		memcpy(c->buf + c->fill, s, m);
		c->fill += m;
		s += m;
		n -= m;
		if (c->fill == 64) {
			block(c->h, c->buf);
			c->fill = 0;
		}
	}
}

void ac_sha256_final(struct ac_sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t n = (c->fill < 56 ? 56 : 120) - c->fill;

	for (int i = 0; i < 8; i++)
		pad[n + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	ac_sha256_update(c, pad, n + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void ac_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* out = hex(SHA-256(a || b)) */
static void hash2(const char *a, const char *b, char *out)
{
	struct ac_sha256 c;
	unsigned char d[32];

	ac_sha256_init(&c);
	ac_sha256_update(&c, a, strlen(a));
	ac_sha256_update(&c, b, strlen(b));
	ac_sha256_final(&c, d);
	ac_hex(d, sizeof(d), out);
}

void ac_password_hash(const char *salt, const char *password, char *out)
{
	hash2(salt, password, out);
}

void ac_proof(const char *nonce, const char *hash, char *out)
{
	hash2(nonce, hash, out);
}

int ac_random_hex(char *out, size_t n)
{
	unsigned char b[256];
	size_t got = 0;

	if (n > sizeof(b))
		return -EINVAL;
	while (got < n) {
		ssize_t m = getrandom(b + got, n - got, 0);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		got += (size_t)m;
	}
	ac_hex(b, n, out);
	return 0;
}
