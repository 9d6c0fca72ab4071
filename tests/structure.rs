//! The layers point down, checked mechanically: the vault core uses nothing from the file formats,
//! the app or the command line; the app and the command line do not use each other. Every `use`
//! and every inline `crate::…` / `super::…` path in `src/` is read and resolved to the top-level
//! module it reaches, including names reached through `lib.rs`'s re-exports. (The compiler checks
//! the rest: CI builds the library without the `gui` feature, i.e. without the app.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each layer may use (besides itself).
const ALLOWED: &[(&str, &[&str])] = &[
    ("fs", &[]),
    ("alloc", &[]),
    ("wait", &[]),
    ("state", &["fs"]),
    ("vault", &["fs", "state"]),
    ("agent", &["vault", "fs", "state", "wait"]),
    ("clipboard", &["vault"]),
    ("interchange", &["vault", "fs", "state"]),
    ("cli", &["vault", "interchange", "fs", "state", "agent"]),
    ("ui", &["vault", "interchange", "fs", "clipboard", "state", "agent", "wait"]),
];

/// One use of another top-level module: the file, the line and the module reached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `vault/secrets.rs` → [vault, secrets];
/// `vault/mod.rs` → [vault]; `lib.rs` → [].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_owned());
    }
    parts
}

/// Code without comments (line comments and doc comments; links in docs are not dependencies).
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal ("https://…") is rare in this code; cutting there
            // only drops the rest of that line's text from the check.
            Some(i) => line[..i].to_owned(),
            None => line.to_owned(),
        })
        .collect()
}

/// Every path in `code` that starts with `crate::` or `super::` (also inside `use` groups), as
/// the sequence of its segments, with the line it is on. `use a::{b, c::d}` gives `a::b` and
/// `a::c::d`.
fn paths(code: &[String]) -> Vec<(usize, Vec<String>)> {
    // Join statements so that a `use` group spanning lines is read whole; keep line numbers of
    // where each path starts.
    let mut text = String::new();
    let mut line_of = Vec::new();
    for (n, line) in code.iter().enumerate() {
        for _ in 0..=line.len() {
            line_of.push(n + 1);
        }
        text.push_str(line);
        text.push('\n');
    }
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = text.is_char_boundary(i)
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':'));
        let rest = if boundary { &text[i..] } else { "" };
        if rest.starts_with("crate::") || rest.starts_with("super::") {
            let (expanded, len) = expand(rest);
            for path in expanded {
                found.push((line_of[i], path));
            }
            i += len.max(1);
        } else {
            i += 1;
        }
    }
    found
}

/// Reads one path (with `{…}` groups) from the start of `text`; returns every full path and how
/// many bytes were read.
fn expand(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(text[start..i].to_owned());
        }
        // Skip whitespace around `::`.
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if text[j..].starts_with("::") {
            i = j + 2;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'{' {
                // A group: split its top-level items and expand each.
                let mut depth = 0;
                let mut k = i;
                let mut item_start = i + 1;
                let mut out = Vec::new();
                while k < bytes.len() {
                    match bytes[k] {
                        b'{' => depth += 1,
                        b'}' | b',' if depth == 1 => {
                            let item = text[item_start..k].trim();
                            if !item.is_empty() && item != "self" && !item.starts_with("self ") {
                                let (inner, _) = expand(item);
                                for p in inner {
                                    let mut full = prefix.clone();
                                    full.extend(p);
                                    out.push(full);
                                }
                            } else if !item.is_empty() {
                                out.push(prefix.clone());
                            }
                            item_start = k + 1;
                            if bytes[k] == b'}' {
                                return (out, k + 1);
                            }
                        }
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    k += 1;
                }
                return (out, k);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

/// The crate-absolute path of `path` as written in the module `module`.
fn resolve(module: &[String], path: &[String]) -> Vec<String> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("super") => {
            base = module.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    base.extend(rest.iter().cloned());
    base
}

/// `lib.rs`'s `pub use module::{Name, …}`: which top-level module each re-exported name is from.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = code_lines(lib).join("\n");
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement.strip_prefix("pub use ") else { continue };
        let (expanded, _) = expand(&format!("crate::{rest}"));
        for path in expanded {
            if let (Some(module), Some(name)) = (path.get(1), path.last())
                && path.len() > 2
            {
                names.insert(name.clone(), module.clone());
            }
        }
    }
    names
}

/// Every use of a top-level module that its layer may not use.
fn violations(src: &Path) -> Vec<Violation> {
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        ALLOWED.iter().map(|(layer, uses)| (*layer, uses.iter().copied().collect())).collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let reexported = reexports(&lib);
    let top_modules: BTreeSet<String> = allowed.keys().map(|s| s.to_string()).collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let module = module_path(src, &file);
        let Some(layer) = module.first() else { continue }; // lib.rs, main.rs: the roots
        let Some(may_use) = allowed.get(layer.as_str()) else {
            panic!("{} is in a top-level module the layer table does not know: {layer}", file.display())
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, path) in paths(&code_lines(&text)) {
            let absolute = resolve(&module, &path);
            let Some(first) = absolute.first() else { continue };
            let reached = if top_modules.contains(first) {
                first.clone()
            } else if let Some(module) = reexported.get(first) {
                module.clone()
            } else {
                continue; // a crate-root item that is not a module (none today) or a macro
            };
            if reached != *layer && !may_use.contains(reached.as_str()) {
                found.push(Violation {
                    file: file.strip_prefix(src).unwrap().display().to_string(),
                    line,
                    from: layer.clone(),
                    to: reached,
                });
            }
        }
    }
    found
}

