/*
 * wsecho.c - a small, fast, single-threaded epoll WebSocket (RFC 6455) echo
 * server, used as the far end when benchmarking WebSocket *clients*: it must
 * not be the bottleneck, so it does the least work the protocol allows.
 *
 * Build:  gcc -O2 -o wsecho wsecho.c
 * Run:    wsecho [-p PORT] [--max-runtime S]   (prints "port=N pid=P")
 *
 * What it does: answers the HTTP upgrade (RFC 6455 section 4.2.2), then for
 * every complete masked frame it unmasks the payload and sends the same frame
 * back unmasked (data frames as-is, ping -> pong, close -> close echo then
 * FIN). It validates only what it needs to stay safe (mask bit, length), not
 * UTF-8 and not extensions: the client under test is what is measured.
 * Only loopback; a hard wall-clock cap (SIGALRM) makes it always exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* SHA-1, base64 and Sec-WebSocket-Accept (RFC 6455 section 4.2.2). */
#include "wsproto.h"

/* ------------------------------------------------------------ connections */

enum { ST_HANDSHAKE, ST_OPEN, ST_CLOSING };

struct conn {
    int fd;
    int state;
    int reading;          /* EPOLLIN wanted */
    uint32_t armed;       /* events currently registered with epoll */
    uint8_t *in;          /* bytes received, not yet consumed */
    size_t in_len, in_cap;
    uint8_t *out;         /* bytes to send, from out_off */
    size_t out_len, out_off, out_cap;
};

#define READ_CHUNK 65536
#define OUT_HIGH (8u << 20) /* stop reading while this much is unsent */
#define MAX_FRAME (64u << 20)

static int epfd;

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) { perror("realloc"); exit(1); }
    return q;
}

static void reserve(uint8_t **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    *buf = xrealloc(*buf, c);
    *cap = c;
}

static void out_append(struct conn *c, const void *p, size_t n) {
    if (c->out_off > 0 && c->out_off == c->out_len) c->out_off = c->out_len = 0;
    reserve(&c->out, &c->out_cap, c->out_len + n);
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void drop(struct conn *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void rearm(struct conn *c) {
    struct epoll_event ev = {0};
    int pending = c->out_len > c->out_off;
    c->reading = c->state != ST_CLOSING && (c->out_len - c->out_off) < OUT_HIGH;
    ev.events = (c->reading ? EPOLLIN : 0) | (pending ? EPOLLOUT : 0) | EPOLLRDHUP;
    if (ev.events == c->armed) return; /* no syscall when nothing changed */
    c->armed = ev.events;
    ev.data.ptr = c;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Returns -1 when the connection must be dropped. */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            return -1;
        }
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        if (c->state == ST_CLOSING) return -1; /* close echoed: end the TCP side too */
    }
    return 0;
}

/* RFC 6455 section 4.2.1/4.2.2: find Sec-WebSocket-Key, answer 101. */
static int handshake(struct conn *c, size_t *used) {
    uint8_t *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return c->in_len > 16384 ? -1 : 0;
    *end = 0;
    const char *p = (const char *)c->in, *key = NULL;
    size_t key_len = 0;
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, "sec-websocket-key:", 18) == 0) {
            key = p + 18;
            while (*key == ' ' || *key == '\t') key++;
            key_len = strcspn(key, "\r \t");
            break;
        }
    }
    if (!key || key_len == 0 || key_len > 40) return -1;
    char k[48], acc[29], resp[160];
    memcpy(k, key, key_len);
    k[key_len] = 0;
    ws_accept_for(k, acc);
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
    out_append(c, resp, (size_t)n);
    *used = (size_t)(end - c->in) + 4;
    c->state = ST_OPEN;
    return 1;
}

