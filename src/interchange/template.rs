//! Templates for `tresor inject`: a configuration file with references to secrets in it,
//! `{{ tresor://NAME }}` (the command's place), `{{ tresor://PROJECT/NAME }}` (a project's
//! level) or `{{ tresor://PROJECT/ENV/NAME }}` — the places a profile's `from` names (see
//! [`super::profile::SecretRef`]). Spaces or tabs inside the braces are optional.
//!
//! Everything outside a reference passes through byte for byte: CRLF, a missing final newline,
//! text that is not UTF-8. Only `{{` followed (after blanks) by `tresor://` starts a reference, so
//! the `{{ … }}` of Jinja, Helm, Go templates or GitHub Actions in the same file is left alone.
//! For that reason ZenML's `{{name.key}}` form is not read: it is indistinguishable from those
//! templates' own expressions (`{{ secrets.TOKEN }}`, `{{ .Values.key }}`), and a Tresor secret
//! has one value, not keys.
//!
//! A reference that cannot be read (a bad name, no closing `}}` on its line) is an error with its
//! line and column; parsing never looks at the vault.

use zeroize::Zeroizing;

use super::profile::SecretRef;
use crate::vault::{SecretName, SecretValue};

const SCHEME: &[u8] = b"tresor://";

/// Where a reference points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `NAME`: in the command's place.
    Here(SecretName),
    /// `PROJECT/NAME` or `PROJECT/ENV/NAME`.
    There(SecretRef),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Here(name) => write!(f, "tresor://{name}"),
            Target::There(at) => write!(f, "tresor://{at}"),
        }
    }
}

/// One reference in a template: what it names and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub target: Target,
    /// 1-based, counted in `\n`s.
    pub line: usize,
    /// 1-based, in characters of the line: each byte that does not continue a UTF-8 sequence.
    pub column: usize,
    /// The byte range of the whole `{{ … }}`.
    range: std::ops::Range<usize>,
}

/// Why a template cannot be read. Messages quote the reference, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("line {line}, column {column}: the reference has no closing }}}} on its line")]
    Unclosed { line: usize, column: usize },
    #[error("line {line}, column {column}: {text:?} is not a reference: {reason}")]
    BadReference { line: usize, column: usize, text: String, reason: String },
    #[error("filled, it would hold {size} bytes; at most 64 MiB")]
    TooLarge { size: usize },
}

/// A parsed template: its bytes and the references in them, in order.
#[derive(Debug)]
pub struct Template<'a> {
    bytes: &'a [u8],
    pub references: Vec<Reference>,
}

/// The most a filled template may hold: references × values could otherwise ask for gigabytes.
pub const MAX_OUTPUT: usize = 64 << 20;

/// How many characters `bytes` hold: every byte that does not continue a UTF-8 sequence.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Template<'a> {
    /// Finds every reference in `bytes`. Linear in the template's length.
    pub fn parse(bytes: &'a [u8]) -> Result<Template<'a>, TemplateError> {
        let mut references = Vec::new();
        let (mut line, mut i) = (1, 0);
        // Columns are counted as the scan goes, each byte once: (counted up to, characters so far).
        let (mut counted_to, mut counted) = (0, 0);
        while i + 1 < bytes.len() {
            if bytes[i] == b'\n' {
                line += 1;
                (counted_to, counted) = (i + 1, 0);
                i += 1;
                continue;
            }
            if !(bytes[i] == b'{' && bytes[i + 1] == b'{') {
                i += 1;
                continue;
            }
            let open = i;
            let mut j = i + 2;
            while j < bytes.len() && is_blank(bytes[j]) {
                j += 1;
            }
            if !bytes[j..].starts_with(SCHEME) {
                // Another template language's `{{` (or the first brace of `{{{`): text.
                i += 1;
                continue;
            }
            counted += characters(&bytes[counted_to..open]);
            counted_to = open;
            let column = counted + 1;
            let start = j + SCHEME.len();
            let mut end = start;
            while end < bytes.len() && !is_blank(bytes[end]) && !matches!(bytes[end], b'}' | b'\n' | b'\r') {
                end += 1;
            }
            let mut close = end;
            while close < bytes.len() && is_blank(bytes[close]) {
                close += 1;
            }
            if !bytes[close..].starts_with(b"}}") {
                return Err(TemplateError::Unclosed { line, column });
            }
            let text = String::from_utf8_lossy(&bytes[start..end]).into_owned();
            let target = parse_target(&text).map_err(|reason| TemplateError::BadReference {
                line,
                column,
                text: format!("tresor://{text}"),
                reason,
            })?;
            references.push(Reference { target, line, column, range: open..close + 2 });
            i = close + 2;
        }
        Ok(Template { bytes, references })
    }

    /// The template with each reference replaced by `value_of` its target (every reference must
    /// have one: [`Template::parse`]'s targets are the keys). The bytes hold plaintext values.
    /// Refused, before anything is put together, when it would be larger than [`MAX_OUTPUT`].
    pub fn render<'v>(
        &self,
        value_of: impl Fn(&Target) -> &'v SecretValue,
    ) -> Result<Zeroizing<Vec<u8>>, TemplateError> {
        let size = self
            .references
            .iter()
            .fold(self.bytes.len(), |size, r| size - r.range.len() + value_of(&r.target).expose().len());
        if size > MAX_OUTPUT {
            return Err(TemplateError::TooLarge { size });
        }
        let mut out = Zeroizing::new(Vec::with_capacity(size));
        let mut from = 0;
        for reference in &self.references {
            out.extend_from_slice(&self.bytes[from..reference.range.start]);
            out.extend_from_slice(value_of(&reference.target).expose().as_bytes());
            from = reference.range.end;
        }
        out.extend_from_slice(&self.bytes[from..]);
        Ok(out)
    }
}

