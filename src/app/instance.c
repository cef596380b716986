/*
 * instance.c - `petrel create DIR`: a new broker instance folder.
 *
 * Refuses anything that would overwrite: DIR must be new or empty, and
 * every file is opened with O_EXCL. The admin password is drawn from the
 * kernel's random source, shown once, and stored only as a hash
 * (auth_hash_password); users.properties is created 0600 because even a
 * hash invites offline guessing. The texts of the files are in
 * instance_text.c.
 *
 * Not done here: TLS key pairs (a later issue), and removing what was
 * written when a later step fails (the message names the step, and a
 * second `petrel create` into the same DIR is refused, so nothing is ever
 * half-overwritten).
 */
#include "app/instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/instance_text.h"
#include "auth/auth.h"
#include "util/clock.h"

#define ADMIN_USER "admin"
#define PASSWORD_LEN 16
#define PATH_CAP 4096

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Letters and digits, uniformly: bytes from 248 up are drawn again so
 * that every one of the 62 characters is equally likely. */
static void random_password(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < n) {
        unsigned char b[32];
        rand_bytes(b, sizeof b);
        for (size_t j = 0; j < sizeof b && i < n; j++) {
            if (b[j] < 248)
                out[i++] = alphabet[b[j] % 62];
        }
    }
    out[n] = '\0';
}

/* 1 when path is an empty directory, 0 when it is not empty, -1 on error. */
static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

/* mkdir -p: creates path and its missing parents. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[PATH_CAP];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return fail(err, errlen, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) == -1 && errno != EEXIST)
            return fail(err, errlen, "%s: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    return 0;
}

/* DIR must be new (then it is created) or an empty directory. */
static int prepare_root(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) == -1) {
        if (errno != ENOENT)
            return fail(err, errlen, "%s: %s", dir, strerror(errno));
        return make_dirs(dir, err, errlen);
    }
    if (!S_ISDIR(st.st_mode))
        return fail(err, errlen, "%s: exists and is not a directory", dir);
    int empty = dir_is_empty(dir);
    if (empty == -1)
        return fail(err, errlen, "%s: %s", dir, strerror(errno));
    if (!empty)
        return fail(err, errlen,
                    "%s: directory is not empty; petrel create only fills a new or empty "
                    "directory",
                    dir);
    return 0;
}

static int join(char *out, const char *dir, const char *rel, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    int r = snprintf(out, PATH_CAP, "%.*s/%s", (int)n, dir, rel);
    if (r < 0 || r >= PATH_CAP)
        return fail(err, errlen, "%s: path too long", dir);
    return 0;
}

static int make_subdir(const char *dir, const char *rel, mode_t mode, char *err, size_t errlen)
{
    char path[PATH_CAP];
    if (join(path, dir, rel, err, errlen) != 0)
        return -1;
    if (mkdir(path, mode) == -1)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    return 0;
}

/* Writes the concatenation of parts (NULL-terminated list) to DIR/rel,
 * which must not exist yet. */
static int write_file(const char *dir, const char *rel, mode_t mode, const char *const *parts,
                      char *err, size_t errlen)
{
    char path[PATH_CAP];
    if (join(path, dir, rel, err, errlen) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd == -1)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    for (; *parts; parts++) {
        const char *p = *parts;
        size_t left = strlen(p);
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w == -1 && errno == EINTR)
                continue;
            if (w == -1) {
                int e = errno;
                close(fd);
                return fail(err, errlen, "%s: %s", path, strerror(e));
            }
            p += w;
            left -= (size_t)w;
        }
    }
    if (close(fd) == -1)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    return 0;
}

/* etc/users.properties with a fresh admin password; the clear text goes to
 * password (PASSWORD_LEN + 1 bytes) for the one message that shows it. */
static int write_users(const char *dir, char *password, char *err, size_t errlen)
{
    char hash[512];
    random_password(password, PASSWORD_LEN);
    if (auth_hash_password(password, 0, hash, sizeof hash) != 0)
        return fail(err, errlen, "%s: could not hash the admin password", dir);
    const char *parts[] = {instance_users_head, ADMIN_USER "=", hash, "\n", NULL};
    return write_file(dir, "etc/users.properties", 0600, parts, err, errlen);
}

/* Single-quotes s for a shell when it holds anything but safe characters. */
static void print_shell_word(FILE *out, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                        "/._-+:@,=") == strlen(s)) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

static void print_summary(FILE *out, const char *dir, const char *password)
{
    fprintf(out, "Created a Petrel broker instance in %s\n\n", dir);
    fputs("  etc/petrel.conf        configuration: ports, logins, limits, logging\n"
          "  etc/users.properties   users and their password hashes\n"
          "  etc/groups.properties  groups of users\n"
          "  etc/acl.conf           who may publish and subscribe to which topics\n"
          "  data/                  stored sessions and messages (with persistence true)\n"
          "  log/                   petrel.log\n\n",
          out);
    fprintf(out,
            "Administrator login (group admins, which may use every topic):\n"
            "  user name: " ADMIN_USER "\n"
            "  password:  %s\n"
            "Write the password down now: it is shown only this once, and\n"
            "etc/users.properties stores only a hash of it, not the password itself.\n\n",
            password);
    fputs("Start the broker with:\n  petrel run ", out);
    print_shell_word(out, dir);
    fputs("\nIt accepts MQTT clients on 127.0.0.1, ports 1883 and 61613. Try, in two\n"
          "terminals:\n"
          "  mosquitto_sub -p 1883 -u " ADMIN_USER " -P PASSWORD -t temperature\n"
          "  mosquitto_pub -p 1883 -u " ADMIN_USER " -P PASSWORD -t temperature -m 21.5\n",
          out);
}

int instance_create(const char *dir, FILE *out, char *err, size_t errlen)
{
    char password[PASSWORD_LEN + 1] = "";
    const char *conf[] = {instance_conf_text, NULL};
    const char *groups[] = {instance_groups_text, NULL};
    const char *acl[] = {instance_acl_text, NULL};
    if (dir == NULL || *dir == '\0')
        return fail(err, errlen, "no directory given");
    int r = -1;
    if (prepare_root(dir, err, errlen) == 0 && make_subdir(dir, "etc", 0755, err, errlen) == 0 &&
        make_subdir(dir, "data", 0700, err, errlen) == 0 &&
        make_subdir(dir, "log", 0750, err, errlen) == 0 &&
        write_file(dir, "etc/petrel.conf", 0644, conf, err, errlen) == 0 &&
        write_users(dir, password, err, errlen) == 0 &&
        write_file(dir, "etc/groups.properties", 0644, groups, err, errlen) == 0 &&
        write_file(dir, "etc/acl.conf", 0644, acl, err, errlen) == 0) {
        print_summary(out, dir, password);
        fflush(out);
        r = 0;
    }
    explicit_bzero(password, sizeof password);
    return r;
}

int instance_config_path(const char *dir, char *out, size_t cap)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        n = 0;
    int r = snprintf(out, cap, "%.*s/etc/petrel.conf", (int)n, dir);
    return (r < 0 || (size_t)r >= cap) ? -1 : 0;
}
