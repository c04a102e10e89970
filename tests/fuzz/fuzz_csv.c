/*
 * Fuzz target for the CSV reader that `reesim plot` (and the sweep and discover commands) use on
 * result folders anyone may have written (engine/io/csvread.c): any bytes must give a table or a
 * located error, never a crash, a leak, a hang or undefined behaviour; and a table's every cell
 * must read back through the accessors the commands use (as a number, with and without empty
 * fields allowed, as a whole number, quoted into a message through ree_snippet) without one.
 * Checked besides: an error message starts with the name given and stays within its buffer;
 * column names are distinct; a table's cells are NUL-terminated strings within the input's
 * length; every data row starts on a line after the header's. Built as fuzz_loader is (see
 * tests/CMakeLists.txt): a libFuzzer target with `make fuzz`, otherwise a replay program over
 * tests/fuzz/corpus-csv and the golden CSVs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The columns the commands look up by name. */
static const char *const names[] = {"scenario", "step", "entity", "metric", "mean", "p05",
                                    "p95",      "run",  "value",  "date",   "unit", "sd"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'x', sizeof err);
    ree_status st = REE_OK;
    ree_table *t = ree_table_parse("fuzz.csv", (const char *)data, size, &st, err, sizeof err);
    if (!t) {
        if (st != REE_EINVALID && st != REE_ENOMEM)
            abort();
        if (memchr(err, '\0', sizeof err) == NULL || strncmp(err, "fuzz.csv", 8) != 0)
            abort();
        return 0;
    }
    if (st != REE_OK)
        abort();
    size_t nrows = ree_table_nrows(t);
    int ncol = 0;
    while (ree_table_colname(t, ncol))
        ncol++;
    if (ncol < 1 || ncol > REE_TABLE_MAX_COLUMNS)
        abort();
    for (int c = 0; c < ncol; c++)
        if (ree_table_col(t, ree_table_colname(t, c)) != c) /* names are distinct */
            abort();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        (void)ree_table_col(t, names[i]);
    (void)ree_table_require(t, names, sizeof names / sizeof *names, err, sizeof err);
    long header = ree_table_header_line(t);
    size_t rows = nrows < 4096 ? nrows : 4096; /* the accessors per cell: bounded time per input */
    for (size_t r = 0; r < rows; r++) {
        if (ree_table_line(t, r) <= header)
            abort();
        for (int c = 0; c < ncol; c++) {
            const char *cell = ree_table_cell(t, r, c);
            size_t n = strlen(cell);
            if (n > size)
                abort();
            double d;
            long long v;
            char snip[REE_SNIPPET_LEN];
            (void)ree_table_num(t, r, c, 0, &d, err, sizeof err);
            (void)ree_table_num(t, r, c, REE_TABLE_EMPTY, &d, err, sizeof err);
            (void)ree_table_int(t, r, c, &v, err, sizeof err);
            if (strlen(ree_snippet(cell, n, snip, sizeof snip)) >= sizeof snip)
                abort();
        }
    }
    ree_table_free(t);
    return 0;
}
