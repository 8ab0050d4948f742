/* tally.h -- the final account of every frame and every byte (brief: "nothing disappears
 * silently").
 *
 * Two kinds of counters:
 *  - FRAME outcomes: every frame read lands in exactly one of them, so
 *    frames == sum of the FRAME outcomes. tally_check() verifies that identity, and the tests
 *    call it on every capture they read.
 *  - EVENTS: counts of things that happened inside the pipeline (datagrams reassembled, TCP
 *    bytes skipped, SIP messages parsed...). They explain, they do not have to add up.
 *
 * A stage counts in the tally it was handed; there is no global state.
 */
#ifndef SX_TALLY_H
#define SX_TALLY_H

#include <stdint.h>
#include <stdio.h>

/* X(name, description). Frame outcomes: */
#define SX_TALLY_FRAMES(X)                                                                        \
    X(link_unsupported, "frames of a link type sipdx does not decode")                         \
    X(link_truncated, "frames too short for their link or tunnel header")                      \
    X(not_ip, "frames that carry no IP (ARP, LLDP, STP...)")                                    \
    X(ip_malformed, "IP packets with an impossible header or length")                           \
    X(ip_fragment_held, "IP fragments kept for reassembly (the datagram is counted once)")     \
    X(frag_dropped, "IP fragments dropped by the reassembly memory cap or as duplicates")      \
    X(not_udp_tcp, "IP packets of another protocol (ICMP, ESP, SCTP...)")                       \
    X(l4_malformed, "UDP/TCP headers that are truncated or inconsistent")                       \
    X(udp_not_sip, "UDP datagrams that are not SIP (RTP, DNS...)")                              \
    X(udp_sip, "UDP datagrams carrying SIP")                                                    \
    X(tcp_segment, "TCP segments handed to stream reassembly")                                 \
    X(tcp_dropped_limit, "TCP segments dropped because the stream table was full")             \
    X(hep, "HEP packets decapsulated")                                                          \
    X(hep_malformed, "HEP packets that could not be decapsulated")

/* Events: */
#define SX_TALLY_EVENTS(X)                                                                        \
    X(bytes_read, "bytes of captured frames read")                                              \
    X(frag_reassembled, "IP datagrams reassembled from fragments")                             \
    X(frag_expired, "IP datagrams whose fragments timed out incomplete")                      \
    X(tunnel_decapsulated, "tunnelled packets unwrapped (IP-in-IP, GRE, GTP-U, VLAN stacks)")  \
    X(tcp_streams, "TCP streams seen")                                                          \
    X(tcp_streams_evicted, "TCP streams closed early by the stream limit or idle timeout")    \
    X(tcp_bytes, "TCP payload bytes received")                                                  \
    X(tcp_bytes_skipped, "TCP payload bytes skipped (not SIP, gaps, resynchronisation)")        \
    X(tcp_gaps, "TCP sequence gaps (lost segments) that forced a resync")                      \
    X(tcp_retransmits, "TCP segments that were retransmissions of data already seen")         \
    X(hep_compressed, "HEP payloads that were compressed and inflated")                        \
    X(sip_messages, "SIP messages parsed")                                                      \
    X(sip_malformed, "SIP messages rejected as malformed (by reason below)")                   \
    X(calls_evicted, "calls ended early by the active-call cap (analyze --max-calls)")

typedef struct sx_tally {
#define SX_TALLY_FIELD(name, desc) uint64_t name;
    SX_TALLY_FRAMES(SX_TALLY_FIELD)
    SX_TALLY_EVENTS(SX_TALLY_FIELD)
#undef SX_TALLY_FIELD
    uint64_t frames; /* every frame read from every source */
    /* SIP malformed reasons, indexed by -SIP_E* code (see sip.h); sized generously. */
    uint64_t sip_bad[32];
} sx_tally;

/* Sum of the frame outcomes. */
uint64_t tally_frame_outcomes(const sx_tally *t);
/* 0 when frames == sum of the frame outcomes, -1 otherwise. */
int tally_check(const sx_tally *t);
/* Prints the non-zero counters, one per line, for people. */
void tally_print(const sx_tally *t, FILE *out);
/* Prints the tally as one JSON object (no trailing newline): {"frames":N,...}. Stable names. */
void tally_json(const sx_tally *t, FILE *out);
/* Adds every counter of b into a. */
void tally_add(sx_tally *a, const sx_tally *b);

#endif
