//! Tables of a read model: typed rows with a primary key, held in memory as ordered maps, and
//! the changes since they were last written out.
//!
//! A projection declares its tables with [`record!`](crate::record): a Rust struct whose first
//! fields are the key. The same declaration gives the table's schema, which the SQL runner in
//! the shell writes rows against (the migrations create the tables; a test checks that they
//! match).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::scope::Within;
use crate::value::{Kind, Value};

mod ordered;

/// A primary key's values.
pub type Key = Vec<Value>;
/// The values of a row's other columns.
pub type Row = Vec<Value>;

/// A table's rows by their keys, each key as the bytes that sort as it does
/// (`table/ordered.rs`).
type TableRows = BTreeMap<Box<[u8]>, Packed>;

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

/// A table's name and columns: the key columns first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub name: &'static str,
    pub key: Vec<Column>,
    pub columns: Vec<Column>,
    /// The row each row hangs off, when there is one: a scope keeps a row exactly when it
    /// holds that parent row (`crate::scope`), and a loader narrowed to a scope reads only the
    /// rows under the parents it holds.
    pub under: Option<Under>,
}

/// A table's parent: `column` of each row holds the key of one row of `parent` (a table keyed
/// by that one column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Under {
    pub parent: &'static str,
    pub column: &'static str,
}

impl TableDef {
    /// The same table, each row hanging off the row of `parent` its `column` names.
    pub fn under(self, parent: &'static str, column: &'static str) -> TableDef {
        TableDef { under: Some(Under { parent, column }), ..self }
    }

    /// Where a column is among the key's columns, then the others.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.key.iter().chain(&self.columns).position(|c| c.name == column)
    }
}

/// A struct stored as a row of one table.
pub trait Record: Sized + Clone {
    const TABLE: &'static str;
    fn def() -> TableDef;
    fn key(&self) -> Key;
    fn to_row(&self) -> Row;
    /// The record of a key and row, `None` when they do not fit its columns; the row's texts
    /// move into the record.
    fn from_row(key: &Key, row: Row) -> Option<Self>;
    /// The same as [`Record::from_row`] for a row that stays where it is.
    fn from_parts(key: &Key, row: &Row) -> Option<Self> {
        Self::from_row(key, row.clone())
    }
}

/// Declares a table: `record!(TABLE_NAME => Struct { key_field: T, …; field: T, … });`
#[macro_export]
macro_rules! record {
    ($(#[$meta:meta])* $table:literal => $name:ident { $($key:ident : $key_type:ty),+ ; $($field:ident : $field_type:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $(pub $key: $key_type,)+
            $(pub $field: $field_type,)*
        }

        impl $crate::table::Record for $name {
            const TABLE: &'static str = $table;

            fn def() -> $crate::table::TableDef {
                use $crate::value::Cell;
                $crate::table::TableDef {
                    name: $table,
                    key: vec![$($crate::table::Column { name: stringify!($key), kind: <$key_type>::KIND, nullable: <$key_type>::NULLABLE }),+],
                    columns: vec![$($crate::table::Column { name: stringify!($field), kind: <$field_type>::KIND, nullable: <$field_type>::NULLABLE }),*],
                    under: None,
                }
            }

            fn key(&self) -> $crate::table::Key {
                use $crate::value::Cell;
                vec![$(self.$key.to_value()),+]
            }

            fn to_row(&self) -> $crate::table::Row {
                use $crate::value::Cell;
                vec![$(self.$field.to_value()),*]
            }

            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn from_row(key: &$crate::table::Key, row: $crate::table::Row) -> Option<$name> {
                use $crate::value::Cell;
                let mut keys = key.iter();
                let mut values = row.into_iter();
                Some($name {
                    $($key: <$key_type>::from_value(keys.next()?)?,)+
                    $($field: <$field_type>::from_owned(values.next()?)?,)*
                })
            }
        }
    };
}

/// A value as a snapshot stores it: ids as 16 bytes, dates as days since the common era;
/// everything else as it is.
///
/// Snapshots written before ids were a kind of their own stored the ids in text columns as
/// `Uuid` too (any text in canonical UUID form); decoding goes by the column's kind, so they
/// still read back as they were.
#[derive(Serialize, Deserialize)]
enum Stored<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Text(#[serde(borrow)] Cow<'a, str>),
    Uuid(u128),
    Date(i32),
}

/// A row's key and other values, as stored.
type StoredRow<'a> = (Vec<Stored<'a>>, Vec<Stored<'a>>);

impl<'a> From<&'a Value> for Stored<'a> {
    fn from(value: &'a Value) -> Stored<'a> {
        match value {
            Value::Null => Stored::Null,
            Value::Bool(flag) => Stored::Bool(*flag),
            Value::Int(number) => Stored::Int(*number),
            Value::Date(date) => Stored::Date(date.num_days_from_ce()),
            Value::Uuid(id) => Stored::Uuid(id.as_u128()),
            Value::Text(text) => Stored::Text(Cow::Borrowed(text)),
        }
    }
}

