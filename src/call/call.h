/* call.h -- the call stage: correlates every parsed SIP message into calls (INVITE dialogs,
 * RFC 3261 §12, §13, §17) and emits one stable record per finished call.
 *
 * Ownership: ct_message() copies the few strings a call keeps into that call's arena (one
 * bump allocator per active call, capped at ct_config.arena_max). A call_record handed to
 * the emit callback points into that arena and is valid only during the callback; the
 * arena is freed right after. Memory is proportional to the number of ACTIVE calls (capped
 * by max_calls) plus small fixed-size indexes; nothing grows with the capture length.
 *
 * Only INVITE dialogs are calls. REGISTER, OPTIONS, SUBSCRIBE... outside a call are counted
 * in ct_stats() and otherwise ignored. A message other than an initial INVITE (no To-tag)
 * never creates a call.
 *
 * Time is capture time (sx_msgmeta.ts): timers (Timer B, max duration...) fire when the
 * capture says so, never by the wall clock. ct_message() runs ct_expire() itself with the
 * message's time, so a caller needs ct_expire() only to advance time without messages.
 *
 * Field-by-field meaning of the record and its JSON form: docs/call-record.md.
 */
#ifndef SX_CALL_H
#define SX_CALL_H

#include <stdint.h>
#include <stdio.h>

#include "../base/carriers.h"
#include "../base/sx.h"
#include "../base/tally.h"
#include "../sip/sip.h"
#include "../transport/transport.h"

/* ---- Configuration ---- */

struct call_record; /* below */

typedef struct ct_config {
    size_t max_calls;         /* active calls kept; beyond, the oldest is evicted (200000) */
    sx_time timer_b;          /* no response to an INVITE: give up (RFC 3261 Timer B, 32 s) */
    sx_time timer_c;          /* provisional seen but no final (proxy Timer C, 180 s) */
    sx_time max_duration;     /* answered call without BYE: emitted incomplete (4 h) */
    sx_time bye_grace;        /* BYE without its 200: the call ends anyway (4 s) */
    sx_time challenge_wait;   /* 401/407 and no new INVITE: the call ends (180 s: a UA may
                                 prompt its user for the password) */
    sx_time linger;           /* a finished call's tombstone absorbs late ACK/retransmissions
                                 (64*T1 = 32 s, like Timer D/J) */
    sx_time group_window;     /* B2BUA heuristic: legs start within this (2 s) */
    sx_time group_id_window;  /* id-based grouping looks this far back (32 s) */
    size_t group_index;       /* recent call starts kept for grouping (16384) */
    const char *group_header; /* header naming another leg's Call-ID ("X-CID") */
    size_t max_messages;      /* message list entries kept per call (64) */
    int keep_messages;        /* 1: records carry the message list (the ladder, --calls);
                                 0: only counted (nmessages 0, messages_dropped still
                                 counts those beyond max_messages), when nobody reads it.
                                 Without the list a call of many messages also reaches
                                 arena_max later: "truncated" can differ between the two */
    int (*keep_call)(void *ud, const struct call_record *r); /* with keep_messages: asked once per
                                 call when it starts (call_id and leg_group are set; ud is
                                 ct_new's); 0: this call's list is only counted. NULL: all */
    size_t arena_max;         /* bytes of strings kept per call (64 KiB) */
    const carriers *names;    /* --carriers: names the peers of each record's "path" when
                                 it is written; NULL: none. Not owned, must outlive the
                                 tracker */
    unsigned emit_batch;      /* finished calls are emitted this many at a time, in the
                                 order they ended (ct_flush emits the rest): the later
                                 stages' code and tables then stay in the CPU caches for a
                                 run of calls instead of being evicted by the parser's
                                 between any two. 0 or 1: each as it ends (the default) */
} ct_config;
void ct_config_default(ct_config *c);

/* ---- The call record ---- */

enum call_status { CALL_COMPLETED = 0, CALL_INCOMPLETE, CALL_EVICTED };
const char *call_status_name(int status); /* "completed", "incomplete", "evicted" */

/* Why the call ended (record field "end"). */
#define CALL_ENDS(X)                                                                       \
    X(CALL_END_FAILURE, "failure", "a final response >= 300 (not a challenge)")            \
    X(CALL_END_CANCEL, "cancel", "CANCEL then a final response (normally 487)")            \
    X(CALL_END_BYE, "bye", "BYE and its 200, or BYE alone after bye_grace")                \
    X(CALL_END_NO_RESPONSE, "no_response", "no final response within Timer B / Timer C")   \
    X(CALL_END_CHALLENGE, "challenge", "401/407 not followed by a new INVITE")            \
    X(CALL_END_MAX_DURATION, "max_duration", "answered, no BYE within max_duration")       \
    X(CALL_END_EOF, "end_of_input", "still open when the input ended (ct_flush)")          \
    X(CALL_END_EVICTED, "evicted", "dropped to respect max_calls")
