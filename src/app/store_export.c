/*
 * store_export.c - `petrel store export`: the store as JSON lines (format
 * in store_tool.h), written through store_load() on a read-only open, so
 * the export sees exactly what a starting broker would load.
 *
 * Each row is built as a cJSON object and printed unformatted on its own
 * line. Integers are written as raw text, not through cJSON's doubles, so
 * every digit of a sequence or a time survives.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/store_tool.h"
#include "mqtt/mqtt.h"
#include "util/alloc.h"
#include "util/base64.h"

struct export_state {
    FILE *out;
    struct app_store_counts *counts;
    uint64_t rows;
    int error; /* errno of a failed write */
};

static void add_u64(cJSON *o, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    cJSON_AddRawToObject(o, key, num);
}

static void add_b64(cJSON *o, const char *key, struct slice s)
{
    char *text = xmalloc(base64_encoded_len(s.len) + 1);
    base64_encode(s.ptr, s.len, text);
    cJSON_AddStringToObject(o, key, text);
    free(text);
}

/* A text field as a JSON string when it is valid MQTT UTF-8, else as
 * base64 under key_b64. */
static void add_text(cJSON *o, const char *key, struct slice s)
{
    if (mqtt_utf8_valid(s)) {
        char *text = xmemdup(s.ptr ? (const void *)s.ptr : "", s.len);
        cJSON_AddStringToObject(o, key, text);
        free(text);
        return;
    }
    char b64key[32];
    snprintf(b64key, sizeof b64key, "%s_b64", key);
    add_b64(o, b64key, s);
}

static cJSON *row(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        abort(); /* as xmalloc: out of memory */
    cJSON_AddStringToObject(o, "type", type);
    return o;
}

/* Prints o as one line and frees it. Returns 0, or -1 (errno kept) when
 * the write failed; a load callback's non-zero return stops the load. */
static int emit(struct export_state *x, cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    int rc = fputs(text, x->out) < 0 || fputc('\n', x->out) == EOF ? -1 : 0;
    free(text);
    if (rc != 0)
        x->error = errno ? errno : EIO;
    else
        x->rows++;
    return rc;
}

static int on_msg(void *arg, const struct store_msg_rec *m)
{
    struct export_state *x = arg;
    cJSON *o = row("msg");
    add_u64(o, "seq", m->seq);
    add_u64(o, "qos", m->qos);
    cJSON_AddBoolToObject(o, "retain", m->retain);
    add_u64(o, "expiry", m->expiry_ms);
    add_text(o, "topic", m->topic);
    add_b64(o, "props", m->props);
    add_b64(o, "payload", m->payload);
    x->counts->msgs++;
    return emit(x, o);
}

static int on_session(void *arg, const struct store_session_rec *s)
{
    struct export_state *x = arg;
    cJSON *o = row("session");
    add_u64(o, "seq", s->seq);
    add_text(o, "client_id", s->client_id);
    if (s->has_username)
        add_text(o, "username", s->username);
    else
        cJSON_AddNullToObject(o, "username");
    add_u64(o, "expiry_interval", s->expiry_interval);
    add_u64(o, "will_msg", s->will_msg);
    add_u64(o, "will_delay", s->will_delay);
    add_u64(o, "offline_at", s->offline_at_ms);
    add_u64(o, "next_pid", s->next_pid);
    x->counts->sessions++;
    return emit(x, o);
}

static int on_sub(void *arg, const struct store_sub_rec *s)
{
    struct export_state *x = arg;
    cJSON *o = row("sub");
    add_u64(o, "session", s->sess);
    add_text(o, "filter", s->filter);
    add_u64(o, "opts", s->opts);
    add_u64(o, "sub_id", s->sub_id);
    x->counts->subs++;
    return emit(x, o);
}

static int on_entry(void *arg, const struct store_entry_rec *e)
{
    struct export_state *x = arg;
    cJSON *o = row("entry");
    add_u64(o, "seq", e->seq);
    add_u64(o, "session", e->sess);
    add_u64(o, "msg", e->msg);
    add_u64(o, "qos", e->qos);
    add_u64(o, "flags", e->flags);
    add_u64(o, "state", e->state);
    add_u64(o, "pid", e->pid);
    add_u64(o, "sub_id", e->sub_id);
    x->counts->entries++;
    return emit(x, o);
}

static int on_qos2(void *arg, uint64_t sess, uint16_t pid)
{
    struct export_state *x = arg;
    cJSON *o = row("qos2");
    add_u64(o, "session", sess);
    add_u64(o, "pid", pid);
    x->counts->qos2++;
    return emit(x, o);
}

static int on_retain(void *arg, struct slice topic, uint64_t msg)
{
    struct export_state *x = arg;
    cJSON *o = row("retain");
    add_text(o, "topic", topic);
    add_u64(o, "msg", msg);
    x->counts->retained++;
    return emit(x, o);
}

static int write_header(struct export_state *x)
{
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", APP_EXPORT_FORMAT);
    add_u64(o, "version", APP_EXPORT_VERSION);
    add_u64(o, "schema", 1);
    cJSON_AddStringToObject(o, "petrel", PETREL_VERSION);
    cJSON_AddStringToObject(o, "created", created);
    int rc = emit(x, o);
    x->rows = 0; /* the header is not a row */
    return rc;
}

int app_store_export(const char *dir, FILE *out, struct app_store_counts *counts, char *err,
                     size_t errlen)
{
    static const struct store_load_cbs cbs = {
        .msg = on_msg,
        .session = on_session,
        .sub = on_sub,
        .entry = on_entry,
        .qos2 = on_qos2,
        .retain = on_retain,
    };
    *counts = (struct app_store_counts){0};
    struct store st;
    struct store_options opt = {.dir = dir, .read_only = true};
    if (store_open(&st, &store_sqlite_ops, &opt, err, errlen) != 0)
        return -1;
    struct export_state x = {.out = out, .counts = counts};
    int rc = write_header(&x);
    if (rc == 0)
        rc = store_load(&st, &cbs, &x, NULL);
    store_close(&st);
    if (rc == 0) {
        cJSON *o = row("end");
        add_u64(o, "rows", x.rows);
        rc = emit(&x, o);
    }
    if (rc == 0 && fflush(out) != 0) {
        x.error = errno;
        rc = -1;
    }
    if (rc != 0) {
        if (x.error)
            snprintf(err, errlen, "cannot write the export: %s", strerror(x.error));
        else
            snprintf(err, errlen, "%s/%s: cannot read the store (%s)", dir, STORE_FILE_NAME,
                     strerror(rc < 0 ? -rc : EIO));
        return -1;
    }
    return 0;
}
