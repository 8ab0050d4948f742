#!/usr/bin/env python3
"""scengen.py -- a synthetic outbound-calling scenario with KNOWN carrier policies, written
as a classic pcap plus its ground truth, for the diagnosis accuracy test (issue 5, "Proof").

    python3 tests/scenario/scengen.py --out DIR [--seed N] [--hours H]

writes DIR/scenario.pcap (with --split also part1.pcap and part2.pcap, cut at mid-time), DIR/carriers.txt (for `sipdx analyze --carriers`),
DIR/truth-calls.tsv (one line per call), DIR/truth-pairs.tsv (one line per caller ID x
carrier) and DIR/truth.json (the scenario's headline facts). tests/scenario/README.md
describes the scenario; the same seed always gives byte-identical files.

Python 3 standard library only. Every call is simulated in start-time order, so that the
carriers' stateful policies (velocity in a rolling hour, concurrency) see the calls in the
order a real carrier would.
"""
import argparse
import base64
import calendar
import json
import os
import random
import struct
import sys

# ---- The network (capture point: between our SBC and the carriers) ----

SBC = "10.0.0.2"          # our SBC: originates every INVITE seen in the capture
DIALER = "10.0.0.10"      # the dialer behind it (not on the captured leg; named in carriers.txt)
CARRIERS = {              # name -> (IP, Server header)
    "carrier-a": ("198.51.100.10", "CarrierA-SBC/5.1"),   # rejects unsigned calls
    "carrier-b": ("198.51.100.20", "CarrierB-Edge/2.3"),  # velocity analytics, 608 + jCard
    "carrier-c": ("203.0.113.30", "CarrierC-SBC/7.0"),    # 603+ blocklist, invalid caller IDs
    "carrier-d": ("203.0.113.40", "CarrierD-STIR-VS/1.4"),# STIR verifier, 60 s iat
    "carrier-e": ("192.0.2.50", "CarrierE-Trunk/3.2"),    # caps concurrency, 503
}
T0 = calendar.timegm((2026, 3, 2, 14, 0, 0))  # 2026-03-02T14:00:00Z
X5U = "https://cert.sbc.example/shaken/own-sbc.pem"

# ---- Carrier policies (the ground truth follows from these) ----
B_VELOCITY_N = 60          # carrier B: > 60 calls/hour (rolling) from one number -> 608 from then on
B_BLIP_AT = 35 * 60        # V1's single isolated 608 at B, before its sustained block
C_BL2_FROM = 90 * 60       # BL2 joins carrier C's blocklist at 15:30
D_MAX_AGE = 60             # carrier D: PASSporTs older than 60 s when sent are refused
E_MAX_CONCURRENT = 3       # carrier E: 503 when 3 calls are already in progress
CANCEL_AFTER = 30.0        # the dialer's no-answer timer

# ---- Cause -> who refused (the verdict vocabulary, src/diag/diag.h) ----
BLOCKED_BY = {
    "answered": "none", "no_answer": "none", "busy": "callee", "callee_declined": "callee",
    "invalid_destination": "callee", "unsigned_call": "network",
    "caller_id_reputation": "analytics", "analytics_rejected": "analytics",
    "network_blocklist": "analytics", "invalid_caller_id": "network",
    "stale_identity": "network", "identity_tn_mismatch": "network", "capacity": "network",
}


def rfc3339(t):
    """Seconds since T0 -> RFC 3339 UTC with milliseconds."""
    ms = int(round((T0 + t) * 1000))
    s, ms = divmod(ms, 1000)
    y, mo, d, h, mi, se = __import__("time").gmtime(s)[:6]
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, mo, d, h, mi, se, ms)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Caller:
    """One caller ID of the dialer: its traffic profile and signing behaviour."""

    def __init__(self, tn, name, kind, profile, weights, attest="A", sign=True, regular=None):
        self.tn, self.name, self.kind = tn, name, kind
        self.profile = profile      # [(from_s, to_s, calls_per_hour)]
        self.weights = weights      # {carrier: weight}
        self.attest, self.sign = attest, sign
        self.regular = regular      # fixed spacing in seconds instead of Poisson arrivals


