/*
 * SHA-256 of a scenario text (see sha256.h), through libmd (Debian libmd-dev: the BSD message
 * digest functions). OpenSSL's EVP interface, used before, spent more on initialising its
 * providers at the first call (about 5 million instructions, a third of `reesim validate`) than
 * on hashing; libmd has no set-up.
 */
#include "sha256.h"
#include <stdint.h>
#include <sys/types.h>
#include <sha2.h>

int ree_sha256_hex(const void *data, size_t len, char hex[65])
{
    SHA2_CTX ctx;
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256Init(&ctx);
    SHA256Update(&ctx, data, len);
    SHA256Final(md, &ctx);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}
