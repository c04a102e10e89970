/* Tests for ld_path (engine/scenario/plan_value.c): the same text snprintf("%s.%s") would give,
 * truncated the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "loader.h"

static void expect(const char *base, const char *key)
{
    char got[REE_PATH_MAX], want[4 * REE_PATH_MAX];
    ld_path(got, base, key);
    if (base && *base)
        snprintf(want, sizeof want, "%s.%s", base, key);
    else
        snprintf(want, sizeof want, "%s", key);
    want[REE_PATH_MAX - 1] = '\0'; /* what snprintf into REE_PATH_MAX bytes keeps */
    assert_string_equal(got, want);
}

static void test_ld_path(void **state)
{
    (void)state;
    expect("nodes.cn_mine.params", "capacity");
    expect("", "runs");
    expect(NULL, "seed");
    expect("a", "");
    char longer[2 * REE_PATH_MAX];
    for (size_t n = REE_PATH_MAX - 3; n <= REE_PATH_MAX + 1; n++) {
        memset(longer, 'x', n);
        longer[n] = '\0';
        expect(longer, "key");
        expect("base", longer);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ld_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