def build_callers(rng, hours):
    end = hours * 3600
    normal_w = {"carrier-a": 0.28, "carrier-b": 0.2, "carrier-c": 0.14, "carrier-d": 0.2,
                "carrier-e": 0.18}
    names = ["Lakeside Dental", "Metro Insurance", "Summit Roofing", "Harbor Pharmacy",
             "Pinecrest Clinic", "Valley Auto", "Northgate Realty", "Riverbend Vet",
             "Cedar Lending", "Oakline Solar", "Bluewater HVAC", "Granite Legal",
             "Maple Pediatrics", "Sunset Travel", "Ironwood Gym", "Crescent Bank",
             "Willow Hospice", "Beacon Utilities", "Prairie Feeds", "Copper Plumbing",
             "Aspen Surveys", "Redwood Charity", "Coral Schools", "Falcon Courier"]
    npas = ["212", "312", "415", "617", "713", "202", "305", "404", "503", "602", "720", "813",
            "919", "614", "651", "704", "801", "858", "916", "952", "971", "978", "504", "615"]
    callers = []
    used = set()

    def tn_for(npa):
        while True:
            nxx = rng.randint(200, 999)
            if nxx % 100 == 11 or nxx == 555:
                continue
            tn = "1%s%03d%04d" % (npa, nxx, rng.randint(0, 9999))
            if tn not in used:
                used.add(tn)
                return tn

    for i, nm in enumerate(names):
        tn = tn_for(npas[i])
        if i < 16:
            c = Caller(tn, nm, "normal", [(0, end, 22)], normal_w, "A")
        elif i < 20:
            c = Caller(tn, nm, "normal", [(0, end, 22)], normal_w, "B")
        else:  # never signed: carrier A refuses all their calls
            c = Caller(tn, nm, "unsigned", [(0, end, 22)], normal_w, None, sign=False)
        callers.append(c)
    # Velocity: V1 spikes at 15:00 (36 -> 220 calls/hour, mostly through B); V2 is steady
    # but above B's threshold from the start; V3 stays just under it (a near-miss).
    vel_w = {"carrier-b": 0.8, "carrier-a": 0.05, "carrier-d": 0.1, "carrier-e": 0.05}
    callers.append(Caller(tn_for("469"), "Apex Warranty", "velocity",
                          [(0, 3600, 36), (3600, end, 220)], vel_w, "A"))
    callers.append(Caller(tn_for("786"), "Quick Loans Now", "velocity",
                          [(0, end, 100)], {"carrier-b": 0.85, "carrier-c": 0.05,
                                            "carrier-d": 0.1}, "A"))
    callers.append(Caller(tn_for("612"), "Pharmacy Refills", "near_velocity", [(0, end, 0)],
                          {"carrier-b": 1.0}, "A", regular=66.0))
    # Blocklisted at carrier C: BL1 from the start, BL2 from 15:30.
    bl_w = {"carrier-c": 0.5, "carrier-a": 0.15, "carrier-d": 0.15, "carrier-e": 0.2}
    callers.append(Caller(tn_for("347"), "Debt Relief Center", "blocklist", [(0, end, 30)],
                          bl_w, "A"))
    callers.append(Caller(tn_for("929"), "Auto Warranty Dept", "blocklist_late",
                          [(0, end, 30)], bl_w, "A"))
    # Caller IDs impossible under NANP (reference section 4): unsigned, sent to B and C only.
    inv_w = {"carrier-b": 0.5, "carrier-c": 0.5}
    for tn, nm in [("11235557788", "NPA starts with 1"), ("10215553344", "NPA starts with 0"),
                   ("14115553344", "N11 as NPA"), ("13125550178", "555-01XX fictitious")]:
        callers.append(Caller(tn, nm, "invalid", [(0, end, 12)], inv_w, None, sign=False))
    return callers


def arrivals(rng, c):
    """Start times (s since T0) of caller c's calls: Poisson per profile segment, >= 2 s apart
    so that "exact to the call" onsets are unambiguous with 1 s tolerance."""
    out = []
    if c.regular:
        t = rng.uniform(0, c.regular)
        end = c.profile[-1][1]
        while t < end:
            out.append(t)
            t += c.regular
        return out
    for (a, b, rate) in c.profile:
        t = a
        while rate > 0:
            t += max(2.0, rng.expovariate(rate / 3600.0))
            if t >= b:
                break
            out.append(t)
    return out


def pick(rng, weights):
    r = rng.random() * sum(weights.values())
    for k in sorted(weights):
        r -= weights[k]
        if r < 0:
            return k
    return sorted(weights)[-1]


