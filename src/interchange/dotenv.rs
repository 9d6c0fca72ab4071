//! `.env` files, read the way python-dotenv (the de-facto reference) reads them, and written so
//! that python-dotenv and Tresor read back the same bytes.
//!
//! The text is read as python-dotenv reads a file: `\r\n` and lone `\r` become `\n` first
//! (Python's universal newlines; node's dotenv does the same), and a leading UTF-8 byte-order
//! mark is ignored (python-dotenv would make it part of the first key). "Blank" means what
//! Python's `\s` matches. Grammar, per binding: optional blank space and comment lines; an
//! optional `export ` prefix; a key (unquoted: no `=`, `#` or blank; or single-quoted); optional
//! blanks; `=` and optional blanks; a value; an optional `#` comment; end of line. Values are
//! - single-quoted: literal, except `\\` → `\` and `\'` → `'`; may span lines;
//! - double-quoted: `\\ \' \" \a \b \f \n \r \t \v` decoded; may span lines;
//! - unquoted: the rest of the line, a blank-then-`#…` comment removed, trailing blanks trimmed.
//!
//! A binding that does not fit is reported and skipped from where it went wrong to the end of
//! that line, exactly as python-dotenv recovers, never guessed at. `${VAR}` is *not* expanded
//! (python-dotenv would): the value is imported literally, and reported.
//!
//! The one value no spelling carries through this grammar is one that ends with a backslash and
//! needs quotes (multi-line, or with surrounding blanks, an opening quote or a ` #`): before a
//! closing quote the backslash escapes it. [`can_write`] says so, and exports refuse such values
//! in this format rather than write something that reads back differently.

use zeroize::Zeroizing;

use super::{Entry, Finding, Parsed};
use crate::vault::SecretValue;

/// How many lines of `text` are `NAME=value` assignments (`export` allowed), if every line that
/// is not blank or a comment is one; 0 otherwise. Tells a pasted block of a `.env` file from a
/// pasted value (which may contain `=` but not on every line after a name).
pub fn assignment_lines(text: &str) -> usize {
    let mut count = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, _)) = line.split_once('=') else { return 0 };
        let key = key.trim_end();
        let valid = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return 0;
        }
        count += 1;
    }
    count
}

/// Parses `.env` text.
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let normalized;
    let text = if text.contains('\r') {
        normalized = universal_newlines(text);
        normalized.as_str()
    } else {
        text
    };
    let mut reader = Reader { text, pos: 0, line: 1, binding_line: 1 };
    let mut parsed = Parsed::default();
    while reader.pos < text.len() {
        match reader.binding() {
            Ok(None) => {}
            Ok(Some((key, value, line))) => match value {
                Some(value) => parsed.push(Entry { key, value: SecretValue::new(value), line: Some(line) }),
                None => parsed.findings.push(Finding::NoValue { key, line }),
            },
            Err(()) => {
                // python-dotenv skips from where the binding failed to the end of that line.
                reader.rest_of_line();
                parsed.findings.push(Finding::Unparsable { line: reader.binding_line });
            }
        }
    }
    let mut parsed = parsed.finish();
    for entry in &parsed.entries {
        if entry.value.expose().contains("${") {
            parsed.findings.push(Finding::NotExpanded { key: entry.key.clone() });
        }
    }
    parsed
}

/// `\r\n` and lone `\r` as `\n`, in a copy that is wiped when dropped (it holds the values).
fn universal_newlines(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// What Python's `\s` matches in a `str` pattern (`str.isspace()`): Unicode white space plus the
/// four information separators U+001C–U+001F.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    /// The line the current binding starts on (after blank lines), for reports.
    binding_line: usize,
}

