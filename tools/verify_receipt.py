#!/usr/bin/env python3
"""Verify a jejak receipt offline, with nothing but Python's standard library.

Usage: verify_receipt.py RECEIPT.json --public-key LOG.pub [--witness KEY ... [--quorum K]]

A receipt (docs/witness.md, "Receipts") is what a graduate keeps of a grant handover or a
certificate: the event as the log recorded it, its inclusion proof in the log's Merkle tree, and
a checkpoint of that tree signed by the log and cosigned by its witnesses. This program checks,
from the specifications and the functions of verify_export.py beside it:

1. the event: its hash recomputed from its content (docs/hash-chain.md);
2. the checkpoint: a C2SP signed note, signed by the log's Ed25519 key given with --public-key
   (the 64 hex digits of its .pub file; compare its fingerprint, printed, with the one the log
   publishes at /log/keys and in its documents);
3. the proof: the event, as a leaf of the tree, is in the checkpoint's tree (RFC 9162);
4. the cosignatures: C2SP cosignature/v1 by at least --quorum (default 1 when witnesses are
   given) of the witnesses whose verifier keys are given with --witness.

Exit status: 0 when the receipt holds, 1 when it does not (the first problem is named), 2 when
the receipt or a key cannot be read.
"""

import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_export as v  # noqa: E402  (the functions an export's verification uses)


def fingerprint(key):
    """SHA-256 of a public key, hex in groups of four, as jejak prints them."""
    digest = hashlib.sha256(key).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def check(receipt, log_key, witnesses, quorum):
    """The receipt's findings as lines; raises ValueError naming the first problem."""
    if not isinstance(receipt, dict) or receipt.get("format") != "jejak-receipt-1":
        raise ValueError("not a jejak-receipt-1 receipt")
    if receipt.get("pending"):
        raise ValueError(f"the receipt is pending: {receipt['pending']}")
    event = receipt["event"]
    position = event.get("position")
    try:
        v.check_shape(event, position)
    except v.Broken as broken:
        raise ValueError(f"the event: {broken}") from None
    if hashlib.sha256(v.canonical(event)).hexdigest() != event["hash"]:
        raise ValueError(f"the event at position {position} was EDITED: its hash does not "
                         "match its content")
    read = v.read_note(receipt.get("checkpoint") or "")
    if read is None:
        raise ValueError("the checkpoint is not a signed note")
    text, (origin, size_text, root_text, *_), signatures = read
    size, root = int(size_text), base64.b64decode(root_text, validate=True)
    logged = [raw for name, raw in v.signature_lines(signatures)
              if name == origin and len(raw) == 68 and raw[:4] == v.note_key_id(origin, log_key)]
    if not logged or not v.ed25519_verify(log_key, text.encode("utf-8"), logged[0][4:]):
        raise ValueError(f"the checkpoint (size {size}) is NOT signed by the log's key "
                         f"({fingerprint(log_key)})")
    proof = [base64.b64decode(h, validate=True) for h in receipt["proof"]]
    if receipt.get("tree_size") != size or receipt.get("leaf_index") != position - 1 or \
            not v.inclusion_holds(v.leaf_hash(event["hash"]), position - 1, size, proof, root):
        raise ValueError(f"the proof does NOT put the event at position {position} in the "
                         f"checkpoint's tree of {size} events")
    names = v.cosigners(text, signatures, witnesses)
    if witnesses and len(names) < quorum:
        raise ValueError(f"the checkpoint is cosigned by {len(names)} of the {quorum} witnesses "
                         "required: QUORUM NOT MET")
    lines = [f"event intact: {event['event_type']} at position {position}, recorded "
             f"{event['recorded_at']}",
             f"in the tree of {size} events of {origin}, signed by the log's key "
             f"({fingerprint(log_key)})"]
    for name, key in witnesses:
        state = "cosigned" if name in names else "NOT cosigned"
        lines.append(f"{state} by witness {name} ({fingerprint(key)})")
    if not witnesses:
        lines.append("no witness key given: the cosignatures were NOT checked")
    return lines


def main(argv):
    arguments, path, public_key, witness_texts, quorum = iter(argv[1:]), None, None, [], None
    for argument in arguments:
        if argument == "--public-key":
            public_key = next(arguments, None)
        elif argument == "--witness":
            witness_texts.append(next(arguments, ""))
        elif argument == "--quorum":
            quorum = next(arguments, None)
        elif path is None:
            path = argument
        else:
            path = None
            break
    if path is None or public_key is None:
        print("usage: " + __doc__.strip().splitlines()[2].removeprefix("Usage: "), file=sys.stderr)
        return 2
    try:
        with open(path, encoding="utf-8") as data:
            receipt = json.load(data)
        with open(public_key, encoding="utf-8") as data:
            log_key = bytes.fromhex(data.read().strip())
        witnesses = [v.witness_key(text) for text in witness_texts]
        quorum = int(quorum) if quorum is not None else 1
    except (OSError, ValueError, UnicodeDecodeError) as error:
        print(f"error: cannot read the receipt or a key: {error}", file=sys.stderr)
        return 2
    try:
        lines = check(receipt, log_key, witnesses, quorum)
    except (ValueError, KeyError, TypeError) as error:
        print(f"receipt does NOT hold: {error}")
        return 1
    for line in lines:
        print(line)
    print(f"receipt holds: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