def callee_tn(rng, caller_tn):
    while True:
        npa = rng.choice(["214", "303", "206", "480", "702", "512", "617", "305", "312", "571",
                          "215", "619", "503", "937", "785", "573", "208", "775"])
        nxx = rng.randint(200, 999)
        if nxx % 100 == 11 or nxx == 555:
            continue
        tn = "1%s%03d%04d" % (npa, nxx, rng.randint(0, 9999))
        if tn[:7] != caller_tn[:7]:  # no accidental neighbor spoofing
            return tn


# ---- Policies: each call gets its outcome and its ladder (list of (t, direction, kind)) ----

def human_outcome(rng):
    """What the called person does when the carrier lets the call through."""
    r = rng.random()
    if r < 0.44:
        ring = rng.uniform(3, 20)
        if rng.random() < 0.04:
            talk = rng.uniform(2, 5)
        else:
            talk = min(900.0, max(8.0, rng.lognormvariate(4.3, 0.9)))
        return {"cause": "answered", "code": 200, "ring18x": rng.uniform(0.3, 2.0),
                "final": ring, "talk": talk, "bye_by_callee": rng.random() < 0.3}
    if r < 0.66:
        return {"cause": "no_answer", "code": 487, "ring18x": rng.uniform(0.5, 3.0),
                "final": CANCEL_AFTER}
    if r < 0.78:
        ring = rng.uniform(0.5, 1.5) if rng.random() < 0.5 else None
        return {"cause": "busy", "code": 486, "ring18x": ring,
                "final": (ring or 0) + rng.uniform(0.4, 2.0)}
    if r < 0.98:
        return {"cause": "callee_declined", "code": 603, "ring18x": rng.uniform(0.8, 2.5),
                "final": rng.uniform(6.0, 22.0)}
    return {"cause": "invalid_destination", "code": 404, "ring18x": None,
            "final": rng.uniform(0.2, 1.0)}


def fast_refusal(rng, cause, code, lo=0.06, hi=0.4, trying=True):
    return {"cause": cause, "code": code, "ring18x": None, "final": rng.uniform(lo, hi),
            "trying": trying}


class Sim:
    def __init__(self, rng, hours):
        self.rng = rng
        self.hours = hours
        self.b_hist = {}       # caller -> start times of its calls at B (rolling hour)
        self.b_flagged = {}    # caller -> time flagged (sticky)
        self.e_active = []     # end times of calls in progress at E
        self.blip_done = False

    def decide(self, call, caller):
        rng, car, t = self.rng, call["carrier"], call["start"]
        idn = call["identity"]
        if caller.kind == "invalid":
            if car == "carrier-b":
                return dict(fast_refusal(rng, "invalid_caller_id", 608, 0.1, 0.35), jcard=True)
            return fast_refusal(rng, "invalid_caller_id", 603, 0.08, 0.3)
        if car == "carrier-a" and idn is None:
            return dict(fast_refusal(rng, "unsigned_call", 403, 0.06, 0.25), q850=21)
        if car == "carrier-b":
            h = self.b_hist.setdefault(caller.tn, [])
            h.append(t)
            while h and h[0] <= t - 3600:
                h.pop(0)
            if caller.tn not in self.b_flagged and len(h) > B_VELOCITY_N:
                self.b_flagged[caller.tn] = t
            if caller.tn in self.b_flagged:
                return dict(fast_refusal(rng, "caller_id_reputation", 608, 0.15, 0.5),
                            jcard=True)
            if caller.name == "Apex Warranty" and t >= B_BLIP_AT and not self.blip_done:
                self.blip_done = True   # one isolated 608 well before the sustained block
                return dict(fast_refusal(rng, "analytics_rejected", 608, 0.15, 0.5), jcard=True)
            if call["b_fast603"]:
                return fast_refusal(rng, "analytics_rejected", 603, 0.2, 0.5)
        if car == "carrier-c":
            if caller.kind == "blocklist" or (caller.kind == "blocklist_late" and t >= C_BL2_FROM):
                return dict(fast_refusal(rng, "network_blocklist", 603, 0.1, 0.4), plus=True)
        if car == "carrier-d" and idn is not None:
            if idn["orig"] != caller.tn:
                return fast_refusal(rng, "identity_tn_mismatch", 438, 0.05, 0.2)
            if t - idn["iat"] > D_MAX_AGE:
                code = 403 if rng.random() < 0.75 else 438
                return fast_refusal(rng, "stale_identity", code, 0.05, 0.2)
        if car == "carrier-e":
            self.e_active = [e for e in self.e_active if e > t]
            if len(self.e_active) >= E_MAX_CONCURRENT:
                return dict(fast_refusal(rng, "capacity", 503, 0.01, 0.04, trying=False),
                            retry_after=30)
        out = human_outcome(rng)
        if car == "carrier-e":
            self.e_active.append(t + out["final"] + out.get("talk", 0.0))
        return out


