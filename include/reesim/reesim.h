/*
 * reesim: Monte Carlo simulation of rare-earth and permanent-magnet supply chains under
 * export licensing. Public interface of the library behind the `reesim` command.
 *
 * Ownership rule, stated once for the whole library: an object returned by a function named
 * `*_alloc`, `*_load` or `*_open` belongs to the caller, who releases it with the matching
 * `*_free` (or `*_commit`/`*_abort` for output files). Every `*_free(NULL)` is a no-op. A
 * constructor that fails returns NULL and frees whatever it had built. Pointers returned by
 * accessors (`*_name`, `*_get`, ...) are borrowed: valid while the object that returned them
 * lives, and never to be freed by the caller. Library code never exits and never prints except
 * through a `FILE *` it is handed.
 */
#ifndef REESIM_REESIM_H
#define REESIM_REESIM_H

#include <stddef.h>

/* Status codes, each with its message and the sysexits(3) code `main` exits with. */
#define REE_STATUS_LIST(X)                                                                         \
    X(REE_OK, 0, "success")                                                                        \
    X(REE_EUSAGE, 64, "command line usage error")                                                  \
    X(REE_EINVALID, 65, "invalid scenario")                                                        \
    X(REE_ENOINPUT, 66, "cannot open input")                                                       \
    X(REE_EINTERNAL, 70, "internal error")                                                         \
    X(REE_EBALANCE, 70, "mass balance violated")                                                   \
    X(REE_ENONFINITE, 70, "non-finite value")                                                      \
    X(REE_ENOMEM, 71, "out of memory")                                                             \
    X(REE_ECANTCREATE, 73, "cannot create output")                                                 \
    X(REE_EIO, 74, "input/output error")                                                           \
    X(REE_EINTERRUPTED, 130, "interrupted")

typedef enum ree_status {
#define REE_X_ENUM(name, code, msg) name,
    REE_STATUS_LIST(REE_X_ENUM)
#undef REE_X_ENUM
        REE_STATUS_COUNT
} ree_status;

/* Message for a status; "unknown status" for a value outside the enum. Never NULL. */
const char *ree_status_message(ree_status s);

/* sysexits(3) code for a status; 70 (EX_SOFTWARE) for a value outside the enum. */
int ree_status_exit_code(ree_status s);

/* Version string of the library, e.g. "0.1.0". */
const char *ree_version(void);

#endif
