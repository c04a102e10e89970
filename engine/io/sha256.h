/* Hashing of scenario texts (meta.json records the scenario's SHA-256). */
#ifndef REESIM_SHA256_H
#define REESIM_SHA256_H

#include <stddef.h>

/* SHA-256 of a byte buffer, as 64 lowercase hex characters plus NUL in `hex` (65 bytes), via
 * OpenSSL's EVP interface. Returns 0, or -1 on failure (hex then unchanged). */
int ree_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
