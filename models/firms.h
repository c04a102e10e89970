/*
 * Firm populations as quantile classes of a cover distribution, shared by the sector and
 * inventory models (docs/models.md, sector, "Firm populations"; inventory, "Importer
 * populations"). A population is K equal classes (share 1/K each of the node's flow) whose stock
 * cover is lognormal across firms with mean `cover` weeks and sd `cover_sd`; class i (0-based)
 * gets the (i + 0.5) / K quantile. Each class keeps its own stock and pipeline, a split of the
 * node's that is rescaled to the engine's totals at every use, so the node's mass balance stays
 * the engine's.
 */
#ifndef REESIM_FIRMS_H
#define REESIM_FIRMS_H

/* Most classes a population holds: enough for the 5%-quantile class at K = 10 and a smooth
 * cover distribution; the state is a fixed block of this many classes. */
#define REE_FIRMS_MAX 32

typedef struct ree_firms {
    int k;                        /* number of classes, 1..REE_FIRMS_MAX */
    int started;                  /* the split has been set from the node's stock */
    double cover[REE_FIRMS_MAX];  /* weeks, each class's cover */
    double cstock[REE_FIRMS_MAX]; /* t, each class's stock (sum: the node's) */
    double cpipe[REE_FIRMS_MAX];  /* t, each class's pipeline (sum: position - stock) */
    double corder[REE_FIRMS_MAX]; /* t, each class's last order */
    double qprev;                 /* t, the node's pipeline at the last split */
} ree_firms;

/* Set K classes (clamped to 1..REE_FIRMS_MAX) with the quantile covers of a lognormal of mean
 * `cover` and sd `cover_sd` weeks (cover_sd 0 or cover 0: every class has `cover`). */
void ree_firms_reset(ree_firms *f, double classes, double cover, double cover_sd);

/* Rescale v[0..k) to sum to total (an equal split when they sum to nothing). */
void ree_firms_rescale(double *v, int k, double total);

/* The class split of a node's stock and pipeline at its order(): at the first call stock in
 * proportion to 1 + cover_i / wpm and the pipeline equally; later, what entered the pipeline
 * since the last call (max(0, Q - Q_prev + received), Q = position - stock) goes to the classes
 * in proportion to their last orders, and the arrivals `received` leave the pipelines in
 * proportion to p_i for the stocks. Both are then rescaled to stock and Q. */
void ree_firms_split(ree_firms *f, double stock, double position, double received);

#endif
