//! TOML, including Streamlit's `secrets.toml`: top-level keys with string, integer, float,
//! boolean or date values are secrets (non-strings as their TOML text, exactly as written);
//! `[tables]` are reported, or flattened to `TABLE_KEY` names with `--flatten`. A UTF-8
//! byte-order mark is accepted.

use toml_edit::{Document, DocumentMut, Item, Table, Value};

use super::{Entry, Finding, ParseError, ParseOptions, Parsed};
use crate::vault::SecretValue;

pub fn parse(text: &str, options: ParseOptions) -> Result<Parsed, ParseError> {
    let copy = normalized(text);
    let text = copy.as_deref().map_or(text, String::as_str);
    let doc = document(text)?;
    let mut parsed = Parsed::default();
    walk(doc.as_table(), "", options, text, &mut parsed);
    Ok(parsed.finish())
}

/// As Python's tomllib reads it: CRLF is a line break, also inside multi-line strings (TOML lets
/// a parser normalise it; toml_edit alone would keep the \r). A raw CR is invalid TOML anywhere
/// else, so nothing else changes. `None`: no CRLF, the text as it is. The copy holds values:
/// wiped when dropped.
fn normalized(text: &str) -> Option<zeroize::Zeroizing<String>> {
    text.contains("\r\n").then(|| zeroize::Zeroizing::new(text.replace("\r\n", "\n")))
}

/// The parsed document, or where it is not TOML (the message only: TomlError's Display quotes
/// the offending line, which may be a secret).
fn document(text: &str) -> Result<Document<&str>, ParseError> {
    Document::parse(text).map_err(|e| {
        let line = e.span().map_or(0, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        ParseError::Toml { line, message: e.message().trim_end().to_owned() }
    })
}

/// Streamlit's `secrets.toml` read by section: the top-level keys (`None`), then each top-level
/// `[table]` (`Some(name)`) with its own keys — each section a set of secrets of its own, to
/// import into a place of its own. Deeper tables are reported in their section, as in [`parse`].
pub fn parse_sections(text: &str) -> Result<Vec<(Option<String>, Parsed)>, ParseError> {
    let copy = normalized(text);
    let text = copy.as_deref().map_or(text, String::as_str);
    let doc = document(text)?;
    let options = ParseOptions { flatten: false };
    let mut top = Parsed::default();
    let mut sections = Vec::new();
    for (key, item) in doc.as_table().iter() {
        match item {
            Item::Table(table) => {
                let mut parsed = Parsed::default();
                walk(table, "", options, text, &mut parsed);
                sections.push((Some(key.to_owned()), parsed.finish()));
            }
            Item::Value(Value::InlineTable(inline)) => {
                let mut parsed = Parsed::default();
                walk(&inline.clone().into_table(), "", options, text, &mut parsed);
                sections.push((Some(key.to_owned()), parsed.finish()));
            }
            _ => {
                let mut one = Table::new();
                one.insert(key, item.clone());
                walk(&one, "", options, text, &mut top);
            }
        }
    }
    let mut out = vec![(None, top.finish())];
    out.extend(sections);
    Ok(out)
}

fn line_of(text: &str, item_span: Option<std::ops::Range<usize>>) -> Option<usize> {
    item_span.map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
}

fn walk(table: &Table, prefix: &str, options: ParseOptions, text: &str, parsed: &mut Parsed) {
    for (key, item) in table.iter() {
        let full = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}_{key}") };
        match item {
            Item::Value(value) => match scalar_text(value, text) {
                Some(s) => {
                    parsed.push(Entry { key: full, value: SecretValue::new(s), line: line_of(text, value.span()) })
                }
                None => match value {
                    Value::InlineTable(inline) if options.flatten => {
                        walk(&inline.clone().into_table(), &full, options, text, parsed)
                    }
                    Value::InlineTable(_) => parsed.findings.push(Finding::Nested { key: full, kind: "a table" }),
                    _ => parsed.findings.push(Finding::Nested { key: full, kind: "an array" }),
                },
            },
            Item::Table(sub) if options.flatten => walk(sub, &full, options, text, parsed),
            Item::Table(_) => parsed.findings.push(Finding::Nested { key: full, kind: "a table" }),
            Item::ArrayOfTables(_) => parsed.findings.push(Finding::Nested { key: full, kind: "an array of tables" }),
            Item::None => {}
        }
    }
}

