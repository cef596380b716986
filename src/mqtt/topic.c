/*
 * topic.c - topic name and topic filter rules, shared-subscription syntax,
 * and single filter/name matching (section 4.7 and 4.8 of MQTT 5.0).
 *
 * The broker's topic tree does not call mqtt_topic_matches() per
 * subscription (its cost grows with topic depth, not subscriber count);
 * this function serves ACLs, clients and tests, which match one filter
 * against one name.
 */
#include "mqtt/mqtt.h"

static const struct slice share_prefix = {(const uint8_t *)"$share/", 7};

bool mqtt_topic_name_valid(struct slice topic)
{
    if (topic.len == 0 || topic.len > 65535) /* [MQTT-4.7.3-1] */
        return false;
    if (memchr(topic.ptr, '+', topic.len) || memchr(topic.ptr, '#', topic.len))
        return false; /* [MQTT-3.3.2-2] */
    return mqtt_utf8_valid(topic);
}

/* Checks wildcard placement in a non-shared filter. */
static bool filter_levels_valid(struct slice f)
{
    for (size_t i = 0; i < f.len; i++) {
        uint8_t c = f.ptr[i];
        if (c != '+' && c != '#')
            continue;
        /* A wildcard must fill its whole level [MQTT-4.7.1-3]. */
        if (i > 0 && f.ptr[i - 1] != '/')
            return false;
        if (c == '+') {
            if (i + 1 < f.len && f.ptr[i + 1] != '/')
                return false;
        } else if (i + 1 != f.len) {
            return false; /* '#' last [MQTT-4.7.1-2] */
        }
    }
    return true;
}

bool mqtt_topic_shared_split(struct slice filter, struct slice *group, struct slice *real)
{
    if (!slice_starts_with(filter, share_prefix))
        return false;
    const uint8_t *g = filter.ptr + share_prefix.len;
    size_t rest = filter.len - share_prefix.len;
    const uint8_t *slash = memchr(g, '/', rest);
    if (slash == NULL) {
        *group = slice_make(g, rest);
        *real = SLICE_NULL;
    } else {
        *group = slice_make(g, (size_t)(slash - g));
        *real = slice_make(slash + 1, rest - (size_t)(slash - g) - 1);
    }
    return true;
}

bool mqtt_topic_filter_valid(struct slice filter)
{
    if (filter.len == 0 || filter.len > 65535) /* [MQTT-4.7.3-1] */
        return false;
    if (!mqtt_utf8_valid(filter))
        return false;
    struct slice group, real;
    if (mqtt_topic_shared_split(filter, &group, &real)) {
        /* [MQTT-4.8.2-1] [MQTT-4.8.2-2] */
        if (group.len == 0 || memchr(group.ptr, '+', group.len) ||
            memchr(group.ptr, '#', group.len))
            return false;
        if (real.len == 0)
            return false;
        return filter_levels_valid(real);
    }
    return filter_levels_valid(filter);
}

bool mqtt_topic_matches(struct slice filter, struct slice topic)
{
    size_t f = 0, t = 0;
    /* [MQTT-4.7.2-1]: wildcards at the first level do not match '$' topics. */
    if (topic.len > 0 && topic.ptr[0] == '$' && filter.len > 0 &&
        (filter.ptr[0] == '+' || filter.ptr[0] == '#'))
        return false;
    for (;;) {
        /* At the start of a level in both. */
        if (f < filter.len && filter.ptr[f] == '#')
            return true; /* matches this level and everything below, incl. the parent */
        if (f < filter.len && filter.ptr[f] == '+') {
            f++;
            while (t < topic.len && topic.ptr[t] != '/')
                t++;
        } else {
            while (f < filter.len && t < topic.len && filter.ptr[f] != '/' &&
                   topic.ptr[t] != '/') {
                if (filter.ptr[f] != topic.ptr[t])
                    return false;
                f++;
                t++;
            }
            bool f_end = f == filter.len || filter.ptr[f] == '/';
            bool t_end = t == topic.len || topic.ptr[t] == '/';
            if (!f_end || !t_end)
                return false;
        }
        /* Both at the end of a level. */
        if (f == filter.len && t == topic.len)
            return true;
        if (t == topic.len) {
            /* "a/#" matches "a": filter has "/#" left. */
            return f + 2 == filter.len && filter.ptr[f] == '/' && filter.ptr[f + 1] == '#';
        }
        if (f == filter.len)
            return false;
        f++; /* skip '/' */
        t++;
    }
}

size_t mqtt_topic_levels(struct slice topic)
{
    size_t n = 1;
    for (size_t i = 0; i < topic.len; i++)
        n += topic.ptr[i] == '/';
    return n;
}
