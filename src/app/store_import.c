/*
 * store_import.c - `petrel store import`: an export (format in
 * store_tool.h) into an empty store.
 *
 * All or nothing: the rows go through the ordinary batch API into a new
 * store in a temporary directory inside the target directory; only when
 * every line has been read, the trailer has matched and the store has
 * closed cleanly does its file replace the (missing or empty) petrel.db,
 * by rename. A bad line leaves the target exactly as it was and names the
 * file and line.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/store_tool.h"
#include "util/alloc.h"
#include "util/base64.h"

#define ROWS_PER_BATCH 1000
#define MAX_EXACT 9007199254740992.0 /* 2^53: the largest integer a double holds exactly */

struct import_state {
    const char *name; /* the input, for messages */
    unsigned long line;
    char *err;
    size_t errlen;
    struct store *st;
    struct store_batch b;
    unsigned in_batch;
    /* Batches committed and not yet done; done callbacks run on the store
     * thread, and the import waits for all of them before it returns. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned pending;
    int failed; /* the first non-zero status */
    struct app_store_counts *counts;
    uint64_t rows;
    bool ended;
};

/* A field decoded from a row, owned until the row is appended. */
struct field {
    struct slice s;
    uint8_t *owned;
};

static int bad(struct import_state *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct import_state *x, const char *fmt, ...)
{
    int n = snprintf(x->err, x->errlen, "%s:%lu: ", x->name, x->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < x->errlen)
        vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_u64(struct import_state *x, const cJSON *o, const char *key, double max, uint64_t *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it))
        return bad(x, "'%s' is missing or not a number", key);
    double d = it->valuedouble;
    if (d < 0 || d > max || d != floor(d))
        return bad(x, "'%s' must be a whole number from 0 to %.0f", key, max);
    *v = (uint64_t)d;
    return 0;
}

static int get_b64(struct import_state *x, const cJSON *o, const char *key, struct field *f)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(it))
        return bad(x, "'%s' is missing or not a string", key);
    size_t n = strlen(it->valuestring);
    f->owned = xmalloc(base64_decoded_max(n));
    long len = base64_decode(it->valuestring, n, f->owned);
    if (len < 0)
        return bad(x, "'%s' is not base64", key);
    f->s = slice_make(f->owned, (size_t)len);
    return 0;
}

/* A text field: key as a string, or key_b64 as base64. */
static int get_text(struct import_state *x, const cJSON *o, const char *key, struct field *f)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(it)) {
        f->s = slice_cstr(it->valuestring);
        return 0;
    }
    char b64key[32];
    snprintf(b64key, sizeof b64key, "%s_b64", key);
    if (cJSON_GetObjectItemCaseSensitive(o, b64key) == NULL)
        return bad(x, "'%s' is missing or not a string", key);
    return get_b64(x, o, b64key, f);
}

static int import_msg(struct import_state *x, const cJSON *o)
{
    uint64_t seq, qos, expiry;
    const cJSON *retain = cJSON_GetObjectItemCaseSensitive(o, "retain");
    struct field topic = {0}, props = {0}, payload = {0};
    int rc = get_u64(x, o, "seq", MAX_EXACT, &seq);
    if (rc == 0)
        rc = get_u64(x, o, "qos", 2, &qos);
    if (rc == 0)
        rc = get_u64(x, o, "expiry", MAX_EXACT, &expiry);
    if (rc == 0 && !cJSON_IsBool(retain))
        rc = bad(x, "'retain' is missing or not true or false");
    if (rc == 0)
        rc = get_text(x, o, "topic", &topic);
    if (rc == 0)
        rc = get_b64(x, o, "props", &props);
    if (rc == 0)
        rc = get_b64(x, o, "payload", &payload);
    if (rc == 0) {
        struct store_msg_rec m = {.seq = seq,
                                  .topic = topic.s,
                                  .props = props.s,
                                  .payload = payload.s,
                                  .qos = (uint8_t)qos,
                                  .retain = cJSON_IsTrue(retain),
                                  .expiry_ms = expiry};
        store_msg_put(&x->b, &m);
        x->counts->msgs++;
    }
    free(topic.owned);
    free(props.owned);
    free(payload.owned);
    return rc;
}

