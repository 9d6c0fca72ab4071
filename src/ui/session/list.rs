//! The Secrets page's list: every secret's metadata (never a value) and the filtered, sorted
//! view of it, rebuilt only when the query, the sort or the rows change — not every frame.

use crate::vault::{Origin, PlacedSecret, SecretId, SecretMeta, name_order};

/// One secret as the list knows it: its metadata, where it comes from, and a lowercase
/// haystack for search.
pub(crate) struct Row {
    pub meta: SecretMeta,
    pub origin: Origin,
    haystack: String,
}

impl Row {
    fn new(meta: SecretMeta, origin: Origin) -> Self {
        let haystack = format!("{}\n{}", meta.name.as_str(), meta.description).to_lowercase();
        Row { meta, origin, haystack }
    }
}

/// The Secrets table's sort column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Name,
    Modified,
}

/// Every secret's metadata (never values), plus the filtered and sorted view, which is rebuilt
/// only when the query, the sort or the rows change — not every frame.
pub(crate) struct SecretList {
    rows: Vec<Row>,
    pub damaged: Vec<String>,
    pub query: String,
    pub sort: SortKey,
    pub descending: bool,
    /// The highlighted row (the table's one keyboard stop); `None`: the first.
    pub cursor: Option<SecretId>,
    view: Vec<usize>,
    view_key: Option<(String, SortKey, bool, u64)>,
    generation: u64,
    /// The longest name (in characters) and whether any row is tagged shared or override, for
    /// the Name column's width; with the generation it was measured at.
    widest: Option<(u64, usize, bool)>,
}

impl SecretList {
    pub fn new(metas: Vec<SecretMeta>, damaged: Vec<String>) -> Self {
        SecretList {
            rows: metas.into_iter().map(|m| Row::new(m, Origin::Own)).collect(),
            damaged,
            query: String::new(),
            sort: SortKey::Name,
            descending: false,
            cursor: None,
            view: Vec::new(),
            view_key: None,
            generation: 0,
            widest: None,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn get(&self, id: SecretId) -> Option<&Row> {
        self.rows.iter().find(|r| r.meta.id == id)
    }

    /// Adds or replaces a secret after a write.
    pub fn upsert(&mut self, meta: SecretMeta) {
        match self.rows.iter_mut().find(|r| r.meta.id == meta.id) {
            Some(row) => *row = Row::new(meta, row.origin),
            None => self.rows.push(Row::new(meta, Origin::Own)),
        }
        self.generation += 1;
    }

    /// Replaces every row with a place's listing (with where each row comes from).
    pub fn replace_placed(&mut self, items: Vec<PlacedSecret>, damaged: Vec<String>) {
        self.rows = items.into_iter().map(|p| Row::new(p.meta, p.origin)).collect();
        self.damaged = damaged;
        self.generation += 1;
    }

    /// Sorts by `key`; choosing the current key again reverses the order.
    pub fn sort_by(&mut self, key: SortKey) {
        if self.sort == key {
            self.descending = !self.descending;
        } else {
            self.sort = key;
            self.descending = false;
        }
    }

    pub fn remove(&mut self, id: SecretId) {
        self.rows.retain(|r| r.meta.id != id);
        self.generation += 1;
    }

    /// The visible rows, in order; recomputed only when an input changed.
    pub fn view(&mut self) -> &[usize] {
        let key = (self.query.clone(), self.sort, self.descending, self.generation);
        if self.view_key.as_ref() != Some(&key) {
            self.rebuild_view();
            self.view_key = Some(key);
        }
        &self.view
    }

    fn rebuild_view(&mut self) {
        let needle = self.query.trim().to_lowercase();
        let rows = &self.rows;
        self.view.clear();
        self.view.extend((0..rows.len()).filter(|&i| needle.is_empty() || rows[i].haystack.contains(&needle)));
        match self.sort {
            SortKey::Name => self.view.sort_by(|&a, &b| name_order(&rows[a].meta.name, &rows[b].meta.name)),
            SortKey::Modified => self.view.sort_by(|&a, &b| {
                rows[b]
                    .meta
                    .modified
                    .cmp(&rows[a].meta.modified)
                    .then(name_order(&rows[a].meta.name, &rows[b].meta.name))
            }),
        }
        if self.descending {
            self.view.reverse();
        }
    }

    /// The longest name's length in characters, and whether any row carries a tag (shared,
    /// override); measured again only when the rows change.
    pub fn widest_name(&mut self) -> (usize, bool) {
        match self.widest {
            Some((generation, chars, tagged)) if generation == self.generation => (chars, tagged),
            _ => {
                let chars = self.rows.iter().map(|r| r.meta.name.as_str().chars().count()).max().unwrap_or(0);
                let tagged = self.rows.iter().any(|r| r.origin != Origin::Own);
                self.widest = Some((self.generation, chars, tagged));
                (chars, tagged)
            }
        }
    }

    pub fn row(&self, index: usize) -> &Row {
        &self.rows[index]
    }
}