impl<'a> Stored<'a> {
    /// The value as a column of `kind` holds it. Ids in other columns were stored as `Uuid` by
    /// snapshots of old and read back as their text; a text in an id column must be an id; a
    /// day must be one a date can be.
    fn for_kind(self, kind: Kind) -> Result<Stored<'a>, String> {
        Ok(match (self, kind) {
            (Stored::Uuid(id), Kind::Uuid) => Stored::Uuid(id),
            (Stored::Uuid(id), _) => {
                Stored::Text(Cow::Owned(Uuid::from_u128(id).hyphenated().to_string()))
            }
            (Stored::Text(text), Kind::Uuid) => {
                let id = Uuid::try_parse(&text);
                Stored::Uuid(
                    id.map_err(|error| format!("{text:?} in an id column: {error}"))?.as_u128(),
                )
            }
            (Stored::Date(days), _) => {
                chrono::NaiveDate::from_num_days_from_ce_opt(days).ok_or("a day out of range")?;
                Stored::Date(days)
            }
            (other, _) => other,
        })
    }

    /// The value itself. Every stored value that reaches here went through [`Stored::from`] or
    /// [`Stored::for_kind`], so its kind is the column's and its day a date's.
    fn into_value(self) -> Value {
        match self {
            Stored::Null => Value::Null,
            Stored::Bool(flag) => Value::Bool(flag),
            Stored::Int(number) => Value::Int(number),
            Stored::Uuid(id) => Value::Uuid(Uuid::from_u128(id)),
            Stored::Text(text) => Value::Text(text.into_owned()),
            Stored::Date(days) => Value::Date(
                chrono::NaiveDate::from_num_days_from_ce_opt(days)
                    .expect("a stored day was a date's or checked by for_kind"),
            ),
        }
    }
}

/// A row's values other than its key, packed as a snapshot stores them: [`Stored`] values in
/// postcard. A participation's 40 values take about 300 bytes so, against about 1.5 KB as a
/// [`Row`] (24 bytes a value and an allocation per text); a fold of a national log holds
/// hundreds of thousands of rows. Packing is canonical, so equal rows pack equal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Packed(Box<[u8]>);

impl Packed {
    fn new(row: &[Value]) -> Packed {
        Packed::encode(&snapshot::EncodeValues(row))
    }

    fn of_stored(values: &[Stored<'_>]) -> Packed {
        Packed::encode(&values)
    }

    fn encode(values: &impl Serialize) -> Packed {
        let bytes = postcard::to_allocvec(values).expect("plain values always encode");
        Packed(bytes.into_boxed_slice())
    }

    /// The values, borrowing the texts (the tests compare snapshots with a copy made of them).
    #[cfg(test)]
    fn stored(&self) -> Vec<Stored<'_>> {
        postcard::from_bytes(&self.0).expect("bytes of Packed::new decode")
    }

    fn unpack(&self) -> Row {
        use serde::de::DeserializeSeed;
        let mut deserializer = postcard::Deserializer::from_bytes(&self.0);
        snapshot::DecodeValues.deserialize(&mut deserializer).expect("bytes of Packed::new decode")
    }
}

/// The snapshot encoding, written from and read into the tables directly: a sequence of
/// (table name, sequence of (key values, other values)), each value a [`Stored`].
mod snapshot {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
    use serde::ser::{Serialize, Serializer};

    use super::{Column, Key, Packed, Row, Stored, StoredRow, TableDef, TableRows, ordered};
    use crate::value::Value;

    type Rows = BTreeMap<&'static str, TableRows>;
    /// A chunk as read: for each table it covers, its name and its rows in key order, each
    /// key encoded as the tables hold it.
    pub(super) type Decoded = Vec<(&'static str, KeyedRows)>;
    /// A table's rows in key order, each key encoded.
    pub(super) type KeyedRows = Vec<(Box<[u8]>, Packed)>;

    /// A run of rows in key order: for each table it covers, the table's name and its rows.
    pub(super) type Chunk<'a> = Vec<(&'static str, Vec<(&'a [u8], &'a Packed)>)>;

    /// `chunk` in the snapshot encoding. A packed row is already the postcard encoding of its
    /// values, which is what the snapshot holds for them, so it is copied as it is; only the
    /// names, the counts and the keys are encoded here (as postcard writes a sequence: its
    /// length, then its elements).
    pub(super) fn encode(chunk: &Chunk<'_>) -> Vec<u8> {
        let rows = chunk.iter().flat_map(|(_, rows)| rows);
        let size: usize = rows.map(|(key, row)| key.len() + row.0.len()).sum();
        let mut bytes = Vec::with_capacity(size + 64 * chunk.len());
        bytes = extend(&chunk.len(), bytes);
        for (name, rows) in chunk {
            bytes = extend(&(name, rows.len()), bytes);
            for (key, row) in rows {
                bytes = extend(&EncodeValues(&ordered::decode(key)), bytes);
                bytes.extend_from_slice(&row.0);
            }
        }
        bytes
    }

