#!/usr/bin/env python3
"""Verify a jejak export or evidence bundle offline, with nothing but Python's standard library.

Usage: verify_export.py FILE.ndjson|BUNDLE_DIR [--checkpoints FILE --public-key FILE.pub [--proof FILE.json]] [--witness KEY ... [--quorum K]]

An export holds one JSON object per line, one per event, in position order (docs/export-format.md).
This program recomputes every event's hash from the canonical encoding in docs/hash-chain.md and
checks that the chain is whole: positions run 1, 2, 3, ... without gaps; each prev_hash is the hash
of the event before; each hash matches the event's content; recorded_at never decreases; each
stream's versions run 1, 2, 3, ...

It is written from the specification, apart from the Rust code, so that an auditor can read it in
a few minutes and trust it, or write their own.

With --checkpoints and --public-key, it also checks each signed checkpoint (docs/checkpoints.md):
that it was signed with that Ed25519 key (RFC 8032, implemented below from the RFC's equations)
and that the export holds the signed hash at the signed position. A checkpoint of the Merkle tree
(a C2SP tlog-checkpoint in a C2SP signed note, docs/merkle.md) is checked as a signed note, and
its root against the tree of the export's events when the export starts at position 1. With
--proof, it checks an inclusion proof (`jejak prove inclusion`) against the root of an authentic
checkpoint of the same tree size.

Given a directory, it checks an evidence bundle (docs/evidence.md): the manifest's signature
(or, unsigned, that it is exactly as jejak wrote it), every file's SHA-256 against the manifest,
no file more or less, the events as a chain continuing from the manifest's prev_hash over
exactly its range, and the bundled checkpoints. The first problem is named with its file. A
bundle's witnessed.json (docs/evidence.md) is checked too: both checkpoints signed by the log's
key, cosigned (C2SP cosignature/v1) by at least --quorum (default 1) of the witnesses whose
verifier keys are given with --witness, the later one consistent with the earlier (RFC 9162
§2.1.4.2) and holding the bundle's last event (so, through the chain, all of them).

Exit status: 0 when the export is intact, 1 when the chain is broken (the first break is named)
or a checkpoint does not match, 2 when the export or a key file cannot be read at all (a bundle
with a file that cannot be read is a broken bundle: 1).
"""

import base64
import datetime
import hashlib
import json
import re
import struct
import sys

ENCODING_TAG = "jejak-event-v1"
GENESIS_HASH = "0" * 64
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ---------------------------------------------------------------------------------------------
# Ed25519 signature verification (RFC 8032 §5.1), in extended twisted Edwards coordinates.

