/* Calibration by Nelder-Mead on logit-transformed boxes (see calibrate.h). */
#include "calibrate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mc.h"
#include "override.h"
#include "remath.h"
#include "score.h"

#define BAD_SCORE   1e300 /* a candidate the model check refuses */
#define START_STEP  0.7   /* initial simplex step in z units */
#define EDGE_MARGIN 0.01  /* starting values are kept this share of the box inside it */

typedef struct objective {
    ree_plan *p;
    const ree_calib_opts *o;
    ree_param_slot *slots;
    double *x; /* n: the point being evaluated */
    int n, until, evaluations, npoints;
    int status;
    char *err;
    size_t errlen;
} objective;

static double to_x(const ree_free_param *f, const ree_param_slot *s, double z)
{
    double x = f->min + (f->max - f->min) / (1.0 + ree_exp(-z));
    if (s->def->flags & REE_PF_INT)
        x = nearbyint(x);
    return x < f->min ? f->min : x > f->max ? f->max : x;
}

/* Mean score of the plan as it stands; NaN after an error (ob->status). */
static double score_now(objective *ob)
{
    ree_mc_opts mo = {.nruns = ob->o->nruns,
                      .seed = ob->o->seed,
                      .threads = ob->o->threads,
                      .cancel = ob->o->cancel};
    ree_mc_result res;
    ob->evaluations++;
    ree_status st = ree_mc_run(ob->p, &mo, NULL, &res, ob->err, ob->errlen);
    if (st != REE_OK) {
        ob->status = st;
        return NAN;
    }
    /* Under MPI ranks (exec.h) rank 0 alone holds the merged runs: its score, shared, is what
     * every rank's minimiser sees, so all take the same steps. */
    struct {
        double score;
        int npoints, st;
    } got = {NAN, 0, REE_OK};
    ree_fit_summary fs;
    if (ree_rank() == 0) {
        if (ree_fit_evaluate(ob->p, res.series, -1, ob->until, &fs))
            got.st = REE_ENOMEM;
        else {
            got.npoints = fs.npoints;
            got.score = ob->p->calib_score == REE_SCORE_INTERVAL ? fs.is : fs.crps;
        }
    }
    ree_mc_result_free(&res);
    ree_ranks_bcast(&got, sizeof got);
    if (got.st != REE_OK) {
        ob->status = got.st;
        snprintf(ob->err, ob->errlen, "out of memory scoring the fit");
        return NAN;
    }
    ob->npoints = got.npoints;
    return got.score;
}

static double f_eval(const gsl_vector *z, void *arg)
{
    objective *ob = arg;
    if (ob->status != REE_OK)
        return BAD_SCORE;
    char why[300];
    for (int i = 0; i < ob->n; i++)
        ob->x[i] = to_x(&ob->p->calib[i], &ob->slots[i], gsl_vector_get(z, (size_t)i));
    ree_ranks_bcast(ob->x, (size_t)ob->n * sizeof *ob->x); /* rank 0's point (exp may differ) */
    int bad = 0;
    for (int i = 0; i < ob->n && !bad; i++)
        bad = ree_slot_set(ob->p, &ob->slots[i], ob->x[i], why, sizeof why) != 0;
    /* score_now is collective on several ranks: a point one rank alone could not set (out of
     * memory) scores badly on every rank, not on that one alone; a failure they recover from, so
     * ree_ranks_who, not ree_ranks_failed. */
    if (ree_ranks_who(bad))
        return BAD_SCORE;
    double s = score_now(ob);
    return ob->status == REE_OK && isfinite(s) ? s : BAD_SCORE;
}

void ree_calib_result_free(ree_calib_result *r)
{
    if (!r)
        return;
    free(r->initial);
    free(r->fitted);
    r->initial = r->fitted = NULL;
}