/// Python's `[^\S\r\n]`: a blank that does not end the line.
fn is_inline_space(c: char) -> bool {
    is_blank(c) && c != '\n' && c != '\r'
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn advance(&mut self, len: usize) -> &'a str {
        let taken = &self.text[self.pos..self.pos + len];
        // Count line breaks as python-dotenv does: \r\n, \n and \r each end one line.
        let bytes = taken.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    self.line += 1;
                    i += 1;
                }
                b'\r' | b'\n' => self.line += 1,
                _ => {}
            }
            i += 1;
        }
        self.pos += len;
        taken
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let len = self.rest().find(|c| !keep(c)).unwrap_or(self.rest().len());
        self.advance(len)
    }

    fn skip_whitespace_multiline(&mut self) {
        self.take_while(is_blank);
    }

    fn rest_of_line(&mut self) {
        self.take_while(|c| c != '\r' && c != '\n');
        if self.rest().starts_with("\r\n") {
            self.advance(2);
        } else if self.rest().starts_with(['\r', '\n']) {
            self.advance(1);
        }
    }

    /// One binding as (key, value or none, line): `Ok(None)` for blank space or a comment line.
    #[allow(clippy::type_complexity)] // a tuple is clearer here than a struct used once
    fn binding(&mut self) -> Result<Option<(String, Option<String>, usize)>, ()> {
        self.skip_whitespace_multiline();
        self.binding_line = self.line;
        if self.pos >= self.text.len() {
            return Ok(None);
        }
        if let Some(after) = self.rest().strip_prefix("export")
            && after.starts_with(is_inline_space)
        {
            self.advance("export".len());
            self.take_while(is_inline_space);
        }
        let key = match self.peek() {
            Some('#') => {
                // A comment line (python-dotenv: a binding without key); skipped silently.
                self.rest_of_line();
                return Ok(None);
            }
            Some('\'') => {
                let close = self.rest()[1..].find('\'').ok_or(())?;
                if close == 0 {
                    return Err(());
                }
                let key = self.rest()[1..1 + close].to_owned();
                self.advance(close + 2);
                key
            }
            _ => {
                let key = self.take_while(|c| c != '=' && c != '#' && !is_blank(c));
                if key.is_empty() {
                    return Err(());
                }
                key.to_owned()
            }
        };
        self.take_while(is_inline_space);
        let value = if self.peek() == Some('=') {
            self.advance(1);
            self.take_while(is_inline_space);
            Some(self.value()?)
        } else {
            None
        };
        // An optional comment, then the end of the line (or of the file).
        self.take_while(is_inline_space);
        if self.peek() == Some('#') {
            self.take_while(|c| c != '\r' && c != '\n');
        }
        self.take_while(is_inline_space);
        match self.peek() {
            None => {}
            Some('\r') | Some('\n') => self.rest_of_line(),
            Some(_) => return Err(()),
        }
        Ok(Some((key, value, self.binding_line)))
    }

    fn value(&mut self) -> Result<String, ()> {
        match self.peek() {
            Some(quote @ ('\'' | '"')) => {
                // Find the closing quote: the first one not preceded by a backslash that escapes
                // it, trying the shortest match first as python-dotenv's regex does.
                let body = &self.rest()[1..];
                let close = closing_quote(body, quote).ok_or(())?;
                let raw = &body[..close];
                self.advance(close + 2);
                Ok(if quote == '\'' { decode_single(raw) } else { decode_double(raw) })
            }
            None | Some('\r') | Some('\n') => Ok(String::new()),
            Some(_) => {
                let part = self.take_while(|c| c != '\r' && c != '\n');
                Ok(strip_inline_comment(part).trim_end_matches(is_blank).to_owned())
            }
        }
    }
}

/// Where `'((?:\\'|[^'])*)'` (or its double-quoted twin) closes. The regex engine walks
/// forward taking `\<quote>` pairs whole, and closes at the first quote that is not part of a
/// pair; if there is none, it backtracks to the last pair and closes at its quote.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let bytes = body.as_bytes();
    let q = quote as u8;
    let mut last_pair_quote = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&q) {
            last_pair_quote = Some(i + 1);
            i += 2;
        } else if bytes[i] == q {
            return Some(i);
        } else {
            i += 1;
        }
    }
    last_pair_quote
}

/// `re.sub(r"\s+#.*", "", part)`: the first run of whitespace followed by `#`, and all after it.
fn strip_inline_comment(part: &str) -> &str {
    // Linear scan: remember where the current whitespace run began; a `#` right after a run
    // starts the comment, and the value ends where the run began.
    let mut run_start = None;
    for (i, c) in part.char_indices() {
        if is_blank(c) {
            run_start.get_or_insert(i);
        } else if c == '#' && run_start.is_some() {
            return &part[..run_start.unwrap_or(i)];
        } else {
            run_start = None;
        }
    }
    part
}

fn decode_single(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('\\' | '\'')) {
            out.push(chars.next().expect("peeked"));
        } else {
            out.push(c);
        }
    }
    out
}

