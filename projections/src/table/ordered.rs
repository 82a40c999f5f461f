//! Keys held as bytes that sort as the keys do.
//!
//! The tables' maps compare keys at every step of every lookup; a key of [`Value`]s compares
//! value by value through the enum, and holds a heap list of 32-byte values (and a text's own
//! allocation) for a few bytes of content. Encoded, a key is one short allocation and two keys
//! compare with one `memcmp`.
//!
//! The encoding keeps [`Value`]'s order, element by element, a key that is a prefix of another
//! first: each value is a tag in the order of `Value`'s variants, then
//! - a boolean: one byte, 0 or 1;
//! - an integer: 8 bytes big-endian with the sign bit flipped (so negatives come first);
//! - a date: its day since the common era, 4 bytes the same way;
//! - an id: its 16 bytes;
//! - a text: its bytes, each 0 byte written as `00 FF`, then a 0 byte to end it. What follows
//!   the end is a tag (below `FF`) or nothing, so a text sorts before every longer text it is
//!   a prefix of, as strings do.
//!
//! Each value is self-delimiting, so byte order is the order of the key's values in turn.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::Key;
use crate::value::Value;

const NULL: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 3;
const TEXT: u8 = 4;
const UUID: u8 = 5;
const DATE: u8 = 6;

/// `key` encoded, in an allocation of its own size.
pub(super) fn encode(key: &[Value]) -> Box<[u8]> {
    let mut bytes = Vec::with_capacity(capacity(key));
    encode_into(key, &mut bytes);
    bytes.into_boxed_slice()
}

/// `key` encoded after what `bytes` holds.
pub(super) fn encode_into(key: &[Value], bytes: &mut Vec<u8>) {
    for value in key {
        match value {
            Value::Null => bytes.push(NULL),
            Value::Bool(flag) => bytes.extend_from_slice(&[BOOL, u8::from(*flag)]),
            Value::Int(number) => {
                bytes.push(INT);
                bytes.extend_from_slice(&((*number as u64) ^ (1 << 63)).to_be_bytes());
            }
            Value::Text(text) => {
                bytes.push(TEXT);
                for part in text.as_bytes().split_inclusive(|byte| *byte == 0) {
                    bytes.extend_from_slice(part);
                    if part.last() == Some(&0) {
                        bytes.push(0xFF);
                    }
                }
                bytes.push(0);
            }
            Value::Uuid(id) => {
                bytes.push(UUID);
                bytes.extend_from_slice(id.as_bytes());
            }
            Value::Date(date) => {
                bytes.push(DATE);
                let days = date.num_days_from_ce();
                bytes.extend_from_slice(&((days as u32) ^ (1 << 31)).to_be_bytes());
            }
        }
    }
}

/// The bytes a key takes, texts without their escapes.
fn capacity(key: &[Value]) -> usize {
    key.iter()
        .map(|value| match value {
            Value::Null => 1,
            Value::Bool(_) => 2,
            Value::Int(_) => 9,
            Value::Text(text) => text.len() + 2,
            Value::Uuid(_) => 17,
            Value::Date(_) => 5,
        })
        .sum()
}

/// The key `bytes` encode. The tables encode every key they hold, so bytes that do not decode
/// are a bug in this module, not bad input.
pub(super) fn decode(mut bytes: &[u8]) -> Key {
    let mut key = Vec::with_capacity(2);
    while let Some((&tag, rest)) = bytes.split_first() {
        let (value, rest) = decode_value(tag, rest);
        key.push(value);
        bytes = rest;
    }
    key
}

fn decode_value(tag: u8, bytes: &[u8]) -> (Value, &[u8]) {
    const ENCODED: &str = "bytes of ordered::encode";
    match tag {
        NULL => (Value::Null, bytes),
        BOOL => (Value::Bool(bytes[0] == 1), &bytes[1..]),
        INT => {
            let (number, rest) = bytes.split_first_chunk::<8>().expect(ENCODED);
            (Value::Int((u64::from_be_bytes(*number) ^ (1 << 63)) as i64), rest)
        }
        TEXT => decode_text(bytes),
        UUID => {
            let (id, rest) = bytes.split_first_chunk::<16>().expect(ENCODED);
            (Value::Uuid(Uuid::from_bytes(*id)), rest)
        }
        DATE => {
            let (days, rest) = bytes.split_first_chunk::<4>().expect(ENCODED);
            let days = (u32::from_be_bytes(*days) ^ (1 << 31)) as i32;
            (Value::Date(NaiveDate::from_num_days_from_ce_opt(days).expect(ENCODED)), rest)
        }
        _ => unreachable!("a tag that {ENCODED} never writes: {tag}"),
    }
}

/// A text up to its end, unescaped, and what follows it.
fn decode_text(bytes: &[u8]) -> (Value, &[u8]) {
    let mut text = Vec::new();
    let mut at = 0;
    loop {
        let zero = at + bytes[at..].iter().position(|byte| *byte == 0).expect("a text ends");
        text.extend_from_slice(&bytes[at..zero]);
        if bytes.get(zero + 1) == Some(&0xFF) {
            text.push(0);
            at = zero + 2;
        } else {
            let text = String::from_utf8(text).expect("a text's bytes were a string's");
            return (Value::Text(text), &bytes[zero + 1..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            prop_oneof![Just(0i64), Just(-1), Just(i64::MIN), Just(i64::MAX)].prop_map(Value::Int),
            // Short texts over a small alphabet with the 0 byte, so that prefixes and escapes
            // meet often.
            "[ab\u{0}\u{ff}]{0,4}".prop_map(Value::Text),
            (0u128..4).prop_map(|n| Value::Uuid(Uuid::from_u128(n << 120 | n))),
            (-800_000i32..3_000_000)
                .prop_map(|d| Value::Date(NaiveDate::from_num_days_from_ce_opt(d).unwrap())),
        ]
    }

    fn key() -> impl Strategy<Value = Key> {
        proptest::collection::vec(value(), 0..4)
    }

    proptest! {
        /// Any two keys compare as their encodings do, and each decodes back to itself.
        #[test]
        fn encoded_keys_sort_as_the_keys_and_decode_back(a in key(), b in key()) {
            let (encoded_a, encoded_b) = (encode(&a), encode(&b));
            prop_assert_eq!(a.cmp(&b), encoded_a.cmp(&encoded_b));
            prop_assert_eq!(decode(&encoded_a), a);
            prop_assert_eq!(decode(&encoded_b), b);
        }
    }

    #[test]
    fn a_text_sorts_before_the_texts_it_is_a_prefix_of_whatever_follows_it() {
        let text = |text: &str| Value::Text(text.to_owned());
        let keys = [
            vec![text("a"), Value::Date(NaiveDate::MAX)],
            vec![text("a\u{0}")],
            vec![text("a\u{0}"), Value::Null],
            vec![text("a\u{1}")],
            vec![text("ab")],
        ];
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(encode(&pair[0]) < encode(&pair[1]), "{pair:?}");
        }
        assert_eq!(&*encode(&[text("a\u{0}b")]), [TEXT, b'a', 0, 0xFF, b'b', 0]);
    }
}
