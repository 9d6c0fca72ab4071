//! 1Password's exports. `.1pux` (File > Export, "1PUX"), as 1Password's "1PUX format" page
//! documents it: a zip whose `export.data` is JSON, `accounts[].vaults[]` with `attrs.name` and
//! `items[]`, each with `state` (`active` or `archived`), `categoryUuid` (`001` login, `003`
//! secure note, `005` password, …), `overview.title`, and `details`: `loginFields[]` (the
//! password has `designation: "password"`), `password` (the Password category), `notesPlain`,
//! and `sections[].fields[]` whose `value.concealed` holds a hidden field. The CSV (File >
//! Export, "CSV") has a header line; 1Password 8 writes `Title,Url,Username,Password,OTPAuth,
//! Favorite,Archived,Tags,Notes`, and older versions the columns chosen at export: the Title
//! and Password columns are read wherever they are. Fields follow RFC 4180 (quotes, doubled
//! quotes, line breaks inside quotes).

use std::io::Read;

use serde_json::Value;

use super::{Item, damaged};
use crate::interchange::ParseError;

const CSV: &str = "1Password CSV";
const PUX: &str = "1Password .1pux";

/// Whether the first line is a header with a Title and a Password column.
pub fn looks_like_csv(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let columns: Vec<&str> = first.split(',').map(|c| c.trim().trim_matches('"')).collect();
    columns.contains(&"title") && columns.contains(&"password")
}

pub fn read_csv(text: &str) -> Result<Vec<Item>, ParseError> {
    let mut rows = csv_rows(text)?.into_iter();
    let Some(header) = rows.next() else { return Ok(Vec::new()) };
    let column = |name: &str| header.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
    let (Some(title), Some(password)) = (column("title"), column("password")) else {
        return Err(damaged(CSV, "the header line has no Title and Password columns"));
    };
    let archived = column("archived");
    let mut items = Vec::new();
    for row in rows {
        if row.len() == 1 && row[0].is_empty() {
            continue;
        }
        let cell = |i: usize| row.get(i).map(String::as_str).unwrap_or("");
        let mut item = Item { title: cell(title).to_owned(), ..Item::default() };
        item.secret("password", cell(password));
        if archived.is_some_and(|i| cell(i).eq_ignore_ascii_case("true")) {
            item.excluded = Some("archived in 1Password");
        }
        items.push(item);
    }
    Ok(items)
}

/// RFC 4180 records: commas between fields, quotes around fields that hold commas, quotes or
/// line breaks, a quote inside written twice. One pass over the text.
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, ParseError> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(damaged(CSV, "a quoted field is not closed"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

pub fn read_1pux(bytes: &[u8]) -> Result<Vec<Item>, ParseError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| damaged(PUX, e))?;
    let entry = zip.by_name("export.data").map_err(|_| damaged(PUX, "the zip holds no export.data"))?;
    let mut data = zeroize::Zeroizing::new(String::new());
    entry.take(crate::interchange::MAX_FILE_BYTES + 1).read_to_string(&mut data).map_err(|e| damaged(PUX, e))?;
    let top: Value = serde_json::from_str(&data).map_err(|e| damaged(PUX, e))?;
    let accounts = top.get("accounts").and_then(Value::as_array).ok_or_else(|| damaged(PUX, "no accounts"))?;
    let mut items = Vec::new();
    for vault in accounts.iter().flat_map(|a| a.get("vaults").and_then(Value::as_array).into_iter().flatten()) {
        let vault_name = vault.pointer("/attrs/name").and_then(Value::as_str).map(str::to_owned);
        for raw in vault.get("items").and_then(Value::as_array).into_iter().flatten() {
            items.push(item_of(raw, vault_name.clone()));
        }
    }
    Ok(items)
}

fn item_of(raw: &Value, place: Option<String>) -> Item {
    let text = |pointer: &str| raw.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let mut item = Item { title: text("/overview/title").to_owned(), place, ..Item::default() };
    if text("/state") == "archived" {
        item.excluded = Some("archived in 1Password");
    }
    for field in raw.pointer("/details/loginFields").and_then(Value::as_array).into_iter().flatten() {
        let designation = field.get("designation").and_then(Value::as_str);
        let kind = field.get("fieldType").and_then(Value::as_str);
        if designation == Some("password") || kind == Some("P") {
            item.secret("password", field.get("value").and_then(Value::as_str).unwrap_or(""));
        }
    }
    item.secret("password", text("/details/password"));
    let sections = raw.pointer("/details/sections").and_then(Value::as_array).into_iter().flatten();
    for field in sections.flat_map(|s| s.get("fields").and_then(Value::as_array).into_iter().flatten()) {
        if let Some(hidden) = field.pointer("/value/concealed").and_then(Value::as_str) {
            item.secret(field.get("title").and_then(Value::as_str).unwrap_or("hidden field"), hidden);
        }
    }
    if text("/categoryUuid") == "003" {
        item.note = Some(crate::vault::SecretValue::new(text("/details/notesPlain").to_owned()));
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_line_breaks_and_columns_found_by_name() {
        let text = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\r\n\
                    \"Git, Hub\",https://github.com,me,\"p\"\"w\",,false,false,,\"two\nlines\"\r\n\
                    Old,,,x,,false,true,,\n";
        assert!(looks_like_csv(text));
        let items = read_csv(text).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "Git, Hub");
        assert_eq!(items[0].secrets[0].1.expose(), "p\"w");
        assert_eq!(items[1].excluded, Some("archived in 1Password"));
        assert!(matches!(read_csv("Title,Password\n\"open"), Err(ParseError::Damaged { .. })));
        assert!(matches!(read_csv("Name,Secret\na,b\n"), Err(ParseError::Damaged { .. })));
        assert!(read_csv("").unwrap().is_empty());
    }

    #[test]
    fn a_1pux_item_takes_passwords_hidden_fields_and_notes() {
        let raw: Value = serde_json::from_str(
            r#"{"state": "active", "categoryUuid": "112", "overview": {"title": "API"},
                "details": {"loginFields": [], "notesPlain": "n",
                  "sections": [{"fields": [{"title": "credential", "value": {"concealed": "c"}},
                                            {"title": "user", "value": {"string": "u"}}]}]}}"#,
        )
        .unwrap();
        let item = item_of(&raw, Some("Personal".into()));
        assert_eq!(item.secrets.len(), 1);
        assert_eq!(item.secrets[0].0, "credential");
        assert!(item.note.is_none());
        assert!(matches!(read_1pux(b"PK\x03\x04 not really"), Err(ParseError::Damaged { .. })));
    }
}
