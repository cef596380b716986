/*
 * sqlite_exec.c - executing a plan: one transaction, one prepared
 * statement per operation, nothing parsed or allocated per row.
 *
 * Values are bound with SQLITE_STATIC: they point into the batch logs,
 * which outlive the statement's step. Every parameter is bound again
 * before each step, so a binding left from an earlier group is never read.
 */
#include "store/sqlite_int.h"

static void bind_blob(sqlite3_stmt *s, int i, struct slice v)
{
    /* A non-NULL pointer makes an empty value a zero-length blob, not NULL. */
    sqlite3_bind_blob(s, i, v.ptr ? (const void *)v.ptr : "", (int)v.len, SQLITE_STATIC);
}

static void bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
    sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

/* Steps s once and resets it. Returns SQLITE_OK or the error code. */
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int run_seq(struct sq *q, enum sq_stmt which, uint64_t seq)
{
    sqlite3_stmt *s = q->stmt[which];
    bind_u64(s, 1, seq);
    return run(s);
}

static int msg_put(struct sq *q, const struct store_msg_rec *m)
{
    sqlite3_stmt *s = q->stmt[SQ_MSG_PUT];
    bind_u64(s, 1, m->seq);
    bind_u64(s, 2, m->expiry_ms);
    sqlite3_bind_int(s, 3, m->qos);
    sqlite3_bind_int(s, 4, m->retain);
    bind_blob(s, 5, m->topic);
    bind_blob(s, 6, m->props);
    bind_blob(s, 7, m->payload);
    return run(s);
}

static int session_put(struct sq *q, const struct store_session_rec *r)
{
    sqlite3_stmt *s = q->stmt[SQ_SESSION_PUT];
    bind_u64(s, 1, r->seq);
    bind_u64(s, 2, r->expiry_interval);
    bind_u64(s, 3, r->will_msg);
    bind_u64(s, 4, r->will_delay);
    bind_u64(s, 5, r->offline_at_ms);
    sqlite3_bind_int(s, 6, r->next_pid);
    bind_blob(s, 7, r->client_id);
    if (r->has_username)
        bind_blob(s, 8, r->username);
    else
        sqlite3_bind_null(s, 8);
    return run(s);
}

static int session_del(struct sq *q, uint64_t seq)
{
    int rc = run_seq(q, SQ_SESSION_DEL, seq);
    if (rc == SQLITE_OK)
        rc = run_seq(q, SQ_SESSION_DEL_SUBS, seq);
    if (rc == SQLITE_OK) {
        sqlite3_stmt *s = q->stmt[SQ_SESSION_DEL_QOS2];
        bind_u64(s, 1, store_qos2_key(seq, 0));
        bind_u64(s, 2, store_qos2_key(seq, UINT16_MAX));
        rc = run(s);
    }
    return rc;
}

static int sub_op(struct sq *q, const struct store_op *op)
{
    const struct store_sub_rec *r = &op->u.sub;
    if (op->kind == STORE_OP_SUB_DEL) {
        sqlite3_stmt *s = q->stmt[SQ_SUB_DEL];
        bind_u64(s, 1, r->sess);
        bind_blob(s, 2, r->filter);
        return run(s);
    }
    sqlite3_stmt *s = q->stmt[SQ_SUB_PUT];
    bind_u64(s, 1, r->sess);
    sqlite3_bind_int(s, 2, r->opts);
    bind_u64(s, 3, r->sub_id);
    bind_blob(s, 4, r->filter);
    return run(s);
}

static int entry_put(struct sq *q, const struct store_entry_rec *e)
{
    sqlite3_stmt *s = q->stmt[SQ_ENTRY_PUT];
    bind_u64(s, 1, e->seq);
    bind_u64(s, 2, e->sess);
    bind_u64(s, 3, e->msg);
    sqlite3_bind_int(s, 4, e->qos);
    sqlite3_bind_int(s, 5, e->flags);
    sqlite3_bind_int(s, 6, e->state);
    sqlite3_bind_int(s, 7, e->pid);
    bind_u64(s, 8, e->sub_id);
    return run(s);
}

static int entry_update(struct sq *q, const struct store_entry_rec *e)
{
    sqlite3_stmt *s = q->stmt[SQ_ENTRY_UPDATE];
    bind_u64(s, 1, e->seq);
    sqlite3_bind_int(s, 2, e->state);
    sqlite3_bind_int(s, 3, e->pid);
    return run(s);
}

static int retain_op(struct sq *q, const struct store_op *op)
{
    sqlite3_stmt *s = q->stmt[op->kind == STORE_OP_RETAIN_SET ? SQ_RETAIN_SET : SQ_RETAIN_DEL];
    bind_blob(s, 1, op->u.retain.topic);
    if (op->kind == STORE_OP_RETAIN_SET)
        bind_u64(s, 2, op->u.retain.msg);
    return run(s);
}

static int exec_op(struct sq *q, const struct store_op *op)
{
    switch (op->kind) {
    case STORE_OP_MSG_PUT:
        return msg_put(q, &op->u.msg);
    case STORE_OP_MSG_DEL:
        return run_seq(q, SQ_MSG_DEL, op->u.seq);
    case STORE_OP_RETAIN_SET:
    case STORE_OP_RETAIN_DEL:
        return retain_op(q, op);
    case STORE_OP_SESSION_PUT:
        return session_put(q, &op->u.session);
    case STORE_OP_SESSION_DEL:
        return session_del(q, op->u.seq);
    case STORE_OP_SUB_PUT:
    case STORE_OP_SUB_DEL:
        return sub_op(q, op);
    case STORE_OP_ENTRY_PUT:
        return entry_put(q, &op->u.entry);
    case STORE_OP_ENTRY_UPDATE:
        return entry_update(q, &op->u.entry);
    case STORE_OP_ENTRY_DEL:
        return run_seq(q, SQ_ENTRY_DEL, op->u.seq);
    case STORE_OP_QOS2_PUT:
    case STORE_OP_QOS2_DEL:
        return run_seq(q, op->kind == STORE_OP_QOS2_PUT ? SQ_QOS2_PUT : SQ_QOS2_DEL,
                       store_op_key(op));
    default:
        return SQLITE_INTERNAL;
    }
}

int sq_exec_plan(struct sq *q, const struct sq_plan *p)
{
    if (p->live == 0)
        return SQLITE_OK;
    int rc = run(q->stmt[SQ_BEGIN]);
    for (size_t i = 0; rc == SQLITE_OK && i < p->n; i++) {
        if (!p->ops[i].skip)
            rc = exec_op(q, &p->ops[i].op);
    }
    if (rc == SQLITE_OK)
        rc = run(q->stmt[SQ_COMMIT]);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(q->db))
        run(q->stmt[SQ_ROLLBACK]);
    return rc;
}