enum call_end {
#define CALL_END_ENUM(sym, name, desc) sym,
    CALL_ENDS(CALL_END_ENUM)
#undef CALL_END_ENUM
    CALL_END__COUNT
};
const char *call_end_name(int end);

/* Timings are microseconds; CALL_T_NONE when not applicable (JSON null). */
#define CALL_T_NONE INT64_MIN

typedef struct call_timings {
    sx_time pdd;       /* RFC 6076 §4.3 session request delay (see docs) */
    sx_time first_18x; /* first 180..189 - t0 */
    sx_time final;     /* final response (2xx or >= 300, not 401/407) - t0 */
    sx_time answer;    /* 2xx - t0 */
    sx_time ring;      /* 2xx - first 18x */
    sx_time talk;      /* BYE - 2xx (RFC 6076 §4.5) */
    sx_time last_invite; /* first transmission of the last INVITE transaction - t0 (0 unless
                            challenged): pdd - last_invite is the delay after authentication */
} call_timings;

typedef struct call_reason {
    sx_sv protocol; /* "Q.850", "SIP", "STIR"... */
    int cause;      /* -1 when absent */
    sx_sv text;
    sx_sv location; /* RFC 8606 */
    sx_sv params;   /* every reason-param as written (RFC 9410 ppi...), without the first ';' */
} call_reason;

typedef struct call_info_ref {
    sx_sv uri;
    sx_sv purpose;
} call_info_ref;

#define CALL_BRANCH_CODES 8
/* One To-tag (early or confirmed dialog, RFC 3261 §12.1; forking §13.2.2.4). */
typedef struct call_branch {
    sx_sv to_tag;
    sx_addr addr;   /* sender of the first response with this tag */
    uint16_t port;
    uint16_t codes[CALL_BRANCH_CODES]; /* distinct status codes in order (first 8) */
    uint8_t ncodes;
    uint16_t final_code; /* 0 if none */
} call_branch;

typedef struct call_msg {
    sx_time t; /* absolute capture time */
    sx_addr src, dst;
    uint16_t sport, dport;
    uint8_t transport;
    sx_sv line; /* start line, capped at 256 bytes */
} call_msg;

enum { CALL_BY_NONE = 0, CALL_BY_CALLER, CALL_BY_CALLEE };

/* Where the call went (record field "path"): the next hop of the first INVITE and what the
 * first hop's responses reveal of the network behind it. Hosts are as written in the URI (a
 * domain, or an address literal, IPv6 without brackets), at most CALL_HOST_MAX bytes. */
#define CALL_HOST_MAX 255
typedef struct call_path {
    sx_addr next_hop;       /* destination of the first INVITE */
    uint16_t next_port;
    uint8_t rr_behind;      /* the response carried more Record-Route entries than the first
                               INVITE: rr_first was added by a proxy downstream (RFC 3261
                               §16.6 item 4: each proxy puts its entry on top) */
    sx_sv ruri_host;        /* Request-URI host of the first INVITE */
    sx_sv contact_host;     /* Contact host of the last first-hop response (101..699) with one:
                               the far UA, or the far network's edge (§12.1.1) */
    sx_sv rr_first, rr_last;/* top and bottom Record-Route hosts of the last first-hop
                               response carrying Record-Route */
} call_path;

/* How the terminating network was learned (the "via" of the path's terminating hop). */
enum { CALL_VIA_NONE = 0, CALL_VIA_CONTACT, CALL_VIA_RECORD_ROUTE, CALL_VIA_RURI, CALL_VIA_SERVER };
const char *call_via_name(int via); /* "contact", "record_route", "ruri", "server", NULL */

typedef struct call_party {
    char e164[16];     /* canonical digits (sip_e164), "" if not a phone number */
    sx_sv user;        /* user part as written */
    sx_sv uri;         /* caller: the chosen identity's URI; callee: the Request-URI */
    sx_sv display;     /* caller only */
    sx_sv from_uri;    /* caller: From URI (also when PAI was chosen) */
    sx_sv to_uri;      /* callee: To URI */
    const char *source;/* caller: "pai" or "from"; callee: "ruri" or "to" */
} call_party;

