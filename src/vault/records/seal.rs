//! [`Records`]: sealing and opening every field under one vault's keys, with the AADs and the
//! padding `store.rs` specifies.

use super::super::crypto::{self, VaultKeys};
use super::super::error::{Error, Result};
use super::super::place::{PlaceId, PlaceName};
use super::super::secret::{SecretId, SecretMeta, SecretName, SecretValue, Timestamp};
use super::{HistoryRow, PlaceRow, Revision, RowState, SecretRow, aad, new_revision};

/// Seals and opens rows under one vault's keys.
pub(crate) struct Records<'a> {
    pub keys: &'a VaultKeys,
    pub vault_id: &'a [u8; 16],
}

pub(super) const NAME: &str = "name";
const DESCRIPTION: &str = "description";
const VALUE: &str = "value";

impl Records<'_> {
    fn secret_aad(&self, id: SecretId, field: &str, revision: &Revision) -> Vec<u8> {
        aad(&[b"tresor v2 field", self.vault_id, b"secrets", &id.0, field.as_bytes(), revision])
    }

    fn history_aad(&self, row: &HistoryRow) -> Vec<u8> {
        aad(&[
            b"tresor v2 field",
            self.vault_id,
            b"history",
            &row.id,
            VALUE.as_bytes(),
            &row.secret_id.0,
            &row.version.to_le_bytes(),
        ])
    }

    pub fn seal_secret(
        &self,
        id: SecretId,
        place: PlaceId,
        name: &SecretName,
        description: &str,
        value: &SecretValue,
        state: RowState,
    ) -> SecretRow {
        let seal = |field: &str, text: &str| {
            self.keys.seal(&crypto::pad(text.as_bytes()), &self.secret_aad(id, field, &state.revision))
        };
        let name_index = match state.deleted {
            None => self.keys.name_index(&place.0, name.as_str()),
            Some(_) => self.keys.trashed_name_index(&place.0, name.as_str()),
        };
        SecretRow {
            id,
            place,
            name_index,
            revision: state.revision,
            version: state.version,
            created: state.created,
            modified: state.modified,
            value_set: state.value_set,
            deleted: state.deleted,
            history: state.history,
            name: seal(NAME, name.as_str()),
            description: seal(DESCRIPTION, description),
            value: seal(VALUE, value.expose()),
        }
    }

    pub fn seal_history(
        &self,
        id: [u8; 16],
        secret_id: SecretId,
        version: u32,
        created: i64,
        replaced: i64,
        value: &SecretValue,
    ) -> HistoryRow {
        let mut row = HistoryRow { id, secret_id, version, created, replaced, value: Vec::new() };
        row.value = self.keys.seal(&crypto::pad(value.expose().as_bytes()), &self.history_aad(&row));
        row
    }

    /// Opens and unpads one sealed field; `None` if it does not open in this context.
    fn open_padded(&self, sealed: &[u8], aad: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let padded = self.keys.open(sealed, aad)?;
        crypto::unpad(&padded).map(|data| zeroize::Zeroizing::new(data.to_vec()))
    }

    fn open_secret_field(&self, row: &SecretRow, field: &'static str, sealed: &[u8]) -> Result<String> {
        let plain = self.open_padded(sealed, &self.secret_aad(row.id, field, &row.revision));
        plain
            .and_then(|p| String::from_utf8(p.to_vec()).ok())
            .ok_or_else(|| Error::CorruptRecord { record: self.describe(row), field })
    }

    /// How an error names a record: its name when that still decrypts, and always its id.
    fn describe(&self, row: &SecretRow) -> String {
        match self.open_padded(&row.name, &self.secret_aad(row.id, NAME, &row.revision)) {
            Some(name) => format!("{} (id {})", String::from_utf8_lossy(&name), row.id),
            None => format!("with id {}", row.id),
        }
    }

    pub fn name(&self, row: &SecretRow) -> Result<SecretName> {
        let text = self.open_secret_field(row, NAME, &row.name)?;
        SecretName::parse(&text)
            .map_err(|_| Error::CorruptRecord { record: format!("with id {}", row.id), field: NAME })
    }

    /// A name from its sealed bytes alone (id and revision make its AAD): for reading every
    /// name without loading the rest of each row. `None` if it does not open.
    pub fn name_only(&self, id: SecretId, revision: &Revision, sealed: &[u8]) -> Option<SecretName> {
        let plain = self.open_padded(sealed, &self.secret_aad(id, NAME, revision))?;
        std::str::from_utf8(&plain).ok().and_then(|text| SecretName::parse(text).ok())
    }

    pub fn description(&self, row: &SecretRow) -> Result<String> {
        self.open_secret_field(row, DESCRIPTION, &row.description)
    }

    pub fn value(&self, row: &SecretRow) -> Result<SecretValue> {
        let plain = self
            .open_padded(&row.value, &self.secret_aad(row.id, VALUE, &row.revision))
            .ok_or_else(|| Error::CorruptRecord { record: self.describe(row), field: VALUE })?;
        SecretValue::from_utf8(plain.to_vec())
            .map_err(|_| Error::CorruptRecord { record: self.describe(row), field: VALUE })
    }

    pub fn history_value(&self, row: &HistoryRow) -> Result<SecretValue> {
        let record = || format!("version {} of the secret with id {}", row.version, row.secret_id);
        let plain = self
            .open_padded(&row.value, &self.history_aad(row))
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: VALUE })?;
        SecretValue::from_utf8(plain.to_vec()).map_err(|_| Error::CorruptRecord { record: record(), field: VALUE })
    }

    pub fn meta(&self, row: &SecretRow) -> Result<SecretMeta> {
        Ok(SecretMeta {
            id: row.id,
            place: row.place,
            name: self.name(row)?,
            description: self.description(row)?,
            version: row.version,
            created: Timestamp(row.created),
            modified: Timestamp(row.modified),
        })
    }

    fn place_aad(&self, row: &PlaceRow) -> Vec<u8> {
        aad(&[b"tresor v3 field", self.vault_id, row.table().as_bytes(), &row.id.0, NAME.as_bytes(), &row.revision])
    }

    /// Seals a project's (`project: None`) or an environment's row under a new revision. A live
    /// one's index is its name's in its scope; a trashed one's is its own.
    #[allow(clippy::too_many_arguments)]
    pub fn seal_place(
        &self,
        id: PlaceId,
        project: Option<PlaceId>,
        name: &PlaceName,
        position: i64,
        is_default: bool,
        created: i64,
        modified: i64,
        deleted: Option<i64>,
    ) -> PlaceRow {
        let name_index = match (deleted, project) {
            (Some(_), _) => self.keys.trashed_place_index(&id.0),
            (None, None) => self.keys.project_index(&name.folded()),
            (None, Some(project)) => self.keys.environment_index(&project.0, &name.folded()),
        };
        let mut row = PlaceRow {
            id,
            project,
            name_index,
            revision: new_revision(),
            position,
            is_default,
            created,
            modified,
            deleted,
            name: Vec::new(),
        };
        row.name = self.keys.seal(&crypto::pad(name.as_str().as_bytes()), &self.place_aad(&row));
        row
    }

    pub fn place_name(&self, row: &PlaceRow) -> Result<PlaceName> {
        let kind = if row.project.is_some() { "environment" } else { "project" };
        let record = || format!("{kind} with id {:?}", row.id);
        let plain = self
            .open_padded(&row.name, &self.place_aad(row))
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: NAME })?;
        String::from_utf8(plain.to_vec())
            .ok()
            .and_then(|text| PlaceName::parse(&text).ok())
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: NAME })
    }
}
