/*
 * wsdeflate.h - permessage-deflate (RFC 7692) for wsload's echo mode: a pool of
 * JSON-like text messages, each compressed once at start-up into a masked
 * frame, and one inflate stream per connection for the server's echoes.
 *
 * Each message is compressed on its own (a fresh raw deflate stream, window
 * bits 15, ended with a sync flush whose 00 00 ff ff tail is dropped,
 * RFC 7692 section 7.2.1), so it refers to no earlier message: valid whether
 * or not the server keeps its inflate context (section 7.2.3.2 lets a sender
 * choose not to use it). The server's echoes are inflated with a context kept
 * for the whole connection (context takeover is on unless negotiated off).
 * Included by wsload.c only; needs -lz.
 */
#include <zlib.h>

#define DEFLATE_POOL 64

/* RFC 7692 section 7.2.2: a message's compressed data ends with this tail. */
static const uint8_t DEFLATE_TAIL[4] = {0x00, 0x00, 0xff, 0xff};

/* Deterministic JSON-like text of exactly `size` bytes (the same kind of text
 * bench/deflate.mjs sends); message `m` of the pool. */
static void deflate_message(uint8_t *out, size_t size, int m) {
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "status",
                                  "active", "pending", "user", "order", "item"};
    uint32_t seed = 0x2545f491u ^ (uint32_t)size ^ ((uint32_t)m * 0x9e3779b9u);
    size_t len = 0;
    char item[160];
    out[len++] = '[';
    for (int i = 0; len < size; i++) {
        uint32_t r[6];
        for (int k = 0; k < 6; k++) {
            seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
            r[k] = seed;
        }
        const char *w = words[r[0] % 10];
        int n = snprintf(item, sizeof item,
                         "{\"id\":%u,\"type\":\"%s\",\"name\":\"%s-%u\",\"price\":%u.%02u,\"tags\":[\"%s\"],\"ok\":%s},",
                         r[1] % 1000000, w, w, r[2] % 1000, r[3] % 100, r[4] % 100, words[i % 10],
                         (r[5] & 1) ? "true" : "false");
        size_t take = (size_t)n < size - len ? (size_t)n : size - len;
        memcpy(out + len, item, take);
        len += take;
    }
}

/* Compresses `plain` into a masked text frame with RSV1 set (RFC 7692 section
 * 6); returns the frame (malloc'd) and its length in *frame_len. */
static uint8_t *deflate_frame(const uint8_t *plain, size_t size, const uint8_t mask[4], size_t *frame_len) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    size_t cap = deflateBound(&z, (uLong)size) + 16;
    uint8_t *comp = malloc(cap);
    z.next_in = (Bytef *)plain;
    z.avail_in = (uInt)size;
    z.next_out = comp;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_SYNC_FLUSH);
    size_t clen = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_OK || z.avail_in != 0 || clen < 4 || memcmp(comp + clen - 4, DEFLATE_TAIL, 4) != 0) {
        free(comp);
        return NULL;
    }
    clen -= 4;
    size_t hdr = 2 + (clen < 126 ? 0 : clen < 65536 ? 2 : 8) + 4;
    uint8_t *f = malloc(hdr + clen);
    f[0] = 0x80 | 0x40 | 0x1; /* FIN, RSV1 (compressed), text */
    size_t h = 2;
    if (clen < 126) f[1] = 0x80 | (uint8_t)clen;
    else if (clen < 65536) { f[1] = 0x80 | 126; f[2] = (uint8_t)(clen >> 8); f[3] = (uint8_t)clen; h = 4; }
    else { f[1] = 0x80 | 127; for (int i = 0; i < 8; i++) f[2 + i] = (uint8_t)((uint64_t)clen >> (56 - 8 * i)); h = 10; }
    memcpy(f + h, mask, 4);
    for (size_t i = 0; i < clen; i++) f[hdr + i] = comp[i] ^ mask[i & 3];
    free(comp);
    *frame_len = hdr + clen;
    return f;
}

/* Inflates `n` compressed bytes into out[*produced .. cap); returns -1 on a
 * zlib error or when the message would be longer than `cap`. */
static int inflate_some(z_stream *z, const uint8_t *p, size_t n, uint8_t *out, size_t cap, uint64_t *produced) {
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    while (z->avail_in > 0) {
        uint8_t spill;
        int full = *produced >= cap;
        z->next_out = full ? &spill : out + *produced; /* one byte past the end shows a too-long echo */
        z->avail_out = full ? 1 : (uInt)(cap - *produced);
        int rc = inflate(z, Z_SYNC_FLUSH);
        if (rc != Z_OK && rc != Z_BUF_ERROR) return -1;
        if (full) { if (z->avail_out == 0) return -1; }
        else *produced = cap - z->avail_out;
        if (rc == Z_BUF_ERROR && z->avail_out != 0) break; /* needs more input */
    }
    return 0;
}