fn decode_double(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.peek() {
            Some('\\') => '\\',
            Some('\'') => '\'',
            Some('"') => '"',
            Some('a') => '\u{07}',
            Some('b') => '\u{08}',
            Some('f') => '\u{0C}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\u{0B}',
            _ => {
                out.push('\\');
                continue;
            }
        };
        chars.next();
        out.push(decoded);
    }
    out
}

/// Characters that need no quoting in any common dotenv reader.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./:+@,%~^=".contains(c)
}

/// Whether python-dotenv's unquoted reading keeps `value` exactly: one line, no surrounding
/// blanks, no opening quote, no blank-then-`#` comment.
fn reads_unquoted(value: &str) -> bool {
    !value.is_empty()
        && !value.contains(['\n', '\r'])
        && !value.starts_with(['\'', '"'])
        && !value.starts_with(is_blank)
        && !value.ends_with(is_blank)
        && strip_inline_comment(value).len() == value.len()
}

/// Whether some spelling of `value` reads back exactly: all but values that end with a
/// backslash and need quotes (see the module documentation).
pub fn can_write(value: &str) -> bool {
    !value.ends_with('\\') || reads_unquoted(value)
}

/// Writes one `KEY=value` line (the value quoted as needed), ending in `\n`. A value for which
/// [`can_write`] is false is written in double quotes, and does not read back the same.
pub fn write_entry(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('=');
    if (!value.is_empty() && value.chars().all(is_plain)) || (value.ends_with('\\') && reads_unquoted(value)) {
        // Plain, or the only spelling that can end in a backslash.
        out.push_str(value);
    } else if !value.contains(['\'', '\\', '\r']) {
        // Single quotes: literal in every reader, never expanded; line breaks stand as they are.
        out.push('\'');
        out.push_str(value);
        out.push('\'');
    } else if value.contains('\r') || !value.contains("${") {
        // Double quotes: a carriage return must be escaped (readers turn a raw one into \n).
        out.push('"');
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push('"');
    } else {
        // Quotes or backslashes together with `${`: single quotes (never expanded), with
        // python-dotenv's two single-quote escapes.
        out.push('\'');
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c => out.push(c),
            }
        }
        out.push('\'');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pasted_env_block_is_told_from_a_pasted_value() {
        use super::assignment_lines;
        assert_eq!(assignment_lines("OPENAI_API_KEY=sk-1\n# note\n\nexport HF_TOKEN=hf_2\n"), 2);
        assert_eq!(assignment_lines("sk-live-abc=="), 0, "a value ending in = is not a name");
        assert_eq!(assignment_lines("-----BEGIN KEY-----\nAbC=\n-----END KEY-----"), 0);
        assert_eq!(assignment_lines("A=1\nnot an assignment\n"), 0);
        assert_eq!(assignment_lines(""), 0);
    }
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse(text).entries.into_iter().map(|e| (e.key, e.value.expose().to_owned())).collect()
    }

    fn one(text: &str) -> String {
        let v = values(text);
        assert_eq!(v.len(), 1, "{text:?} gave {v:?}");
        v[0].1.clone()
    }

    #[test]
    fn comments_blank_lines_and_export() {
        let text = "# comment\n\n  # indented comment\nexport A=1\nB=2 # inline\n";
        assert_eq!(values(text), [("A".into(), "1".into()), ("B".into(), "2".into())]);
    }

    #[test]
    fn unquoted_values_trim_and_drop_inline_comments() {
        assert_eq!(one("K=  spaced value   \n"), "spaced value");
        assert_eq!(one("K=a#b\n"), "a#b", "a # without whitespace before it is part of the value");
        assert_eq!(one("K=a #b\n"), "a");
        assert_eq!(one("K = x=y=z\n"), "x=y=z");
        assert_eq!(one("K=\n"), "");
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(one("K='a \\n $HOME # not a comment'\n"), "a \\n $HOME # not a comment");
        assert_eq!(one("K='it\\'s'\n"), "it's");
        assert_eq!(one("K='back\\\\slash'\n"), "back\\slash");
    }

    #[test]
    fn double_quotes_decode_escapes() {
        assert_eq!(one("K=\"a\\nb\\tc\\\"d\\\\e\"\n"), "a\nb\tc\"d\\e");
        assert_eq!(one("K=\"keep \\x as is\"\n"), "keep \\x as is");
    }

    #[test]
    fn quoted_values_may_span_lines() {
        let text = "K=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nNEXT=1\n";
        assert_eq!(
            values(text),
            [("K".into(), "-----BEGIN KEY-----\nabc\n-----END KEY-----".into()), ("NEXT".into(), "1".into())]
        );
        let parsed = parse(text);
        assert_eq!(parsed.entries[1].line, Some(4));
    }

    #[test]
    fn crlf_bom_and_no_final_newline() {
        assert_eq!(
            values("\u{FEFF}A=1\r\nB='2'\r\nC=3"),
            [("A".into(), "1".into()), ("B".into(), "2".into()), ("C".into(), "3".into())]
        );
    }

    #[test]
    fn duplicates_keep_the_last_and_are_reported() {
        let parsed = parse("A=1\nA=2\n");
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].value.expose(), "2");
        assert_eq!(parsed.findings, [Finding::Duplicate { key: "A".into(), line: 2, earlier_line: 1 }]);
    }

    #[test]
    fn broken_lines_are_reported_not_guessed() {
        let parsed = parse("A=1\nB=\"unterminated\nC=3 \"x\" junk\nD='ok' trailing\nE=5\n");
        let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&"A") && keys.contains(&"E"), "{keys:?}");
        assert!(parsed.findings.iter().any(|f| matches!(f, Finding::Unparsable { .. })));
    }

    #[test]
    fn keys_without_values_and_interpolation_are_reported() {
        let parsed = parse("LONELY\nK=${HOME}/x\n");
        assert!(parsed.findings.contains(&Finding::NoValue { key: "LONELY".into(), line: 1 }));
        assert!(parsed.findings.contains(&Finding::NotExpanded { key: "K".into() }));
        assert_eq!(parsed.entries[0].value.expose(), "${HOME}/x");
    }

    #[test]
    fn line_endings_read_as_python_reads_a_file() {
        // Universal newlines: CRLF and a lone CR end lines, inside quoted values too.
        assert_eq!(
            values("A=\"one\r\ntwo\"\r\nB='x\ry'\rC=3\r"),
            [("A".into(), "one\ntwo".into()), ("B".into(), "x\ny".into()), ("C".into(), "3".into())]
        );
        assert_eq!(parse("A=1\r\n\r\nB=2").entries[1].line, Some(3));
    }

    #[test]
    fn blanks_are_what_python_calls_whitespace() {
        // U+001F is whitespace to Python (not to Rust): trimmed, and it starts a ` #` comment.
        assert_eq!(one("K=value\u{1F}\n"), "value");
        assert_eq!(one("K=a\u{1F}# comment\n"), "a");
        assert_eq!(one("K=\u{A0}nbsp\u{A0}\n"), "nbsp");
    }

    #[test]
    fn a_broken_binding_is_skipped_to_the_end_of_the_line_where_it_broke() {
        // python-dotenv: the double-quoted value runs to the next quote (on line 2), then the
        // line is not at its end, so the rest of line 2 goes too; line 3 reads normally.
        let parsed = parse("A=\"open\nB=\"x\" junk\nC=3\n");
        assert_eq!(values("A=\"open\nB=\"x\" junk\nC=3\n"), [("C".into(), "3".into())]);
        assert_eq!(parsed.findings, [Finding::Unparsable { line: 1 }]);
    }

    #[test]
    fn a_backslash_at_the_end_is_written_unquoted_or_refused() {
        for value in ["\\", "C:\\dir\\", "a#b\\", "x=y\\"] {
            assert!(can_write(value), "{value:?}");
            let mut text = String::new();
            write_entry(&mut text, "K", value);
            assert_eq!(one(&text), value, "written as {text:?}");
        }
        for value in ["two\nlines\\", " padded\\", "'quoted\\", "a #b\\", "\r\\"] {
            assert!(!can_write(value), "{value:?}");
        }
        assert!(can_write("back\\slash in the middle\n"));
    }

    #[test]
    fn written_values_read_back_exactly() {
        for value in [
            "plain",
            "with space",
            " leading and trailing ",
            "multi\nline\n",
            "quote ' and \" both",
            "back\\slash",
            "dollar $HOME and ${HOME}",
            "${X} and 'q' and \\",
            "hash # here",
            "#start",
            "crlf\r\nend",
            "ünïcödé 🔑",
            "bell\u{07}",
            "lone\rcarriage return",
            "tab\tand \u{1F} separator ",
            "'${X}' \\ \r",
            "",
        ] {
            let mut text = String::new();
            write_entry(&mut text, "K", value);
            assert_eq!(one(&text), value, "written as {text:?}");
        }
    }
}
