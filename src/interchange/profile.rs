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
//! (a boolean; true when left out: a declared need is a need), `description` (text, shown
//! nowhere yet but kept for people reading the file) and `from` (where the value comes from, when
//! not the secret of that name in the run's place: `"PROJECT/NAME"` for a project's level,
//! `"PROJECT/ENV/NAME"` for an environment — the program sees the entry's name). Any other field
//! is an error, so a typo such as `requird = false` cannot silently make a secret required.
//!
//! The top-level keys `project` and `env` name the place the commands run in this folder use
//! (below `--project`/`--env` and `TRESOR_PROJECT`/`TRESOR_ENV`); a file with only those and no
//! `[secrets]` table is valid. Other top-level tables are ignored, for tools that share the file.

use toml_edit::{Document, Item, Value};

use crate::vault::{PlaceName, SecretName};

/// Environment variables that change how a program is loaded or run rather than what it reads:
/// the dynamic loader's (`LD_*`, `DYLD_*`); the search paths and start-up hooks of shells and
/// language runtimes; where a shell and its configuration come from (`HOME`, `SHELL`,
/// `XDG_CONFIG_HOME`, `ZDOTDIR`); the programs git and other tools start (`GIT_CONFIG_*` and the
/// other `GIT_*` variables that run commands, `EDITOR`, `PAGER`, the askpass helpers); where
/// traffic goes and which certificates are believed (`*_PROXY` in either case, the CA-bundle
/// variables, `SSLKEYLOGFILE`, which writes every TLS session key to a file).
///
/// `tresor run` injects a secret of such a name only when it is asked for by name: `--only`, or
/// a profile the user trusted (`tresor trust` shows these names); otherwise it is skipped with a
/// warning, so that a stored `PATH` or a repository's `LD_PRELOAD` does not silently change what
/// runs — or print a secret in the loader's error. An import plan marks each such name.
pub const LOADER_PREFIXES: &[&str] = &["LD_", "DYLD_", "GIT_CONFIG_"];
/// See [`LOADER_PREFIXES`]; also every name ending in `_PROXY`, ignoring case
/// ([`changes_how_programs_run`]): curl reads `http_proxy` in lower case.
pub const LOADER_NAMES: &[&str] = &[
    // Shells
    "PATH",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "HOME",
    "SHELL",
    "ZDOTDIR",
    "XDG_CONFIG_HOME",
    // Language runtimes
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
    // Programs that git (and other tools) start
    "GIT_CONFIG",
    "GIT_DIR",
    "GIT_COMMON_DIR",
    "GIT_EXEC_PATH",
    "GIT_TEMPLATE_DIR",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_PROXY_COMMAND",
    "GIT_EXTERNAL_DIFF",
    "EDITOR",
    "VISUAL",
    "PAGER",
    // Certificates and TLS
    "SSLKEYLOGFILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "GIT_SSL_NO_VERIFY",
    "NODE_TLS_REJECT_UNAUTHORIZED",
];

/// Whether `name` is one of [`LOADER_NAMES`], starts with one of [`LOADER_PREFIXES`], or ends in
/// `_PROXY` (any case).
pub fn changes_how_programs_run(name: &str) -> bool {
    LOADER_NAMES.contains(&name)
        || LOADER_PREFIXES.iter().any(|p| name.starts_with(p))
        || name.len() >= 6 && name.as_bytes()[name.len() - 6..].eq_ignore_ascii_case(b"_PROXY")
}

/// One secret a profile declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSecret {
    pub name: SecretName,
    pub required: bool,
    pub description: String,
    /// Where its value comes from, if not the secret `name` of the run's place.
    pub from: Option<SecretRef>,
}

/// A secret named by where it lives: `PROJECT/NAME` (the project level) or `PROJECT/ENV/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretRef {
    pub project: PlaceName,
    pub env: Option<PlaceName>,
    pub name: SecretName,
}

impl SecretRef {
    pub fn parse(text: &str) -> Result<SecretRef, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let (project, env, name) = match parts.as_slice() {
            [project, name] => (project, None, name),
            [project, env, name] => (project, Some(env), name),
            _ => return Err("write PROJECT/NAME (a project's level) or PROJECT/ENV/NAME".to_owned()),
        };
        let place = |text: &str| PlaceName::parse(text).map_err(|e| format!("{text:?}: {e}"));
        Ok(SecretRef {
            project: place(project)?,
            env: env.map(|e| place(e)).transpose()?,
            name: SecretName::parse(name).map_err(|e| e.to_string())?,
        })
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.env {
            Some(env) => write!(f, "{}/{}/{}", self.project, env, self.name),
            None => write!(f, "{}/{}", self.project, self.name),
        }
    }
}

/// A parsed profile: the place it names and the declared secrets, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub project: Option<PlaceName>,
    pub env: Option<PlaceName>,
    /// `None`: no `[secrets]` table (the file only names a place).
    pub secrets: Option<Vec<ProfileSecret>>,
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
    #[error("{name}: `{field}` is not a profile field (use `required`, `description` and `from`)")]
    UnknownField { name: String, field: String },
    #[error("{name}: `{field}` must be {expected}")]
    WrongType { name: String, field: &'static str, expected: &'static str },
    #[error("{name}: `from` = {text:?} is not a reference: {reason}")]
    BadReference { name: String, text: String, reason: String },
    #[error("`{key}` must be a project or environment name: {reason}")]
    BadPlace { key: &'static str, reason: String },
}

