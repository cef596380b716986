/*
 * batch.h - the byte log of a struct store_batch (internal to src/store).
 *
 * Each operation is one kind byte followed by its fixed-size fields in
 * host byte order and then its variable-length fields (each a u32 length
 * and the bytes). The log never leaves the process, so host order and no
 * versioning are fine; the export format (src/app) is the portable one.
 * The store thread decodes a whole group of batches into an array of
 * struct store_op, plans cancellations over it (sqlite_plan.c) and then
 * executes what is left.
 */
#ifndef PETREL_STORE_BATCH_H
#define PETREL_STORE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum store_op_kind {
    STORE_OP_MSG_PUT = 1,
    STORE_OP_MSG_DEL,
    STORE_OP_RETAIN_SET,
    STORE_OP_RETAIN_DEL,
    STORE_OP_SESSION_PUT,
    STORE_OP_SESSION_DEL,
    STORE_OP_SUB_PUT,
    STORE_OP_SUB_DEL,
    STORE_OP_ENTRY_PUT,
    STORE_OP_ENTRY_UPDATE,
    STORE_OP_ENTRY_DEL,
    STORE_OP_QOS2_PUT,
    STORE_OP_QOS2_DEL,
    STORE_OP_KIND_COUNT
};

/* One decoded operation; its slices point into the log it came from. */
struct store_op {
    uint8_t kind; /* enum store_op_kind */
    union {
        struct store_msg_rec msg;
        struct store_session_rec session;
        struct store_sub_rec sub;
        struct store_entry_rec entry; /* ENTRY_PUT; ENTRY_UPDATE uses seq, state, pid */
        uint64_t seq;                 /* MSG_DEL, SESSION_DEL, ENTRY_DEL */
        struct {
            uint64_t sess;
            uint16_t pid;
        } qos2;
        struct {
            struct slice topic;
            uint64_t msg; /* RETAIN_SET */
        } retain;
    } u;
};

/* Decodes the operation at p (n bytes left). Returns the bytes it takes,
 * or 0 when p does not hold a whole, well-formed operation. */
size_t store_op_decode(const uint8_t *p, size_t n, struct store_op *op);

/* The 64-bit key an operation's row has in its table (seq, or session <<
 * 16 | pid for QoS 2 ids); 0 for kinds keyed by text (retained, subs). */
uint64_t store_op_key(const struct store_op *op);

/* The key of a QoS 2 id row. */
static inline uint64_t store_qos2_key(uint64_t sess, uint16_t pid)
{
    return sess << 16 | pid;
}

#endif