static int import_session(struct import_state *x, const cJSON *o)
{
    struct store_session_rec s = {0};
    uint64_t expiry = 0, will = 0, delay = 0, offline = 0, pid = 0;
    struct field client = {0}, user = {0};
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "username");
    int rc = get_u64(x, o, "seq", MAX_EXACT, &s.seq);
    if (rc == 0)
        rc = get_text(x, o, "client_id", &client);
    if (rc == 0 && !cJSON_IsNull(u))
        rc = get_text(x, o, "username", &user);
    if (rc == 0)
        rc = get_u64(x, o, "expiry_interval", UINT32_MAX, &expiry);
    if (rc == 0)
        rc = get_u64(x, o, "will_msg", MAX_EXACT, &will);
    if (rc == 0)
        rc = get_u64(x, o, "will_delay", UINT32_MAX, &delay);
    if (rc == 0)
        rc = get_u64(x, o, "offline_at", MAX_EXACT, &offline);
    if (rc == 0)
        rc = get_u64(x, o, "next_pid", UINT16_MAX, &pid);
    if (rc == 0) {
        s.client_id = client.s;
        s.has_username = !cJSON_IsNull(u);
        s.username = user.s;
        s.expiry_interval = (uint32_t)expiry;
        s.will_msg = will;
        s.will_delay = (uint32_t)delay;
        s.offline_at_ms = offline;
        s.next_pid = (uint16_t)pid;
        store_session_put(&x->b, &s);
        x->counts->sessions++;
    }
    free(client.owned);
    free(user.owned);
    return rc;
}

static int import_sub(struct import_state *x, const cJSON *o)
{
    uint64_t sess, opts, sub_id;
    struct field filter = {0};
    int rc = get_u64(x, o, "session", MAX_EXACT, &sess);
    if (rc == 0)
        rc = get_text(x, o, "filter", &filter);
    if (rc == 0)
        rc = get_u64(x, o, "opts", UINT8_MAX, &opts);
    if (rc == 0)
        rc = get_u64(x, o, "sub_id", UINT32_MAX, &sub_id);
    if (rc == 0) {
        struct store_sub_rec s = {
            .sess = sess, .filter = filter.s, .opts = (uint8_t)opts, .sub_id = (uint32_t)sub_id};
        store_sub_put(&x->b, &s);
        x->counts->subs++;
    }
    free(filter.owned);
    return rc;
}

static int import_entry(struct import_state *x, const cJSON *o)
{
    uint64_t v[8];
    static const struct {
        const char *key;
        double max;
    } f[8] = {{"seq", MAX_EXACT},     {"session", MAX_EXACT},
              {"msg", MAX_EXACT},     {"qos", 2},
              {"flags", UINT8_MAX},   {"pid", UINT16_MAX},
              {"sub_id", UINT32_MAX}, {"state", STORE_ENTRY_STATE_COUNT - 1}};
    for (int i = 0; i < 8; i++) {
        if (get_u64(x, o, f[i].key, f[i].max, &v[i]) != 0)
            return -1;
    }
    struct store_entry_rec e = {.seq = v[0],
                                .sess = v[1],
                                .msg = v[2],
                                .qos = (uint8_t)v[3],
                                .flags = (uint8_t)v[4],
                                .pid = (uint16_t)v[5],
                                .sub_id = (uint32_t)v[6],
                                .state = (uint8_t)v[7]};
    store_entry_put(&x->b, &e);
    x->counts->entries++;
    return 0;
}

static int import_qos2(struct import_state *x, const cJSON *o)
{
    uint64_t sess, pid;
    if (get_u64(x, o, "session", MAX_EXACT / 65536, &sess) != 0 ||
        get_u64(x, o, "pid", UINT16_MAX, &pid) != 0)
        return -1;
    store_qos2_put(&x->b, sess, (uint16_t)pid);
    x->counts->qos2++;
    return 0;
}

static int import_retain(struct import_state *x, const cJSON *o)
{
    uint64_t msg;
    struct field topic = {0};
    int rc = get_text(x, o, "topic", &topic);
    if (rc == 0)
        rc = get_u64(x, o, "msg", MAX_EXACT, &msg);
    if (rc == 0) {
        store_retain_set(&x->b, topic.s, msg);
        x->counts->retained++;
    }
    free(topic.owned);
    return rc;
}

