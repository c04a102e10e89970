/*
 * Statistics across Monte Carlo runs with memory bounded independently of the number of runs.
 *
 * An accumulator holds `ncell` cells (one per output series value: entity x metric x step, or
 * one per indicator). Each run adds one value per cell. Per cell it keeps:
 *   - count, mean and the sum of squared deviations (Welford), merged with Chan et al.'s
 *     pairwise formula;
 *   - a deterministic mergeable quantile sketch: values with weights 2^level, exact (every value,
 *     weight 1) while the cell has received at most 2k values; when an add or a merge would
 *     exceed 2k points it compacts the level holding the most points (ties: the lowest level):
 *     its points sorted by value, adjacent pairs (2i, 2i+1) merged into one point of double
 *     weight keeping the even or the odd one, alternating deterministically per level at each
 *     compaction of that level. No randomness, no dependence on thread or time: the result
 *     depends only on the sequence of adds and merges.
 * Quantiles are R's type 7 (Hyndman & Fan) on the multiset in which each point appears as many
 * times as its weight; bit-identical to R's quantile() while exact.
 * Error: exact while n <= 2k; beyond, the rank error is guaranteed at most H/(2 floor(k/(H+1)))
 * of n, H being the number of levels above the first (about log2(n/k) + 2), and is much smaller
 * in practice (docs/statistics.md gives the derivation and measured errors; tests check both).
 *
 * Determinism contract: callers add runs to a block (ree_block, or a block accumulator) in run
 * order and merge blocks into the total in block order; the same sequence gives bit-identical
 * results. The sketch's state is a multiset of points per level, so how a level is kept in order
 * (sorting, merging) never changes a result.
 * Queries sort a cell's points in place (the logical state is unchanged), so one accumulator must
 * not be queried or merged from by two threads at once.
 */
#ifndef REESIM_STATS_H
#define REESIM_STATS_H

#include <stddef.h>

typedef struct ree_acc ree_acc;

typedef struct ree_cell_stats {
    double n;
    double mean, sd; /* sd with n-1 denominator; 0 when n < 2 */
    double min, max;
    double p05, p25, p50, p75, p95;
} ree_cell_stats;

/* An accumulator of `ncell` cells keeping at most 2*k sketch points per cell (k = 0 means the
 * default REE_ACC_DEFAULT_K; k below 32 is raised to 32 so that a full cell can always compact;
 * k above 2^30 is refused). Returns NULL when out of memory. Memory is O(ncell * k) for the
 * cells (each cell's buffer allocated at its first value and grown by doubling, never above 2k
 * points, or 2k + REE_BLOCK_MAX during a block merge) plus two merge buffers of about 4k points,
 * allocated at their first use. */
#define REE_ACC_DEFAULT_K 512
ree_acc *ree_acc_alloc(size_t ncell, size_t k);
void ree_acc_free(ree_acc *a);

/* Moments only: an accumulator of `ncell` cells that keep the count, mean, sum of squared
 * deviations, minimum and maximum (40 bytes a cell, nothing allocated later) and no sketch. Its
 * moments come from the same Welford and Chan code as a full accumulator's, so for the same adds
 * and merges its n, mean, sd, min and max are the same bits. Queries give NaN quantiles
 * (ree_acc_quantile: the exact minimum at q = 0 and maximum at q = 1, NaN between), no points
 * (ree_acc_points and ree_acc_weighted_points give 0). It merges from either kind of accumulator
 * or block (their moments); a full accumulator refuses to merge from a moments-only one. Packed
 * bytes carry k = 0, so they unpack only into a moments-only accumulator. NULL when out of
 * memory. */
ree_acc *ree_acc_alloc_moments(size_t ncell);
/* 1 for a full accumulator (quantiles), 0 for a moments-only one. */
int ree_acc_has_quantiles(const ree_acc *a);

/* Forget every value, keep the memory. */
void ree_acc_reset(ree_acc *a);

/* Add one run: `values[i]` goes to cell i, for all ncell cells. Values must be finite. Returns 0,
 * or -1 when out of memory (the accumulator is then unchanged). */
