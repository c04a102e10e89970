/*
 * Input files opened as regular files only.
 *
 * Scenario files, observation files and the CSV files `reesim plot` reads may come from someone
 * else. A path naming a FIFO would block the reader forever, a directory reads as an error or as
 * nothing, and a device (/dev/zero, /dev/tty) never ends or waits for a terminal. Every input is
 * therefore opened through ree_infile_open, which refuses anything but a regular file without
 * blocking: it checks the path with stat, opens it with O_NONBLOCK (so a FIFO swapped in after
 * the check does not block the open), checks the open descriptor again with fstat, and only then
 * clears O_NONBLOCK and hands back a stdio stream.
 */
#ifndef REESIM_INFILE_H
#define REESIM_INFILE_H

#include <stddef.h>
#include <stdio.h>
#include "reesim/reesim.h"

/* Open `path` for reading in binary mode if it is a regular file (symlinks to one are followed).
 * Returns the stream (the caller fcloses it), or NULL with *status REE_ENOINPUT (REE_ENOMEM when
 * out of memory) and the reason in `why`, without the path: the strerror text ("No such file or
 * directory") or what the path is instead ("is a directory, not a regular file", "is a FIFO
 * (named pipe), not a regular file", ...). Never blocks on a FIFO or device. */
FILE *ree_infile_open(const char *path, ree_status *status, char *why, size_t len);

#endif
