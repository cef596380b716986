/*
 * passwd.c - petrel-passwd: add, change, delete and hash users in a
 * mosquitto password_file or an Apollo users.properties.
 *
 * The usage follows mosquitto_passwd's, so scripts written for it work:
 *   petrel-passwd [-c] [-D] [-b] [-U] [-I ITER] [--format F] [--scram[=LIST]]
 *                 FILE USER [PASSWORD]
 * Passwords are hashed in mosquitto's $7$ form (PBKDF2-HMAC-SHA512), which
 * mosquitto itself reads too, or, with --scram, stored as our `$scram$`
 * secrets (auth.h), which also let MQTT 5 clients log in with
 * SCRAM-SHA-256/512 enhanced authentication; mosquitto does not read those.
 * The file is edited line by line: comments, blank lines and other users
 * stay as they were, and each line is parsed by the broker's own parser
 * (src/auth), so a line the broker would refuse is refused here before
 * anything is written. The new file is written beside the old one and
 * renamed over it (mode 0600), so a crash leaves either the old file or
 * the new one.
 *
 * It links src/auth and uses its internal header for the line parser and
 * the hash classifier; nothing else of the broker.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "auth/auth_int.h"
#include "mqtt/mqtt.h"
#include "util/alloc.h"

#define HASH_CAP 512       /* above AUTH_SCRAM_SECRET_MAX and any $7$ value */
#define PASSWORD_MAX 65535 /* the longest password MQTT can carry */

struct options {
    bool create, remove, batch, update;
    unsigned iterations;
    unsigned scram; /* mask of enum auth_scram_mech; 0 = $7$ hashes */
    enum auth_file_format fmt;
    bool fmt_given;
    const char *file, *user, *password;
};

/* The file as lines (without their newlines); entries carry their key. */
struct line {
    char *text; /* owned */
    char *key;  /* owned; NULL for comments and blank lines */
    size_t key_len;
    char *value; /* owned; NULL with key */
};

struct pwfile {
    struct line *v;
    size_t n, cap;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: petrel-passwd [-c | -D] [-I ITERATIONS] [--format mosquitto|apollo] FILE USER\n"
            "       petrel-passwd [-c] -b [-I ITERATIONS] [--format mosquitto|apollo] FILE USER "
            "PASSWORD\n"
            "       petrel-passwd -U [-I ITERATIONS] [--format mosquitto|apollo] FILE\n"
            "       (each form also takes --scram[=LIST])\n"
            "\n"
            "Adds or changes USER's password in FILE, a mosquitto password_file (user:hash)\n"
            "or an Apollo users.properties (user=hash; chosen when FILE ends in .properties).\n"
            "Passwords are stored as $7$ PBKDF2-SHA512 hashes, as mosquitto_passwd writes them.\n"
            "\n"
            "  -b          take the password from the command line (batch mode)\n"
            "  -c          create FILE, or overwrite it, with USER alone\n"
            "  -D          delete USER\n"
            "  -U          hash every plain-text password in FILE\n"
            "  -I N        PBKDF2 iterations (default 101, as mosquitto_passwd; 4096 with\n"
            "              --scram)\n"
            "  --format F  mosquitto or apollo, whatever FILE's name\n"
            "  --scram[=LIST]\n"
            "              store a $scram$ secret instead, for MQTT 5 SCRAM-SHA-256 and\n"
            "              SCRAM-SHA-512 logins (plain passwords keep working); LIST is\n"
            "              sha256, sha512 or sha256,sha512 (the default). mosquitto cannot\n"
            "              read these entries\n"
            "  -h, --help  this text\n"
            "\n"
            "Without -b the password is asked twice on a terminal, or read as one line from\n"
            "standard input. Comments and other users are kept; FILE is replaced atomically\n"
            "with mode 0600.\n");
}