#[test]
fn layers_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "uses against the layering (see ALLOWED in tests/structure.rs):\n{found:#?}");
}

#[test]
fn every_top_level_module_is_in_the_layer_table() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let known: BTreeSet<&str> = ALLOWED.iter().map(|(layer, _)| *layer).collect();
    for line in code_lines(&lib) {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod ")) {
            let name = name.trim_end_matches(';');
            assert!(known.contains(name), "src/lib.rs declares `{name}`, which ALLOWED does not place in a layer");
        }
    }
}

/// The checker itself finds what it must: a tree with each kind of wrong-way use.
#[test]
fn the_check_catches_wrong_way_uses_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod cli;\npub mod ui;\npub mod vault;\npub mod interchange;\npub use ui::{App, AppOptions};\n",
    );
    write("vault/mod.rs", "mod import;\n// crate::ui::run in a comment is fine\n");
    write("vault/import.rs", "use crate::interchange::{Finding,\n    Parsed};\nuse super::Vault;\n");
    write("cli/mod.rs", "pub fn go() {\n    crate::ui::run(path);\n}\n");
    write("cli/nested.rs", "use super::super::ui::thing;\nuse crate::{vault::Vault, App};\n");
    write("ui/mod.rs", "use crate::{interchange::Format, vault::{Vault, Error}};\n");
    write("interchange/mod.rs", "use crate::vault::SecretValue;\n");
    let found: Vec<(String, usize, String)> = violations(src).into_iter().map(|v| (v.file, v.line, v.to)).collect();
    assert_eq!(
        found,
        [
            ("cli/mod.rs".to_owned(), 2, "ui".to_owned()),
            ("cli/nested.rs".to_owned(), 1, "ui".to_owned()),
            ("cli/nested.rs".to_owned(), 2, "ui".to_owned()),
            ("vault/import.rs".to_owned(), 1, "interchange".to_owned()),
            ("vault/import.rs".to_owned(), 1, "interchange".to_owned()),
        ]
    );
}

/// Inside the vault core, the layers from the leaves up: a module may use those of lower
/// layers only. (Value types the errors carry — a place, a name, the KDF's parameters — are the
/// leaves; then the errors, the crypto, the file format, the rows, the key wrap and the state
/// record; the operations and the `Vault` they extend are the top.) Nothing below the top is
/// allowed to reach up: a second user of the format or the crypto (a sync log, an importer)
/// takes them without the rest.
const VAULT_LAYERS: &[(&str, u8)] = &[
    ("place", 0),
    ("kdf", 0),
    ("held", 0),
    ("secret", 1),
    ("generate", 2),
    ("error", 2),
    ("crypto", 3),
    ("store", 4),
    ("sync", 4),
    ("records", 5),
    ("wrap", 6),
    ("seen", 6),
    ("secrets", 7),
    ("places", 7),
    ("import", 7),
    ("keys", 7),
    ("backup", 7),
    ("migrate", 7),
    ("ops", 7),
    ("synced", 7),
    ("mod", 8),
];

