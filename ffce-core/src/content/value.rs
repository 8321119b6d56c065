//! A parsed JSON document that keeps each object's field order and wipes its strings
//! when dropped.
//!
//! `serde_json::Value` would do for parsing, but without its `preserve_order` feature
//! it sorts every object's fields, so a table shown or printed back would not read as
//! the controller wrote it; and its strings (WiFi and MQTT passwords, PEM keys: the
//! plaintext is sensitive, docs/SPEC.md §4) would stay in freed memory. This type keeps
//! the order, compares objects regardless of it (a reordered export is not a change),
//! and zeroizes every string value on drop. serde_json's recursion limit bounds the
//! nesting, so parsing, comparing and dropping any input stays within the stack.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use zeroize::Zeroize;

use super::summary::JsonType;

/// A JSON value.
///
/// `Debug` never prints a string's text (it may be a secret), only its length.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it (an integer or a finite float).
    Number(Number),
    /// A string.
    String(Text),
    /// An array.
    Array(Vec<Value>),
    /// An object, its fields in the document's order.
    Object(Object),
}

/// A string value, wiped when dropped. `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({} bytes)", self.0.len())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(String::from(s))
    }
}

/// Objects with more fields than this get an index for look-ups by name; smaller ones
/// (every row of a controller's export) are searched in order.
const INDEXED_FROM: usize = 32;

/// A JSON object: field names (unique; a repeated name keeps its first place and its
/// last value, as `JSON.parse` does) and values, in the document's order.
#[derive(Clone, Debug, Default)]
pub struct Object {
    fields: Vec<(String, Value)>,
    /// Name → position, for objects of [`INDEXED_FROM`] fields or more.
    index: Option<BTreeMap<String, usize>>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object::default()
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.fields[i].1)
    }

    /// The fields, in the document's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True for `{}`.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Sets field `name`: a new name goes last, an existing one keeps its place.
    pub fn insert(&mut self, name: &str, value: Value) {
        if let Some(i) = self.position(name) {
            self.fields[i].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(String::from(name), self.fields.len());
        }
        self.fields.push((String::from(name), value));
        if self.index.is_none() && self.fields.len() >= INDEXED_FROM {
            self.index = Some(
                self.fields
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.fields.iter().position(|(k, _)| k == name),
        }
    }
}

impl Value {
    /// Parses one JSON document (trailing whitespace allowed, nothing else after it).
    pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(t) => Some(t.as_str()),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Field `name` of an object; `None` for a missing field or a value that is not an
    /// object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object()?.get(name)
    }

    /// The JSON type of this value.
    pub fn json_type(&self) -> JsonType {
        match self {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Bool,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }
}

/// Two numbers are equal when JavaScript would read them as the same number (`1` and
/// `1.0`): an export written by the controller's app and one rewritten by a tool must not
/// differ by their spelling.
fn same_number(a: &Number, b: &Number) -> bool {
    if a == b {
        return true;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Equality as the content means it: objects are equal with their fields in any order,
/// numbers by value.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => same_number(a, b),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(t) => s.serialize_str(t.as_str()),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(o) => o.serialize(s),
        }
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands out a NaN or an infinity.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Text::from(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Object::new();
        while let Some(name) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            object.insert(&name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn parse(s: &str) -> Value {
        Value::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn keeps_field_order_and_writes_it_back() {
        let text = r#"{"z":1,"a":[true,null,"x"],"m":{"b":2.5,"a":-3}}"#;
        assert_eq!(serde_json::to_string(&parse(text)).unwrap(), text);
    }

    #[test]
    fn a_repeated_name_keeps_its_place_and_its_last_value() {
        let v = parse(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":3,"b":2}"#);
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let v = parse(&format!("{{{},\"k7\":\"again\"}}", many.join(",")));
        let o = v.as_object().unwrap();
        assert_eq!(o.len(), 100);
        assert_eq!(o.get("k7").and_then(Value::as_str), Some("again"));
        assert_eq!(o.iter().nth(7).map(|(k, _)| k), Some("k7"));
        assert_eq!(o.get("k99").and_then(Value::as_number), Some(&99u64.into()));
    }

    #[test]
    fn equality_ignores_field_order_and_number_spelling() {
        assert_eq!(
            parse(r#"{"a":1,"b":{"c":2}}"#),
            parse(r#"{"b":{"c":2.0},"a":1}"#)
        );
        assert_ne!(parse(r#"{"a":1}"#), parse(r#"{"a":1,"b":null}"#));
        assert_ne!(parse("[1,2]"), parse("[2,1]"));
        assert_ne!(parse(r#""1""#), parse("1"));
    }

    #[test]
    fn debug_never_shows_a_string() {
        let v = parse(r#"{"password":"hunter2"}"#);
        let debug = format!("{v:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("7 bytes"), "{debug}");
    }

    #[test]
    fn nesting_beyond_the_recursion_limit_is_an_error() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(Value::parse(deep.as_bytes()).is_err());
        assert!(Value::parse(b"{} x").is_err());
        assert!(Value::parse(b" [] \n").is_ok());
    }

    #[test]
    fn types() {
        let v = parse(r#"[null,true,1,"s",[],{}]"#);
        let types: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.json_type().to_string())
            .collect();
        assert_eq!(
            types,
            vec!["null", "bool", "number", "string", "array", "object"]
        );
    }
}