/* XOR with the 4-byte key, 8 bytes at a time (RFC 6455 section 5.3). */
static void unmask(uint8_t *p, size_t n, const uint8_t key[4]) {
    uint64_t k8;
    uint8_t kb[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    memcpy(&k8, kb, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v ^= k8;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++) p[i] ^= key[i & 3];
}

/* Parses as many whole frames as the buffer holds (RFC 6455 section 5.2);
 * returns bytes consumed, or -1 on a protocol error. */
static long frames(struct conn *c, uint8_t *b, size_t n) {
    size_t pos = 0;
    while (c->state == ST_OPEN && n - pos >= 2) {
        uint8_t b0 = b[pos], b1 = b[pos + 1];
        if (!(b1 & 0x80)) return -1; /* clients must mask, section 5.1 */
        uint64_t len = b1 & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (n - pos < 4) break;
            len = (uint64_t)b[pos + 2] << 8 | b[pos + 3];
            hl = 4;
        } else if (len == 127) {
            if (n - pos < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = len << 8 | b[pos + 2 + i];
            hl = 10;
        }
        if (len > MAX_FRAME) return -1;
        if (n - pos < hl + 4 + len) break;
        uint8_t *key = b + pos + hl, *payload = key + 4;
        unmask(payload, (size_t)len, key);
        uint8_t op = b0 & 0x0f, h[10];
        size_t ohl;
        if (op == 0x9) b0 = (uint8_t)((b0 & 0xf0) | 0xA); /* ping -> pong, section 5.5.2 */
        if (op == 0xA) { pos += hl + 4 + len; continue; }   /* unsolicited pong: ignore */
        h[0] = b0;
        if (len < 126) { h[1] = (uint8_t)len; ohl = 2; }
        else if (len < 65536) { h[1] = 126; h[2] = (uint8_t)(len >> 8); h[3] = (uint8_t)len; ohl = 4; }
        else { h[1] = 127; for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(len >> (56 - 8 * i)); ohl = 10; }
        out_append(c, h, ohl);
        out_append(c, payload, (size_t)len);
        pos += hl + 4 + len;
        if (op == 0x8) c->state = ST_CLOSING; /* close echoed, section 5.5.1 */
    }
    return (long)pos;
}

static int on_readable(struct conn *c) {
    reserve(&c->in, &c->in_cap, c->in_len + READ_CHUNK);
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r == 0) return -1;
    if (r < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    c->in_len += (size_t)r;
    size_t used = 0;
    if (c->state == ST_HANDSHAKE) {
        int h = handshake(c, &used);
        if (h <= 0) return h;
    }
    long f = frames(c, c->in + used, c->in_len - used);
    if (f < 0) return -1;
    used += (size_t)f;
    if (used) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    return flush_out(c);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "wsecho: hard time cap reached, exiting\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(3);
}

static void on_term(int sig) { (void)sig; _exit(0); }

int main(int argc, char **argv) {
    int port = 0;
    unsigned max_runtime = 900;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-p") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-runtime") && i + 1 < argc) max_runtime = (unsigned)atoi(argv[++i]);
        else { fprintf(stderr, "usage: wsecho [-p PORT] [--max-runtime S]\n"); return 2; }
    }
    ws_selftest("wsecho");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    alarm(max_runtime);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) { perror("bind/listen"); return 1; }
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    printf("port=%d pid=%d\n", ntohs(a.sin_port), (int)getpid());
    fflush(stdout);

    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[512];
    for (;;) {
        int ne = epoll_wait(epfd, evs, 512, -1);
        if (ne < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < ne; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                for (int k = 0; k < 64; k++) { /* accept a bounded batch */
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (!nc) { close(fd); break; }
                    nc->fd = fd;
                    nc->reading = 1;
                    nc->armed = EPOLLIN | EPOLLRDHUP;
                    struct epoll_event ce = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            uint32_t e = evs[i].events;
            int rc = 0;
            if (e & EPOLLOUT) rc = flush_out(c);
            if (rc == 0 && (e & EPOLLIN) && c->reading) rc = on_readable(c);
            if (rc == 0 && (e & (EPOLLERR | EPOLLHUP))) rc = -1;
            if (rc == 0 && (e & EPOLLRDHUP) && !(e & EPOLLIN) && c->out_len == c->out_off) rc = -1;
            if (rc < 0) { drop(c); continue; }
            rearm(c);
        }
    }
}
