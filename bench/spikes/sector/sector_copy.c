/* models/sector.c compiled again (unchanged: #included) with the project's flags, with the
 * calls whose cost we want replaced by a load of the value they would have returned (oracle
 * tables filled beforehand), selected by -D:
 *   BD_DRAW  ree_rng_uniform_pos_gsl -> orc_u      BD_PINV  ree_ugaussian_pinv -> orc_z
 *   BD_EXP   exp -> orc_ex                          BD_POW   pow -> orc_pw
 * The argument is still computed (an empty asm takes it), so no work upstream of the call is
 * dropped with it. The results stay bit for bit the real hooks' (checked), only the cost of the call goes.
 * -Dree_model_sector=NAME renames the model object. */
#include <math.h>

#include "lock.h"
#include "rng.h"

#define ORC(t) (t[bench_run * NSTEP + bench_step])

#include "exactmath.h"

#if BD_DRAW
static inline double bd_draw(void)
{
    return ORC(orc_u);
}
#define ree_rng_uniform_pos_gsl(r) ((void)(r), bd_draw())
#endif
#if BD_PINV
static inline double bd_pinv(double u)
{
    __asm__ volatile("" : : "x"(u));
    return ORC(orc_z);
}
#define ree_ugaussian_pinv(u) bd_pinv(u)
#endif
#if BD_EXP
static inline double bd_exp(double x)
{
    __asm__ volatile("" : : "x"(x));
    return ORC(orc_ex);
}
#define exp(x) bd_exp(x)
#endif
#if BD_POW
static inline double bd_pow(double x, double y)
{
    __asm__ volatile("" : : "x"(x), "x"(y));
    return ORC(orc_pw);
}
#define pow(x, y) bd_pow(x, y)
#endif

#include "sector.c" /* models/sector.c, on the include path (build.sh) */
