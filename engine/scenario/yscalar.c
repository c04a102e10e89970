/*
 * YAML tree accessors and strict scalar conversions (see ytree.h): numbers through strtod with
 * an end pointer and ERANGE, whole numbers, booleans and months, each failing with a reason that
 * says what was expected and what was found.
 */
#include "ytree.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ree_ykind_article(ree_ykind k)
{
    switch (k) {
    case REE_Y_SCALAR:
        return "a scalar";
    case REE_Y_SEQ:
        return "a sequence";
    case REE_Y_MAP:
        return "a mapping";
    }
    return "a node";
}

const ree_ynode *ree_ymap_get(const ree_ynode *map, const char *key)
{
    if (!map || map->kind != REE_Y_MAP || !key)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const ree_ynode *k = map->pairs[i].key;
        if (k->len == len && memcmp(k->str, key, len) == 0)
            return map->pairs[i].value;
    }
    return NULL;
}

int ree_ynode_is_null(const ree_ynode *n)
{
    if (!n || n->kind != REE_Y_SCALAR || n->quoted)
        return 0;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (n->len == strlen(nulls[i]) && memcmp(n->str, nulls[i], n->len) == 0)
            return 1;
    return 0;
}

/* ---- strict scalar conversions ---- */

#define SHOWN 60 /* characters of a bad scalar quoted in a reason */

/* Common checks: a plain scalar. On failure writes "expected WHAT, found ..." and returns -1. */
static int want_plain(const ree_ynode *n, const char *what, int allow_quoted, char *why,
                      size_t whylen)
{
    if (!n) {
        snprintf(why, whylen, "expected %s, found nothing", what);
        return -1;
    }
    if (n->kind != REE_Y_SCALAR) {
        snprintf(why, whylen, "expected %s, found %s", what, ree_ykind_article(n->kind));
        return -1;
    }
    if (n->quoted && !allow_quoted) {
        snprintf(why, whylen, "expected %s, found a quoted string", what);
        return -1;
    }
    if (n->len == 0 || strlen(n->str) != n->len) {
        snprintf(why, whylen, "expected %s, found an empty value", what);
        if (n->len)
            snprintf(why, whylen, "expected %s, found a string with a NUL character", what);
        return -1;
    }
    return 0;
}

static int found(char *why, size_t whylen, const char *what, const ree_ynode *n)
{
    snprintf(why, whylen, "expected %s, found '%.*s'%s", what, SHOWN, n->str,
             n->len > SHOWN ? "..." : "");
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ree_ynum_double(const char *s, unsigned flags, double *out)
{
    /* Decimal grammar: [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? */
    const char *p = s;
    int nonzero = 0;
    size_t digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; is_digit(*p); p++, digits++)
        nonzero |= *p != '0';
    if (*p == '.')
        for (p++; is_digit(*p); p++, digits++)
            nonzero |= *p != '0';
    if (!digits)
        return REE_YNUM_SYNTAX;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return REE_YNUM_SYNTAX;
        while (is_digit(*p))
            p++;
    }
    if (*p)
        return REE_YNUM_SYNTAX;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end != p)
        return REE_YNUM_SYNTAX;
    if (isinf(v) || (errno == ERANGE && fabs(v) > 1.0))
        return REE_YNUM_RANGE;
    if (nonzero && v == 0.0)
        return REE_YNUM_TINY;
    if (!(flags & REE_YNUM_SUBNORMAL) && (errno == ERANGE || (nonzero && fabs(v) < DBL_MIN)))
        return REE_YNUM_TINY;
    *out = v;
    return REE_YNUM_OK;
}

int ree_ynum_int(const char *s, long long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!is_digit(*p))
        return REE_YNUM_SYNTAX;
    while (is_digit(*p))
        p++;
    if (*p)
        return REE_YNUM_SYNTAX;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end != p)
        return REE_YNUM_SYNTAX;
    if (errno == ERANGE)
        return REE_YNUM_RANGE;
    *out = v;
    return REE_YNUM_OK;
}

int ree_ynum_month(const char *s, int *out)
{
    if (strlen(s) != 7 || s[4] != '-')
        return REE_YNUM_SYNTAX;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !is_digit(s[i]))
            return REE_YNUM_SYNTAX;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    if (month < 1 || month > 12 || year < 1900)
        return REE_YNUM_RANGE;
    *out = year * 12 + month - 1;
    return REE_YNUM_OK;
}

int ree_yscalar_double(const ree_ynode *n, double *out, char *why, size_t whylen)
{
    const char *what = "a number";
    if (want_plain(n, what, 0, why, whylen))
        return -1;
    switch (ree_ynum_double(n->str, 0, out)) {
    case REE_YNUM_OK:
        return 0;
    case REE_YNUM_RANGE:
        snprintf(why, whylen, "number '%.*s' is out of range", SHOWN, n->str);
        return -1;
    case REE_YNUM_TINY:
        snprintf(why, whylen, "number '%.*s' is too close to zero to be represented", SHOWN,
                 n->str);
        return -1;
    default:
        return found(why, whylen, what, n);
    }
}

int ree_yscalar_int(const ree_ynode *n, long long *out, char *why, size_t whylen)
{
    const char *what = "an integer";
    if (want_plain(n, what, 0, why, whylen))
        return -1;
    switch (ree_ynum_int(n->str, out)) {
    case REE_YNUM_OK:
        return 0;
    case REE_YNUM_RANGE:
        snprintf(why, whylen, "integer '%.*s' is out of range", SHOWN, n->str);
        return -1;
    default:
        return found(why, whylen, what, n);
    }
}

int ree_yscalar_bool(const ree_ynode *n, int *out, char *why, size_t whylen)
{
    const char *what = "true or false";
    if (want_plain(n, what, 0, why, whylen))
        return -1;
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(n->str, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(n->str, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return found(why, whylen, what, n);
}

int ree_yscalar_month(const ree_ynode *n, int *out, char *why, size_t whylen)
{
    const char *what = "a month YYYY-MM";
    if (want_plain(n, what, 1, why, whylen))
        return -1;
    const char *s = n->str;
    int rc = n->len != 7 ? REE_YNUM_SYNTAX : ree_ynum_month(s, out);
    if (rc == REE_YNUM_SYNTAX)
        return found(why, whylen, what, n);
    if (rc == REE_YNUM_OK)
        return 0;
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    if (month < 1 || month > 12) {
        snprintf(why, whylen, "month '%s' has no month %d (months are 01 to 12)", s, month);
        return -1;
    }
    snprintf(why, whylen, "month '%s' is before 1900", s);
    return -1;
}