typedef struct call_record {
    sx_sv call_id;
    sx_sv leg_group;       /* Call-ID of the group's first leg (<= 127 bytes) */
    const char *leg_match; /* "session-id", "x-cid", "icid", "heuristic", "none" */
    sx_time start;         /* t0: first transmission of the first INVITE */
    call_party caller, callee;
    sx_addr src, dst;      /* of the first INVITE */
    uint16_t sport, dport;
    uint8_t transport;

    int final_code;        /* 0 if none */
    sx_sv final_reason;    /* reason phrase */
    sx_addr final_addr;    /* sender of the final response */
    uint16_t final_port;
    const call_reason *reasons;
    size_t nreasons;
    sx_sv warning;         /* raw first Warning value of the final response */
    int64_t retry_after;   /* seconds, -1 if absent */
    const call_info_ref *call_info;
    size_t ncall_info;
    sx_sv server, user_agent; /* of the final response (else of the last response) */

    const uint16_t *provisional; /* 1xx codes, distinct, in order */
    size_t nprovisional;
    int early_media;       /* some 18x carried a body (SDP) */
    call_timings timings;
    uint32_t invite_retransmissions;
    uint32_t response_retransmissions;
    uint32_t invite_transactions; /* initial + challenged re-sends + re-INVITEs */
    uint32_t hops;                /* capture points the first INVITE was seen at */
    const call_branch *branches;
    size_t nbranches;
    int challenged;        /* a 401/407 was answered with a new INVITE (or not) */
    int no_final_response; /* ended without any final response */
    const sx_sv *identity; /* raw Identity values of the INVITEs, deduplicated */
    size_t nidentity;
    sx_sv verstat;         /* TN-Validation-Passed... from PAI/From of INVITE or responses */
    sx_sv session_id, icid;/* as seen in the first INVITE (for grouping) */

    int status;            /* enum call_status */
    int end;               /* enum call_end */
    int ended_by;          /* CALL_BY_*: who sent the BYE or CANCEL */
    int truncated;         /* the arena cap was hit: some strings were dropped */
    const call_msg *messages;
    size_t nmessages;
    uint32_t messages_dropped;
    call_path path;
    const carriers *names; /* ct_config.names, for naming the path's hops; may be NULL */
} call_record;

/* The network behind the next hop, if the record reveals one: the first of the Contact host,
 * the Record-Route host added downstream, the Request-URI host, that is not the next hop's
 * own address; with names, the first of those that names knows, else the Server header when
 * names knows one of its words (a product string names a vendor, not a network, unless the
 * operator says otherwise). Sets *host (Server value for CALL_VIA_SERVER) and *name (NULL if
 * unnamed); returns CALL_VIA_NONE when nothing is revealed. names may be NULL. */
int call_path_terminating(const call_record *r, const carriers *names, sx_sv *host,
                          const char **name);

/* Writes the record as one NDJSON line (with the trailing newline). */
void call_record_json(const call_record *r, FILE *out);
/* The same, letting a later stage (STIR checks, verdicts) add its own top-level keys: extra
 * is called before the closing brace and writes `,"key":value` pairs with json_key(). */
typedef void (*call_json_extra_fn)(void *ud, const call_record *r, FILE *out, int *first);
void call_record_json_ex(const call_record *r, FILE *out, call_json_extra_fn extra, void *ud);

/* ---- The tracker ---- */

typedef struct call_tracker call_tracker;
/* Called once per finished call (batched: ct_config.emit_batch); the record and its strings
 * are freed when it returns. */
typedef void (*ct_emit_fn)(void *ud, const call_record *rec);

/* cfg may be NULL (defaults). tally may be NULL. Returns NULL if out of memory. */
call_tracker *ct_new(const ct_config *cfg, sx_tally *tally, ct_emit_fn emit, void *ud);
/* Feeds one parsed message. meta and m are only read during the call. */
void ct_message(call_tracker *ct, const sx_msgmeta *meta, const sip_msg *m);
/* A hint, given m's Call-ID and start line before m is fully parsed (sip_hint): starts
 * fetching what ct_message() will probe first for it. Changes nothing ct_message() does. */
void ct_prefetch(call_tracker *ct, const sip_msg *m);
/* The second hint, once m's headers are read (ct_prefetch() came first): starts fetching the
 * call itself, whose table slot ct_prefetch() asked for. */
void ct_prefetch_call(call_tracker *ct, const sip_msg *m);
/* Ends calls whose timers ran out at capture time now. Cheap when nothing is due. */
void ct_expire(call_tracker *ct, sx_time now);
/* End of input: emits every open call (status incomplete, except calls already ended by a
 * BYE awaiting its 200, which are completed). */
void ct_flush(call_tracker *ct);
void ct_free(call_tracker *ct);

/* Counters for the summary. */
typedef struct ct_counters {
    uint64_t messages;       /* messages fed */
    uint64_t calls;          /* calls created */
    uint64_t completed, incomplete, evicted; /* emitted, by status */
    uint64_t requests[16];   /* requests outside any call, by enum sip_method */
    uint64_t noncall_responses; /* responses to those */
    uint64_t orphans;        /* in-dialog messages (ACK, BYE, CANCEL, responses to INVITE,
                                INVITE with To-tag) of unknown calls */
    uint64_t late;           /* absorbed by a finished call's tombstone */
    uint64_t invite_retransmissions, response_retransmissions;
    uint64_t duplicates;     /* the same packet again within 20 ms: a capture artefact */
    uint64_t truncated;      /* calls whose arena cap was hit */
    uint64_t messages_dropped; /* beyond max_messages, summed over calls */
    uint64_t grouped;        /* calls attached to an earlier leg */
    uint64_t active, active_max;
} ct_counters;
const ct_counters *ct_stats(const call_tracker *ct);
/* One JSON object, no trailing newline. */
void ct_stats_json(const ct_counters *s, FILE *out);

#endif
