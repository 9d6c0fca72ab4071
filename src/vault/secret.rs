//! What a secret is: a validated name, a one-line description, a value, and its bookkeeping.
//! Every rule about them lives here, once; the app and the command line only display the result.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Longest accepted name, in bytes (names are ASCII).
pub const MAX_NAME_LEN: usize = 255;
/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Largest accepted value, in bytes: room for certificates and service-account JSON.
pub const MAX_VALUE_BYTES: usize = 4 * 1024 * 1024;

/// Why a name is not a valid environment-variable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is required")]
    Empty,
    #[error("the name is {len} characters long; at most {MAX_NAME_LEN} are allowed")]
    TooLong { len: usize },
    #[error("the name must not start with a digit ({first:?}); try {suggestion}")]
    StartsWithDigit { first: char, suggestion: String },
    #[error(
        "the name may only hold letters A–Z/a–z, digits and _, but has {ch:?} at position {position}; try {suggestion}"
    )]
    InvalidCharacter { ch: char, position: usize, suggestion: String },
}

impl NameError {
    /// The valid name this error suggests instead, if any.
    pub fn suggestion(&self) -> Option<&str> {
        match self {
            NameError::StartsWithDigit { suggestion, .. } | NameError::InvalidCharacter { suggestion, .. } => {
                Some(suggestion)
            }
            NameError::Empty | NameError::TooLong { .. } => None,
        }
    }
}

/// A secret's name: its ID, usable as a POSIX environment-variable name (`[A-Za-z_][A-Za-z0-9_]*`).
/// Case is kept exactly as typed and matters: `Api_Key` and `API_KEY` are two secrets.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(text: &str) -> Result<SecretName, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some((position, ch)) = text.chars().enumerate().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            return Err(NameError::InvalidCharacter { ch, position: position + 1, suggestion: suggest_name(text) });
        }
        let first = text.chars().next().expect("checked non-empty");
        if first.is_ascii_digit() {
            return Err(NameError::StartsWithDigit { first, suggestion: suggest_name(text) });
        }
        if text.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong { len: text.len() });
        }
        Ok(SecretName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UPPER_SNAKE_CASE spelling platforms suggest, when this name is not already in it.
    /// A hint only: the name is never changed without the user choosing to.
    pub fn conventional_form(&self) -> Option<String> {
        let upper = self.0.to_ascii_uppercase();
        (upper != self.0).then_some(upper)
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretName({:?})", self.0)
    }
}

/// A valid name close to `text`, in the UPPER_SNAKE_CASE environment variables use (so "openai
/// api key" suggests `OPENAI_API_KEY`): surrounding blanks go, every other character that is not
/// a letter, digit or `_` becomes `_`, a leading digit gets a `_` before it. Only ever offered
/// for a name that is not valid as typed; a valid name is kept as typed
/// ([`SecretName::conventional_form`] is then only a hint).
pub fn suggest_name(text: &str) -> String {
    let mut out: String =
        text.trim().chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if out.is_empty() {
        return "SECRET".to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(MAX_NAME_LEN);
    out
}

/// Why a description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("the description is {len} characters long; at most {MAX_DESCRIPTION_CHARS} are allowed")]
    TooLong { len: usize },
    #[error("the description must be a single line")]
    MultiLine,
    #[error("the description contains a control character (U+{code:04X})")]
    ControlCharacter { code: u32 },
}

/// Checks a description: optional (may be empty), one line, at most 500 characters.
pub fn check_description(text: &str) -> Result<(), DescriptionError> {
    let len = text.chars().count();
    if len > MAX_DESCRIPTION_CHARS {
        return Err(DescriptionError::TooLong { len });
    }
    if text.contains(['\n', '\r']) {
        return Err(DescriptionError::MultiLine);
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(DescriptionError::ControlCharacter { code: c as u32 });
    }
    Ok(())
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("the value is required")]
    Empty,
    #[error("the value is {len} bytes; at most {MAX_VALUE_BYTES} bytes are allowed")]
    TooLarge { len: usize },
    #[error("the value is not valid UTF-8 text")]
    NotUtf8,
}

/// A secret's value. Wiped from memory when dropped; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretValue(String);

/// Over the app's socket (`agent/`): the value as a string. The copies serde makes are freed
/// through the wiping allocator.
impl serde::Serialize for SecretValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretValue)
    }
}

impl SecretValue {
    pub fn new(text: impl Into<String>) -> Self {
        SecretValue(text.into())
    }