    /// `bytes` with `value` encoded after them.
    fn extend(value: &impl Serialize, bytes: Vec<u8>) -> Vec<u8> {
        postcard::to_extend(value, bytes).expect("plain values always encode")
    }

    /// The tables a snapshot's chunks are read into: rows come in key order, a table's rows
    /// possibly split across chunks, and each table's map is built in one pass once all its
    /// rows are in.
    #[derive(Default)]
    pub(super) struct Building {
        rows: Rows,
        current: Option<(&'static str, KeyedRows)>,
    }

    impl Building {
        pub(super) fn add(&mut self, tables: Decoded) -> Result<(), String> {
            for (name, rows) in tables {
                match &mut self.current {
                    Some((current, held)) if *current == name => {
                        let (last, next) = (held.last(), rows.first());
                        if last.zip(next).is_some_and(|((last, _), (next, _))| next <= last) {
                            return Err(format!("the rows of {name} out of order"));
                        }
                        held.extend(rows);
                    }
                    _ => {
                        self.finish_table()?;
                        self.current = Some((name, rows));
                    }
                }
            }
            Ok(())
        }

        fn finish_table(&mut self) -> Result<(), String> {
            let Some((name, rows)) = self.current.take() else { return Ok(()) };
            // Written in key order: the map is built in one pass, its nodes full.
            if self.rows.insert(name, rows.into_iter().collect()).is_some() {
                return Err(format!("the rows of {name} in two places"));
            }
            Ok(())
        }

        pub(super) fn finish(mut self) -> Result<Rows, String> {
            self.finish_table()?;
            Ok(self.rows)
        }
    }

    pub(super) struct EncodeValues<'a>(pub(super) &'a [Value]);

    impl Serialize for EncodeValues<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(self.0.iter().map(Stored::from))
        }
    }

    /// Reads a packed row's values.
    pub(super) struct DecodeValues;

    impl<'de> DeserializeSeed<'de> for DecodeValues {
        type Value = Row;
        fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Row, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for DecodeValues {
        type Value = Row;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a row's values")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut stored: A) -> Result<Row, A::Error> {
            let mut values = Vec::with_capacity(stored.size_hint().unwrap_or(0));
            while let Some(value) = stored.next_element::<Stored<'de>>()? {
                values.push(value.into_value());
            }
            Ok(values)
        }
    }

    /// Reads the tables `definitions` declare; `bytes` is the length of the encoding, which
    /// bounds how many rows a count read from it can be believed about.
    pub(super) struct Decode<'d> {
        pub(super) definitions: &'d [TableDef],
        pub(super) bytes: usize,
        /// The message of the first error of ours.
        pub(super) failure: &'d RefCell<Option<String>>,
    }

    impl Decode<'_> {
        /// An error whose message is kept for the caller.
        fn fail<E: de::Error>(&self, message: String) -> E {
            let error = E::custom(&message);
            self.failure.borrow_mut().get_or_insert(message);
            error
        }
    }

    impl<'de> DeserializeSeed<'de> for Decode<'_> {
        type Value = Decoded;
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Decoded, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Decode<'_> {
        type Value = Decoded;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("the tables of a snapshot")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut tables: A) -> Result<Decoded, A::Error> {
            let mut decoded = Decoded::new();
            while let Some(table) = tables.next_element_seed(DecodeTable(&self))? {
                decoded.push(table);
            }
            Ok(decoded)
        }
    }

    /// One (name, rows) pair.
    struct DecodeTable<'a, 'd>(&'a Decode<'d>);

    impl<'de> DeserializeSeed<'de> for DecodeTable<'_, '_> {
        type Value = (&'static str, KeyedRows);
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_tuple(2, self)
        }
    }

    impl<'de> Visitor<'de> for DecodeTable<'_, '_> {
        type Value = (&'static str, KeyedRows);
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a table's name and rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut pair: A) -> Result<Self::Value, A::Error> {
            let name: &str =
                pair.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
            let decode = self.0;
            let definition =
                decode
                    .definitions
                    .iter()
                    .find(|definition| definition.name == name)
                    .ok_or_else(|| decode.fail(format!("no table {name} in this projection")))?;
            let rows = pair
                .next_element_seed(DecodeRows { decode, definition })?
                .ok_or_else(|| de::Error::invalid_length(1, &self))?;
            Ok((definition.name, rows))
        }
    }

    struct DecodeRows<'a, 'd> {
        decode: &'a Decode<'d>,
        definition: &'d TableDef,
    }

    impl<'de> DeserializeSeed<'de> for DecodeRows<'_, '_> {
        type Value = KeyedRows;
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for DecodeRows<'_, '_> {
        type Value = KeyedRows;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("the rows of a table")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut stored: A) -> Result<Self::Value, A::Error> {
            let name = self.definition.name;
            // Each value as its column's kind holds it.
            let fit = |values: Vec<Stored<'de>>, columns: &[Column]| {
                if values.len() != columns.len() {
                    let message = format!("a row of {name} with {} values", values.len());
                    return Err(self.decode.fail(message));
                }
                values
                    .into_iter()
                    .zip(columns)
                    .map(|(value, column)| value.for_kind(column.kind))
                    .collect::<Result<Vec<_>, String>>()
                    .map_err(|message| self.decode.fail(message))
            };
            // A row takes at least two bytes (two lengths): a count past that is corrupt.
            let bound = self.decode.bytes / 2;
            let mut rows = Vec::with_capacity(stored.size_hint().unwrap_or(0).min(bound));
            while let Some((key, row)) = stored.next_element::<StoredRow<'de>>()? {
                let key = fit(key, &self.definition.key)?;
                let row = fit(row, &self.definition.columns)?;
                let key: Key = key.into_iter().map(Stored::into_value).collect();
                rows.push((ordered::encode(&key), Packed::of_stored(&row)));
            }
            Ok(rows)
        }
    }
}

