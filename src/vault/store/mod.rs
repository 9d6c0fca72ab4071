//! The vault file: one SQLite database. This comment is the format's specification.
//!
//! ## Format version 3 (`PRAGMA user_version = 3`)
//!
//! ```sql
//! vault_header(id = 1, vault_id, key_id, key_lineage, kdf_memory_kib, kdf_iterations,
//!              kdf_parallelism, kdf_salt, wrapped_key, created, checksum, record_set)
//! projects(id, name_index, revision, position, is_default, created, modified, deleted, name)
//! environments(id, project_id, name_index, revision, position, created, modified, deleted, name)
//! secrets(id, place, name_index, revision, version, created, modified, value_set, deleted,
//!         history_sum, name, description, value)
//! history(id, secret_id, version, created, replaced, value)
//! ```
//! (exactly the tables and indexes of `SCHEMA_V3`: the schema of an opened file is compared with
//! it, byte for byte, before anything runs; a trigger or view planted in a file would run inside
//! Tresor's connection.)
//!
//! * Places. A project's `id` (random, 16 bytes) is also the id of its project level; an
//!   environment has its own. `secrets.place` is the id of the project level or environment a
//!   secret lives in. Exactly one project has `is_default = 1`: where secrets go when no project
//!   is named (held by id, so a rename changes nothing). `position` orders projects and a
//!   project's environments. `deleted` is NULL, or when the place went to the trash (its secrets
//!   went with it, with a `deleted` time no earlier than theirs and later than any of its secrets
//!   trashed on their own). A place's `name` is sealed like a secret's fields, with AAD =
//!   `"tresor v3 field" ‖ vault_id ‖ table ‖ id ‖ "name" ‖ revision`; its `name_index` is
//!   HMAC(index key, `"project"` ‖ lower-cased name), or `"environment"` ‖ project id ‖ lower-cased
//!   name, unique among live places of its scope (names differ by more than case); a trashed
//!   place's is HMAC(index key, `"trashed place"` ‖ id), so its name is free and not shown.
//! * A secret's `name_index` is HMAC(index key, `"name"` ‖ place ‖ name) (`"trashed name"` for a
//!   trashed one): unique names per place, and the file does not show that two places hold the
//!   same name. The place ids are in the clear: the file shows how many secrets each place holds,
//!   not which place is which.
//! * The record set's `sum` covers every row of `projects` and `environments` too (`rows` counts
//!   them): a place row's term is HMAC(manifest key, `"tresor v3 places"` ‖ table ‖ every column
//!   ‖ its name's nonce and tag), and a secret's term (`"tresor v3 secrets"`) covers its `place`.
//!   A secret moved to another place, a place renamed, reordered, deleted, revived or made the
//!   default behind Tresor's back fails the next unlock.
//!
//! * `vault_id` (16 random bytes) names the vault; `key_id` (16 random bytes) names the current
//!   vault key and changes when the key is rotated or the file migrated, so a second process
//!   still holding the old header stops instead of writing records nobody can read.
//!   `key_lineage` lists (16 bytes each) the earlier ids of the same key, so that a passphrase
//!   change can re-wrap backups made before a migration too.
//! * `wrapped_key` = `nonce ‖ AES-256-GCM(KEK, vault key) ‖ tag`, with KEK = Argon2id(passphrase,
//!   `kdf_salt`, m, t, p) and AAD = `"tresor v2 wrap" ‖ vault_id ‖ key_id ‖ m ‖ t ‖ p ‖ salt ‖
//!   key_lineage`: a header whose parameters, salt or lineage were edited does not unlock.
//! * `checksum` = SHA-256 over every other header field except `record_set`. It is not a
//!   security measure (anyone can recompute it); it tells a damaged header ("the file is
//!   damaged") apart from a wrong passphrase, without storing any passphrase hash.
//! * `secrets.id` and `history.id` are random 128-bit record ids (never SQLite rowids, which are
//!   reused). `name_index` is HMAC(index key, `"name"` ‖ place ‖ name) for a live secret: it
//!   enforces unique live names per place without storing the name; a trashed secret's is
//!   HMAC(index key, `"trashed name"` ‖ place ‖ name), so the file does not show that a trashed
//!   secret and a live one share a name (nor, see Places below, that two places do). `deleted` is NULL for a live secret and the time it went to the trash otherwise.
//! * `revision` is 16 random bytes, new whenever a secret's ciphertexts are rewritten (so it
//!   counts nothing, and never repeats for a record: not across restores, not across migrations).
//! * `name`, `description`, `value` (and `history.value`) are each `nonce ‖ ciphertext ‖ tag`
//!   under the record key, with AAD = `"tresor v2 field" ‖ vault_id ‖ table ‖ record id ‖ field ‖
//!   revision` (history: `‖ secret_id ‖ version`), so a field copied to another row or field, or
//!   an older ciphertext put back in place, fails to open and the error names the record. The
//!   plaintext is padded before sealing: `data ‖ 0x80 ‖ 0x00…` to at least 32 bytes, above that to
//!   the Padmé size classes (`crypto::padded_len`), so a ciphertext's size shows only the class
//!   of the plaintext's length.
//! * `record_set` authenticates the set of rows: `nonce ‖ AES-256-GCM(record key, writes ‖ rows ‖
//!   history_rows ‖ sum) ‖ tag`, AAD = `"tresor v2 record set" ‖ vault_id ‖ key_id`. A row's
//!   term is HMAC(manifest key, row), covering all of its plaintext columns and the nonce and tag
//!   of each of its ciphertexts. `secrets.history_sum` is the XOR of the terms of that secret's
//!   `history` rows (zeros for none); `sum` is the XOR of the terms of every `secrets`,
//!   `projects` and `environments` row (so it covers each history sum too); `rows` counts those
//!   rows and `history_rows` the history's; `writes` counts writes. Each write opens it, updates
//!   it in O(1) and seals it again, in the same transaction. Unlocking recomputes `sum` and `rows`
//!   over every secret and place and counts
//!   the history rows; a secret's history is checked against its `history_sum` whenever it is
//!   read (listed, revealed, restored, re-sealed), and a restore checks every one. (Reading the
//!   history rows at every unlock cost a 100,000-secret vault with five earlier values each
//!   about 0.2 s more.) Sealed, the record set can be neither read nor made up without the vault
//!   key, so combining the rows and headers of any number of old copies (the XOR of three
//!   copies' sums certifies their symmetric difference) gives nothing that opens: a secret row
//!   removed, re-inserted from an old copy, rolled back, or a ciphertext swapped in from another
//!   copy, makes unlocking fail, as does a history row removed or added; a history row rolled
//!   back or swapped makes reading that secret's history fail. The whole file replaced by an
//!   older valid copy of itself (its record set is valid for its rows) is detected outside the
//!   file: the state folder remembers the highest `writes` seen per vault id and canonical path
//!   (`seen.rs`), and a file behind it is refused.
//! * Indexes are not authenticated, and SQLite reads the columns an index holds from the index.
//!   Lookups therefore use an index only to find ids: each row is read from its table by primary
//!   key and checked against the lookup (place, name index, `deleted`, project, `secret_id`)
//!   before use; a mismatch is [`Error::IndexTampered`]. Whether a place holds any secret is read
//!   from the table. `rotate-key` and a restore run `PRAGMA integrity_check` first.
//! * Locks: a process holding a connection never opens and closes another descriptor of the file
//!   or its `-wal`/`-shm` (POSIX locks are per process; see `held.rs`).
//! * Timestamps are milliseconds since the Unix epoch, UTC. Everything in the file outside the
//!   ciphertexts is counts, size classes, versions and timestamps.
//!
//! ## Format version 2 (`PRAGMA user_version = 2`)
//!
//! Read only to migrate it (`migrate.rs`, at unlock, after its own record-set check and a backup;
//! `info` and `--salvage` never migrate the file). No places: no `projects`, `environments` or
//! `secrets.place`; names indexed as HMAC(index key, `"name"` ‖ name); secret terms labelled
//! `"tresor v2 secrets"` without a place. Fields are sealed as in v3, so a migration keeps every
//! ciphertext, puts every secret at the level of a new default project (`Personal`, with
//! development, staging and production) and recomputes the name indexes and the record set, in
//! one transaction under a new key id.
//!
//! ## Format version 1 (`PRAGMA user_version = 1`)
//!
//! Read only to migrate it (`migrate.rs`, at unlock — through v2 to v3 in one transaction;
//! `info` and `--salvage` never migrate the file). Differences from v2: no `key_lineage`;
//! `record_set_mac` instead of `record_set`, in the clear: the plain XOR of HMAC(manifest key,
//! row) with terms that cover no ciphertext (so three old copies forged it); `revision` an integer that went up by one per rewrite (so it
//! repeated after a restore); fields sealed without padding, with `"tresor v1 field"` AADs and a
//! `"tresor v1 wrap"` key-wrap AAD without lineage; live and trashed names under one blind index.
//!
//! Durability: WAL (set when the file is created; an existing file's journal mode is never
//! switched, since that writes to it) with `synchronous=FULL` (a commit that returned survives power loss),
//! `secure_delete=ON` and a checkpoint after purges (deleted ciphertext does not linger in free
//! pages or the WAL), `busy_timeout` so the app and the CLI can share a vault, and every change is
//! one `BEGIN IMMEDIATE` transaction. On a disk too full for the WAL's shared-memory file, a vault
//! is opened with `locking_mode=EXCLUSIVE` instead (no -shm; other processes wait meanwhile), so
//! that it still reads.

//!
//! | file | holds |
//! | --- | --- |
//! | `schema.rs` | each format's schema, and the check that a file has exactly its format's |
//! | `header.rs` | the header row: [`Header`], its checksum and wrap AAD, reading and writing it |
//! | `open.rs` | opening and creating files: [`Db`], the checks before SQLite opens a file, pragmas |
//! | `files.rs` | the vault's folder and Tresor's own files beside it (backups, temporary copies) |

mod files;
mod header;
mod open;
mod schema;

pub(crate) use files::{
    check_private_dir, create_private_file, move_aside, private_dir, remove_with_sidecars, sidecar, sync_file,
};
pub(crate) use header::insert_header;
pub use header::{Header, read_header, read_key_id, read_record_set, write_header, write_record_set};
pub use open::{Db, checkpoint, integrity_check, open};
pub(crate) use open::{copy_to_memory, create, create_empty};
pub use schema::format_version;
pub(crate) use schema::{SCHEMA_V2, SCHEMA_V3};

/// The format this build writes and understands.
pub const FORMAT_VERSION: i64 = 3;

pub use super::error::BUSY_TIMEOUT;