    /// A value from raw bytes (a pipe, a decrypted field), which must be UTF-8.
    pub fn from_utf8(bytes: Vec<u8>) -> Result<Self, ValueError> {
        match String::from_utf8(bytes) {
            Ok(s) => Ok(SecretValue(s)),
            Err(e) => {
                let mut bytes = e.into_bytes();
                bytes.zeroize();
                Err(ValueError::NotUtf8)
            }
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the hard rules (non-empty, size). Returns the soft findings as warnings.
    pub fn check(&self) -> Result<Vec<ValueWarning>, ValueError> {
        if self.0.is_empty() {
            return Err(ValueError::Empty);
        }
        if self.0.len() > MAX_VALUE_BYTES {
            return Err(ValueError::TooLarge { len: self.0.len() });
        }
        Ok(value_warnings(&self.0))
    }
}

/// Why a file could not become a value ("Load from file…", `tresor set NAME --from-file PATH`).
/// Messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum ValueFileError {
    #[error("cannot read {}: {}", path.display(), crate::fs::io_reason(source))]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{} is a folder, not a file", path.display())]
    Folder { path: std::path::PathBuf },
    #[error("{} is a vault file (or one of SQLite's files beside one), not a value", path.display())]
    OpenVaultFile { path: std::path::PathBuf },
    #[error("{} is empty; a value is required", path.display())]
    Empty { path: std::path::PathBuf },
    #[error(
        "{} is larger than {MAX_VALUE_BYTES} bytes (4 MiB), the most a value may hold",
        path.display()
    )]
    TooLarge { path: std::path::PathBuf },
    #[error(
        "{} is not UTF-8 text (the first byte that is not: offset {offset}); values are text: store a binary file base64-encoded, \
         e.g. `base64 -w0 FILE | tresor set NAME`",
        path.display()
    )]
    NotUtf8 { path: std::path::PathBuf, offset: usize },
}

impl SecretValue {
    /// A file's exact text as a value: every byte kept (a trailing newline, CRLF, a PEM block's
    /// layout), nothing trimmed. A file that is not UTF-8, is empty or is over
    /// [`MAX_VALUE_BYTES`] is refused whole; nothing more than the limit plus one byte is read,
    /// so a device or a huge file cannot fill memory. What was read is wiped when refused.
    pub fn read_file(path: &std::path::Path) -> Result<SecretValue, ValueFileError> {
        use std::io::Read;
        let owned = || path.to_owned();
        if path.is_dir() {
            return Err(ValueFileError::Folder { path: owned() });
        }
        // Closing a descriptor of a vault this process holds would drop its locks (see `held`).
        if super::held::is_open_vault_file(path) {
            return Err(ValueFileError::OpenVaultFile { path: owned() });
        }
        let read = |source| ValueFileError::Read { path: owned(), source };
        let file = std::fs::File::open(path).map_err(read)?;
        let mut bytes = Vec::new();
        file.take(MAX_VALUE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| {
            bytes.zeroize();
            read(e)
        })?;
        if bytes.len() > MAX_VALUE_BYTES {
            bytes.zeroize();
            return Err(ValueFileError::TooLarge { path: owned() });
        }
        if bytes.is_empty() {
            return Err(ValueFileError::Empty { path: owned() });
        }
        if bytes.starts_with(super::held::SQLITE_MAGIC) {
            bytes.zeroize();
            return Err(ValueFileError::OpenVaultFile { path: owned() });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SecretValue(text)),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                e.into_bytes().zeroize();
                Err(ValueFileError::NotUtf8 { path: owned(), offset })
            }
        }
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([redacted])")
    }
}

/// Things in a value that are almost always a paste mistake. Shown to the user, never fixed
/// silently, never blocking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueWarning {
    LeadingWhitespace,
    TrailingWhitespace,
    /// The value looks like a one-line key or token but holds a line break.
    LineBreakInKey,
    /// Zero-width, byte-order-mark, soft hyphen or other invisible characters.
    InvisibleCharacter {
        code: u32,
        position: usize,
    },
    /// Control characters other than tab and line breaks.
    ControlCharacter {
        code: u32,
        position: usize,
    },
}

impl fmt::Display for ValueWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueWarning::LeadingWhitespace => f.write_str("the value starts with whitespace"),
            ValueWarning::TrailingWhitespace => {
                f.write_str("the value ends with whitespace or a line break (a copy-paste or `echo` leftover?)")
            }
            ValueWarning::LineBreakInKey => {
                f.write_str("the value looks like a one-line key but contains a line break")
            }
            ValueWarning::InvisibleCharacter { code, position } => {
                write!(f, "the value contains an invisible character U+{code:04X} at position {position}")
            }
            ValueWarning::ControlCharacter { code, position } => {
                write!(f, "the value contains a control character U+{code:04X} at position {position}")
            }
        }
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E007F}')
}

