/* Hashing of scenario texts (meta.json records the scenario's SHA-256). */
#ifndef REESIM_SHA256_H
#define REESIM_SHA256_H

#include <stddef.h>

/* SHA-256 of a byte buffer, as 64 lowercase hex characters plus NUL in `hex` (65 bytes), via
 * libmd. Returns 0 (the -1 of failure is kept in the contract for callers; libmd cannot fail). */
int ree_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