FIELD = 2**255 - 19
ORDER = 2**252 + 27742317777372353535851937790883648493
CURVE_D = -121665 * pow(121666, FIELD - 2, FIELD) % FIELD
SQRT_MINUS_ONE = pow(2, (FIELD - 1) // 4, FIELD)


def edwards_add(p, q):
    """The sum of two points (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % FIELD
    b = (p[1] + p[0]) * (q[1] + q[0]) % FIELD
    c = 2 * p[3] * q[3] * CURVE_D % FIELD
    d = 2 * p[2] * q[2] % FIELD
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % FIELD, g * h % FIELD, f * g % FIELD, e * h % FIELD)


def edwards_multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = edwards_add(result, point)
        point = edwards_add(point, point)
        scalar >>= 1
    return result


def edwards_equal(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % FIELD == 0 and (p[1] * q[2] - q[1] * p[2]) % FIELD == 0


def recover_x(y, sign):
    if y >= FIELD:
        return None
    x2 = (y * y - 1) * pow(CURVE_D * y * y + 1, FIELD - 2, FIELD) % FIELD
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (FIELD + 3) // 8, FIELD)
    if (x * x - x2) % FIELD != 0:
        x = x * SQRT_MINUS_ONE % FIELD
    if (x * x - x2) % FIELD != 0:
        return None
    if (x & 1) != sign:
        x = FIELD - x
    return x


def decode_point(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % FIELD)


BASE_Y = 4 * pow(5, FIELD - 2, FIELD) % FIELD
BASE = (recover_x(BASE_Y, 0), BASE_Y, 1, recover_x(BASE_Y, 0) * BASE_Y % FIELD)


def ed25519_verify(public_key, message, signature):
    """True when `signature` (64 bytes) is a valid signature of `message` by `public_key`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = decode_point(public_key), decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= ORDER:
        return False
    digest = hashlib.sha512(signature[:32] + public_key + message).digest()
    h = int.from_bytes(digest, "little") % ORDER
    return edwards_equal(edwards_multiply(s, BASE), edwards_add(r, edwards_multiply(h, a)))


def checkpoint_message(checkpoint):
    """The bytes a checkpoint's signature covers (docs/checkpoints.md)."""
    return (f"jejak-checkpoint-v1\nposition={checkpoint['position']}\nhash={checkpoint['hash']}\n"
            f"recorded_at={checkpoint['recorded_at']}\nsigned_at={checkpoint['signed_at']}\n"
            ).encode("utf-8")


def leaf_hash(chain_hash_hex):
    """A Merkle tree leaf: SHA-256 of 0x00 and the event's 32-byte chain hash (docs/merkle.md)."""
    return hashlib.sha256(b"\x00" + bytes.fromhex(chain_hash_hex)).digest()


class ExportTree:
    """The roots of the trees of an export's first events (RFC 9162), computed in one walk as
    checkpoints ask for them: a stack of complete subtrees, largest first. Sizes asked in
    increasing order, as a checkpoints file holds them, cost one walk in all."""

    def __init__(self, hashes):
        self.hashes, self.stack, self.size = hashes, [], 0
        self.last = max(hashes, default=0)

    def root(self, size):
        if size < self.size:
            self.stack, self.size = [], 0
        while self.size < size:
            self.size += 1
            node, height = leaf_hash(self.hashes[self.size]), 0
            while self.stack and self.stack[-1][0] == height:
                node = hashlib.sha256(b"\x01" + self.stack.pop()[1] + node).digest()
                height += 1
            self.stack.append((height, node))
        if not self.stack:
            return hashlib.sha256(b"").digest()
        root = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            root = hashlib.sha256(b"\x01" + left + root).digest()
        return root


def note_key_id(name, public_key):
    """A signed note's key ID of an Ed25519 key: SHA-256(name, newline, 0x01, key), 4 bytes."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def read_note(note):
    """A signed note's text, its checkpoint lines and its signature lines, or None."""
    at = note.rfind("\n\n")
    if at < 0 or not note.endswith("\n"):
        return None
    text, signatures = note[:at + 1], note[at + 2:-1].split("\n")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line.startswith("\u2014 ") for line in signatures):
        return None
    return text, lines, signatures


def check_note(where, note, public_key, hashes, roots, tree):
    """Checks a C2SP checkpoint in a signed note against the key and the export's hashes; an
    authentic checkpoint's root is put in `roots` by its size."""
    read = read_note(note)
    if read is None:
        return False, f"{where}: not a checkpoint"
    text, (origin, size_text, root_text, *extensions), signatures = read
    canonical = size_text.isdigit() and (size_text == "0" or not size_text.startswith("0"))
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError:
        root = b""
    if not canonical or len(root) != 32:
        return False, f"{where}: not a checkpoint"
    size = int(size_text)
    where = f"tree checkpoint {where.removeprefix('checkpoint ')} (position {size})"
    signature = None
    for line in signatures:
        name, _, encoded = line[2:].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        if name == origin and len(raw) == 68 and raw[:4] == note_key_id(origin, public_key):
            signature = raw[4:]
    if signature is None:
        return False, f"{where}: NOT AUTHENTIC: signed by another key"
    if not ed25519_verify(public_key, text.encode("utf-8"), signature):
        return False, f"{where}: NOT AUTHENTIC: the signature does not match"
    roots[size] = root
    chain = [e.removeprefix("jejak-chain-hash ") for e in extensions
             if e.startswith("jejak-chain-hash ")]
    if size not in hashes:
        return True, f"{where}: authentic, {outside(size, tree.last)}"
    if chain and hashes[size] != chain[0]:
        return False, f"{where}: DOES NOT MATCH: the export has another event there"
    if 1 in hashes:  # the export holds every event from 1 to the checkpoint's size
        if tree.root(size) != root:
            return False, f"{where}: DOES NOT MATCH: the export's tree has another root"
        return True, f"{where}: matches, tree root included"
    return True, f"{where}: matches (the tree root needs the events from position 1)"


