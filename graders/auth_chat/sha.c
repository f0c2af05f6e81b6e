/*
 * sha.c: the kata's shipped SHA-256 (katas/auth_chat/sha256.c) compiled
 * into the grader with hidden symbols, so that the grader's hashes and
 * proofs never come from the learner's .so.
 *
 * Entry points: the ac_sha256_*, ac_hex, ac_password_hash, ac_proof and
 * ac_random_hex of auth_chat.h, each bound inside the grader only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include <sqlite3.h>

#pragma GCC visibility push(hidden)
#include "sha256.c"
#pragma GCC visibility pop
