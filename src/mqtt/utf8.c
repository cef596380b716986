/*
 * utf8.c - UTF-8 validity as MQTT requires it [MQTT-1.5.4-1] [MQTT-1.5.4-2].
 *
 * Well-formed per RFC 3629 / Unicode table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF. UTF-8 Encoded Strings additionally
 * exclude U+0000; a payload marked as UTF-8 Encoded Character Data
 * (Payload Format Indicator 1, 5.0 section 3.3.2.3.2) only has to be
 * well-formed, so U+0000 is allowed there. Other control characters and
 * non-characters are allowed (the specification says a receiver MAY reject
 * them, and clients do send them).
 */
#include "mqtt/mqtt.h"

static bool utf8_check(struct slice s, bool allow_nul)
{
    if (s.len == 0)
        return true; /* s.ptr may be NULL: no pointer arithmetic on it */
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            if (c == 0 && !allow_nul)
                return false;
            p++;
            continue;
        }
        size_t left = (size_t)(end - p);
        if (c >= 0xC2 && c <= 0xDF) {
            if (left < 2 || (p[1] & 0xC0) != 0x80)
                return false;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
                return false;
            if (c == 0xE0 && p[1] < 0xA0) /* overlong */
                return false;
            if (c == 0xED && p[1] > 0x9F) /* surrogates U+D800..U+DFFF */
                return false;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return false;
            if (c == 0xF0 && p[1] < 0x90) /* overlong */
                return false;
            if (c == 0xF4 && p[1] > 0x8F) /* above U+10FFFF */
                return false;
            p += 4;
        } else {
            return false; /* continuation byte, 0xC0, 0xC1, 0xF5.. */
        }
    }
    return true;
}

bool mqtt_utf8_valid(struct slice s)
{
    return utf8_check(s, false);
}

bool mqtt_utf8_data_valid(struct slice s)
{
    return utf8_check(s, true);
}