def outside(position, last):
    """Says where a checkpoint's position lies when the events checked (up to `last`) do not
    hold it."""
    if position > last:
        return (f"beyond the end of these events (position {last}): if the checkpoint was "
                "signed before the export was taken, the export is cut short")
    return "before these events"


def check_checkpoints(lines, public_key_hex, hashes, roots=None):
    """Checks each checkpoint line; `hashes` maps positions to the hashes the export holds, and
    the roots of authentic tree checkpoints go in `roots` by size. Returns (ok, message) each."""
    roots = {} if roots is None else roots
    results = []
    tree = ExportTree(hashes)
    public_key = bytes.fromhex(public_key_hex.strip())
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
            if isinstance(checkpoint, dict) and set(checkpoint) == {"note"}:
                results.append(check_note(f"checkpoint at line {number}", checkpoint["note"],
                                          public_key, hashes, roots, tree))
                continue
            signature = bytes.fromhex(checkpoint["signature"])
            position, signed_hash = checkpoint["position"], checkpoint["hash"]
        except (ValueError, KeyError, TypeError):
            results.append((False, f"checkpoint at line {number}: not a checkpoint"))
            continue
        where = f"checkpoint at line {number} (position {position})"
        if checkpoint.get("public_key", "").lower() != public_key.hex():
            results.append((False, f"{where}: NOT AUTHENTIC: signed by another key"))
        elif not ed25519_verify(public_key, checkpoint_message(checkpoint), signature):
            results.append((False, f"{where}: NOT AUTHENTIC: the signature does not match"))
        elif position not in hashes:
            results.append((True, f"{where}: authentic, {outside(position, tree.last)}"))
        elif hashes[position] != signed_hash:
            results.append((False, f"{where}: DOES NOT MATCH: the export has another event there"))
        else:
            results.append((True, f"{where}: matches"))
    return results


def consistency_holds(first, second, first_root, second_root, proof):
    """RFC 9162 §2.1.4.2: whether `proof` shows the tree of `first` leaves with `first_root`
    is a prefix of the tree of `second` leaves with `second_root`."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = ([first_root] if first & (first - 1) == 0 else []) + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hashlib.sha256(b"\x01" + node + fr).digest()
            sr = hashlib.sha256(b"\x01" + node + sr).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hashlib.sha256(b"\x01" + sr + node).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def witness_key(text):
    """A witness's verifier key, name+keyid+base64(0x04, key) (docs/witness.md): (name, key)."""
    name, _, rest = text.strip().partition("+")
    key_id, _, encoded = rest.partition("+")
    try:
        typed = base64.b64decode(encoded, validate=True)
    except ValueError:
        typed = b""
    if not name or len(typed) != 33 or typed[0] != 4 or \
            cosigner_key_id(name, typed[1:]).hex() != key_id:
        raise ValueError(f"{text.strip()}: not a witness's verifier key (name+keyid+base64)")
    return name, typed[1:]