static ree_status run(objective *ob, ree_calib_result *out)
{
    ree_plan *p = ob->p;
    const ree_calib_opts *o = ob->o;
    int n = ob->n;
    char why[400];
    for (int i = 0; i < n; i++)
        if (ree_plan_slot(p, p->calib[i].path, &ob->slots[i], why, sizeof why)) {
            snprintf(ob->err, ob->errlen, "calibrate.free[%d]: %s", i, why);
            return REE_EINVALID;
        }
    out->before = score_now(ob);
    if (ob->status != REE_OK)
        return ob->status;
    out->npoints = ob->npoints;
    if (ob->npoints == 0) {
        char date[16];
        ree_plan_date(p, ob->until, date, sizeof date);
        snprintf(ob->err, ob->errlen, "no observed point up to %s to fit", date);
        return REE_EUSAGE;
    }
    gsl_vector *z = gsl_vector_alloc((size_t)n), *step = gsl_vector_alloc((size_t)n);
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)n);
    /* The evaluations are collective on MPI ranks: a minimiser one rank alone had no memory for
     * stops every rank. */
    if (ree_ranks_lack_memory(!z || !step || !s, "method", "setting up the minimiser", ob->err,
                              ob->errlen)) {
        gsl_vector_free(z);
        gsl_vector_free(step);
        gsl_multimin_fminimizer_free(s);
        return REE_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        const ree_free_param *f = &p->calib[i];
        double w = f->max - f->min, x = ree_slot_value(&ob->slots[i]);
        double lo = f->min + EDGE_MARGIN * w, hi = f->max - EDGE_MARGIN * w;
        x = x < lo ? lo : x > hi ? hi : x;
        out->initial[i] = x;
        double u = (x - f->min) / w;
        gsl_vector_set(z, (size_t)i, ree_log(u / (1 - u)));
        gsl_vector_set(step, (size_t)i, START_STEP);
    }
    gsl_multimin_function fn = {.f = f_eval, .n = (size_t)n, .params = ob};
    ree_status st = REE_OK;
    if (gsl_multimin_fminimizer_set(s, &fn, z, step) != GSL_SUCCESS) {
        snprintf(ob->err, ob->errlen, "the minimiser could not start");
        st = REE_EINTERNAL;
    }
    int it = 0;
    while (st == REE_OK && it < o->max_iter) {
        int gs = gsl_multimin_fminimizer_iterate(s);
        it++;
        if (ob->status != REE_OK) {
            st = ob->status;
            break;
        }
        double size = gsl_multimin_fminimizer_size(s);
        if (o->iteration)
            o->iteration(o->iteration_arg, it, s->fval, size);
        if (gs != GSL_SUCCESS)
            break; /* no further progress possible (GSL_ENOPROG) */
        if (gsl_multimin_test_size(size, o->tol) == GSL_SUCCESS) {
            out->converged = 1;
            break;
        }
    }
    if (st == REE_OK) {
        const gsl_vector *best = gsl_multimin_fminimizer_x(s);
        for (int i = 0; i < n; i++) {
            out->fitted[i] = to_x(&p->calib[i], &ob->slots[i], gsl_vector_get(best, (size_t)i));
            if (ree_slot_set(p, &ob->slots[i], out->fitted[i], why, sizeof why)) {
                snprintf(ob->err, ob->errlen, "%s: %s", p->calib[i].path, why);
                st = REE_EINTERNAL;
            }
        }
        out->after = s->fval;
        out->iterations = it;
    }
    gsl_vector_free(z);
    gsl_vector_free(step);
    gsl_multimin_fminimizer_free(s);
    return st;
}

int ree_calibrate(ree_plan *p, const ree_calib_opts *o, ree_calib_result *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!p->ncalib) {
        snprintf(err, errlen, "the scenario declares no free parameter (a 'calibrate:' section)");
        return REE_EUSAGE;
    }
    if (o->nruns < 1 || o->threads < 1 || o->max_iter < 1) {
        snprintf(err, errlen, "need at least one run, one thread and one iteration");
        return REE_EUSAGE;
    }
    int until = o->until >= 0 ? o->until : p->calib_until;
    if (until >= p->nsteps)
        until = p->nsteps - 1;
    out->nfree = p->ncalib;
    out->until = until;
    out->initial = calloc((size_t)p->ncalib, sizeof *out->initial);
    out->fitted = calloc((size_t)p->ncalib, sizeof *out->fitted);
    ree_param_slot *slots = calloc((size_t)p->ncalib, sizeof *slots);
    double *x = calloc((size_t)p->ncalib, sizeof *x);
    /* as the minimiser, below */
    if (ree_ranks_lack_memory(!out->initial || !out->fitted || !slots || !x, "setup",
                              "setting up the calibration", err, errlen)) {
        free(slots);
        free(x);
        ree_calib_result_free(out);
        return REE_ENOMEM;
    }
    objective ob = {p, o, slots, x, p->ncalib, until, 0, 0, REE_OK, err, errlen};
    /* Months after the cut-off cannot change the score: stop the runs there. */
    int nsteps = p->nsteps;
    p->nsteps = until + 1;
    ree_status st = run(&ob, out);
    p->nsteps = nsteps;
    out->evaluations = ob.evaluations;
    free(slots);
    free(x);
    if (st != REE_OK)
        ree_calib_result_free(out);
    return st;
}
