/*
 * base64.h - standard base64 (RFC 4648 alphabet, '=' padding), for binary
 * fields in text formats (the store's export files).
 */
#ifndef PETREL_UTIL_BASE64_H
#define PETREL_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the padded encoding of n bytes, without the NUL. */
static inline size_t base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Bytes that decoding n characters can produce at most. */
static inline size_t base64_decoded_max(size_t n)
{
    return n / 4 * 3 + 3;
}

/* Encodes in[0..n) into out, which holds base64_encoded_len(n) + 1 bytes;
 * the result is padded and NUL-terminated. in may be NULL when n is 0. */
void base64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes in[0..n), padded or not; out holds base64_decoded_max(n) bytes.
 * Returns the decoded length, or -1 for anything that is not base64 (other
 * characters, line breaks, bad padding, stray bits). */
long base64_decode(const char *in, size_t n, uint8_t *out);

#endif