int ree_acc_add(ree_acc *a, const double *values);

/* Merge `from` into `into` (same ncell, from's k at most into's k -- e.g. small exact block
 * accumulators into a larger total -- distinct objects). `from` is unchanged (except for
 * in-place sorting, as for queries). Returns 0, or -1 when out of memory or when the shapes
 * do not fit or into == from (`into` then unchanged). */
/* Tests: accumulators made after ree_acc_set_pool(0) keep every sketch buffer on the heap (see
 * the pool in stats_priv.h); 1 (the default) lets those of 8 MiB of slots or more map their pool,
 * 2 those of any size. Results are the same bytes. */
void ree_acc_set_pool(int on);
/* Tests: slots of the pool handed out, one to each cell whose points left the heap, in the order
 * they first needed one (a point mass never does); 0 without a pool. */
size_t ree_acc_pool_slots(const ree_acc *a);

int ree_acc_merge(ree_acc *into, const ree_acc *from);

size_t ree_acc_ncell(const ree_acc *a);

/* Bytes held by the accumulator (cells, their point buffers, merge buffers): for memory tests. */
size_t ree_acc_bytes(const ree_acc *a);

/* The most bytes one cell of a full accumulator of sketch size k can hold: its header and
 * 2k + REE_BLOCK_MAX points (k raised as ree_acc_alloc does). For memory budgets. */
size_t ree_acc_cell_bytes_max(size_t k);

/* Number of sketch points cell `cell` holds now (at most 2k): for tests and memory accounting. */
size_t ree_acc_points(const ree_acc *a, size_t cell);

/* Put every cell's points in order now (queries otherwise do it lazily, writing to the cell).
 * Afterwards, until the next add, merge or reset, queries (ree_acc_cell, ree_acc_quantile,
 * ree_acc_weighted_points) only read, so several threads may query one accumulator at once.
 * Returns 0, or -1 when out of memory (nothing changed then). */
int ree_acc_sort_points(ree_acc *a);
/* The same for cells lo .. hi - 1 only, with the caller's scratch `tmp` of ree_acc_tmp_points(a)
 * doubles: threads may sort disjoint ranges of one accumulator at once (each with its own tmp).
 * Returns 0, or -1 when the range is not within the accumulator's cells (nothing sorted then). */
int ree_acc_sort_points_range(ree_acc *a, size_t lo, size_t hi, double *tmp);

/* Summary of one cell. A cell with no values gives n = 0 and NaN elsewhere. */
void ree_acc_cell(const ree_acc *a, size_t cell, ree_cell_stats *out);

/* Quantile q in [0,1] of one cell (NaN when empty or q outside [0,1]). q = 0 and q = 1 give
 * the exact minimum and maximum. */
double ree_acc_quantile(const ree_acc *a, size_t cell, double q);

/* Copy cell `cell`'s sketch points into x[] and their weights (2^level; they sum to the count of
 * values) into w[], in no particular order (it puts the cell's level 0 in order first, as queries
 * do); both arrays hold at least ree_acc_points(a, cell) entries. Returns the number of points. The weighted points are the distribution every query
 * reads (score.c computes the CRPS from them). */
size_t ree_acc_weighted_points(const ree_acc *a, size_t cell, double *x, double *w);

/*
 * A block: the values of at most REE_BLOCK_MAX runs for every cell, staged so that a worker thread
 * can summarise them (ree_block_seal: per cell, moments in run order with the same Welford update
 * as ree_acc_add, and the values sorted) before the ordered merge, which then only appends each
 * cell's sorted values to the sketch and folds in the moments (Chan). Merging a block gives
 * bit-identical statistics to adding its runs to an ree_acc of k >= REE_BLOCK_MAX and merging
 * that. Memory: about (REE_BLOCK_MAX + 12) doubles per cell.
 */
#define REE_BLOCK_MAX 64
typedef struct ree_block ree_block;

ree_block *ree_block_alloc(size_t ncell); /* NULL when out of memory */
/* A block that keeps only each cell's moments (4 doubles a cell, no staged values): for a
 * moments-only accumulator; a full accumulator refuses to merge it. */
