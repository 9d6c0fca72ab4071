//! A run profile (`tresor.toml`): what a program needs from the vault, so `tresor run` injects
//! only that.
//!
//! ```toml
//! [secrets]
//! OPENAI_API_KEY = { required = true, description = "GPT calls" }
//! LANGSMITH_API_KEY = { required = false }
//! ```
//!
//! Each entry is an inline table or a `[secrets.NAME]` table with the optional fields `required`
//! (a boolean; true when left out: a declared need is a need) and `description` (text, shown
//! nowhere yet but kept for people reading the file). Any other field is an error, so a typo
//! such as `requird = false` cannot silently make a secret required. Other top-level tables are
//! ignored, for tools that share the file.

use toml_edit::{Document, Item, Value};

use crate::vault::SecretName;

/// Environment variables that change how a program is loaded or run rather than what it reads:
/// the dynamic loader's (`LD_*`, `DYLD_*`), the search paths and start-up hooks of shells and
/// language runtimes. `tresor run` injects a secret of such a name only when it is asked for by
/// name (`--only`, or a profile); otherwise it is skipped with a warning, so that a stored
/// `PATH` or `LD_PRELOAD` does not silently change what runs.
pub const LOADER_PREFIXES: [&str; 2] = ["LD_", "DYLD_"];
pub const LOADER_NAMES: [&str; 22] = [
    "PATH",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PERL5LIB",
    "PERL5OPT",
    "PERLLIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "CLASSPATH",
    "GCONV_PATH",
];

/// Whether `name` is one of [`LOADER_NAMES`] or starts with one of [`LOADER_PREFIXES`].
pub fn changes_how_programs_run(name: &str) -> bool {
    LOADER_NAMES.contains(&name) || LOADER_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// One secret a profile declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSecret {
    pub name: SecretName,
    pub required: bool,
    pub description: String,
}

/// A parsed profile: the declared secrets, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub secrets: Vec<ProfileSecret>,
}

/// Why a profile cannot be used. Messages quote names and field names, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("not valid TOML (line {line}): {message}")]
    Toml { line: usize, message: String },
    #[error("it has no [secrets] table")]
    NoSecretsTable,
    #[error("{key} in [secrets] must be a table such as {{ required = true }}")]
    NotATable { key: String },
    #[error("{key} in [secrets] is not a valid secret name: {reason}")]
    InvalidName { key: String, reason: String },
    #[error("{name}: `{field}` is not a profile field (use `required` and `description`)")]
    UnknownField { name: String, field: String },
    #[error("{name}: `{field}` must be {expected}")]
    WrongType { name: String, field: &'static str, expected: &'static str },
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, ProfileError> {
        let doc = Document::parse(text).map_err(|e| {
            let line = e.span().map_or(0, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            ProfileError::Toml { line, message: e.message().trim_end().to_owned() }
        })?;
        let secrets = match doc.get("secrets") {
            Some(Item::Table(t)) => t.clone(),
            Some(Item::Value(Value::InlineTable(t))) => t.clone().into_table(),
            _ => return Err(ProfileError::NoSecretsTable),
        };
        let mut profile = Profile::default();
        for (key, item) in secrets.iter() {
            let fields = match item {
                Item::Table(t) => t.clone(),
                Item::Value(Value::InlineTable(t)) => t.clone().into_table(),
                _ => return Err(ProfileError::NotATable { key: key.to_owned() }),
            };
            let name = SecretName::parse(key)
                .map_err(|e| ProfileError::InvalidName { key: key.to_owned(), reason: e.to_string() })?;
            let mut secret = ProfileSecret { name, required: true, description: String::new() };
            for (field, value) in fields.iter() {
                let wrong = |field, expected| ProfileError::WrongType { name: key.to_owned(), field, expected };
                match field {
                    "required" => {
                        secret.required = value.as_bool().ok_or_else(|| wrong("required", "true or false"))?
                    }
                    "description" => {
                        secret.description = value.as_str().ok_or_else(|| wrong("description", "text"))?.to_owned()
                    }
                    other => {
                        return Err(ProfileError::UnknownField { name: key.to_owned(), field: other.to_owned() });
                    }
                }
            }
            profile.secrets.push(secret);
        }
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_reads_as_written() {
        let profile = Profile::parse(
            "[secrets]\nOPENAI_API_KEY = { required = true, description = \"GPT calls\" }\n\
             LANGSMITH_API_KEY = { required = false }\nHF_TOKEN = {}\n\n[secrets.TABLE_FORM]\nrequired = false\n\
             [other_tool]\nx = 1\n",
        )
        .unwrap();
        let got: Vec<(&str, bool, &str)> =
            profile.secrets.iter().map(|s| (s.name.as_str(), s.required, s.description.as_str())).collect();
        assert_eq!(
            got,
            [
                ("OPENAI_API_KEY", true, "GPT calls"),
                ("LANGSMITH_API_KEY", false, ""),
                ("HF_TOKEN", true, ""),
                ("TABLE_FORM", false, "")
            ]
        );
    }

    #[test]
    fn mistakes_are_errors_not_guesses() {
        let err = |text: &str| Profile::parse(text).unwrap_err();
        assert_eq!(err("[secret]\nA = {}\n"), ProfileError::NoSecretsTable);
        assert_eq!(err("[secrets]\nA = true\n"), ProfileError::NotATable { key: "A".into() });
        assert!(matches!(err("[secrets]\n\"MY-KEY\" = {}\n"), ProfileError::InvalidName { .. }));
        assert_eq!(
            err("[secrets]\nA = { requird = false }\n"),
            ProfileError::UnknownField { name: "A".into(), field: "requird".into() }
        );
        assert!(matches!(err("[secrets]\nA = { required = \"no\" }\n"), ProfileError::WrongType { .. }));
        assert!(matches!(err("[secrets\n"), ProfileError::Toml { line: 1, .. }));
    }
}
