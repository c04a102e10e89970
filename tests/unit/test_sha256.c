/* Tests for engine/io/sha256.c: FIPS 180-2 test vectors and padding boundaries, one-shot and
 * incremental. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "sha256.h"

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    assert_int_equal(ree_sha256_hex("abc", 3, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(ree_sha256_hex("", 0, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* FIPS 180-2 two-block message. */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(ree_sha256_hex(m, strlen(m), hex), 0);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Lengths at the padding boundaries (55/56 bytes fit one or two final blocks), bytes
     * (i * 7 + 3) mod 251; digests from Python's hashlib. */
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "1deace58c745f3ecadde68a5923f494c3703fa73f0306483ccb898a5826e8d70"},
        {56, "06dbe23685750e4d3881ded95047abaf93fa8f9c5d3501dc57c717a72ff1398e"},
        {63, "47fb38b12335c9298d09280515c0666489a189d1554bb0ac1a0740806ce9d8b6"},
        {64, "dfa798724b1a8014994f363e5da7474ed26ce3757fb29e07aa47ad5a9352d37b"},
        {65, "dd2eab5a5507d7717c63ce953d9ac61752c21e664425ad1227054722a0d97f69"},
        {119, "c6e0f435df5d7d265baacca31e0602c00aa22fa6d3819aed664649294c743756"},
        {120, "17eb8960823a644bde3065620bb9d45931fe8993fd8eb692a17aff0fd725db6a"},
        {1000, "a9425c416f534025a4e2422bd14adba4ec3d4a68d10c3329be8df612964d2b6e"},
    };
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)((i * 7 + 3) % 251);
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        assert_int_equal(ree_sha256_hex(buf, v[k].n, hex), 0);
        assert_string_equal(hex, v[k].hex);
        /* the same bytes in parts of 1, 3, 7 .. bytes, with an empty part between */
        ree_sha256 h;
        ree_sha256_init(&h);
        for (size_t at = 0, part = 1; at < v[k].n; at += part, part = part * 2 + 1) {
            size_t n = v[k].n - at < part ? v[k].n - at : part;
            ree_sha256_add(&h, buf + at, n);
            ree_sha256_add(&h, buf, 0);
        }
        memset(hex, 'x', sizeof hex);
        ree_sha256_hex_end(&h, hex);
        assert_string_equal(hex, v[k].hex);
    }
    /* FIPS 180-2: one million 'a'. */
    static char million[1000000];
    memset(million, 'a', sizeof million);
    assert_int_equal(ree_sha256_hex(million, sizeof million, hex), 0);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
