//! Bitwarden's unencrypted JSON export (Tools > Export vault, format "JSON"), as its help page
//! "Condition a Bitwarden .json file" documents it: `folders` (`id`, `name`), `items` (`type`
//! 1 login, 2 secure note, 3 card, 4 identity, 5 SSH key; `name`, `folderId`, `notes`,
//! `fields` of `type` 0 text, 1 hidden, 2 boolean, 3 linked; `login.password`), and in an
//! organization's export `collections` with each item's `collectionIds`.
//!
//! Both encrypted exports are refused with their own message: the account-restricted one is
//! sealed with the account's key, which only Bitwarden holds; the password-protected one would
//! need PBKDF2 or Argon2id, HKDF and AES-CBC with HMAC done right, which is not written yet.

use serde_json::Value;

use super::{Item, damaged};
use crate::interchange::ParseError;

const FORMAT: &str = "Bitwarden";

/// Whether `text` is a JSON object with Bitwarden's `items` array or `encrypted` flag (a flat
/// name→value file never has either).
pub fn looks_like_bitwarden(text: &str) -> bool {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(top)) => {
            top.get("items").is_some_and(Value::is_array) || top.get("encrypted").is_some_and(Value::is_boolean)
        }
        _ => false,
    }
}

pub fn read(text: &str) -> Result<Vec<Item>, ParseError> {
    let top: Value = serde_json::from_str(text).map_err(|e| damaged(FORMAT, e))?;
    let Value::Object(top) = top else { return Err(damaged(FORMAT, "not a JSON object")) };
    if top.get("encrypted").and_then(Value::as_bool) == Some(true) {
        let kind = if top.get("passwordProtected").and_then(Value::as_bool) == Some(true) {
            "password-protected"
        } else {
            "account-restricted"
        };
        return Err(ParseError::EncryptedBitwarden { kind });
    }
    let names = |list: &str| -> std::collections::HashMap<String, String> {
        top.get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| Some((text_of(f, "id")?.to_owned(), text_of(f, "name")?.to_owned())))
            .collect()
    };
    let (folders, collections) = (names("folders"), names("collections"));
    let items = match top.get("items") {
        Some(Value::Array(items)) => items,
        None => return Ok(Vec::new()),
        Some(_) => return Err(damaged(FORMAT, "`items` is not a list")),
    };
    let mut out = Vec::with_capacity(items.len());
    for raw in items {
        let mut item = Item {
            title: text_of(raw, "name").unwrap_or_default().to_owned(),
            place: text_of(raw, "folderId").and_then(|id| folders.get(id)).cloned().or_else(|| {
                let first = raw.get("collectionIds")?.as_array()?.first()?.as_str()?;
                collections.get(first).cloned()
            }),
            ..Item::default()
        };
        match raw.get("type").and_then(Value::as_u64) {
            Some(1) => item.secret("password", raw.pointer("/login/password").and_then(Value::as_str).unwrap_or("")),
            Some(2) => item.note = text_of(raw, "notes").map(|n| crate::vault::SecretValue::new(n.to_owned())),
            Some(3) => {
                item.secret("card number", raw.pointer("/card/number").and_then(Value::as_str).unwrap_or(""));
                item.secret("security code", raw.pointer("/card/code").and_then(Value::as_str).unwrap_or(""));
            }
            Some(4) => item.excluded = Some("an identity (names and addresses), not a secret"),
            Some(5) => {
                item.secret("private key", raw.pointer("/sshKey/privateKey").and_then(Value::as_str).unwrap_or(""))
            }
            _ => item.excluded = Some("an item type this export format does not document"),
        }
        for field in raw.get("fields").and_then(Value::as_array).into_iter().flatten() {
            if field.get("type").and_then(Value::as_u64) == Some(1) {
                item.secret(text_of(field, "name").unwrap_or("hidden field"), text_of(field, "value").unwrap_or(""));
            }
        }
        out.push(item);
    }
    Ok(out)
}

fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_notes_and_hidden_fields_with_their_folders() {
        let text = r#"{"encrypted": false,
            "folders": [{"id": "f1", "name": "web"}],
            "items": [
              {"type": 1, "name": "GitHub", "folderId": "f1", "notes": "n",
               "login": {"username": "me", "password": "ghp", "uris": [{"uri": "https://github.com"}]}},
              {"type": 2, "name": "Note", "folderId": null, "notes": "text", "secureNote": {"type": 0}},
              {"type": 1, "name": "Both", "login": {"password": "p"}, "fields": [{"name": "k", "value": "v", "type": 1}]}
            ]}"#;
        assert!(looks_like_bitwarden(text));
        let items = read(text).unwrap();
        assert_eq!(items[0].place.as_deref(), Some("web"));
        assert_eq!(items[0].secrets.len(), 1);
        assert_eq!(items[1].note.as_ref().map(|n| n.expose()), Some("text"));
        assert_eq!(items[2].secrets.len(), 2);
    }

    #[test]
    fn encrypted_exports_are_refused_by_kind() {
        let protected = r#"{"encrypted": true, "passwordProtected": true, "salt": "x", "kdfType": 0,
            "kdfIterations": 600000, "encKeyValidation_DO_NOT_EDIT": "2.x", "data": "2.x"}"#;
        assert_eq!(read(protected).unwrap_err(), ParseError::EncryptedBitwarden { kind: "password-protected" });
        let restricted = r#"{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.x", "folders": [], "items": []}"#;
        assert_eq!(read(restricted).unwrap_err(), ParseError::EncryptedBitwarden { kind: "account-restricted" });
        assert!(!looks_like_bitwarden(r#"{"API_KEY": "x", "items": "y"}"#));
    }
}
