/*
 * Fault points of reesim's own, for tests/cli/faults.sh: the output set's opens, folder creation
 * and final rename go through *at calls, which libfiu's preload (fiu-run) does not wrap. Built
 * with -DREESIM_FIU=ON (`make faults`, its own build folder), REE_FAULT(NAME) asks libfiu whether
 * point NAME should fail now (fiu-run -c "enable name=reesim/outset/..."), and if so sets errno
 * to EIO and is 1; in every other build it is the constant 0 and no libfiu is linked.
 */
#ifndef REESIM_FAULT_H
#define REESIM_FAULT_H

#include <errno.h>

#ifdef REESIM_FIU
#define FIU_ENABLE 1
#include <fiu.h>
#define REE_FAULT(name) (fiu_fail(name) ? (errno = EIO, 1) : 0)
#else
#define REE_FAULT(name) 0
#endif

#endif