/// `vault/mod.rs`'s `pub use module::{Name, …}` and the names it defines itself (`mod`).
fn vault_names(vault_mod: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = code_lines(vault_mod).join("\n");
    for statement in code.split(';') {
        let statement = statement.trim();
        if let Some(rest) = statement.strip_prefix("pub use ").or_else(|| statement.strip_prefix("use ")) {
            let (expanded, _) = expand(&format!("crate::{rest}"));
            for path in expanded {
                if let (Some(module), Some(name)) = (path.get(1), path.last())
                    && path.len() > 2
                {
                    names.insert(name.clone(), module.clone());
                }
            }
        }
    }
    for line in code.lines() {
        for keyword in ["pub struct ", "pub const ", "pub fn ", "struct ", "pub enum "] {
            if let Some(rest) = line.trim_start().strip_prefix(keyword) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.insert(name, "mod".to_owned());
            }
        }
    }
    names
}

/// Every use inside the vault core of a module of the same or a higher layer (operations among
/// themselves: only both ways), as "file:line: from -> to".
fn vault_violations(src: &Path) -> Vec<String> {
    let layer: BTreeMap<&str, u8> = VAULT_LAYERS.iter().copied().collect();
    let names = vault_names(&std::fs::read_to_string(src.join("vault/mod.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src.join("vault"), &mut files);
    files.sort();
    let mut uses: BTreeSet<(String, String)> = BTreeSet::new();
    let mut found = Vec::new();
    for file in files {
        let module = module_path(src, &file);
        let from = module.get(1).cloned().unwrap_or_else(|| "mod".to_owned());
        let Some(&from_layer) = layer.get(from.as_str()) else {
            panic!("{} is a vault module VAULT_LAYERS does not place", file.display())
        };
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may reach anywhere.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for (line, path) in paths(&code_lines(text)) {
            let absolute = resolve(&module, &path);
            if absolute.first().map(String::as_str) != Some("vault") {
                continue;
            }
            let Some(second) = absolute.get(1) else { continue };
            let to = if layer.contains_key(second.as_str()) {
                second.clone()
            } else if let Some(module) = names.get(second) {
                module.clone()
            } else {
                continue;
            };
            if to == from {
                continue;
            }
            let to_layer = layer[to.as_str()];
            uses.insert((from.clone(), to.clone()));
            // The operations extend the `Vault` that `mod.rs` defines (their `impl Vault` blocks).
            let extends_vault = from_layer == 7 && to == "mod";
            if (to_layer > from_layer && !extends_vault) || (to_layer == from_layer && from_layer < 7) {
                let rel = file.strip_prefix(src).unwrap().display().to_string();
                found.push(format!("{rel}:{line}: {from} -> {to}"));
            }
        }
    }
    for (from, to) in &uses {
        if layer[from.as_str()] == 7 && layer[to.as_str()] == 7 && uses.contains(&(to.clone(), from.clone())) {
            found.push(format!("{from} <-> {to}: the operations use each other both ways"));
        }
    }
    found
}

#[test]
fn the_vault_core_has_no_circle_and_its_leaves_stand_alone() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = vault_violations(&src);
    assert!(found.is_empty(), "uses against the core's layers (see VAULT_LAYERS):\n{}", found.join("\n"));
}

/// Rows change through the write context only (`records/write.rs`): the tables' SQL writes live
/// in `records/` (private to it), the schema and header's in `store/`, and the old formats' in
/// `migrate.rs`. No other file of the core writes to the file. (`synced/cache.rs` writes SQL to a
/// database of its own in the state folder, the sync's cache, which it opens itself.)
#[test]
fn nothing_in_the_core_writes_rows_around_the_write_context() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vault");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = code_lines(text.split("#[cfg(test)]").next().unwrap_or("")).join("\n");
        // Tresor writes SQL keywords in capitals.
        let sql_writes = ["INSERT INTO", "UPDATE ", "DELETE FROM", "DROP TABLE", "REPLACE INTO"];
        let writes_sql = sql_writes.iter().any(|w| code.contains(w));
        let own_database = rel == "synced/cache.rs" && code.contains("Connection::open(&path)");
        let may_write_sql =
            rel.starts_with("records/") || rel.starts_with("store/") || rel == "migrate.rs" || own_database;
        if writes_sql && !may_write_sql {
            found.push(format!("{rel} writes SQL"));
        }
        if code.contains("write_record_set(") && !(rel == "records/write.rs" || rel.starts_with("store/")) {
            // (`store::write_record_set`, or a name brought in by `use`.)
            found.push(format!("{rel} writes the record set around the write context"));
        }
        // A backup's own header is re-wrapped in place (backup.rs); the vault's goes through it.
        let calls_store_header =
            code.contains("store::write_header(") || code.contains("use super::store::write_header");
        if calls_store_header && !(rel == "records/write.rs" || rel.starts_with("store/") || rel == "backup.rs") {
            found.push(format!("{rel} writes the header around the write context"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The core's check finds a leaf reaching up, through a module path or a name `vault/mod.rs`
/// re-exports, and two operations using each other.
#[test]
fn the_core_check_catches_a_leaf_reaching_up_and_operations_in_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("vault/mod.rs", "mod error;\nmod store;\npub use backup::BackupReason;\npub struct Vault;\n");
    write("vault/error.rs", "use super::store::BUSY;\nfn f(r: super::BackupReason) {}\n");
    write("vault/store.rs", "use super::error::Error;\n");
    write("vault/keys.rs", "use super::backup::create;\nuse super::Vault;\n");
    write("vault/backup.rs", "use super::keys::wrap;\n");
    let mut found = vault_violations(src);
    found.sort();
    assert_eq!(
        found,
        [
            "backup <-> keys: the operations use each other both ways",
            "keys <-> backup: the operations use each other both ways",
            "vault/error.rs:1: error -> store",
            "vault/error.rs:2: error -> backup",
        ]
    );
}

/// The pages of the app (one file each); shell.rs composes them, and only it.
const UI_PAGES: &[&str] = &["secrets", "trash", "settings", "transfer", "backups", "lock", "places", "sync"];
/// What the app's state (`session.rs`, `session/`) and its shared widgets may not use: views,
/// the commands, the jobs and their effects. The state is what views read, and widgets are what
/// views are made of; neither knows the views.
const UI_ABOVE_STATE: &[&str] = &["command", "jobs", "apply", "dialogs", "shell", "serve", "mod"];

/// Every use inside `src/ui` against its rules, as "file:line: from -> to".
fn ui_violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&src.join("ui"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let module = module_path(src, &file);
        let from = module.get(1).cloned().unwrap_or_else(|| "mod".to_owned());
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for (line, path) in paths(&code_lines(text)) {
            let absolute = resolve(&module, &path);
            if absolute.first().map(String::as_str) != Some("ui") {
                continue;
            }
            // `super::Name` from a file of ui/ is a name of ui/mod.rs: "mod".
            let to = match absolute.get(1) {
                Some(next) if absolute.len() > 2 || next.chars().next().is_some_and(char::is_lowercase) => next.clone(),
                _ => "mod".to_owned(),
            };
            if to == from {
                continue;
            }
            let (from_page, to_page) = (UI_PAGES.contains(&from.as_str()), UI_PAGES.contains(&to.as_str()));
            let below_views = from == "session" || from == "widgets";
            let state_up = below_views && (UI_ABOVE_STATE.contains(&to.as_str()) || to_page)
                || (from == "session" && to == "widgets");
            let page_to_page = from_page && to_page;
            if page_to_page || state_up {
                let rel = file.strip_prefix(src).unwrap().display().to_string();
                found.push(format!("{rel}:{line}: {from} -> {to}"));
            }
        }
    }
    found
}

#[test]
fn pages_do_not_use_each_other_and_the_state_knows_no_view() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = ui_violations(&src);
    assert!(found.is_empty(), "uses against the app's rules (see UI_PAGES, UI_ABOVE_STATE):\n{}", found.join("\n"));
}

#[test]
fn the_app_check_catches_a_page_using_a_page_and_the_state_using_a_view() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(ui.join("session")).unwrap();
    std::fs::write(ui.join("mod.rs"), "mod secrets;\nmod trash;\nmod session;\n").unwrap();
    std::fs::write(ui.join("secrets.rs"), "use super::trash::rows;\nuse super::session::Session;\n").unwrap();
    std::fs::write(ui.join("trash.rs"), "pub fn rows() {}\n").unwrap();
    std::fs::write(ui.join("session.rs"), "use crate::ui::command::Page;\n").unwrap();
    std::fs::write(ui.join("session/forms.rs"), "fn f() { crate::ui::jobs::pick(); }\n").unwrap();
    let mut found = ui_violations(dir.path());
    found.sort();
    assert_eq!(
        found,
        [
            "ui/secrets.rs:1: secrets -> trash",
            "ui/session.rs:1: session -> command",
            "ui/session/forms.rs:1: session -> jobs"
        ]
    );
}