fn parse_target(text: &str) -> Result<Target, String> {
    if text.is_empty() {
        return Err("write tresor://NAME, tresor://PROJECT/NAME or tresor://PROJECT/ENV/NAME".to_owned());
    }
    if text.contains('/') {
        return SecretRef::parse(text).map(Target::There);
    }
    SecretName::parse(text).map(Target::Here).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<(String, usize, usize)> {
        Template::parse(text.as_bytes())
            .unwrap()
            .references
            .iter()
            .map(|r| (r.target.to_string(), r.line, r.column))
            .collect()
    }

    #[test]
    fn references_are_found_with_their_places_and_positions() {
        let t = "a: {{ tresor://API_KEY }}\r\nb: {{tresor://shop/DB}} c: {{\ttresor://shop/production/DB }}\n";
        assert_eq!(
            targets(t),
            [
                ("tresor://API_KEY".to_owned(), 1, 4),
                ("tresor://shop/DB".to_owned(), 2, 4),
                ("tresor://shop/production/DB".to_owned(), 2, 28)
            ]
        );
    }

    #[test]
    fn a_reference_after_an_extra_brace_is_found_and_columns_count_characters() {
        assert_eq!(targets("{{{ tresor://K }}}"), [("tresor://K".to_owned(), 1, 2)]);
        assert_eq!(targets("x{{{tresor://K}}"), [("tresor://K".to_owned(), 1, 3)]);
        // é is one character; a lone byte that is not UTF-8 is one too.
        assert_eq!(targets("é\u{2713} {{ tresor://K }}"), [("tresor://K".to_owned(), 1, 4)]);
        let bytes = b"\xff\xe2\x82 {{ tresor://K }}";
        let found = Template::parse(bytes).unwrap().references[0].column;
        assert_eq!(found, 4, "a lone byte, a cut-off sequence (one character), a space");
    }

    #[test]
    fn a_filled_template_over_the_limit_is_refused_before_it_is_put_together() {
        let text = "{{ tresor://K }}".repeat(20);
        let template = Template::parse(text.as_bytes()).unwrap();
        let big = SecretValue::new("x".repeat(4 << 20));
        assert!(matches!(template.render(|_| &big), Err(TemplateError::TooLarge { .. })));
        let small = SecretValue::new("x");
        assert_eq!(template.render(|_| &small).unwrap().len(), 20);
    }

    #[test]
    fn other_templates_braces_are_text() {
        for text in ["{{ secrets.TOKEN }}", "{{ .Values.key }}", "{{name.key}}", "{", "{{", "}} {{ x }}"] {
            assert!(targets(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn bad_references_say_where() {
        assert_eq!(
            Template::parse(b"x\n  {{ tresor://KEY \n}}").unwrap_err(),
            TemplateError::Unclosed { line: 2, column: 3 }
        );
        let e = Template::parse("é {{ tresor://my-key }}".as_bytes()).unwrap_err();
        assert!(matches!(e, TemplateError::BadReference { line: 1, column: 3, .. }), "{e}");
        assert!(e.to_string().contains("try MY_KEY"), "{e}");
        assert!(Template::parse(b"{{ tresor:// }}").is_err());
        assert!(Template::parse(b"{{ tresor://a/b/c/d }}").is_err());
    }

    #[test]
    fn rendering_keeps_every_other_byte() {
        let bytes = b"\xff\xfe{{ tresor://K }}\r\n{{ other }}{{tresor://K}}";
        let template = Template::parse(bytes).unwrap();
        let value = SecretValue::new("v\n1");
        assert_eq!(template.render(|_| &value).unwrap().as_slice(), b"\xff\xfev\n1\r\n{{ other }}v\n1");
    }
}
