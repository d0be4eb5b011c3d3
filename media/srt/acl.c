/*
 * Handshake-time access control for the MDU's SRT listener. Compiled at start by bun:ffi's `cc`
 * (TinyCC) because libsrt calls the listen callback on its own receive thread, where JavaScript
 * cannot answer synchronously. Rules mirror streamid.ts; the table is filled from JS.
 *
 * Concurrency: one mutex per table guards entries, the live set and the event ring. The callback
 * holds it only to copy what it needs; srt_setsockflag runs after it is released.
 */
#include <srt/srt.h>
#include <srt/access_control.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACL_ID_BYTES 128    /* resource or token, NUL included: ACCESS_ID_FIELD_MAX_BYTES + 1 */
#define ACL_PASS_BYTES 80   /* libsrt passphrases are 10..79 characters */
#define ACL_SID_BYTES 513   /* SRTO_STREAMID is at most 512 bytes */
#define ACL_RING 256        /* handshake outcomes buffered between two drains of the worker loop */
#define ACL_PEER_BYTES 28   /* sizeof(struct sockaddr_in6) */

enum { ACL_MODE_REQUEST = 1, ACL_MODE_PUBLISH = 2 };

typedef struct {
  int in_use, mode, pbkeylen, pad;
  double expires_ms; /* wall-clock ms since the epoch; 0 = never */
  char resource[ACL_ID_BYTES];
  char token[ACL_ID_BYTES];
  char pass[ACL_PASS_BYTES];
} acl_entry;

/* Fixed layout read by acl.ts: keep in sync with ACL_EVENT_* there. */
typedef struct {
  int sock, code, mode, peer_len;
  unsigned char peer[ACL_PEER_BYTES];
  char resource[ACL_ID_BYTES];
  int pad;
} acl_event;

typedef struct {
  pthread_mutex_t mu;
  int cap;
  acl_entry *entries;
  char (*live)[ACL_ID_BYTES];
  acl_event ring[ACL_RING];
  unsigned head, tail, dropped;
} acl_table;

int acl_event_size(void) { return (int)sizeof(acl_event); }

acl_table *acl_new(int cap) {
  acl_table *t = calloc(1, sizeof(acl_table));
  if (!t) return 0;
  t->entries = calloc((size_t)cap, sizeof(acl_entry));
  t->live = calloc((size_t)cap, ACL_ID_BYTES);
  if (!t->entries || !t->live) { free(t->entries); free(t->live); free(t); return 0; }
  t->cap = cap;
  pthread_mutex_init(&t->mu, 0);
  return t;
}

