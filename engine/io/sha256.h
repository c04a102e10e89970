/* Hashing of scenario texts (meta.json records the scenario's SHA-256). */
#ifndef REESIM_SHA256_H
#define REESIM_SHA256_H

#include <stddef.h>
#include <sys/types.h>
#include <sha2.h>

/* An incremental SHA-256 (libmd's state): ree_sha256_init, ree_sha256_add for each part,
 * ree_sha256_hex_end. */
typedef SHA2_CTX ree_sha256;
void ree_sha256_init(ree_sha256 *h);
void ree_sha256_add(ree_sha256 *h, const void *data, size_t len);
/* The digest as 64 lowercase hex characters plus NUL in `hex`. */
void ree_sha256_hex_end(ree_sha256 *h, char hex[65]);

/* SHA-256 of a byte buffer, as 64 lowercase hex characters plus NUL in `hex` (65 bytes), via
 * libmd. Returns 0 (the -1 of failure is kept in the contract for callers; libmd cannot fail). */
int ree_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