static int import_end(struct import_state *x, const cJSON *o)
{
    uint64_t rows;
    if (get_u64(x, o, "rows", MAX_EXACT, &rows) != 0)
        return -1;
    if (rows != x->rows)
        return bad(x, "the end line counts %llu rows but %llu came before it",
                   (unsigned long long)rows, (unsigned long long)x->rows);
    x->ended = true;
    return 0;
}

static void on_done(void *arg, int status)
{
    struct import_state *x = arg;
    pthread_mutex_lock(&x->mu);
    if (status != 0 && x->failed == 0)
        x->failed = status;
    x->pending--;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static void commit(struct import_state *x)
{
    pthread_mutex_lock(&x->mu);
    x->pending++;
    pthread_mutex_unlock(&x->mu);
    store_batch_commit(x->st, &x->b, on_done, x);
    x->in_batch = 0;
}

/* Waits for every committed batch; returns the first failure or 0. */
static int wait_all(struct import_state *x)
{
    pthread_mutex_lock(&x->mu);
    while (x->pending > 0)
        pthread_cond_wait(&x->cv, &x->mu);
    int failed = x->failed;
    pthread_mutex_unlock(&x->mu);
    return failed;
}

static int import_row(struct import_state *x, const cJSON *o)
{
    static const struct {
        const char *type;
        int (*fn)(struct import_state *x, const cJSON *o);
    } kinds[] = {{"msg", import_msg},     {"session", import_session}, {"sub", import_sub},
                 {"entry", import_entry}, {"qos2", import_qos2},       {"retain", import_retain},
                 {"end", import_end}};
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!cJSON_IsString(type))
        return bad(x, "a row without a \"type\"");
    if (x->ended)
        return bad(x, "a row after the end line");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(type->valuestring, kinds[i].type) != 0)
            continue;
        if (kinds[i].fn(x, o) != 0)
            return -1;
        if (!x->ended)
            x->rows++;
        if (++x->in_batch == ROWS_PER_BATCH)
            commit(x);
        return 0;
    }
    return bad(x, "unknown row type '%.40s'", type->valuestring);
}

static int check_header(struct import_state *x, const cJSON *o)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, APP_EXPORT_FORMAT) != 0)
        return bad(x, "not a Petrel store export (its first line has no \"format\":\"%s\")",
                   APP_EXPORT_FORMAT);
    uint64_t version;
    if (get_u64(x, o, "version", MAX_EXACT, &version) != 0)
        return -1;
    if (version != APP_EXPORT_VERSION)
        return bad(x, "export format version %llu; this petrel reads version %d",
                   (unsigned long long)version, APP_EXPORT_VERSION);
    return 0;
}

/* Reads every line of in into x's store. Returns 0 or -1 with x->err set. */
static int read_lines(struct import_state *x, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        x->line++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        if (!cJSON_IsObject(o))
            rc = bad(x, "not a JSON object");
        else
            rc = x->line == 1 ? check_header(x, o) : import_row(x, o);
        cJSON_Delete(o);
    }
    free(line);
    if (rc == 0 && ferror(in))
        rc = bad(x, "read error: %s", strerror(errno));
    if (rc == 0 && x->line == 0)
        rc = bad(x, "empty input: not a Petrel store export");
    if (rc == 0 && !x->ended)
        rc = bad(x, "the input ends without its end line: the export is truncated");
    return rc;
}

static int count_row(uint64_t *n)
{
    ++*n;
    return 0;
}

static int count_msg(void *arg, const struct store_msg_rec *m)
{
    return count_row(arg);
}

static int count_session(void *arg, const struct store_session_rec *s)
{
    return count_row(arg);
}

static int count_sub(void *arg, const struct store_sub_rec *s)
{
    return count_row(arg);
}

static int count_entry(void *arg, const struct store_entry_rec *e)
{
    return count_row(arg);
}

static int count_qos2(void *arg, uint64_t sess, uint16_t pid)
{
    return count_row(arg);
}

static int count_retain(void *arg, struct slice topic, uint64_t msg)
{
    return count_row(arg);
}

/* 0 when dir has no store or an empty one (dir is created when missing),
 * else -1 with err set. */