/// A reference to one row: the table and the key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowRef {
    pub table: &'static str,
    pub key: Key,
}

impl RowRef {
    pub fn of<R: Record>(key: Key) -> RowRef {
        RowRef { table: R::TABLE, key }
    }
}

/// Keys of rows by table, encoded as the tables hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeySets(BTreeMap<&'static str, BTreeSet<Box<[u8]>>>);

impl KeySets {
    fn insert(&mut self, table: &'static str, key: Box<[u8]>) {
        self.0.entry(table).or_default().insert(key);
    }

    fn contains(&self, table: &str, key: &[u8]) -> bool {
        self.0.get(table).is_some_and(|keys| keys.contains(key))
    }

    /// Takes a key out; a table left without keys goes too, so that empty sets are equal.
    fn remove(&mut self, table: &str, key: &[u8]) {
        if let Some(keys) = self.0.get_mut(table) {
            keys.remove(key);
            if keys.is_empty() {
                self.0.remove(table);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (table, key), in that order.
    fn into_keys(self) -> impl Iterator<Item = (&'static str, Box<[u8]>)> {
        self.0.into_iter().flat_map(|(table, keys)| keys.into_iter().map(move |key| (table, key)))
    }
}

/// Rows of a projection's tables, and which of them changed.
///
/// In memory every row is present. The SQL runner loads only the rows a batch touches; a row
/// it looked for and did not find is recorded as absent, so the projection can tell "no such
/// row" from "not loaded".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    rows: BTreeMap<&'static str, TableRows>,
    /// Rows known not to exist (the SQL runner looked).
    absent: KeySets,
    changed: KeySets,
    /// True when every row is here (the in-memory runner).
    complete: bool,
    /// True when nothing will be written out, so changes are not recorded.
    untracked: bool,
    /// When set, only the rows within a scope are held: any other row put or loaded is left
    /// out (`crate::scope`).
    within: Option<Within>,
}

impl Tables {
    /// Tables that hold every row: nothing absent is unknown.
    pub fn complete() -> Tables {
        Tables { complete: true, ..Tables::default() }
    }

    /// Complete tables of an in-memory fold that is never written out (a replay, a snapshot,
    /// an as-of answer): they record no changes, which would hold a second copy of the key of
    /// every row touched — as many keys as the fold has rows.
    pub fn folded() -> Tables {
        Tables { complete: true, untracked: true, ..Tables::default() }
    }

    /// Tables that hold only what was loaded.
    pub fn partial() -> Tables {
        Tables::default()
    }

    /// These tables, keeping from now on only the rows within `within`'s scope. For tables
    /// that are never written out: a row left out is not a change.
    pub fn within(mut self, within: Within) -> Tables {
        self.within = Some(within);
        self
    }

    /// Whether a row of the table named `table` with this key is held.
    pub fn holds(&self, table: &str, key: &[Value]) -> bool {
        self.holds_encoded(table, &ordered::encode(key))
    }

    /// The same for a key already encoded.
    fn holds_encoded(&self, table: &str, key: &[u8]) -> bool {
        self.rows.get(table).is_some_and(|rows| rows.contains_key(key))
    }

    /// Whether a row belongs in these tables: always, unless they are within a scope.
    fn keeps(&self, table: &str, key: &Key, row: &Row) -> bool {
        self.within.as_ref().is_none_or(|within| within.keeps(table, key, row, self))
    }

    pub fn get<R: Record>(&self, key: &Key) -> Option<R> {
        let row = self.rows.get(R::TABLE)?.get(&*ordered::encode(key))?;
        R::from_row(key, row.unpack())
    }

    pub fn put<R: Record>(&mut self, record: &R) {
        let key = record.key();
        let row = record.to_row();
        if !self.keeps(R::TABLE, &key, &row) {
            // Out of scope now, so not held any more (rows are kept by what does not change —
            // a package's facility, a row's parent — so this finds nothing to remove).
            if let Some(rows) = self.rows.get_mut(R::TABLE) {
                rows.remove(&*ordered::encode(&key));
            }
            return;
        }
        let key = ordered::encode(&key);
        if !self.absent.is_empty() {
            self.absent.remove(R::TABLE, &key);
        }
        if !self.untracked {
            self.changed.insert(R::TABLE, key.clone());
        }
        self.rows.entry(R::TABLE).or_default().insert(key, Packed::new(&row));
    }

    pub fn delete<R: Record>(&mut self, key: &Key) {
        let key = ordered::encode(key);
        if let Some(rows) = self.rows.get_mut(R::TABLE) {
            rows.remove(&key);
        }
        if !self.complete {
            // Deleted here but not yet in the database: reading it back would revive it.
            self.absent.insert(R::TABLE, key.clone());
        }
        if !self.untracked {
            self.changed.insert(R::TABLE, key);
        }
    }

    /// Every row of a table, in key order.
    pub fn all<R: Record>(&self) -> impl Iterator<Item = R> + '_ {
        self.rows
            .get(R::TABLE)
            .into_iter()
            .flat_map(|rows| rows.iter())
            .filter_map(|(key, row)| R::from_row(&ordered::decode(key), row.unpack()))
    }

    /// Every row of a table by name, for writing out and comparing.
    pub fn raw(&self, table: &str) -> impl Iterator<Item = (Key, Row)> {
        self.keyed(table).map(|(key, row)| (ordered::decode(key), row.unpack()))
    }

    /// The keys of every row of a table by name, in order.
    pub fn keys(&self, table: &str) -> impl Iterator<Item = Key> {
        self.keyed(table).map(|(key, _)| ordered::decode(key))
    }

    fn keyed(&self, table: &str) -> impl Iterator<Item = (&Box<[u8]>, &Packed)> {
        self.rows.get(table).into_iter().flat_map(|rows| rows.iter())
    }

    /// Whether the row is here or known to be absent.
    pub fn is_known(&self, reference: &RowRef) -> bool {
        if self.complete {
            return true;
        }
        let key = ordered::encode(&reference.key);
        self.holds_encoded(reference.table, &key) || self.absent.contains(reference.table, &key)
    }

    /// Records what the SQL runner loaded: a row, or `None` when the table has no such row.
    pub fn load(&mut self, table: &'static str, key: Key, row: Option<Row>) {
        match row {
            Some(row) if !self.keeps(table, &key, &row) => {}
            Some(row) => {
                let key = ordered::encode(&key);
                drop(self.rows.entry(table).or_default().insert(key, Packed::new(&row)));
            }
            None => self.absent.insert(table, ordered::encode(&key)),
        }
    }

    /// The rows changed since the last call: `Some(row)` to write, `None` to delete.
    pub fn take_changes(&mut self) -> Vec<(&'static str, Key, Option<Row>)> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_keys()
            .map(|(table, key)| {
                let row = self.rows.get(table).and_then(|rows| rows.get(&key));
                (table, ordered::decode(&key), row.map(Packed::unpack))
            })
            .collect()
    }

    /// The rows changed, moved out of tables that are done with (the SQL runner's, about to be
    /// dropped): the same as [`Tables::take_changes`] without a copy of every row.
    pub fn into_changes(mut self) -> Vec<(&'static str, Key, Option<Row>)> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_keys()
            .map(|(table, key)| {
                let row = self.rows.get_mut(table).and_then(|rows| rows.remove(&key));
                (table, ordered::decode(&key), row.as_ref().map(Packed::unpack))
            })
            .collect()
    }

    /// Forgets every row (the SQL runner clears its cache between batches).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.absent = KeySets::default();
        self.changed = KeySets::default();
    }

