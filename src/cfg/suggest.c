/*
 * suggest.c - "did you mean" for unknown configuration keys.
 *
 * Two rules, tried in order, both case-insensitive:
 *   1. containment: the unknown word is part of exactly one key
 *      ("max_inflight" -> "max_inflight_messages"), or exactly one key is
 *      part of it ("log_destination" -> "log_dest");
 *   2. edit distance (Levenshtein): the closest key, when it is at most a
 *      quarter of the word's length away (at least 1), so "alow_anonymous"
 *      finds "allow_anonymous" but "port" does not find "sort" of anything.
 * A suggestion that is wrong costs a person more than none, hence the
 * thresholds.
 */
#include <ctype.h>
#include <string.h>

#include "cfg/options.h"

#define WORD_MAX 64 /* longer words get no suggestion; no key is that long */

static void lower_copy(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[n] = '\0';
}

/* Levenshtein distance between two words of at most WORD_MAX bytes. */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t row[WORD_MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static const char *by_containment(const char *word, size_t n)
{
    const char *found = NULL;
    size_t count = 0;
    for (size_t i = 0; i < cfg_option_count; i++) {
        const char *key = cfg_options[i].name;
        bool hit = (n >= 4 && strstr(key, word) != NULL) ||
                   (strlen(key) >= 6 && strstr(word, key) != NULL);
        if (hit) {
            found = key;
            count++;
        }
    }
    return count == 1 ? found : NULL;
}

const char *cfg_option_suggest(const char *unknown)
{
    size_t n = strlen(unknown);
    if (n == 0 || n > WORD_MAX)
        return NULL;
    char word[WORD_MAX + 1];
    lower_copy(word, unknown, n);
    const char *found = by_containment(word, n);
    if (found)
        return found;
    size_t best = SIZE_MAX, limit = n / 4 > 1 ? n / 4 : 1;
    for (size_t i = 0; i < cfg_option_count; i++) {
        const char *key = cfg_options[i].name;
        size_t d = edit_distance(word, n, key, strlen(key));
        if (d < best) {
            best = d;
            found = key;
        }
    }
    return best <= limit ? found : NULL;
}