static int check_target(const char *dir, char *err, size_t errlen)
{
    static const struct store_load_cbs cbs = {
        .msg = count_msg,
        .session = count_session,
        .sub = count_sub,
        .entry = count_entry,
        .qos2 = count_qos2,
        .retain = count_retain,
    };
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_FILE_NAME);
    if (access(path, F_OK) != 0)
        return 0;
    struct store st;
    struct store_options opt = {.dir = dir, .read_only = true};
    char why[512];
    if (store_open(&st, &store_sqlite_ops, &opt, why, sizeof why) != 0) {
        snprintf(err, errlen, "cannot import into %s", why);
        return -1;
    }
    uint64_t rows = 0;
    int rc = store_load(&st, &cbs, &rows, NULL);
    store_close(&st);
    if (rc == 0 && rows == 0)
        return 0;
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot read the store: %s", path, strerror(-rc));
    else
        snprintf(err, errlen,
                 "%s already holds %llu rows; import only fills an empty store (move %s "
                 "away first)",
                 path, (unsigned long long)rows, STORE_FILE_NAME);
    return -1;
}

/* Removes tmp and whatever the store left in it. */
static void remove_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (d != NULL) {
        struct dirent *e;
        char path[4096 + 512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(tmp);
}

/* Puts tmp's store in dir's place: stale -wal and -shm of the empty store
 * there go first, since SQLite would replay a leftover log into the new
 * file. */
static int install(const char *dir, const char *tmp, char *err, size_t errlen)
{
    char from[4096 + 64], to[4096 + 64];
    static const char *const sfx[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        snprintf(to, sizeof to, "%s/%s%s", dir, STORE_FILE_NAME, sfx[i]);
        if (unlink(to) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "%s: cannot remove: %s", to, strerror(errno));
            return -1;
        }
    }
    snprintf(from, sizeof from, "%s/%s", tmp, STORE_FILE_NAME);
    snprintf(to, sizeof to, "%s/%s", dir, STORE_FILE_NAME);
    if (rename(from, to) != 0) {
        snprintf(err, errlen, "cannot move %s to %s: %s", from, to, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* the rename itself must survive a crash */
        close(fd);
    }
    return 0;
}

int app_store_import_into(struct store *st, FILE *in, const char *name,
                          struct app_store_counts *counts, char *err, size_t errlen)
{
    struct import_state x = {
        .name = name, .err = err, .errlen = errlen, .counts = counts, .st = st};
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.cv, NULL);
    *counts = (struct app_store_counts){0};
    store_batch_init(&x.b);
    int rc = read_lines(&x, in);
    if (rc == 0)
        commit(&x);
    int failed = wait_all(&x);
    if (rc == 0 && failed != 0) {
        snprintf(err, errlen, "writing the store failed: %s", strerror(-failed));
        rc = -1;
    }
    store_batch_fini(&x.b);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.cv);
    return rc;
}

/* Imports in into a new store in tmp. */
static int import_into(const char *tmp, FILE *in, const char *name, struct app_store_counts *counts,
                       char *err, size_t errlen)
{
    struct store st;
    struct store_options opt = {.dir = tmp, .sync = STORE_SYNC_NORMAL};
    if (store_open(&st, &store_sqlite_ops, &opt, err, errlen) != 0)
        return -1;
    int rc = app_store_import_into(&st, in, name, counts, err, errlen);
    store_close(&st); /* the final checkpoint syncs the file */
    return rc;
}

int app_store_import(const char *dir, FILE *in, const char *name, struct app_store_counts *counts,
                     char *err, size_t errlen)
{
    *counts = (struct app_store_counts){0};
    if (check_target(dir, err, errlen) != 0)
        return -1;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.petrel-import-XXXXXX", dir);
    if (mkdtemp(tmp) == NULL) {
        snprintf(err, errlen, "%s: cannot make a temporary directory: %s", dir, strerror(errno));
        return -1;
    }
    int rc = import_into(tmp, in, name, counts, err, errlen);
    if (rc == 0)
        rc = install(dir, tmp, err, errlen);
    remove_tmp(tmp);
    if (rc != 0)
        *counts = (struct app_store_counts){0};
    return rc;
}