    /// Every row in a compact binary form, for snapshots of an in-memory fold: parts of about
    /// a megabyte of rows each, made as they are asked for, so that neither the encoding nor
    /// a database row ever holds a national log's fold whole. There is always a first part.
    ///
    /// Values are stored compactly (ids as 16 bytes, dates as day numbers) with postcard, then
    /// compressed with LZ4 (a read model repeats the same ids row after row), a part at a time:
    /// each part is an LZ4 block, size prepended, of a sequence of (table name, rows in key
    /// order); a table's rows may run on into the next part.
    pub fn snapshot_parts(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.snapshot_parts_of(SNAPSHOT_PART_BYTES)
    }

    /// [`Tables::snapshot_parts`] of about `part_bytes` each (tests write small ones, to read
    /// snapshots of many parts back).
    pub fn snapshot_parts_of(&self, part_bytes: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
        // Each table announces itself before its rows, so that an empty one is written too.
        let mut rows = self
            .rows
            .iter()
            .flat_map(|(name, rows)| {
                std::iter::once((*name, None)).chain(rows.iter().map(move |row| (*name, Some(row))))
            })
            .peekable();
        let mut first = true;
        std::iter::from_fn(move || {
            if rows.peek().is_none() && !std::mem::take(&mut first) {
                return None;
            }
            first = false;
            let mut part = snapshot::Chunk::new();
            let mut size = 0;
            while size < part_bytes
                && let Some((name, row)) = rows.next()
            {
                if part.last().is_none_or(|(last, _)| *last != name) {
                    part.push((name, Vec::new()));
                }
                if let Some((key, packed)) = row {
                    part.last_mut().expect("pushed above").1.push((key, packed));
                    size += packed.0.len() + key.len();
                }
            }
            let bytes = snapshot::encode(&part);
            Some(lz4_flex::compress_prepend_size(&bytes))
        })
    }

