/*
 * Internal to engine/io: the background fdatasync of a large CSV file (syncer.c), for csvwrite.c
 * and outfile.c.
 */
#ifndef REESIM_SYNCER_H
#define REESIM_SYNCER_H

#include <sys/types.h>

#include "outfile.h"

extern off_t ree_csv_sync_step; /* bytes between syncs: SYNC_STEP, or ree_csv_set_sync's (tests) */

void ree_csv_sync_ask(ree_csv *c);
int ree_csv_sync_stop(ree_csv *c);
int ree_csv_sync_error(const ree_csv *c);

#endif