impl Profile {
    /// Only the `project` and `env` keys, for commands other than `run` (which reads the whole
    /// profile): the rest of the file — another tool's tables, a `[secrets]` mistake — does not
    /// stop them. Invalid TOML, or a `project`/`env` that is not a valid name, is an error.
    pub fn parse_place(text: &str) -> Result<Profile, ProfileError> {
        let doc = document(text)?;
        let mut profile = Profile::default();
        read_place(&doc, &mut profile)?;
        Ok(profile)
    }

    pub fn parse(text: &str) -> Result<Profile, ProfileError> {
        let doc = document(text)?;
        let mut profile = Profile::default();
        read_place(&doc, &mut profile)?;
        let secrets = match doc.get("secrets") {
            Some(Item::Table(t)) => t.clone(),
            Some(Item::Value(Value::InlineTable(t))) => t.clone().into_table(),
            None if profile.project.is_some() || profile.env.is_some() => return Ok(profile),
            _ => return Err(ProfileError::NoSecretsTable),
        };
        let mut declared = Vec::new();
        for (key, item) in secrets.iter() {
            let fields = match item {
                Item::Table(t) => t.clone(),
                Item::Value(Value::InlineTable(t)) => t.clone().into_table(),
                _ => return Err(ProfileError::NotATable { key: key.to_owned() }),
            };
            let name = SecretName::parse(key)
                .map_err(|e| ProfileError::InvalidName { key: key.to_owned(), reason: e.to_string() })?;
            let mut secret = ProfileSecret { name, required: true, description: String::new(), from: None };
            for (field, value) in fields.iter() {
                let wrong = |field, expected| ProfileError::WrongType { name: key.to_owned(), field, expected };
                match field {
                    "required" => {
                        secret.required = value.as_bool().ok_or_else(|| wrong("required", "true or false"))?
                    }
                    "description" => {
                        secret.description = value.as_str().ok_or_else(|| wrong("description", "text"))?.to_owned()
                    }
                    "from" => {
                        let text = value.as_str().ok_or_else(|| wrong("from", "text such as \"PROJECT/NAME\""))?;
                        let reference = SecretRef::parse(text).map_err(|reason| ProfileError::BadReference {
                            name: key.to_owned(),
                            text: text.to_owned(),
                            reason,
                        })?;
                        secret.from = Some(reference);
                    }
                    other => {
                        return Err(ProfileError::UnknownField { name: key.to_owned(), field: other.to_owned() });
                    }
                }
            }
            declared.push(secret);
        }
        profile.secrets = Some(declared);
        Ok(profile)
    }
}

fn document(text: &str) -> Result<Document<&str>, ProfileError> {
    Document::parse(text).map_err(|e| {
        let line = e.span().map_or(0, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        ProfileError::Toml { line, message: e.message().trim_end().to_owned() }
    })
}

/// The top-level `project` and `env` keys.
fn read_place(doc: &Document<&str>, profile: &mut Profile) -> Result<(), ProfileError> {
    for key in ["project", "env"] {
        let Some(item) = doc.get(key) else { continue };
        let text = item.as_str().ok_or(ProfileError::BadPlace { key, reason: "it must be text".into() })?;
        let name = PlaceName::parse(text).map_err(|e| ProfileError::BadPlace { key, reason: e.to_string() })?;
        if key == "project" {
            profile.project = Some(name);
        } else {
            profile.env = Some(name);
        }
    }
    Ok(())
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
        let got: Vec<(&str, bool, &str)> = profile
            .secrets
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| (s.name.as_str(), s.required, s.description.as_str()))
            .collect();
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
        assert!(matches!(err("[secrets]\nA = { from = \"a/b/c/D\" }\n"), ProfileError::BadReference { .. }));
        assert!(matches!(err("[secrets]\nA = { from = \"shop/not a name\" }\n"), ProfileError::BadReference { .. }));
        assert!(matches!(err("project = 3\n"), ProfileError::BadPlace { key: "project", .. }));
    }

    #[test]
    fn a_profile_names_its_place_and_where_values_come_from() {
        let only_place = Profile::parse("project = \"shop\"\nenv = \"production\"\n").unwrap();
        assert_eq!(only_place.project.unwrap().as_str(), "shop");
        assert_eq!(only_place.env.unwrap().as_str(), "production");
        assert_eq!(only_place.secrets, None, "valid without [secrets]");
        let profile = Profile::parse(
            "[secrets]\nDATABASE_URL = { from = \"Personal/PG_URL\" }\nDB = { from = \"shop/production/DB_URL\" }\n",
        )
        .unwrap();
        let from: Vec<String> = profile.secrets.unwrap().iter().map(|s| s.from.as_ref().unwrap().to_string()).collect();
        assert_eq!(from, ["Personal/PG_URL", "shop/production/DB_URL"]);
    }
}