    /// Folded tables ([`Tables::folded`]) from the parts [`Tables::snapshot_parts`] made, in
    /// their order; `definitions` name the tables expected.
    pub fn from_snapshot<'p>(
        parts: impl IntoIterator<Item = &'p [u8]>,
        definitions: &[TableDef],
    ) -> Result<Tables, String> {
        let mut reader = SnapshotReader::new(definitions);
        parts.into_iter().try_for_each(|part| reader.read(part))?;
        reader.finish()
    }

    /// The number of rows held in one table.
    pub fn count(&self, table: &str) -> usize {
        self.rows.get(table).map_or(0, BTreeMap::len)
    }

    /// The number of rows held.
    pub fn len(&self) -> usize {
        self.rows.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// About how many bytes of rows a snapshot part holds before the next begins.
pub const SNAPSHOT_PART_BYTES: usize = 1 << 20;

/// Reads a snapshot's parts back into folded tables, a part at a time: each is decompressed
/// and its rows decoded into their tables as they are read.
pub struct SnapshotReader<'d> {
    definitions: &'d [TableDef],
    building: snapshot::Building,
}

impl<'d> SnapshotReader<'d> {
    /// A reader of the tables `definitions` declare.
    pub fn new(definitions: &'d [TableDef]) -> SnapshotReader<'d> {
        SnapshotReader { definitions, building: snapshot::Building::default() }
    }

    /// Reads the next part.
    pub fn read(&mut self, part: &[u8]) -> Result<(), String> {
        use serde::de::DeserializeSeed;
        // LZ4 shrinks at most 255 to 1: a size past that is corrupt, and is not allocated.
        let claimed = part.first_chunk::<4>().map_or(0, |size| u32::from_le_bytes(*size));
        if claimed as usize > part.len().saturating_mul(255) {
            return Err(format!("a snapshot part claims {claimed} bytes from {}", part.len()));
        }
        let bytes = lz4_flex::decompress_size_prepended(part).map_err(|e| e.to_string())?;
        let mut deserializer = postcard::Deserializer::from_bytes(&bytes);
        // postcard drops the message of an error of ours: the seed keeps it.
        let failure = std::cell::RefCell::new(None);
        let seed = snapshot::Decode {
            definitions: self.definitions,
            bytes: bytes.len(),
            failure: &failure,
        };
        let decoded = seed
            .deserialize(&mut deserializer)
            .map_err(|error| failure.take().unwrap_or_else(|| error.to_string()))?;
        self.building.add(decoded)
    }

    /// The tables read.
    pub fn finish(self) -> Result<Tables, String> {
        Ok(Tables { rows: self.building.finish()?, ..Tables::folded() })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    record!("example" => Example { id: Uuid, day: NaiveDate; name: String, count: i64, note: Option<String>, flag: bool });

    fn example() -> Example {
        Example {
            id: Uuid::from_u128(1),
            day: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            name: "a".to_owned(),
            count: 3,
            note: None,
            flag: true,
        }
    }

    #[test]
    fn a_record_round_trips_through_its_row_and_declares_its_schema() {
        let record = example();
        let back = Example::from_parts(&record.key(), &record.to_row()).unwrap();
        assert_eq!(back, record);
        let def = Example::def();
        assert_eq!(def.key.iter().map(|c| c.name).collect::<Vec<_>>(), ["id", "day"]);
        assert_eq!(def.columns[2], Column { name: "note", kind: Kind::Text, nullable: true });
        assert_eq!(def.columns[3].kind, Kind::Bool);
    }

    #[test]
    fn changes_are_collected_once_and_deletes_are_changes_too() {
        let mut tables = Tables::complete();
        tables.put(&example());
        let changes = tables.take_changes();
        assert_eq!(changes.len(), 1);
        assert!(changes[0].2.is_some());
        assert!(tables.take_changes().is_empty());
        tables.delete::<Example>(&example().key());
        assert_eq!(tables.take_changes()[0].2, None);
        assert!(tables.get::<Example>(&example().key()).is_none());
        // Moved out of tables done with, the changes are the same.
        let mut tables = Tables::partial();
        let other = Example { id: Uuid::from_u128(2), ..example() };
        tables.put(&example());
        tables.put(&other);
        tables.delete::<Example>(&other.key());
        let copied = tables.clone().take_changes();
        assert_eq!(copied.len(), 2);
        assert_eq!(tables.into_changes(), copied);
    }

    #[test]
    fn a_folded_table_records_no_changes_but_holds_every_row() {
        let mut tables = Tables::folded();
        tables.put(&example());
        tables.put(&Example { id: Uuid::from_u128(2), ..example() });
        tables.delete::<Example>(&example().key());
        assert!(tables.take_changes().is_empty());
        assert_eq!(tables.all::<Example>().map(|e| e.id).collect::<Vec<_>>(), [Uuid::from_u128(2)]);
        let reference = RowRef::of::<Example>(example().key());
        assert!(tables.is_known(&reference), "a folded table is complete");
    }

    #[test]
    fn tables_survive_encoding_for_snapshots() {
        let mut tables = Tables::complete();
        tables.put(&example());
        tables.put(&Example { note: Some("catatan".to_owned()), ..example() });
        // Texts that merely look like ids come back byte for byte.
        let shouting = "6A656A61-6B2D-4465-6D6F-000000000001".to_owned();
        tables.put(&Example { id: Uuid::from_u128(2), name: shouting, ..example() });
        let parts: Vec<Vec<u8>> = tables.snapshot_parts().collect();
        let [bytes] = &parts[..] else { panic!("{} parts", parts.len()) };
        let decoded = Tables::from_snapshot([&bytes[..]], &[Example::def()]).unwrap();
        assert_eq!(
            decoded.all::<Example>().collect::<Vec<_>>(),
            tables.all::<Example>().collect::<Vec<_>>()
        );
        let other = Tables::from_snapshot([&bytes[..]], &[]);
        assert!(other.is_err(), "a table of another projection is refused");
        let cut = &bytes[..bytes.len() / 2];
        assert!(Tables::from_snapshot([cut], &[Example::def()]).is_err());
    }

    /// Snapshots are written straight from the tables; a small one is one part, the bytes of
    /// the stored copy snapshots were first written through.
    #[test]
    fn snapshots_are_written_byte_for_byte_as_through_a_stored_copy() {
        let mut tables = Tables::folded();
        tables.put(&example());
        tables.put(&Example { id: Uuid::from_u128(9), note: Some("n".to_owned()), ..example() });
        tables.put(&ExampleIds { id: Uuid::from_u128(7), reference: "r".to_owned(), other: None });
        fn stored(values: &[Value]) -> Vec<Stored<'_>> {
            values.iter().map(Stored::from).collect()
        }
        let keyed: Vec<(&str, Vec<(Key, &Packed)>)> = tables
            .rows
            .iter()
            .map(|(name, rows)| {
                (*name, rows.iter().map(|(k, r)| (ordered::decode(k), r)).collect())
            })
            .collect();
        let copy: Vec<(&str, Vec<StoredRow<'_>>)> = keyed
            .iter()
            .map(|(name, rows)| {
                (*name, rows.iter().map(|(key, row)| (stored(key), row.stored())).collect())
            })
            .collect();
        // One part: the LZ4 block of the whole.
        let block = lz4_flex::compress_prepend_size(&postcard::to_allocvec(&copy).unwrap());
        assert_eq!(tables.snapshot_parts().collect::<Vec<_>>(), std::slice::from_ref(&block));
        let definitions = [Example::def(), ExampleIds::def()];
        let decoded = Tables::from_snapshot([&block[..]], &definitions).unwrap();
        assert_eq!(decoded, tables);
        let error = Tables::from_snapshot([&block[..]], &[Example::def()]).unwrap_err();
        assert_eq!(error, "no table example_ids in this projection");
        let empty = Tables::folded().snapshot_parts().collect::<Vec<_>>();
        assert_eq!(empty.len(), 1, "a snapshot of nothing still has its first part");
        let read = Tables::from_snapshot(empty.iter().map(Vec::as_slice), &definitions).unwrap();
        assert!(read.is_empty());
    }

    /// A fold of a national log is written and read a part of about a megabyte at a time; a
    /// table's rows may run on into the next part, and the tables read back are those written.
    #[test]
    fn a_large_snapshot_is_written_in_parts_and_reads_back_whole() {
        let mut tables = Tables::folded();
        let note = Some("x".repeat(100));
        for n in 0..30_000 {
            tables.put(&Example { id: Uuid::from_u128(n), note: note.clone(), ..example() });
        }
        tables.put(&ExampleIds { id: Uuid::from_u128(7), reference: "r".to_owned(), other: None });
        tables.rows.insert("example_empty", BTreeMap::new());
        let parts: Vec<Vec<u8>> = tables.snapshot_parts().collect();
        assert!(parts.len() >= 3, "30,000 rows of 130 bytes in {} parts", parts.len());
        for part in &parts {
            let plain = lz4_flex::decompress_size_prepended(part).unwrap();
            assert!(plain.len() < SNAPSHOT_PART_BYTES + 1024, "a part of {}", plain.len());
        }
        let definitions = [Example::def(), ExampleIds::def(), ExampleEmpty::def()];
        let read = |parts: &[Vec<u8>]| {
            Tables::from_snapshot(parts.iter().map(Vec::as_slice), &definitions)
        };
        assert_eq!(read(&parts).unwrap(), tables);

        let error = read(&[parts[0].clone(), parts[0].clone()]).err();
        assert_eq!(error.as_deref(), Some("the rows of example out of order"), "a part twice");
        let error = read(&[parts[0].clone(), parts[2].clone(), parts[1].clone()]).err();
        assert!(error.is_some(), "parts out of order are refused");
        let mut claims = 8u32.to_le_bytes().to_vec();
        claims.extend_from_slice(&[0; 4]);
        claims[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let Err(error) = read(&[claims]) else { panic!("a part claiming 4 GB is refused") };
        assert!(error.starts_with("a snapshot part claims 4294967295 bytes"), "{error}");
    }

    record!("example_empty" => ExampleEmpty { id: Uuid; flag: bool });

    record!("example_ids" => ExampleIds { id: Uuid; reference: String, other: Option<Uuid> });

    #[test]
    fn ids_are_held_in_place_and_snapshots_of_ids_as_text_still_read() {
        let id = Uuid::from_u128(7);
        let row = ExampleIds { id, reference: id.to_string(), other: None };
        assert_eq!(row.key(), vec![Value::Uuid(id)]);
        assert_eq!(row.to_row()[0], Value::Text(id.to_string()));
        // The encoding written before ids were a kind of their own: every text in canonical
        // UUID form as 16 bytes, whatever the column.
        let old: Vec<(&str, Vec<StoredRow<'_>>)> = vec![(
            "example_ids",
            vec![(vec![Stored::Uuid(7)], vec![Stored::Uuid(7), Stored::Text("8".into())])],
        )];
        let bytes = lz4_flex::compress_prepend_size(&postcard::to_allocvec(&old).unwrap());
        let error = Tables::from_snapshot([&bytes[..]], &[ExampleIds::def()]).unwrap_err();
        assert!(
            error.contains("\"8\" in an id column"),
            "a text that is no id in an id column: {error}"
        );
        let old: Vec<(&str, Vec<StoredRow<'_>>)> = vec![(
            "example_ids",
            vec![(vec![Stored::Uuid(7)], vec![Stored::Uuid(7), Stored::Null])],
        )];
        let bytes = lz4_flex::compress_prepend_size(&postcard::to_allocvec(&old).unwrap());
        let decoded = Tables::from_snapshot([&bytes[..]], &[ExampleIds::def()]).unwrap();
        assert_eq!(decoded.all::<ExampleIds>().collect::<Vec<_>>(), std::slice::from_ref(&row));
        let mut tables = Tables::folded();
        tables.put(&row);
        let parts: Vec<Vec<u8>> = tables.snapshot_parts().collect();
        let again = Tables::from_snapshot(parts.iter().map(Vec::as_slice), &[ExampleIds::def()]);
        let again = again.unwrap();
        assert_eq!(again.all::<ExampleIds>().collect::<Vec<_>>(), [row]);
    }

    /// Rows are held packed; every way of reading one gives back what was put, and the
    /// packed form is the snapshot's encoding of the values, a fraction of their size as values.
    #[test]
    fn a_row_is_held_packed_and_reads_back_as_it_was_put() {
        let mut tables = Tables::complete();
        let record = Example { note: Some("catatan panjang".to_owned()), ..example() };
        tables.put(&record);
        assert_eq!(tables.get::<Example>(&record.key()), Some(record.clone()));
        let raw: Vec<(Key, Row)> = tables.raw("example").collect();
        assert_eq!(raw, [(record.key(), record.to_row())]);
        assert_eq!(tables.keys("example").collect::<Vec<_>>(), [record.key()]);
        assert_eq!(tables.take_changes(), [("example", record.key(), Some(record.to_row()))]);
        let packed = &tables.rows["example"][&*ordered::encode(&record.key())];
        let row = record.to_row();
        let stored: Vec<Stored<'_>> = row.iter().map(Stored::from).collect();
        assert_eq!(&*packed.0, postcard::to_allocvec(&stored).unwrap().as_slice());
        let in_values = record.to_row().len() * std::mem::size_of::<Value>();
        assert!(packed.0.len() * 2 < in_values, "{} bytes packed", packed.0.len());
    }

    #[test]
    fn partial_tables_know_what_was_looked_for() {
        let mut tables = Tables::partial();
        let reference = RowRef::of::<Example>(example().key());
        assert!(!tables.is_known(&reference));
        tables.load("example", example().key(), None);
        assert!(tables.is_known(&reference));
        assert!(tables.get::<Example>(&example().key()).is_none());
    }
}
