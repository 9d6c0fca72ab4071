//! JSON: an object of names to strings (numbers and booleans as their text, exactly as written);
//! nested objects are reported, or flattened to `OUTER_INNER` names with `--flatten`; arrays and
//! `null` are reported. Also a list of `{"key": …, "value": …}` objects, which is what
//! `infisical export --format=json` writes (its CLI marshals its list of secrets as it is).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Entry, Finding, ParseError, ParseOptions, Parsed};
use crate::vault::SecretValue;

pub fn parse(text: &str, options: ParseOptions) -> Result<Parsed, ParseError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim_start().starts_with('[') {
        return parse_key_value_list(text);
    }
    // serde_json's messages name a line and column, never the content.
    let node: Node = serde_json::from_str(text).map_err(|e| ParseError::Json { message: e.to_string() })?;
    let Node::Object(members) = node else {
        return Err(ParseError::JsonNotAnObject);
    };
    let mut parsed = Parsed::default();
    walk(members, "", options, &mut parsed);
    Ok(parsed.finish())
}

/// A JSON value as an import needs it: objects keep every member in order, so that a key
/// written twice is reported instead of silently losing its first value (as a map would).
enum Node {
    /// A string, or a number or boolean as its text exactly as written.
    Scalar(String),
    Null,
    Array,
    Object(Vec<(String, Node)>),
}

/// How serde_json (with `arbitrary_precision`) hands a number to a visitor: a one-entry map
/// under this key, holding the number's text. `serde_json::Number` recognises it the same way;
/// the unit tests below fail if that ever changes.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Scalar(b.to_string()))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Scalar(n.to_string()))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Scalar(n.to_string()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
        Ok(Node::Scalar(n.to_string()))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Scalar(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        Ok(Node::Scalar(s))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.is_empty() && key == NUMBER_TOKEN {
                return Ok(Node::Scalar(map.next_value::<String>()?));
            }
            members.push((key, map.next_value::<Node>()?));
        }
        Ok(Node::Object(members))
    }
}

/// Infisical's JSON export: `[{"key": "A", "value": "x", "type": "shared", …}, …]`. Anything else
/// in a list is not a file of secrets.
fn parse_key_value_list(text: &str) -> Result<Parsed, ParseError> {
    #[derive(serde::Deserialize)]
    struct KeyValue {
        key: String,
        value: Option<String>,
    }
    let list: Vec<KeyValue> = serde_json::from_str(text).map_err(|_| ParseError::JsonNotAnObject)?;
    let mut parsed = Parsed::default();
    for item in list {
        match item.value {
            Some(value) => parsed.push(Entry { key: item.key, value: SecretValue::new(value), line: None }),
            None => parsed.findings.push(Finding::Null { key: item.key }),
        }
    }
    Ok(parsed.finish())
}

fn walk(members: Vec<(String, Node)>, prefix: &str, options: ParseOptions, parsed: &mut Parsed) {
    for (key, node) in members {
        let full = if prefix.is_empty() { key } else { format!("{prefix}_{key}") };
        match node {
            Node::Scalar(text) => parsed.push(Entry { key: full, value: SecretValue::new(text), line: None }),
            Node::Null => parsed.findings.push(Finding::Null { key: full }),
            Node::Object(inner) if options.flatten => walk(inner, &full, options, parsed),
            Node::Object(_) => parsed.findings.push(Finding::Nested { key: full, kind: "an object" }),
            Node::Array => parsed.findings.push(Finding::Nested { key: full, kind: "an array" }),
        }
    }
}