# ---- SIP text ----

def sdp(ip, sess):
    return ("v=0\r\no=- %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (sess, sess, ip, ip, 10000 + 2 * (sess % 20000)))


def msg(first, headers, body=""):
    hs = "".join("%s: %s\r\n" % kv for kv in headers)
    return ("%s\r\n%sContent-Length: %d\r\n\r\n%s" % (first, hs, len(body.encode()), body)).encode()


REASON_PHRASE = {100: "Trying", 180: "Ringing", 200: "OK", 403: "Forbidden", 404: "Not Found",
                 438: "Invalid Identity Header", 486: "Busy Here", 487: "Request Terminated",
                 503: "Service Unavailable", 603: "Decline", 608: "Rejected"}


def ladder(rng, call, caller, out):
    """The SIP messages of one call: [(t, src_ip, dst_ip, bytes)]."""
    cip = CARRIERS[call["carrier"]][0]
    server = CARRIERS[call["carrier"]][1]
    t0, cid = call["start"], call["call_id"]
    ftag, ttag = call["ftag"], "%08x" % rng.getrandbits(32)
    br = "z9hG4bK" + "%016x" % rng.getrandbits(64)
    ruri = "sip:+%s@%s:5060;user=phone" % (call["callee"], cip)
    frm = '"%s" <sip:+%s@%s;user=phone>;tag=%s' % (caller.name, caller.tn, SBC, ftag)
    to = "<sip:+%s@%s;user=phone>" % (call["callee"], cip)
    to_t = to + ";tag=" + ttag
    via = "SIP/2.0/UDP %s:5060;branch=%s;rport" % (SBC, br)
    via_r = "SIP/2.0/UDP %s:5060;branch=%s;received=%s;rport=5060" % (SBC, br, SBC)
    contact = "<sip:+%s@%s:5060>" % (caller.tn, SBC)
    cc = "<sip:+%s@%s:5060>" % (call["callee"], cip)
    h = [("Via", via), ("Max-Forwards", "69"), ("From", frm), ("To", to), ("Call-ID", cid),
         ("CSeq", "1 INVITE"), ("Contact", contact),
         ("P-Asserted-Identity", "<sip:+%s@%s;user=phone>" % (caller.tn, SBC))]
    idn = call["identity"]
    if idn is not None:
        hdr = b64u(json.dumps({"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": X5U},
                              separators=(",", ":"), sort_keys=True).encode())
        pay = b64u(json.dumps({"attest": idn["attest"], "dest": {"tn": [call["callee"]]},
                               "iat": int(T0 + idn["iat"]), "orig": {"tn": idn["orig"]},
                               "origid": idn["origid"]},
                              separators=(",", ":"), sort_keys=True).encode())
        sig = b64u(rng.getrandbits(512).to_bytes(64, "big"))
        h.append(("Identity", "%s.%s.%s;info=<%s>;alg=ES256;ppt=shaken" % (hdr, pay, sig, X5U)))
    h += [("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"), ("Supported", "timer"),
          ("User-Agent", "OwnSBC/9.2"), ("Content-Type", "application/sdp")]
    sess = rng.getrandbits(31)
    pk = [(t0, SBC, cip, msg("INVITE %s SIP/2.0" % ruri, h, sdp(SBC, sess)))]

    def resp(t, code, to_hdr, extra=(), body="", phrase=None):
        hs = [("Via", via_r), ("From", frm), ("To", to_hdr), ("Call-ID", cid),
              ("CSeq", "1 INVITE")] + list(extra)
        if code >= 180:
            hs.append(("Server", server))
        pk.append((t, cip, SBC, msg("SIP/2.0 %d %s" % (code, phrase or REASON_PHRASE[code]),
                                    hs, body)))

    def ack_err(t):
        pk.append((t, SBC, cip, msg("ACK %s SIP/2.0" % ruri,
                                    [("Via", via), ("Max-Forwards", "69"), ("From", frm),
                                     ("To", to_t), ("Call-ID", cid), ("CSeq", "1 ACK")])))

    if out.get("trying", True):
        resp(t0 + rng.uniform(0.008, 0.04), 100, to)
    if out.get("ring18x") is not None:
        resp(t0 + out["ring18x"], 180, to_t, [("Contact", cc)])
    code, tf = out["code"], t0 + out["final"]
    if code == 200:
        resp(tf, 200, to_t, [("Contact", cc), ("Content-Type", "application/sdp")],
             sdp(cip, sess + 1))
        br2 = "z9hG4bK" + "%016x" % rng.getrandbits(64)
        pk.append((tf + 0.02, SBC, cip, msg("ACK %s SIP/2.0" % cc.strip("<>"),
                  [("Via", "SIP/2.0/UDP %s:5060;branch=%s;rport" % (SBC, br2)),
                   ("Max-Forwards", "69"), ("From", frm), ("To", to_t), ("Call-ID", cid),
                   ("CSeq", "1 ACK")])))
        tb = tf + out["talk"]
        if out["bye_by_callee"]:
            br3 = "z9hG4bK" + "%016x" % rng.getrandbits(64)
            v3 = "SIP/2.0/UDP %s:5060;branch=%s" % (cip, br3)
            pk.append((tb, cip, SBC, msg("BYE %s SIP/2.0" % contact.strip("<>"),
                      [("Via", v3), ("Max-Forwards", "70"), ("From", to_t), ("To", frm),
                       ("Call-ID", cid), ("CSeq", "101 BYE")])))
            pk.append((tb + 0.015, SBC, cip, msg("SIP/2.0 200 OK",
                      [("Via", v3), ("From", to_t), ("To", frm), ("Call-ID", cid),
                       ("CSeq", "101 BYE")])))
        else:
            br3 = "z9hG4bK" + "%016x" % rng.getrandbits(64)
            v3 = "SIP/2.0/UDP %s:5060;branch=%s;rport" % (SBC, br3)
            pk.append((tb, SBC, cip, msg("BYE %s SIP/2.0" % cc.strip("<>"),
                      [("Via", v3), ("Max-Forwards", "69"), ("From", frm), ("To", to_t),
                       ("Call-ID", cid), ("CSeq", "2 BYE")])))
            pk.append((tb + 0.018, cip, SBC, msg("SIP/2.0 200 OK",
                      [("Via", v3.replace(";rport", ";received=%s;rport=5060" % SBC)),
                       ("From", frm), ("To", to_t), ("Call-ID", cid), ("CSeq", "2 BYE"),
                       ("Server", server)])))
        return pk
    if code == 487:  # the dialer's no-answer timer: CANCEL (RFC 3261 section 9.1)
        pk.append((tf, SBC, cip, msg("CANCEL %s SIP/2.0" % ruri,
                  [("Via", via), ("Max-Forwards", "69"), ("From", frm), ("To", to),
                   ("Call-ID", cid), ("CSeq", "1 CANCEL"),
                   ("Reason", 'SIP;cause=487;text="no answer timeout"')])))
        pk.append((tf + 0.02, cip, SBC, msg("SIP/2.0 200 OK",
                  [("Via", via_r), ("From", frm), ("To", to_t), ("Call-ID", cid),
                   ("CSeq", "1 CANCEL"), ("Server", server)])))
        resp(tf + 0.025, 487, to_t)
        ack_err(tf + 0.045)
        return pk
    extra, phrase = [], None
    if code == 403 and out["cause"] == "unsigned_call":
        extra = [("Reason", 'Q.850;cause=21;text="Call rejected"')]
    elif code == 403:
        phrase = "Stale Date"
    elif code == 608:
        extra = [("Call-Info", "<https://analytics.carrier-b.example/jcard/%08x.jws>;"
                               "purpose=jwscard" % rng.getrandbits(32)),
                 ("Reason", 'SIP;cause=608;text="Rejected"')]
    elif code == 603 and out.get("plus"):
        phrase = "Network Blocked"
        extra = [("Reason", 'SIP;cause=603;text="v=1;bp=analytics.carrier-c.example;'
                            'url=https://redress.carrier-c.example/dispute;id=%d";location=LN'
                            % rng.randint(100000, 999999))]
    elif code == 486:
        extra = [("Reason", 'Q.850;cause=17;text="User busy"')]
    elif code == 404:
        extra = [("Reason", 'Q.850;cause=1;text="Unallocated number"')]
    elif code == 503:
        extra = [("Retry-After", str(out["retry_after"])),
                 ("Reason", 'Q.850;cause=34;text="No circuit/channel available"')]
    resp(tf, code, to_t, extra, phrase=phrase)
    ack_err(tf + rng.uniform(0.01, 0.03))
    return pk


# ---- pcap (classic, Ethernet / IPv4 / UDP) ----

_IP4 = {}


def ip4(s):
    if s not in _IP4:
        _IP4[s] = bytes(int(x) for x in s.split("."))
    return _IP4[s]


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


MAC = {SBC: b"\x02\x00\x0a\x00\x00\x02"}
GW_MAC = b"\x02\x00\xc6\x33\x64\x01"


def record(t, src, dst, payload, ident):
    """One pcap record: Ethernet / IPv4 (checksummed) / UDP 5060 -> 5060."""
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload  # UDP checksum 0: none (RFC 768)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0x4000, 62, 17, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    fr = MAC.get(dst, GW_MAC) + MAC.get(src, GW_MAC) + b"\x08\x00" + hdr + udp
    us = int(round((T0 + t) * 1e6))
    return struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)) + fr


