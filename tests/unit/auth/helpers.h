/*
 * helpers.h - small helpers shared by the auth unit tests: scratch
 * directories, writing and reading files, fixture paths, and running a
 * program with a bounded wait.
 */
#ifndef PETREL_TESTS_AUTH_HELPERS_H
#define PETREL_TESTS_AUTH_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A fresh directory under $TMPDIR (or /tmp); the caller removes it. */
static inline char *th_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/petrel-auth-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(path) ? strdup(path) : NULL;
}

/* Joins dir and name into a static buffer (one of four, rotating). */
static inline const char *th_path(const char *dir, const char *name)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, PATH_MAX, "%s/%s", dir, name);
    return b;
}

static inline int th_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Reads a whole file into a new string, or NULL. */
static inline char *th_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Removes a scratch directory and the plain files in it. */
static inline void th_rmdir(char *dir)
{
    char cmd[PATH_MAX + 16];
    if (dir == NULL)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

/* Path of a committed fixture (PETREL_SOURCE_DIR is set by CTest), in a
 * static buffer (one of four, rotating). */
static inline const char *th_fixture(const char *name)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ & 3];
    const char *src = getenv("PETREL_SOURCE_DIR");
    snprintf(b, PATH_MAX, "%s/tests/unit/auth/fixtures/%s", src ? src : ".", name);
    return b;
}

/* Finds an executable on PATH (or an absolute path); static buffer or NULL. */
static inline const char *th_which(const char *prog)
{
    static char path[PATH_MAX];
    const char *env = getenv("PATH");
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? prog : NULL;
    if (env == NULL)
        env = "/usr/local/bin:/usr/bin:/bin";
    while (*env) {
        size_t n = strcspn(env, ":");
        snprintf(path, sizeof path, "%.*s/%s", (int)n, env, prog);
        if (access(path, X_OK) == 0)
            return path;
        env += n + (env[n] == ':');
    }
    return NULL;
}

/* Runs argv[0] with stdin from `input` (NULL: /dev/null) and stdout and
 * stderr into `out` (NULL: discarded), waiting at most 30 s (then the
 * child is killed by its pid). Returns the exit status, or -1. */
static inline int th_run(char *const argv[], const char *input, const char *out)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    char inpath[] = "/tmp/petrel-auth-in-XXXXXX";
    int infd = -1;
    if (input) {
        infd = mkstemp(inpath);
        if (infd == -1 || write(infd, input, strlen(input)) != (ssize_t)strlen(input))
            return -1;
        posix_spawn_file_actions_adddup2(&fa, infd, 0);
        lseek(infd, 0, SEEK_SET);
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    }
    const char *o = out ? out : "/dev/null";
    posix_spawn_file_actions_addopen(&fa, 1, o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (infd != -1) {
        close(infd);
        unlink(inpath);
    }
    if (rc != 0)
        return -1;
    int status = 0;
    for (int i = 0; i < 3000; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

#endif