/* Prints "petrel-passwd: message" on stderr; returns 1 (the exit status). */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("petrel-passwd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int parse_iterations(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > INT_MAX || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Reads --scram's LIST: "sha256", "sha512" or both, comma-separated. */
static int parse_scram(const char *s, unsigned *out)
{
    *out = 0;
    if (s == NULL) {
        *out = AUTH_SCRAM_ALL;
        return 0;
    }
    for (;;) {
        size_t n = strcspn(s, ",");
        if (n == 6 && strncmp(s, "sha256", 6) == 0)
            *out |= AUTH_SCRAM_SHA256;
        else if (n == 6 && strncmp(s, "sha512", 6) == 0)
            *out |= AUTH_SCRAM_SHA512;
        else
            return -1;
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"scram", optional_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "bcDUI:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->batch = true;
            break;
        case 'c':
            o->create = true;
            break;
        case 'D':
            o->remove = true;
            break;
        case 'U':
            o->update = true;
            break;
        case 'I':
            if (parse_iterations(optarg, &o->iterations) < 0)
                return fail("-I wants a number from 1 to 2147483647, not '%s'", optarg);
            break;
        case 'f':
            o->fmt_given = true;
            if (strcmp(optarg, "mosquitto") == 0)
                o->fmt = AUTH_FMT_MOSQUITTO;
            else if (strcmp(optarg, "apollo") == 0)
                o->fmt = AUTH_FMT_PROPERTIES;
            else
                return fail("--format is mosquitto or apollo, not '%s'", optarg);
            break;
        case 's':
            if (parse_scram(optarg, &o->scram) < 0)
                return fail("--scram takes sha256, sha512 or sha256,sha512, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 1;
        }
    }
    int want = o->update ? 1 : o->remove ? 2 : o->batch ? 3 : 2;
    if ((o->create && (o->remove || o->update)) || (o->remove && o->update) ||
        (o->batch && (o->remove || o->update)))
        return fail("-c and -b set a password; -D and -U go alone");
    if (argc - optind != want) {
        usage(stderr);
        return 1;
    }
    o->file = argv[optind];
    o->user = want > 1 ? argv[optind + 1] : NULL;
    o->password = want > 2 ? argv[optind + 2] : NULL;
    if (!o->fmt_given)
        o->fmt = ends_with(o->file, ".properties") ? AUTH_FMT_PROPERTIES : AUTH_FMT_MOSQUITTO;
    return 0;
}

/* ---- User names and entry lines ------------------------------------------ */

static int check_user(const struct options *o)
{
    const char *u = o->user;
    if (u[0] == '\0' || !mqtt_utf8_valid(slice_cstr(u)) || strlen(u) > PASSWORD_MAX)
        return fail("user name '%s' is empty, too long or not UTF-8", u);
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail("user name '%s' holds a control character", u);
    if (o->fmt == AUTH_FMT_MOSQUITTO &&
        (strchr(u, ':') || u[0] == '#' || u[0] == ' ' || u[strlen(u) - 1] == ' '))
        return fail("user name '%s' cannot be written in a mosquitto password file (no ':', "
                    "no leading '#', no blanks at either end)",
                    u);
    return 0;
}

/* Formats an entry line for fmt: mosquitto "user:hash" or properties
 * "user=hash" with the user name escaped as a properties key. */
static char *entry_format(enum auth_file_format fmt, const char *user, const char *hash)
{
    size_t n = strlen(user);
    char *out = xmalloc(2 * n + strlen(hash) + 2);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = user[i];
        bool esc = fmt == AUTH_FMT_PROPERTIES &&
                   (strchr("=: \t\f\\", c) || (i == 0 && (c == '#' || c == '!')));
        if (esc)
            out[o++] = '\\';
        out[o++] = c;
    }
    out[o++] = fmt == AUTH_FMT_PROPERTIES ? '=' : ':';
    strcpy(out + o, hash);
    return out;
}

/* ---- The file --------------------------------------------------------------- */

static void pwfile_push(struct pwfile *f, struct line l)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = l;
}

static void pwfile_free(struct pwfile *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].text);
        free(f->v[i].key);
        free(f->v[i].value);
    }
    free(f->v);
}

static int pwfile_load(struct pwfile *f, const struct options *o)
{
    char *data, err[512];
    size_t len;
    struct stat st;
    if (stat(o->file, &st) == -1 && errno == ENOENT && !o->update && !o->remove)
        return fail("%s: no such file (use -c to create it)", o->file);
    if (auth_file_read(o->file, &data, &len, err, sizeof err) < 0)
        return fail("%s", err);
    struct auth_text t;
    struct slice s;
    auth_text_init(&t, o->file, (const uint8_t *)data, len);
    int rc = 0;
    while (rc == 0 && auth_text_next(&t, &s)) {
        struct line l = {xmemdup(s.ptr, s.len), NULL, 0, NULL};
        const char *why;
        if (auth_entry_parse(o->fmt, s, &l.key, &l.key_len, &l.value, &why) < 0) {
            auth_errf(err, sizeof err, o->file, t.line, "%s", why);
            rc = fail("%s", err);
        }
        pwfile_push(f, l);
    }
    free(data);
    return rc;
}

static bool line_is_user(const struct line *l, const char *user)
{
    return l->key && l->key_len == strlen(user) && memcmp(l->key, user, l->key_len) == 0;
}

/* Removes every entry for user; returns how many there were. */
static size_t pwfile_delete(struct pwfile *f, const char *user)
{
    size_t o = 0, removed = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (line_is_user(&f->v[i], user)) {
            free(f->v[i].text);
            free(f->v[i].key);
            free(f->v[i].value);
            removed++;
        } else {
            f->v[o++] = f->v[i];
        }
    }
    f->n = o;
    return removed;
}

/* Sets user's hash: replaces the first entry in place, drops repeats. */
static void pwfile_set(struct pwfile *f, enum auth_file_format fmt, const char *user,
                       const char *hash)
{
    size_t i = 0;
    while (i < f->n && !line_is_user(&f->v[i], user))
        i++;
    if (i == f->n) {
        pwfile_push(f, (struct line){entry_format(fmt, user, hash), xstrdup(user), strlen(user),
                                     xstrdup(hash)});
        return;
    }
    struct line keep = f->v[i];
    free(keep.text);
    free(keep.value);
    keep.text = entry_format(fmt, user, hash);
    keep.value = xstrdup(hash);
    /* Entries before i do not match, so the placeholder stays at i. */
    f->v[i] = (struct line){NULL, NULL, 0, NULL};
    pwfile_delete(f, user);
    f->v[i] = keep;
}

