/*
 * list.h - intrusive circular doubly-linked list.
 *
 * The node lives inside the element (inflight messages, clients of a loop,
 * queued deliveries), so linking never allocates (libuv queue.h, haproxy
 * LIST_*). An unlinked node points at itself, which makes list_unlink()
 * safe to call twice.
 */
#ifndef PETREL_UTIL_LIST_H
#define PETREL_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
    struct list *next, *prev;
};

#define LIST_INIT(name) {&(name), &(name)}

#define list_entry(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

static inline void list_init(struct list *l)
{
    l->next = l->prev = l;
}

static inline bool list_empty(const struct list *l)
{
    return l->next == l;
}

/* True when the node is on some list (after list_init or list_unlink it is not). */
static inline bool list_linked(const struct list *n)
{
    return n->next != n;
}

static inline void list_insert_before(struct list *at, struct list *n)
{
    n->prev = at->prev;
    n->next = at;
    at->prev->next = n;
    at->prev = n;
}

/* Appends n at the tail of l. */
static inline void list_push(struct list *l, struct list *n)
{
    list_insert_before(l, n);
}

/* Inserts n at the head of l. */
static inline void list_push_front(struct list *l, struct list *n)
{
    list_insert_before(l->next, n);
}

static inline void list_unlink(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* Removes and returns the head, or NULL when empty. */
static inline struct list *list_pop(struct list *l)
{
    if (list_empty(l))
        return NULL;
    struct list *n = l->next;
    list_unlink(n);
    return n;
}

/* Moves all of src to the tail of dst; src becomes empty. */
static inline void list_splice(struct list *dst, struct list *src)
{
    if (list_empty(src))
        return;
    src->next->prev = dst->prev;
    dst->prev->next = src->next;
    src->prev->next = dst;
    dst->prev = src->prev;
    list_init(src);
}

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Iteration that tolerates unlinking pos. */
#define list_for_each_safe(pos, tmp, head)                                                         \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

#endif
