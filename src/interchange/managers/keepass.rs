//! KeePass and KeePassXC files (KDBX 3.1 and 4), read with the `keepass` crate with none of its
//! writing features (its writing is known to lose data; Tresor never writes these files). The
//! crate checks the passphrase and key file against the header's HMAC (KDBX 4) or the stream's
//! start bytes (KDBX 3.1), so a wrong key is told apart from a damaged file.
//!
//! Groups: an entry's place is the top-level group it is under (a group in a group counts as its
//! top-level group); entries at the root have none. Entries in the recycle bin are listed, not
//! imported. The value is the Password field or the one protected custom field (KeePassXC's
//! "hidden" attributes); UserName, URL, Notes and plain custom fields are not secrets.

use keepass::db::GroupRef;
use keepass::error::DatabaseOpenError;
use keepass::{Database, DatabaseKey};

use super::{Item, SourceKey, damaged};
use crate::interchange::ParseError;

const FORMAT: &str = "KeePass";

/// KeePass files start with the signature 0x9AA2D903, little-endian.
pub fn is_keepass(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x03, 0xD9, 0xA2, 0x9A])
}

/// The fields every entry has; anything else is a custom field.
const STANDARD: [&str; 5] = ["Title", "UserName", "Password", "URL", "Notes"];

pub fn read(bytes: &[u8], key: &SourceKey) -> Result<Vec<Item>, ParseError> {
    let mut database_key = DatabaseKey::new().with_password(&key.passphrase);
    if let Some(key_file) = &key.key_file {
        database_key = database_key
            .with_keyfile(&mut key_file.as_slice())
            .map_err(|e| damaged(FORMAT, format!("the key file cannot be read: {e}")))?;
    }
    let database = Database::parse(bytes, database_key).map_err(|e| match e {
        DatabaseOpenError::Key(keepass::error::DatabaseKeyError::IncorrectKey) => ParseError::WrongSourcePassphrase,
        e => damaged(FORMAT, e),
    })?;
    let bin = database.meta.recyclebin_uuid;
    let is_bin = |group: &GroupRef<'_>| Some(group.id().uuid()) == bin;
    let mut items = Vec::new();
    let root = database.root();
    collect(&root, None, false, &mut items);
    for group in root.groups() {
        collect_all(&group, Some(group.name.clone()), is_bin(&group), &is_bin, &mut items);
    }
    Ok(items)
}

fn collect_all(
    group: &GroupRef<'_>,
    place: Option<String>,
    binned: bool,
    is_bin: &dyn Fn(&GroupRef<'_>) -> bool,
    items: &mut Vec<Item>,
) {
    collect(group, place.clone(), binned, items);
    for sub in group.groups() {
        let binned = binned || is_bin(&sub);
        collect_all(&sub, place.clone(), binned, is_bin, items);
    }
}

fn collect(group: &GroupRef<'_>, place: Option<String>, binned: bool, items: &mut Vec<Item>) {
    for entry in group.entries() {
        let mut item =
            Item { title: entry.get_title().unwrap_or_default().to_owned(), place: place.clone(), ..Item::default() };
        if binned {
            item.excluded = Some("in KeePass's recycle bin");
        }
        item.secret("password", entry.get_password().unwrap_or(""));
        let mut custom: Vec<(&String, &str)> = entry
            .fields
            .iter()
            .filter(|(name, value)| !STANDARD.contains(&name.as_str()) && value.is_protected())
            .map(|(name, value)| (name, value.get().as_str()))
            .collect();
        custom.sort();
        for (name, value) in custom {
            item.secret(name, value);
        }
        items.push(item);
    }
}
