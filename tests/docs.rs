//! The documentation's links hold: every relative link in README.md and docs/*.md names a file
//! that exists, and every `#anchor` a heading of the page it points to (GitHub's rule for a
//! heading's anchor). Links to the web are not followed (CI has no network).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown pages: README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The text outside fenced code blocks and inline code spans, line by line.
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            lines.push(String::new());
            continue;
        }
        if fenced {
            lines.push(String::new());
            continue;
        }
        // Drop inline code: `…` spans never hold links.
        let mut out = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                out.push(c);
            }
        }
        lines.push(out);
    }
    lines
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-`, `_` and spaces kept (the
/// rest dropped, code spans' text kept); each space a `-`. Repeats get `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let n = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *n == 0 { slug.clone() } else { format!("{slug}-{n}") });
        *n += 1;
    }
    out
}

/// Every `](target)` in the page's prose, with its line number.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in prose(text).iter().enumerate() {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((i + 1, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
    found
}

fn broken_links(pages: &[PathBuf]) -> Vec<String> {
    let mut broken = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(page).unwrap();
        let shown = page.strip_prefix(root()).unwrap_or(page).display().to_string();
        for (line, target) in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            if !path.exists() {
                broken.push(format!("{shown}:{line}: {target}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                let is_page = path.extension().is_some_and(|e| e == "md");
                let ok = is_page && anchors(&std::fs::read_to_string(&path).unwrap()).contains(anchor);
                if !ok {
                    broken.push(format!("{shown}:{line}: {target}: no such heading"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_link_in_the_documentation_leads_somewhere() {
    let broken = broken_links(&pages());
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// README links each page under docs/, so that none is lost.
#[test]
fn readme_links_every_page_of_the_documentation() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let linked: BTreeSet<String> = links(&readme).into_iter().map(|(_, t)| t).collect();
    for page in pages().iter().skip(1) {
        let name = format!("docs/{}", page.file_name().unwrap().to_str().unwrap());
        assert!(linked.iter().any(|t| t == &name || t.starts_with(&format!("{name}#"))), "README does not link {name}");
    }
}

/// The checks catch what they are for: a missing file, a missing heading, a link in code is
/// not a link, and anchors follow GitHub's rule.
#[test]
fn the_link_check_catches_a_missing_page_and_a_missing_heading() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("a.md");
    std::fs::write(
        dir.path().join("b.md"),
        "# B\n## Secrets in your programs: `run`, `import`\n## A folder's tresor.toml\n",
    )
    .unwrap();
    std::fs::write(
        &page,
        "[ok](b.md#secrets-in-your-programs-run-import) [ok](b.md#a-folders-tresortoml)\n\
         [gone](c.md) [no heading](b.md#nothing) `[code](d.md)`\n```\n[fenced](e.md)\n```\n[self](#a)\n# A\n",
    )
    .unwrap();
    let broken: Vec<String> = broken_links(&[page])
        .into_iter()
        .map(|b| b.rsplit_once(": ").unwrap().0.rsplit_once(": ").unwrap().1.to_owned())
        .collect();
    assert_eq!(broken, ["c.md", "b.md#nothing"]);
    assert!(Path::new(&root()).join("README.md").exists());
}
