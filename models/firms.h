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

#include "model_lanes.h"
#include "model_lanes_cmp.h"

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

/* A population on lanes (model_lanes.h): each lane its own run's classes, bit for bit the scalar
 * functions' on that lane. A lane has classes 0 .. k - 1 of the REE_FIRMS_MAX (kd: its k as a
 * double); the class loops run to kmax, the most classes of any lane, and a class a lane lacks
 * takes no part in its sums (its values are scratch). */
typedef struct ree_firms_lanes {
    ree_vd kd;
    ree_vd cover[REE_FIRMS_MAX];
    ree_vd cstock[REE_FIRMS_MAX];
    ree_vd cpipe[REE_FIRMS_MAX];
    ree_vd corder[REE_FIRMS_MAX];
    ree_vd qprev;
    int kmax;
    int started; /* the lanes split together: ree_firms_split_lanes steps every lane */
} ree_firms_lanes;

/* The mask of the lanes that have class i. */
#define REE_FIRMS_LIVE(f, i) REE_VCMP(REE_VSPLAT((double)(i)), <, (f)->kd)

/* ree_firms_reset on each lane. */
void ree_firms_reset_lanes(ree_firms_lanes *f, const ree_vd *classes, const ree_vd *cover,
                           const ree_vd *cover_sd);

/* ree_firms_rescale of v[0..k) on each lane (v: REE_FIRMS_MAX lane vectors, a class each). */
void ree_firms_rescale_lanes(const ree_firms_lanes *f, ree_vd *v, const ree_vd *total);

/* ree_firms_split on each lane. Every lane takes part, a lane with k = 1 too (its caller may
 * ignore the result): the first call on a population sets every lane's split, the later ones
 * carry every lane's on, as the scalar calls at every step would. */
void ree_firms_split_lanes(ree_firms_lanes *f, const ree_vd *stock, const ree_vd *position,
                           const ree_vd *received);

#endif