pub fn write(out: &mut String, entries: &[(&str, &SecretValue)]) {
    let map: serde_json::Map<String, Value> =
        entries.iter().map(|(k, v)| (k.to_string(), Value::String(v.expose().to_owned()))).collect();
    out.push_str(&serde_json::to_string_pretty(&Value::Object(map)).expect("strings always serialize"));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_numbers_booleans_and_what_is_reported() {
        let text = r#"{"A": "x", "N": 1.50, "BIG": 12345678901234567890, "T": true, "Z": null,
                       "L": [1], "O": {"INNER": "y"}}"#;
        let parsed = parse(text, ParseOptions::default()).unwrap();
        let got: Vec<(String, String)> =
            parsed.entries.iter().map(|e| (e.key.clone(), e.value.expose().to_owned())).collect();
        assert_eq!(
            got,
            [
                ("A".into(), "x".into()),
                ("N".into(), "1.50".into()),
                ("BIG".into(), "12345678901234567890".into()),
                ("T".into(), "true".into())
            ]
        );
        assert_eq!(
            parsed.findings,
            [
                Finding::Null { key: "Z".into() },
                Finding::Nested { key: "L".into(), kind: "an array" },
                Finding::Nested { key: "O".into(), kind: "an object" },
            ]
        );
        let flat = parse(text, ParseOptions { flatten: true }).unwrap();
        assert!(flat.entries.iter().any(|e| e.key == "O_INNER" && e.value.expose() == "y"));
    }

    #[test]
    fn keys_written_twice_are_reported_and_the_last_wins() {
        let parsed = parse(r#"{"A": "first", "B": "b", "A": "second"}"#, ParseOptions::default()).unwrap();
        let got: Vec<(&str, &str)> = parsed.entries.iter().map(|e| (e.key.as_str(), e.value.expose())).collect();
        assert_eq!(got, [("B", "b"), ("A", "second")]);
        assert_eq!(parsed.findings, [Finding::Duplicate { key: "A".into(), line: 0, earlier_line: 0 }]);
        assert_eq!(parsed.findings[0].to_string(), "A is set more than once; the last value wins");
        // Flattening can make two paths one name: reported the same way.
        let flat = parse(r#"{"DB_USER": "x", "DB": {"USER": "y"}}"#, ParseOptions { flatten: true }).unwrap();
        assert_eq!(flat.entries.len(), 1);
        assert_eq!(flat.entries[0].value.expose(), "y");
        assert_eq!(flat.findings.len(), 1);
    }

    #[test]
    fn a_byte_order_mark_deep_nesting_and_unicode_escapes() {
        let text = "\u{FEFF}{\"A\": {\"B\": {\"C\": \"deep\"}}, \"U\": \"\\u00fc\\n\\ud83d\\udd11\", \"E\": 1e-7, \"NEG\": -0}";
        let parsed = parse(text, ParseOptions { flatten: true }).unwrap();
        let got: Vec<(&str, &str)> = parsed.entries.iter().map(|e| (e.key.as_str(), e.value.expose())).collect();
        assert_eq!(got, [("A_B_C", "deep"), ("U", "ü\n🔑"), ("E", "1e-7"), ("NEG", "-0")]);
        assert!(parse("{}", ParseOptions::default()).unwrap().entries.is_empty());
        assert_eq!(parse("\"text\"", ParseOptions::default()).unwrap_err(), ParseError::JsonNotAnObject);
        assert_eq!(parse("12", ParseOptions::default()).unwrap_err(), ParseError::JsonNotAnObject);
    }

    #[test]
    fn infisical_lists_of_keys_and_values() {
        let text = r#"[{"key": "A", "value": "x", "type": "shared", "id": "1"}, {"key": "B", "value": "y"}]"#;
        let parsed = parse(text, ParseOptions::default()).unwrap();
        let got: Vec<(&str, &str)> = parsed.entries.iter().map(|e| (e.key.as_str(), e.value.expose())).collect();
        assert_eq!(got, [("A", "x"), ("B", "y")]);
        assert_eq!(parse(r#"[{"name": "A"}]"#, ParseOptions::default()).unwrap_err(), ParseError::JsonNotAnObject);
    }

    #[test]
    fn only_an_object_will_do() {
        assert_eq!(parse("[1, 2]", ParseOptions::default()).unwrap_err(), ParseError::JsonNotAnObject);
        assert!(matches!(parse("{\"A\": ", ParseOptions::default()), Err(ParseError::Json { .. })));
    }
}
