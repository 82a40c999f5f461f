//! The values a read-model row holds, and how Rust field types map to them.
//!
//! Five kinds, each a SQL column type in both databases: integers (`INTEGER`/`bigint`), texts,
//! ids (`TEXT`/`text` in their canonical hyphenated form), dates (`TEXT` as `YYYY-MM-DD` / `date`)
//! and booleans (`INTEGER` 0/1 / `boolean`). Codes are texts. A row is a list of values in its
//! table's column order.
//!
//! Ids are a kind of their own only in memory: 16 bytes in place, where their text would be a
//! 36-byte allocation of its own — a read model with a row per attendance mark holds two per
//! row. In the databases they stay text, so the SQL read models read as before.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One value of one column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    Uuid(Uuid),
    Date(NaiveDate),
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Text,
    Uuid,
    Date,
}

/// A Rust type that fits in one column.
pub trait Cell: Sized {
    const KIND: Kind;
    const NULLABLE: bool = false;
    fn to_value(&self) -> Value;
    fn from_value(value: &Value) -> Option<Self>;
    /// The same as [`Cell::from_value`], taking the value: a text moves instead of being
    /// copied.
    fn from_owned(value: Value) -> Option<Self> {
        Self::from_value(&value)
    }
}

impl Cell for i64 {
    const KIND: Kind = Kind::Int;
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
    fn from_value(value: &Value) -> Option<i64> {
        match value {
            Value::Int(number) => Some(*number),
            _ => None,
        }
    }
}

impl Cell for bool {
    const KIND: Kind = Kind::Bool;
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: &Value) -> Option<bool> {
        match value {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }
}

impl Cell for String {
    const KIND: Kind = Kind::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(value: &Value) -> Option<String> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
    fn from_owned(value: Value) -> Option<String> {
        match value {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl Cell for Uuid {
    const KIND: Kind = Kind::Uuid;
    fn to_value(&self) -> Value {
        Value::Uuid(*self)
    }
    fn from_value(value: &Value) -> Option<Uuid> {
        match value {
            Value::Uuid(id) => Some(*id),
            _ => None,
        }
    }
}

impl Cell for NaiveDate {
    const KIND: Kind = Kind::Date;
    fn to_value(&self) -> Value {
        Value::Date(*self)
    }
    fn from_value(value: &Value) -> Option<NaiveDate> {
        match value {
            Value::Date(date) => Some(*date),
            _ => None,
        }
    }
}

impl<T: Cell> Cell for Option<T> {
    const KIND: Kind = T::KIND;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Cell::to_value)
    }
    fn from_value(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
    fn from_owned(value: Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            other => T::from_owned(other).map(Some),
        }
    }
}
