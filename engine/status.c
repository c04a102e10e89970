/* Status messages and exit codes, generated from REE_STATUS_LIST. */
#include "reesim/reesim.h"

static const char *const messages[] = {
#define REE_X_MSG(name, code, msg) msg,
    REE_STATUS_LIST(REE_X_MSG)
#undef REE_X_MSG
};

static const int exit_codes[] = {
#define REE_X_CODE(name, code, msg) code,
    REE_STATUS_LIST(REE_X_CODE)
#undef REE_X_CODE
};

const char *ree_status_message(ree_status s)
{
    if ((unsigned)s >= REE_STATUS_COUNT)
        return "unknown status";
    return messages[s];
}

int ree_status_exit_code(ree_status s)
{
    if ((unsigned)s >= REE_STATUS_COUNT)
        return 70;
    return exit_codes[s];
}

const char *ree_version(void)
{
    return REESIM_VERSION;
}