def write_pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        f.write(b"".join(records))


# ---- main ----

def generate(seed, hours, outdir, split=False):
    rng = random.Random(seed)
    callers = build_callers(rng, hours)
    by_tn = {c.tn: c for c in callers}
    signed_pool = [c.tn for c in callers if c.sign]
    calls = []
    for c in callers:
        for t in arrivals(rng, c):
            calls.append({"start": t, "caller": c.tn, "carrier": pick(rng, c.weights)})
    calls.sort(key=lambda x: (x["start"], x["caller"]))
    sim = Sim(rng, hours)
    packets, truth = [], []
    for n, call in enumerate(calls):
        c = by_tn[call["caller"]]
        call["callee"] = callee_tn(rng, c.tn)
        call["call_id"] = "%032x@%s" % (rng.getrandbits(128), SBC)
        call["ftag"] = "%08x" % rng.getrandbits(32)
        call["b_fast603"] = c.kind == "normal" and rng.random() < 0.012
        note = ""
        idn = None
        if c.sign and rng.random() >= 0.03:       # signed calls forget the header 3 % of the time
            idn = {"attest": c.attest, "orig": c.tn, "iat": call["start"] - rng.uniform(0, 1.5),
                   "origid": "%08x-%04x-4%03x-a%03x-%012x" % (
                       rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                       rng.getrandbits(12), rng.getrandbits(48))}
            r = rng.random()
            if c.kind == "normal" and r < 0.03:    # signed with the campaign's main number
                idn["orig"] = rng.choice([x for x in signed_pool if x != c.tn])
                note = "orig.tn %s != PAI %s" % (idn["orig"], c.tn)
            elif c.kind == "normal" and r < 0.12:  # the dialer re-used an old PASSporT
                age = rng.uniform(75, 900)
                idn["iat"] = call["start"] - age
                note = "re-used PASSporT, iat %.0f s old" % age
            elif c.kind == "normal" and r < 0.17:  # re-used but still within 60 s: near-miss
                age = rng.uniform(15, 50)
                idn["iat"] = call["start"] - age
                note = "re-used PASSporT, iat %.0f s old (fresh enough)" % age
        elif c.sign:
            note = "signer skipped this call (no Identity)"
        call["identity"] = idn
        out = sim.decide(call, c)
        packets += ladder(rng, call, c, out)
        truth.append((call["call_id"], rfc3339(call["start"]), c.tn, call["carrier"],
                      out["cause"], BLOCKED_BY[out["cause"]], out["code"],
                      "signed " + idn["attest"] if idn else "unsigned", note))
    packets.sort(key=lambda p: p[0])
    recs = [record(t, src, dst, payload, i) for i, (t, src, dst, payload) in enumerate(packets)]
    os.makedirs(outdir, exist_ok=True)
    write_pcap(os.path.join(outdir, "scenario.pcap"), recs)
    if split:  # the same packets in two files cut at mid-time (calls straddle the cut)
        mid = hours * 3600 / 2.0
        cut = sum(1 for p in packets if p[0] < mid)
        write_pcap(os.path.join(outdir, "part1.pcap"), recs[:cut])
        write_pcap(os.path.join(outdir, "part2.pcap"), recs[cut:])
    with open(os.path.join(outdir, "carriers.txt"), "w") as f:
        f.write("# sipdx --carriers: CIDR NAME (scengen.py)\n")
        f.write("%s/32 own-sbc\n%s/32 own-dialer\n" % (SBC, DIALER))
        for name in sorted(CARRIERS):
            f.write("%s/32 %s\n" % (CARRIERS[name][0], name))
    with open(os.path.join(outdir, "truth-calls.tsv"), "w") as f:
        f.write("#call_id\tstart\tcaller\tcarrier\tcause\tblocked_by\tfinal_code\tidentity\tnote\n")
        for row in truth:
            f.write("\t".join(str(x) for x in row) + "\n")
    write_pairs(outdir, callers, truth, sim)
    return calls, truth, sim