def cosigner_key_id(name, public_key):
    """A cosigner's key ID: SHA-256(name, newline, 0x04, key), 4 bytes (C2SP tlog-cosignature)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x04" + public_key).digest()[:4]


def signature_lines(signatures):
    """(name, bytes) of each signature line whose base64 reads."""
    found = []
    for line in signatures:
        name, _, encoded = line[2:].partition(" ")
        try:
            found.append((name, base64.b64decode(encoded, validate=True)))
        except ValueError:
            continue
    return found


def cosigners(text, signatures, witnesses):
    """The names of `witnesses` whose cosignature/v1 on the note's text verifies."""
    names = []
    for name, key in witnesses:
        for signer, raw in signature_lines(signatures):
            if signer == name and len(raw) == 76 and raw[:4] == cosigner_key_id(name, key):
                time = int.from_bytes(raw[4:12], "big")
                message = f"cosignature/v1\ntime {time}\n{text}".encode("utf-8")
                if ed25519_verify(key, message, raw[12:]):
                    names.append(name)
                    break
    return names


def witnessed_checkpoint(where, entry, log_key, witnesses, quorum):
    """A checkpoint of witnessed.json signed by the log and cosigned by the quorum: (size, root),
    or raises BundleError naming what fails."""
    read = read_note(entry.get("note", "")) if isinstance(entry, dict) else None
    if read is None:
        raise BundleError(f"witnessed.json: the {where} checkpoint is not a signed note")
    text, (origin, size_text, root_text, *_), signatures = read
    size, root = int(size_text), base64.b64decode(root_text)
    logged = [raw for name, raw in signature_lines(signatures)
              if name == origin and len(raw) == 68 and raw[:4] == note_key_id(origin, log_key)]
    if not logged or not ed25519_verify(log_key, text.encode("utf-8"), logged[0][4:]):
        raise BundleError(f"witnessed.json: the {where} checkpoint (size {size}) is NOT signed "
                          "by the log's key")
    names = cosigners(text, signatures, witnesses)
    if witnesses and len(names) < quorum:
        raise BundleError(f"witnessed.json: the {where} checkpoint (size {size}) is cosigned by "
                          f"{len(names)} of the {quorum} witnesses required: QUORUM NOT MET")
    return size, root, names


def check_witnessed(directory, log_key_hex, witnesses, quorum, last, last_hash):
    """Checks a bundle's witnessed.json; returns the lines to print, or raises BundleError."""
    import os
    with open(os.path.join(directory, "witnessed.json"), encoding="utf-8") as data:
        witnessed = json.load(data)
    if not log_key_hex:
        raise BundleError("witnessed.json: no key of the log to check it with: give --public-key")
    log_key = bytes.fromhex(log_key_hex.strip())
    try:
        end_size, end_root, end_names = witnessed_checkpoint(
            "end", witnessed["end"], log_key, witnesses, quorum)
        start = witnessed.get("start")
        start_size, start_root, _ = (0, b"", []) if start is None else witnessed_checkpoint(
            "start", start, log_key, witnesses, quorum)
        consistency = [base64.b64decode(h, validate=True) for h in witnessed["consistency"]]
        inclusion = [base64.b64decode(h, validate=True) for h in witnessed["last_inclusion"]]
    except (KeyError, TypeError, ValueError):
        raise BundleError("witnessed.json: not as jejak writes it") from None
    if not consistency_holds(start_size, end_size, start_root, end_root, consistency):
        raise BundleError(f"witnessed.json: the tree of {end_size} events does NOT extend the "
                          f"one of {start_size}: the log was rewritten between them")
    if end_size < last or not inclusion_holds(leaf_hash(last_hash), last - 1, end_size,
                                              inclusion, end_root):
        raise BundleError(f"witnessed.json: the bundle's last event (position {last}) is NOT in "
                          f"the witnessed tree of {end_size} events")
    who = ", ".join(end_names) if end_names else "no witness key given: cosignatures NOT checked"
    return [f"witnessed: the log's tree grew from {start_size} to {end_size} events without "
            f"rewriting, and holds these events ({who})"]