/* Hashes password as the options say: a $7$ hash or a $scram$ secret. */
static int hash_or_fail(const char *password, const struct options *o, char *out)
{
    int rc = o->scram ? auth_hash_scram(password, o->iterations, o->scram, out, HASH_CAP)
                      : auth_hash_password(password, o->iterations, out, HASH_CAP);
    if (rc < 0)
        return fail("hashing failed");
    return 0;
}

/* Hashes every plain-text value in place (-U). */
static int pwfile_update(struct pwfile *f, const struct options *o)
{
    for (size_t i = 0; i < f->n; i++) {
        struct line *l = &f->v[i];
        if (l->key == NULL || auth_hash_kind_of(l->value) != AUTH_HASH_PLAIN || l->value[0] == '\0')
            continue;
        char hash[HASH_CAP];
        if (hash_or_fail(l->value, o, hash))
            return 1;
        free(l->text);
        free(l->value);
        l->text = entry_format(o->fmt, l->key, hash);
        l->value = xstrdup(hash);
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Makes the rename durable; a failure here only costs durability. */
static void sync_dir(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd != -1) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Writes f to a temporary file beside path, then renames it over path. */
static int pwfile_save(const struct pwfile *f, const char *path)
{
    size_t plen = strlen(path);
    char *tmp = xmalloc(plen + 16);
    memcpy(tmp, path, plen);
    strcpy(tmp + plen, ".tmp-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd == -1) {
        int rc = fail("%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    int ok = fchmod(fd, 0600) == 0;
    for (size_t i = 0; ok && i < f->n; i++)
        ok = write_all(fd, f->v[i].text, strlen(f->v[i].text)) == 0 && write_all(fd, "\n", 1) == 0;
    ok = ok && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        e = e ? e : errno;
        unlink(tmp);
        free(tmp);
        return fail("%s: %s", path, strerror(e));
    }
    free(tmp);
    sync_dir(path);
    return 0;
}

/* ---- Passwords ---------------------------------------------------------------- */

/* Reads one line from stdin into buf (cap bytes); strips the newline. */
static int read_line(char *buf, size_t cap)
{
    if (fgets(buf, (int)cap, stdin) == NULL)
        return -1;
    size_t n = strlen(buf);
    if (n == cap - 1 && buf[n - 1] != '\n')
        return -2;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

/* Asks on the terminal with echo off. */
static int prompt(const char *what, char *buf, size_t cap)
{
    struct termios old, quiet;
    bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    fprintf(stderr, "%s", what);
    fflush(stderr);
    int rc = read_line(buf, cap);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return rc;
}

static int get_password(char *buf, size_t cap)
{
    int rc;
    if (isatty(STDIN_FILENO)) {
        char again[PASSWORD_MAX + 2];
        rc = prompt("Password: ", buf, cap);
        if (rc == 0)
            rc = prompt("Reenter password: ", again, sizeof again);
        if (rc == 0 && strcmp(buf, again) != 0)
            return fail("passwords do not match");
    } else {
        rc = read_line(buf, cap);
    }
    if (rc == -2)
        return fail("password longer than 65535 bytes");
    if (rc < 0)
        return fail("no password given on standard input");
    return 0;
}

static int check_password(const char *pw)
{
    if (pw[0] == '\0')
        return fail("empty password");
    if (strlen(pw) > PASSWORD_MAX)
        return fail("password longer than 65535 bytes");
    return 0;
}

/* ---- main --------------------------------------------------------------------- */

static int run(const struct options *o, struct pwfile *f)
{
    if (o->user && check_user(o))
        return 1;
    if (!o->create && pwfile_load(f, o))
        return 1;
    if (o->update)
        return pwfile_update(f, o) || pwfile_save(f, o->file);
    if (o->remove) {
        if (pwfile_delete(f, o->user) == 0)
            return fail("user '%s' is not in %s", o->user, o->file);
        return pwfile_save(f, o->file);
    }
    static char pw[PASSWORD_MAX + 2];
    if (o->batch)
        snprintf(pw, sizeof pw, "%s", o->password);
    else if (get_password(pw, sizeof pw))
        return 1;
    char hash[HASH_CAP];
    if (check_password(o->batch ? o->password : pw) || hash_or_fail(pw, o, hash))
        return 1;
    pwfile_set(f, o->fmt, o->user, hash);
    return pwfile_save(f, o->file);
}

int main(int argc, char **argv)
{
    struct options o = {0};
    if (parse_args(argc, argv, &o))
        return 1;
    struct pwfile f = {0};
    int rc = run(&o, &f);
    pwfile_free(&f);
    return rc;
}
