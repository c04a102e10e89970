/*
 * Input files opened as regular files only (see infile.h).
 */
#include "infile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "reesim/reesim.h"

/* What a non-regular file is, for the message. */
static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a file";
}

/* NULL, with the reason in `why` and *status set: errno `e` when nonzero, else "not a regular
 * file" for a file of mode `m`. */
static FILE *fail(ree_status *status, int e, mode_t m, char *why, size_t len)
{
    if (e)
        snprintf(why, len, "%s", strerror(e));
    else
        snprintf(why, len, "is %s, not a regular file", kind_of(m));
    *status = e == ENOMEM ? REE_ENOMEM : REE_ENOINPUT;
    return NULL;
}

FILE *ree_infile_open(const char *path, ree_status *status, char *why, size_t len)
{
    struct stat sb;
    /* Checking the path first means a device is never opened at all (opening some devices has
     * effects); the fstat below closes the window between the check and the open. */
    if (stat(path, &sb) < 0)
        return fail(status, errno, 0, why, len);
    if (!S_ISREG(sb.st_mode))
        return fail(status, 0, sb.st_mode, why, len);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return fail(status, errno, 0, why, len);
    int e = 0;
    if (fstat(fd, &sb) < 0)
        e = errno;
    else if (!S_ISREG(sb.st_mode))
        e = -1;
    else {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            e = errno;
    }
    FILE *f = e ? NULL : fdopen(fd, "rb");
    if (!f) {
        if (!e)
            e = errno;
        close(fd);
        return e < 0 ? fail(status, 0, sb.st_mode, why, len) : fail(status, e, 0, why, len);
    }
    *status = REE_OK;
    return f;
}
