/*
 * version.c - the program's version string.
 */
#include "app/app.h"

const char *app_version(void);

const char *app_version(void)
{
    return PETREL_VERSION;
}