def write_pairs(outdir, callers, truth, sim):
    """Per caller ID x carrier: flagged (with since = the first call of the sustained block),
    clean (must not be flagged: no reputation refusal at all), or any (a never-signed number
    at carrier A: every call refused by a policy on unsigned calls, which an engine may or
    may not also call a flag on the number)."""
    pairs = {}
    for (cid, start, tn, car, cause, by, code, ident, note) in truth:
        p = pairs.setdefault((tn, car), {"calls": 0, "causes": {}, "first": start,
                                         "first_block": None})
        p["calls"] += 1
        p["causes"][cause] = p["causes"].get(cause, 0) + 1
        if cause in ("caller_id_reputation", "network_blocklist", "invalid_caller_id") \
                and p["first_block"] is None:
            p["first_block"] = start
    kind = {c.tn: c.kind for c in callers}
    head = {"flagged": [], "plan_first": None}
    with open(os.path.join(outdir, "truth-pairs.tsv"), "w") as f:
        f.write("#caller\tcarrier\tstatus\tsince\treason\tcalls\tcauses\n")
        for (tn, car) in sorted(pairs):
            p = pairs[(tn, car)]
            causes = ",".join("%s=%d" % kv for kv in sorted(p["causes"].items()))
            if p["first_block"]:
                reason = {"velocity": "velocity", "invalid": "invalid number"}.get(
                    kind[tn], "blocklist")
                status, since = "flagged", p["first_block"]
                head["flagged"].append([tn, car, since, reason])
            elif kind[tn] == "unsigned" and car == "carrier-a":
                status, since, reason = "any", "-", "-"  # a policy on unsigned calls, not a flag
            else:
                status, since, reason = "clean", "-", "-"
            f.write("\t".join([tn, car, status, since, reason, str(p["calls"]), causes]) + "\n")
    # The biggest problem: the refusal cause (by network/analytics) with the most calls.
    count = {}
    for row in truth:
        if row[5] in ("network", "analytics", "own_side"):
            count[(row[4], row[3])] = count.get((row[4], row[3]), 0) + 1
    by_cause = {}
    for (cause, car), n in count.items():
        by_cause[cause] = by_cause.get(cause, 0) + n
    ranked = sorted(by_cause.items(), key=lambda kv: -kv[1])
    head["plan_first"] = ranked[0][0]
    head["refusals_by_cause"] = dict(ranked)
    head["calls"] = len(truth)
    head["b_flagged_at"] = {tn: rfc3339(t) for tn, t in sorted(sim.b_flagged.items())}
    with open(os.path.join(outdir, "truth.json"), "w") as f:
        json.dump(head, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--hours", type=int, default=3)
    ap.add_argument("--split", action="store_true",
                    help="also write part1.pcap and part2.pcap, cut at mid-time")
    a = ap.parse_args()
    calls, truth, sim = generate(a.seed, a.hours, a.out, a.split)
    n = {}
    for row in truth:
        n[row[4]] = n.get(row[4], 0) + 1
    print("scengen: %d calls in %d h (seed %d) -> %s" % (len(truth), a.hours, a.seed, a.out))
    print("  " + ", ".join("%s %d" % kv for kv in sorted(n.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    sys.exit(main())