void acl_free(acl_table *t) {
  if (!t) return;
  memset(t->entries, 0, (size_t)t->cap * sizeof(acl_entry)); /* wipe passphrases */
  pthread_mutex_destroy(&t->mu);
  free(t->entries); free(t->live); free(t);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int copy_str(char *dst, const char *src, size_t cap) {
  size_t n = strlen(src);
  if (n == 0 || n >= cap) return -1;
  memcpy(dst, src, n + 1);
  return 0;
}

/* 0 added; -1 table full; -2 a field is empty or too long. */
int acl_add(acl_table *t, const char *resource, const char *token, int mode, const char *pass,
            int pbkeylen, double expires_ms) {
  acl_entry e;
  memset(&e, 0, sizeof e);
  if (copy_str(e.resource, resource, ACL_ID_BYTES) || copy_str(e.token, token, ACL_ID_BYTES)) return -2;
  if (pass[0] && copy_str(e.pass, pass, ACL_PASS_BYTES)) return -2;
  e.in_use = 1; e.mode = mode; e.pbkeylen = pbkeylen; e.expires_ms = expires_ms;
  int rc = -1;
  pthread_mutex_lock(&t->mu);
  for (int i = 0; i < t->cap; i++) {
    if (!t->entries[i].in_use) { t->entries[i] = e; rc = 0; break; }
  }
  pthread_mutex_unlock(&t->mu);
  memset(&e, 0, sizeof e);
  return rc;
}

/* Remove the entry (resource, token), or every entry of resource when token is "". */
int acl_remove(acl_table *t, const char *resource, const char *token) {
  int n = 0;
  pthread_mutex_lock(&t->mu);
  for (int i = 0; i < t->cap; i++) {
    acl_entry *e = &t->entries[i];
    if (!e->in_use || strcmp(e->resource, resource)) continue;
    if (token[0] && strcmp(e->token, token)) continue;
    memset(e, 0, sizeof *e);
    n++;
  }
  pthread_mutex_unlock(&t->mu);
  return n;
}

static int live_index(acl_table *t, const char *resource) {
  for (int i = 0; i < t->cap; i++) if (t->live[i][0] && !strcmp(t->live[i], resource)) return i;
  return -1;
}

/* Mark a stream as having a publisher (a second publish is then refused with 409). */
int acl_set_live(acl_table *t, const char *resource, int live) {
  int rc = 0;
  pthread_mutex_lock(&t->mu);
  int i = live_index(t, resource);
  if (live && i < 0) {
    rc = -1;
    for (int j = 0; j < t->cap; j++) {
      if (!t->live[j][0]) { rc = copy_str(t->live[j], resource, ACL_ID_BYTES); break; }
    }
  } else if (!live && i >= 0) t->live[i][0] = 0;
  pthread_mutex_unlock(&t->mu);
  return rc;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Parse "#!::r=..,m=..,t=.." (raw or percent-encoded) into resource, token, mode; 0 or a REJX code. */
static int parse_sid(const char *sid, char *resource, char *token, int *mode) {
  char buf[ACL_SID_BYTES];
  size_t n = 0;
  if (!sid) return SRT_REJX_BAD_REQUEST;
  while (n < ACL_SID_BYTES && sid[n]) n++;
  if (n >= ACL_SID_BYTES) return SRT_REJX_BAD_REQUEST;
  if (strncmp(sid, "#!::", 4) == 0) memcpy(buf, sid, n + 1);
  else {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (sid[i] != '%') { buf[o++] = sid[i]; continue; }
      int hi = hexval(sid[i + 1]), lo = hi < 0 ? -1 : hexval(sid[i + 2]);
      if (hi < 0 || lo < 0) return SRT_REJX_BAD_REQUEST;
      buf[o++] = (char)(hi * 16 + lo);
      i += 2;
    }
    buf[o] = 0;
    if (strlen(buf) != o || strncmp(buf, "#!::", 4)) return SRT_REJX_BAD_REQUEST;
  }
  int have_r = 0, have_t = 0, have_m = 0;
  *mode = ACL_MODE_REQUEST;
  char *p = buf + 4;
  for (;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = 0;
    char *eq = strchr(p, '=');
    if (!eq || eq == p || !eq[1]) return SRT_REJX_BAD_REQUEST;
    *eq = 0;
    const char *val = eq + 1;
    if (!strcmp(p, "r") || !strcmp(p, "t")) {
      int *seen = p[0] == 'r' ? &have_r : &have_t;
      if ((*seen)++) return SRT_REJX_BAD_REQUEST;
      if (copy_str(p[0] == 'r' ? resource : token, val, ACL_ID_BYTES)) return SRT_REJX_BAD_REQUEST;
    } else if (!strcmp(p, "m")) {
      if (have_m++) return SRT_REJX_BAD_REQUEST;
      if (!strcmp(val, "publish")) *mode = ACL_MODE_PUBLISH;
      else if (!strcmp(val, "request")) *mode = ACL_MODE_REQUEST;
      else return SRT_REJX_BAD_MODE;
    }
    if (!comma) break;
    p = comma + 1;
  }
  return have_r && have_t ? 0 : SRT_REJX_BAD_REQUEST;
}

/* Token comparison in time independent of where the strings differ. */
static int same_token(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char d = (unsigned char)(la != lb);
  for (size_t i = 0; i < la && i < lb; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

/* Look the id up; on success copy the passphrase and key length. Caller holds no lock. */
static int lookup(acl_table *t, const char *resource, const char *token, int mode, char *pass, int *pbkeylen) {
  int code = SRT_REJX_FORBIDDEN;
  double now = now_ms();
  pthread_mutex_lock(&t->mu);
  for (int i = 0; i < t->cap; i++) {
    acl_entry *e = &t->entries[i];
    if (!e->in_use || strcmp(e->resource, resource) || !same_token(e->token, token)) continue;
    if (e->expires_ms > 0 && e->expires_ms <= now) break;
    if (e->mode != mode) break;
    if (mode == ACL_MODE_PUBLISH && live_index(t, resource) >= 0) { code = SRT_REJX_CONFLICT; break; }
    memcpy(pass, e->pass, ACL_PASS_BYTES);
    *pbkeylen = e->pbkeylen;
    code = 0;
    break;
  }
  pthread_mutex_unlock(&t->mu);
  return code;
}

/* The decision for a stream id, without a socket (tests and diagnostics). */
int acl_check(acl_table *t, const char *sid) {
  char resource[ACL_ID_BYTES] = {0}, token[ACL_ID_BYTES] = {0}, pass[ACL_PASS_BYTES] = {0};
  int mode = 0, pbk = 0;
  int code = parse_sid(sid, resource, token, &mode);
  if (!code) code = lookup(t, resource, token, mode, pass, &pbk);
  memset(pass, 0, sizeof pass);
  return code;
}

static void record(acl_table *t, int sock, int code, int mode, const char *resource, const struct sockaddr *peer) {
  pthread_mutex_lock(&t->mu);
  if (t->head - t->tail >= ACL_RING) t->dropped++;
  else {
    acl_event *ev = &t->ring[t->head % ACL_RING];
    memset(ev, 0, sizeof *ev);
    ev->sock = sock; ev->code = code; ev->mode = mode;
    if (peer) {
      int len = peer->sa_family == AF_INET6 ? 28 : 16;
      memcpy(ev->peer, peer, (size_t)len);
      ev->peer_len = len;
    }
    memcpy(ev->resource, resource, ACL_ID_BYTES);
    t->head++;
  }
  pthread_mutex_unlock(&t->mu);
}

/* Copy up to max buffered handshake outcomes into out; returns how many. */
int acl_drain(acl_table *t, acl_event *out, int max) {
  int n = 0;
  pthread_mutex_lock(&t->mu);
  while (n < max && t->tail != t->head) out[n++] = t->ring[t->tail++ % ACL_RING];
  pthread_mutex_unlock(&t->mu);
  return n;
}

/* Outcomes lost because the ring was full since the last call (then reset). */
int acl_dropped(acl_table *t) {
  pthread_mutex_lock(&t->mu);
  int n = (int)t->dropped;
  t->dropped = 0;
  pthread_mutex_unlock(&t->mu);
  return n;
}

static int acl_listen_cb(void *opaque, SRTSOCKET ns, int hsversion, const struct sockaddr *peer, const char *sid) {
  acl_table *t = opaque;
  char resource[ACL_ID_BYTES] = {0}, token[ACL_ID_BYTES] = {0}, pass[ACL_PASS_BYTES] = {0};
  int mode = 0, pbk = 0;
  /* HSv4 callers cannot carry a stream id at all. */
  int code = hsversion < 5 ? SRT_REJX_BAD_REQUEST : parse_sid(sid, resource, token, &mode);
  if (!code) code = lookup(t, resource, token, mode, pass, &pbk);
  if (!code && pass[0]) {
    if (pbk && srt_setsockflag(ns, SRTO_PBKEYLEN, &pbk, sizeof pbk)) code = SRT_REJX_ISE;
    if (!code && srt_setsockflag(ns, SRTO_PASSPHRASE, pass, (int)strlen(pass))) code = SRT_REJX_ISE;
  }
  memset(pass, 0, sizeof pass);
  memset(token, 0, sizeof token);
  record(t, ns, code, mode, resource, peer);
  if (code) {
    srt_setrejectreason(ns, code);
    return -1;
  }
  return 0;
}

/* Install the callback on a listener; the table must outlive the listener. */
int acl_install(SRTSOCKET listener, acl_table *t) {
  return srt_listen_callback(listener, acl_listen_cb, t);
}
