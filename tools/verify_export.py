#!/usr/bin/env python3
"""Verify a jejak export offline, with nothing but Python's standard library.

Usage: verify_export.py FILE.ndjson

An export holds one JSON object per line, one per event, in position order (docs/export-format.md).
This program recomputes every event's hash from the canonical encoding in docs/hash-chain.md and
checks that the chain is whole: positions run 1, 2, 3, ... without gaps; each prev_hash is the hash
of the event before; each hash matches the event's content; recorded_at never decreases; each
stream's versions run 1, 2, 3, ...

It is written from the specification, apart from the Rust code, so that an auditor can read it in
a few minutes and trust it, or write their own.

Exit status: 0 when the export is intact, 1 when the chain is broken (the first break is named),
2 when the file cannot be read at all.
"""

import hashlib
import json
import re
import struct
import sys

ENCODING_TAG = "jejak-event-v1"
GENESIS_HASH = "0" * 64
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def check_shape(event, position):
    """Fields must have the types and canonical spellings the encoding assumes."""
    for field in ("occurred_at", "recorded_at"):
        if not isinstance(event.get(field), str) or not TIMESTAMP.match(event[field]):
            raise Broken(position, f"{field} is not a canonical timestamp")
    for field in ("event_id", "command_id", "correlation_id"):
        if not isinstance(event.get(field), str) or not UUID.match(event[field]):
            raise Broken(position, f"{field} is not a lower-case UUID")
    if event.get("causation_id") is not None and not UUID.match(str(event["causation_id"])):
        raise Broken(position, "causation_id is not a lower-case UUID")
    for field in ("position", "stream_version", "schema_version"):
        if not isinstance(event.get(field), int) or isinstance(event.get(field), bool):
            raise Broken(position, f"{field} is not an integer")
    for field in ("stream_id", "event_type", "actor", "role", "organisation", "source",
                  "payload", "prev_hash", "hash"):
        if not isinstance(event.get(field), str):
            raise Broken(position, f"{field} is missing or not a string")


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


def verify_lines(lines, chain):
    """Feeds NDJSON lines to `chain`; returns the number of events checked."""
    count = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            raise Broken(chain.next_position, "the line is not valid JSON") from None
        chain.check(event)
        count += 1
    return count


def verify_file(path):
    chain = Chain()
    with open(path, encoding="utf-8") as lines:
        count = verify_lines(lines, chain)
    return count, chain.prev_hash


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = argv[1]
    try:
        count, head_hash = verify_file(path)
    except Broken as broken:
        print(f"export BROKEN: {broken}")
        return 1
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {path}: {error}", file=sys.stderr)
        return 2
    print(f"export intact: {count} events, head hash {head_hash}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