fn value_warnings(value: &str) -> Vec<ValueWarning> {
    let mut warnings = Vec::new();
    if value.starts_with(char::is_whitespace) {
        warnings.push(ValueWarning::LeadingWhitespace);
    }
    if value.ends_with(char::is_whitespace) {
        warnings.push(ValueWarning::TrailingWhitespace);
    }
    let trimmed = value.trim();
    let has_inner_break = trimmed.contains(['\n', '\r']);
    // A PEM block, JSON document or anything with spaces is meant to be multi-line; a run of
    // space-free token lines is a key that was wrapped or pasted twice.
    let looks_structured = trimmed.starts_with("-----BEGIN") || trimmed.starts_with(['{', '[']);
    if has_inner_break && !looks_structured && trimmed.lines().all(|l| !l.trim().contains(' ')) {
        warnings.push(ValueWarning::LineBreakInKey);
    }
    for (position, c) in value.chars().enumerate() {
        let position = position + 1;
        if is_invisible(c) {
            warnings.push(ValueWarning::InvisibleCharacter { code: c as u32, position });
            break;
        }
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            warnings.push(ValueWarning::ControlCharacter { code: c as u32, position });
            break;
        }
    }
    warnings
}

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp(since.as_millis() as i64)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-23T09:41:05.123Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_else(|| format!("@{}ms", self.0))
    }

    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * 86_400_000)
    }
}

/// A source of the current time, so that tests can move it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A secret's stable identity: a random 128-bit record id, never reused, unchanged by renames.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretId(pub(crate) [u8; 16]);

impl SecretId {
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretId({})", self.to_hex())
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Everything about a secret except its value: what a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMeta {
    pub id: SecretId,
    /// The project level or environment it lives in.
    pub place: super::place::PlaceId,
    pub name: SecretName,
    pub description: String,
    /// 1 when created, +1 at every change of the value.
    pub version: u32,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// A secret in the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedSecret {
    pub meta: SecretMeta,
    pub deleted: Timestamp,
}

/// One version of a secret's value, without the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: u32,
    /// When this value was set.
    pub created: Timestamp,
    /// When it was replaced by the next one; `None` for the current value.
    pub replaced: Option<Timestamp>,
}

/// The result of a create or update: the secret as stored, plus warnings about its value.
#[derive(Debug, Clone)]
pub struct Saved {
    pub meta: SecretMeta,
    pub warnings: Vec<ValueWarning>,
    /// Whether the value changed (and so the version went up).
    pub value_changed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_posix_environment_rules() {
        for ok in ["OPENAI_API_KEY", "_x", "a1", "Api_Key", "HF_TOKEN"] {
            assert!(SecretName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(SecretName::parse(""), Err(NameError::Empty));
        assert!(matches!(SecretName::parse("1KEY"), Err(NameError::StartsWithDigit { .. })));
        assert!(
            matches!(SecretName::parse("MY-KEY"), Err(NameError::InvalidCharacter { ch: '-', position: 3, ref suggestion }) if suggestion == "MY_KEY")
        );
        assert!(matches!(SecretName::parse("KÉY"), Err(NameError::InvalidCharacter { .. })));
        assert!(
            matches!(SecretName::parse("openai api key"), Err(NameError::InvalidCharacter { ref suggestion, .. }) if suggestion == "OPENAI_API_KEY"),
            "suggestions are in the environment's UPPER_SNAKE_CASE"
        );
        for odd in ["1KEY", "a-b", " x ", "KÉY", "-", "9", "ü"] {
            assert!(SecretName::parse(&suggest_name(odd)).is_ok(), "{odd:?} -> {:?}", suggest_name(odd));
        }
        assert!(matches!(SecretName::parse(&"A".repeat(256)), Err(NameError::TooLong { len: 256 })));
    }

    #[test]
    fn case_is_kept_and_upper_snake_is_only_suggested() {
        let n = SecretName::parse("openAi_key").unwrap();
        assert_eq!(n.as_str(), "openAi_key");
        assert_eq!(n.conventional_form().as_deref(), Some("OPENAI_KEY"));
        assert_eq!(SecretName::parse("OK").unwrap().conventional_form(), None);
    }

    #[test]
    fn paste_mistakes_warn_but_do_not_block() {
        let w = SecretValue::new(" sk-abc\n").check().unwrap();
        assert!(w.contains(&ValueWarning::LeadingWhitespace));
        assert!(w.contains(&ValueWarning::TrailingWhitespace));
        let w = SecretValue::new("sk-abc\u{200B}def").check().unwrap();
        assert_eq!(w, vec![ValueWarning::InvisibleCharacter { code: 0x200B, position: 7 }]);
        let w = SecretValue::new("sk-abc\ndef").check().unwrap();
        assert_eq!(w, vec![ValueWarning::LineBreakInKey]);
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----";
        assert!(SecretValue::new(pem).check().unwrap().is_empty());
        assert!(SecretValue::new("{\n \"type\": \"service_account\"\n}").check().unwrap().is_empty());
        assert_eq!(SecretValue::new("").check(), Err(ValueError::Empty));
    }

    #[test]
    fn descriptions_are_one_short_line() {
        assert!(check_description("").is_ok());
        assert!(check_description("GPT calls from the CLI").is_ok());
        assert_eq!(check_description("a\nb"), Err(DescriptionError::MultiLine));
        assert!(matches!(check_description(&"x".repeat(501)), Err(DescriptionError::TooLong { len: 501 })));
    }

    #[test]
    fn timestamps_print_as_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_700_000_000_123).to_rfc3339(), "2023-11-14T22:13:20.123Z");
    }
}