def inclusion_holds(leaf, index, size, proof, root):
    """RFC 9162 §2.1.3.2: whether `proof` leads from leaf `index` of a tree of `size` to `root`."""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = hashlib.sha256(b"\x01" + sibling + result).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = hashlib.sha256(b"\x01" + result + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def check_proof(proof, roots, hashes):
    """Checks an inclusion proof (`jejak prove inclusion`, docs/merkle.md) against the root of an
    authentic tree checkpoint of its size, and its event against the export when it holds it."""
    try:
        size, index, position = proof["tree_size"], proof["leaf_index"], proof["position"]
        chain_hash = base64.b64decode(proof["chain_hash"], validate=True)
        path = [base64.b64decode(h, validate=True) for h in proof["proof"]]
    except (KeyError, TypeError, ValueError):
        return False, "proof: not an inclusion proof"
    where = f"proof of position {position} in the tree of {size} events"
    if size not in roots:
        return False, (f"{where}: no authentic checkpoint of that size: ask for a proof at the "
                       "size of a checkpoint you hold (jejak prove inclusion --size N)")
    if index != position - 1 or len(chain_hash) != 32:
        return False, f"{where}: not an inclusion proof"
    leaf = hashlib.sha256(b"\x00" + chain_hash).digest()
    if not inclusion_holds(leaf, index, size, path, roots[size]):
        return False, f"{where}: DOES NOT PROVE the event is in the checkpoint's tree"
    if position in hashes and hashes[position] != chain_hash.hex():
        return False, f"{where}: proves another event than the export holds there"
    return True, f"{where}: the event is in the tree the checkpoint signed"


# ---------------------------------------------------------------------------------------------


class Broken(Exception):
    """The first break in the chain: where, and what."""

    def __init__(self, position, reason):
        super().__init__(f"chain broken at position {position}: {reason}")
        self.position = position


def text(value):
    """A text field: its UTF-8 length as 4 big-endian bytes, then the bytes; null is FF FF FF FF."""
    if value is None:
        return b"\xff\xff\xff\xff"
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def integer(value):
    """An integer field: 8 bytes, big-endian two's complement."""
    return struct.pack(">q", value)


def canonical(event):
    """The bytes an event's hash is computed over, field by field in the documented order."""
    return b"".join(
        [
            text(ENCODING_TAG),
            integer(event["position"]),
            text(event["event_id"]),
            text(event["command_id"]),
            text(event["stream_id"]),
            integer(event["stream_version"]),
            text(event["event_type"]),
            integer(event["schema_version"]),
            text(event["occurred_at"]),
            text(event["recorded_at"]),
            text(event["actor"]),
            text(event["role"]),
            text(event["organisation"]),
            text(event["facility"]),
            text(event["source"]),
            text(event["reason"]),
            text(event["document_ref"]),
            text(event["correlation_id"]),
            text(event["causation_id"]),
            text(event["payload"]),
            text(event["prev_hash"]),
        ]
    )


SOURCES = ("ui", "cli", "api", "import", "system", "migration")
FIELDS = ("position", "event_id", "command_id", "stream_id", "stream_version", "event_type",
          "schema_version", "occurred_at", "recorded_at", "actor", "role", "organisation",
          "facility", "source", "reason", "document_ref", "correlation_id", "causation_id",
          "payload", "prev_hash", "hash")


def canonical_timestamp(value):
    """UTC with microseconds, exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ`, a real date and time."""
    if not isinstance(value, str) or not TIMESTAMP.fullmatch(value) or value[17:19] > "59":
        return False
    try:
        datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return 1900 <= int(value[:4]) <= 9999


def check_shape(event, position):
    """Fields must be present, with the types and canonical spellings the encoding assumes."""
    missing = [field for field in FIELDS if field not in event]
    if missing:
        raise Broken(position, f"{missing[0]} is missing")
    for field in ("occurred_at", "recorded_at"):
        if not canonical_timestamp(event[field]):
            raise Broken(position, f"{field} is not a canonical timestamp")
    for field in ("event_id", "command_id", "correlation_id"):
        if not isinstance(event[field], str) or not UUID.fullmatch(event[field]):
            raise Broken(position, f"{field} is not a lower-case UUID")
    causation = event["causation_id"]
    if causation is not None and (not isinstance(causation, str) or not UUID.fullmatch(causation)):
        raise Broken(position, "causation_id is not a lower-case UUID")
    for field in ("position", "stream_version", "schema_version"):
        if not isinstance(event[field], int) or isinstance(event[field], bool):
            raise Broken(position, f"{field} is not an integer")
        if not 0 <= event[field] < 2 ** 63:
            raise Broken(position, f"{field} is out of range")
    for field in ("stream_id", "event_type", "actor", "role", "organisation", "source",
                  "payload", "prev_hash", "hash"):
        if not isinstance(event[field], str):
            raise Broken(position, f"{field} is not a string")
    for field in ("facility", "reason", "document_ref"):
        if event[field] is not None and not isinstance(event[field], str):
            raise Broken(position, f"{field} is neither a string nor null")
    if event["source"] not in SOURCES:
        raise Broken(position, f"source is not one of {', '.join(SOURCES)}")
    try:
        payload = json.loads(event["payload"])
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise Broken(position, "payload is not a JSON object")


class Chain:
    """Checks events one by one, in order, keeping only what the next check needs."""

    def __init__(self, after_position=0, after_hash=GENESIS_HASH, strict_streams=True):
        self.next_position = after_position + 1
        self.prev_hash = after_hash
        self.prev_recorded_at = None
        self.stream_versions = {}
        self.strict_streams = strict_streams

    def check(self, event):
        position = self.next_position
        if not isinstance(event, dict):
            raise Broken(position, "the line is not a JSON object")
        if event.get("position") != position:
            raise Broken(position, f"position {position} is missing: the next event found is "
                                   f"at position {event.get('position')}")
        check_shape(event, position)
        if event["prev_hash"] != self.prev_hash:
            raise Broken(position, "prev_hash does not match the hash of the event before it")
        if hashlib.sha256(canonical(event)).hexdigest() != event["hash"]:
            raise Broken(position, "hash does not match the event's content")
        if self.prev_recorded_at is not None and event["recorded_at"] < self.prev_recorded_at:
            raise Broken(position, "recorded_at is earlier than the event before it")
        stream, version = event["stream_id"], event["stream_version"]
        previous = self.stream_versions.get(stream)
        if previous is None:
            if self.strict_streams and version != 1:
                raise Broken(position, f"stream {stream} starts at version {version}")
        elif version != previous + 1:
            raise Broken(position, f"stream {stream} jumps from version {previous} to {version}")
        self.stream_versions[stream] = version
        self.next_position += 1
        self.prev_hash = event["hash"]
        self.prev_recorded_at = event["recorded_at"]


def verify_lines(lines, chain, hashes=None):
    """Feeds NDJSON lines to `chain`; returns the number of events checked. When `hashes` is a
    dict, it collects each position's hash."""
    count = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            raise Broken(chain.next_position, "the line is not valid JSON") from None
        chain.check(event)
        if hashes is not None:
            hashes[event["position"]] = event["hash"]
        count += 1
    return count


def verify_file(path, hashes=None):
    chain = Chain()
    with open(path, encoding="utf-8") as lines:
        count = verify_lines(lines, chain, hashes)
    return count, chain.prev_hash


class BundleError(Exception):
    """What is wrong with a bundle, naming the file."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_manifest(manifest):
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def verify_bundle(directory, public_key_hex=None, witnesses=(), quorum=1):
    """Checks an evidence bundle; returns lines to print, or raises BundleError."""
    import os

    lines = []
    manifest_path = os.path.join(directory, "manifest.json")
    try:
        with open(manifest_path, "rb") as data:
            manifest_bytes = data.read()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != "jejak-evidence-v1":
            raise ValueError("not a jejak-evidence-v1 manifest")
        files, first, last = manifest["files"], manifest["range"]["first"], manifest["range"]["last"]
        prev_hash, last_hash = manifest["range"]["prev_hash"], manifest["range"]["last_hash"]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (first, last)):
            raise ValueError("range.first and range.last must be integers")
        if not all(isinstance(h, str) for h in (prev_hash, last_hash)) or \
                not isinstance(files, dict):
            raise ValueError("range hashes must be strings, files an object")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BundleError(f"manifest.json: cannot be read as a manifest ({error})") from None
    if first < 1 or last < first:
        raise BundleError(f"manifest.json: the range {first} to {last} holds no event; "
                          "jejak evidence never writes an empty bundle")
    signature_path = manifest_path + ".sig"
    signer = manifest.get("signer_public_key")
    trusted = public_key_hex.strip() if public_key_hex else signer
    if os.path.exists(signature_path):
        try:
            with open(signature_path, encoding="ascii") as data:
                signature = bytes.fromhex(data.read().strip())
        except (OSError, ValueError):
            raise BundleError("manifest.json.sig: not a hex signature") from None
        if not trusted:
            raise BundleError("manifest.json.sig: no public key to check it with")
        if not ed25519_verify(bytes.fromhex(trusted), manifest_bytes, signature):
            raise BundleError("manifest.json: does not match its signature; either it or "
                              "manifest.json.sig: was edited, or another key signed it")
        lines.append(f"manifest signed by {trusted}"
                     + ("" if public_key_hex else " (the key it names: compare it with the "
                        "signer's key you were given)"))
    elif public_key_hex:
        raise BundleError("manifest.json.sig: missing: the signer's key was given, but the "
                          "bundle is not signed (the signature was removed, or it never had one)")
    elif manifest_bytes.decode("utf-8") != canonical_manifest(manifest):
        raise BundleError("manifest.json: not as jejak wrote it (edited?)")
    else:
        lines.append("manifest unsigned: it protects the files against accidents, not against "
                     "someone who can rewrite it too")
    listed = set(files) | {"manifest.json", "manifest.json.sig"}
    for root, _, names in os.walk(directory):
        for name in names:
            relative = os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/")
            if relative not in listed:
                raise BundleError(f"{relative}: not listed in the manifest")
    for name, expected in sorted(files.items()):
        path = os.path.join(directory, *name.split("/"))
        if not os.path.exists(path):
            raise BundleError(f"{name}: missing")
        if sha256_of(path) != expected:
            raise BundleError(f"{name}: SHA-256 does not match the manifest "
                              "(the file or the manifest was edited)")
    chain = Chain(after_position=first - 1, after_hash=manifest["range"]["prev_hash"],
                  strict_streams=False)
    hashes = {}
    try:
        with open(os.path.join(directory, "events.ndjson"), encoding="utf-8") as data:
            count = verify_lines(data, chain, hashes)
    except Broken as broken:
        raise BundleError(f"events.ndjson: {broken}") from None
    if chain.next_position - 1 != last or chain.prev_hash != manifest["range"]["last_hash"]:
        raise BundleError(f"events.ndjson: ends at position {chain.next_position - 1}, "
                          f"not at the manifest's {last}")
    lines.append(f"events intact: {count} events, positions {first} to {last}, continuing "
                 f"from {manifest['range']['prev_hash']}")
    if "checkpoints.jsonl" in files:
        with open(os.path.join(directory, "checkpoints.jsonl"), encoding="utf-8") as data:
            checkpoint_lines = data.readlines()
        key = trusted or json.loads(checkpoint_lines[0]).get("public_key", "")
        if not key:
            raise BundleError("checkpoints.jsonl: a tree checkpoint names no key: give the "
                              "signer's --public-key")
        results = check_checkpoints(checkpoint_lines, key, hashes)
        for ok, message in results:
            if not ok:
                raise BundleError(f"checkpoints.jsonl: {message}")
        lines.append(f"{len(results)} signed checkpoints match these events")
    else:
        lines.append("no signed checkpoint covers this range")
    if "witnessed.json" in files:
        lines.extend(check_witnessed(directory, trusted, list(witnesses), quorum, last,
                                     manifest["range"]["last_hash"]))
    elif witnesses:
        raise BundleError("witnessed.json: missing: witnesses were given, but the bundle holds no "
                          "checkpoint they cosigned")
    reports = sorted(name for name in files if name.startswith("reports/"))
    lines.append(f"{len(reports)} reports and compliance.json match the manifest "
                 f"({manifest.get('findings', 0)} findings)")
    return lines


def parse_arguments(argv):
    """PATH and the optional --checkpoints and --public-key files, or None when malformed."""
    options, rest = {"--witness": []}, []
    arguments = iter(argv[1:])
    for argument in arguments:
        if argument == "--witness":
            options["--witness"].append(next(arguments, None))
            if options["--witness"][-1] is None:
                return None
        elif argument in ("--checkpoints", "--public-key", "--proof", "--quorum"):
            options[argument] = next(arguments, None)
            if options[argument] is None:
                return None
        else:
            rest.append(argument)
    if len(rest) != 1 or ("--checkpoints" in options and "--public-key" not in options):
        return None
    if "--proof" in options and "--checkpoints" not in options:
        return None
    return rest[0], options


def main(argv):
    parsed = parse_arguments(argv)
    if parsed is None:
        print("usage: " + __doc__.strip().splitlines()[2].removeprefix("Usage: "), file=sys.stderr)
        return 2
    path, options = parsed
    import os
    if os.path.isdir(path):
        public_key = None
        if "--public-key" in options:
            try:
                with open(options["--public-key"], encoding="utf-8") as key_file:
                    public_key = key_file.read()
            except OSError as error:
                print(f"error: cannot read the public key: {error}", file=sys.stderr)
                return 2
        try:
            witnesses = [witness_key(text) for text in options["--witness"]]
            quorum = int(options.get("--quorum", "1"))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        try:
            lines = verify_bundle(path, public_key, witnesses, quorum)
        except BundleError as error:
            print(f"bundle BROKEN: {error}")
            return 1
        except (OSError, UnicodeDecodeError) as error:
            print(f"bundle BROKEN: cannot read a file: {error}")
            return 1
        for line in lines:
            print(line)
        print(f"bundle intact: {path}")
        return 0
    hashes = {}
    try:
        count, head_hash = verify_file(path, hashes)
    except Broken as broken:
        print(f"export BROKEN: {broken}")
        return 1
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {path}: {error}", file=sys.stderr)
        return 2
    print(f"export intact: {count} events, head hash {head_hash}")
    if "--checkpoints" not in options:
        return 0
    roots = {}
    try:
        with open(options["--public-key"], encoding="utf-8") as key_file:
            public_key = key_file.read()
        with open(options["--checkpoints"], encoding="utf-8") as checkpoint_file:
            results = check_checkpoints(checkpoint_file.readlines(), public_key, hashes, roots)
        if "--proof" in options:
            with open(options["--proof"], encoding="utf-8") as proof_file:
                proved = check_proof(json.load(proof_file), roots, hashes)
        else:
            proved = (True, None)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"error: cannot read the checkpoints, the key or the proof: {error}",
              file=sys.stderr)
        return 2
    for _, message in results:
        print(message)
    failed = sum(1 for ok, _ in results if not ok)
    if failed:
        print(f"{failed} of {len(results)} checkpoints do NOT match")
    else:
        print(f"all {len(results)} checkpoints are authentic")
    if proved[1] is not None:
        print(proved[1])
    return 1 if failed or not proved[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
