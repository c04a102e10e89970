/*
 * SHA-256 of a scenario text (see sha256.h), through libmd (Debian libmd-dev: the BSD message
 * digest functions). OpenSSL's EVP interface, used before, spent more on initialising its
 * providers at the first call (about 5 million instructions, a third of `reesim validate`) than
 * on hashing; libmd has no set-up.
 */
#include "sha256.h"
#include <stdint.h>

void ree_sha256_init(ree_sha256 *h)
{
    SHA256Init(h);
}

void ree_sha256_add(ree_sha256 *h, const void *data, size_t len)
{
    SHA256Update(h, data, len);
}

void ree_sha256_hex_end(ree_sha256 *h, char hex[65])
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256Final(md, h);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

int ree_sha256_hex(const void *data, size_t len, char hex[65])
{
    ree_sha256 h;
    ree_sha256_init(&h);
    ree_sha256_add(&h, data, len);
    ree_sha256_hex_end(&h, hex);
    return 0;
}
