//! JSON: an object of names to strings (numbers and booleans as their text, exactly as written);
//! nested objects are reported, or flattened to `OUTER_INNER` names with `--flatten`; arrays and
//! `null` are reported.

use serde_json::Value;

use super::{Entry, Finding, ParseError, ParseOptions, Parsed};
use crate::vault::SecretValue;

pub fn parse(text: &str, options: ParseOptions) -> Result<Parsed, ParseError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // serde_json's messages name a line and column, never the content.
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Json { message: e.to_string() })?;
    let Value::Object(map) = value else {
        return Err(ParseError::JsonNotAnObject);
    };
    let mut parsed = Parsed::default();
    walk(&map, "", options, &mut parsed);
    Ok(parsed)
}

fn walk(map: &serde_json::Map<String, Value>, prefix: &str, options: ParseOptions, parsed: &mut Parsed) {
    for (key, value) in map {
        let full = if prefix.is_empty() { key.clone() } else { format!("{prefix}_{key}") };
        let text = match value {
            Value::String(s) => s.clone(),
            // With `arbitrary_precision`, a number prints exactly as it was written.
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => {
                parsed.findings.push(Finding::Null { key: full });
                continue;
            }
            Value::Object(inner) if options.flatten => {
                walk(inner, &full, options, parsed);
                continue;
            }
            Value::Object(_) => {
                parsed.findings.push(Finding::Nested { key: full, kind: "an object" });
                continue;
            }
            Value::Array(_) => {
                parsed.findings.push(Finding::Nested { key: full, kind: "an array" });
                continue;
            }
        };
        parsed.push(Entry { key: full, value: SecretValue::new(text), line: None });
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
    fn only_an_object_will_do() {
        assert_eq!(parse("[1, 2]", ParseOptions::default()).unwrap_err(), ParseError::JsonNotAnObject);
        assert!(matches!(parse("{\"A\": ", ParseOptions::default()), Err(ParseError::Json { .. })));
    }
}