/// A scalar's value as a secret: strings as they are, everything else as its TOML text exactly
/// as written (`1.50` stays `1.50`).
fn scalar_text(value: &Value, text: &str) -> Option<String> {
    let as_written = |span: Option<std::ops::Range<usize>>, fallback: String| {
        span.and_then(|s| text.get(s)).map(|s| s.trim().to_owned()).unwrap_or(fallback)
    };
    match value {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(n) => Some(as_written(n.span(), n.value().to_string())),
        Value::Float(n) => Some(as_written(n.span(), n.value().to_string())),
        Value::Boolean(b) => Some(as_written(b.span(), b.value().to_string())),
        Value::Datetime(d) => Some(as_written(d.span(), d.value().to_string())),
        Value::Array(_) | Value::InlineTable(_) => None,
    }
}

pub fn write(out: &mut String, entries: &[(&str, &SecretValue)]) {
    let mut doc = DocumentMut::new();
    for (key, value) in entries {
        doc.insert(key, toml_edit::value(value.expose()));
    }
    out.push_str(&doc.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(parsed: &Parsed) -> Vec<(String, String)> {
        parsed.entries.iter().map(|e| (e.key.clone(), e.value.expose().to_owned())).collect()
    }

    #[test]
    fn streamlit_secrets_toml() {
        let text = r#"
OPENAI_API_KEY = "sk-123"
RETRIES = 3
RATIO = 1.50
DEBUG = true
multi = """
line one
line two"""
literal = 'C:\path'

[connections.gsheets]
type = "service_account"
"#;
        let parsed = parse(text, ParseOptions::default()).unwrap();
        assert_eq!(
            entries(&parsed),
            [
                ("OPENAI_API_KEY".into(), "sk-123".into()),
                ("RETRIES".into(), "3".into()),
                ("RATIO".into(), "1.50".into()),
                ("DEBUG".into(), "true".into()),
                ("multi".into(), "line one\nline two".into()),
                ("literal".into(), "C:\\path".into()),
            ]
        );
        assert_eq!(parsed.findings, [Finding::Nested { key: "connections".into(), kind: "a table" }]);
        assert_eq!(parsed.entries[1].line, Some(3));

        let flat = parse(text, ParseOptions { flatten: true }).unwrap();
        assert!(entries(&flat).contains(&("connections_gsheets_type".into(), "service_account".into())));
        assert!(flat.findings.is_empty());
    }

    #[test]
    fn inline_tables_arrays_dotted_keys_and_dates() {
        let text = "INLINE = { user = \"u\", pass = \"p\" }\nLIST = [\"a\", \"b\"]\ndotted.key = \"d\"\n\
                    WHEN = 2024-05-01T12:00:00Z\nHEX = 0xff\nBIG = 1_000\n[[servers]]\nname = \"s\"\n\
                    [deep.inner]\nleaf = \"l\"\n";
        let parsed = parse(text, ParseOptions::default()).unwrap();
        assert_eq!(
            entries(&parsed),
            [
                ("WHEN".into(), "2024-05-01T12:00:00Z".into()),
                ("HEX".into(), "0xff".into()),
                ("BIG".into(), "1_000".into())
            ],
            "non-strings keep their TOML text"
        );
        assert_eq!(
            parsed.findings,
            [
                Finding::Nested { key: "INLINE".into(), kind: "a table" },
                Finding::Nested { key: "LIST".into(), kind: "an array" },
                Finding::Nested { key: "dotted".into(), kind: "a table" },
                Finding::Nested { key: "servers".into(), kind: "an array of tables" },
                Finding::Nested { key: "deep".into(), kind: "a table" },
            ]
        );
        let flat = parse(text, ParseOptions { flatten: true }).unwrap();
        let flat = entries(&flat);
        for expected in [("INLINE_user", "u"), ("INLINE_pass", "p"), ("dotted_key", "d"), ("deep_inner_leaf", "l")] {
            assert!(flat.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {flat:?}");
        }
    }

    #[test]
    fn crlf_and_a_byte_order_mark() {
        let parsed = parse("\u{FEFF}A = \"1\"\r\nB = '''x\r\ny'''\r\n", ParseOptions::default()).unwrap();
        assert_eq!(entries(&parsed), [("A".into(), "1".into()), ("B".into(), "x\ny".into())]);
    }

    #[test]
    fn keys_set_twice_through_flattening_are_reported() {
        let parsed = parse("db_user = \"a\"\n[db]\nuser = \"b\"\n", ParseOptions { flatten: true }).unwrap();
        assert_eq!(entries(&parsed), [("db_user".into(), "b".into())]);
        assert!(
            matches!(parsed.findings[..], [Finding::Duplicate { line: 3, earlier_line: 1, .. }]),
            "{:?}",
            parsed.findings
        );
    }

    #[test]
    fn errors_do_not_quote_the_file() {
        let err = parse("KEY = \"sk-secret-value\nBROKEN", ParseOptions::default()).unwrap_err();
        assert!(!err.to_string().contains("sk-secret"), "{err}");
        assert!(matches!(err, ParseError::Toml { line: 2, .. }), "{err:?}");
    }
}
