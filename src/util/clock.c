/*
 * clock.c - random bytes (see clock.h).
 */
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

void rand_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            perror("petrel: getrandom");
            abort();
        }
        p += r;
        n -= (size_t)r;
    }
}