ree_block *ree_block_alloc_moments(size_t ncell);
void ree_block_free(ree_block *b);
void ree_block_reset(ree_block *b); /* empty, ready for the next block */
/* Add one run (`values[i]` to cell i). Returns 0, or -1 when the block already holds
 * REE_BLOCK_MAX runs or is sealed. */
int ree_block_add(ree_block *b, const double *values);
/* Add `count` runs (1..REE_BLOCK_LANES) whose values are interleaved, as runs in lockstep keep
 * them (engine/sim/lrun.h): run k's value of cell i at values[i * REE_BLOCK_LANES + k]. The same
 * state as ree_block_add of each run in turn. Returns 0, or -1 when they do not fit (as
 * ree_block_add) or count is out of range. */
#define REE_BLOCK_LANES 8
int ree_block_add_lanes(ree_block *b, const double *values, int count);
int ree_block_runs(const ree_block *b);
/* Summarise the block (idempotent); no more adds until the next reset. */
void ree_block_seal(ree_block *b);
/* Merge block `b` (sealed here if it is not yet) into `into` (same ncell). Returns 0, or -1 when
 * out of memory or the shapes differ (`into` then unchanged). */
int ree_acc_merge_block(ree_acc *into, ree_block *b);
/* Serialisation, for MPI ranks of one job (same binary: the bytes are in the machine's own
 * representation, not a portable format). ree_acc_pack writes a's whole state (every cell's count,
 * moments, extremes and sketch points with their levels) into buf when cap is enough, and returns
 * the bytes it needs (with buf NULL: only the size). ree_acc_unpack replaces a's state by packed
 * bytes (same ncell and k) so that every later query or merge gives the same bits as on the
 * packed accumulator; returns the bytes read, or 0 when the bytes do not fit a or out of memory
 * (a is then unusable until reset). */
size_t ree_acc_pack(const ree_acc *a, void *buf, size_t cap);
size_t ree_acc_unpack(ree_acc *a, const void *buf, size_t len);

/* The same for a block (MPI ranks ship their blocks to rank 0): ree_block_pack seals `b` and
 * writes it (with buf NULL or cap too small: returns only the size); ree_block_unpack makes `b`
 * (same ncell) the sealed block described, returning the bytes read, or 0 when they do not fit
 * (`b` then unchanged). */
size_t ree_block_pack(ree_block *b, void *buf, size_t cap);
size_t ree_block_unpack(ree_block *b, const void *buf, size_t len);

/*
 * Ranges of cells. Cells never interact, so the merge of a block can be cut into ranges of cells
 * [lo, hi), each merged in block order on its own: the result is bit for bit that of whole merges.
 * Different ranges of one accumulator may be merged from different threads at once (each with its
 * own `tmp`), or on different MPI ranks (cells shipped as bytes, then gathered).
 *
 * ree_acc_merge_block_cells merges cells lo .. hi-1 of sealed block `b` into `into`, using the
 * caller's scratch `tmp` of ree_acc_tmp_points(into) doubles. Returns 0, or -1 when out of memory,
 * when b is not sealed or the shapes or the range do not fit (the range's cells stay usable; a cell
 * that could not grow is unchanged).
 * The pack and unpack functions are those above restricted to cells lo .. hi-1 (the bytes name
 * their range; unpacking into another range fails). ree_block_unpack_cells leaves the block's
 * other cells as they were and marks the block sealed: merge only the range it unpacked.
 */
size_t ree_acc_tmp_points(const ree_acc *a);
int ree_acc_merge_block_cells(ree_acc *into, const ree_block *b, size_t lo, size_t hi, double *tmp);
size_t ree_acc_pack_cells(const ree_acc *a, size_t lo, size_t hi, void *buf, size_t cap);
size_t ree_acc_unpack_cells(ree_acc *a, size_t lo, size_t hi, const void *buf, size_t len);
size_t ree_block_pack_cells(ree_block *b, size_t lo, size_t hi, void *buf, size_t cap);
size_t ree_block_unpack_cells(ree_block *b, size_t lo, size_t hi, const void *buf, size_t len);

#endif
