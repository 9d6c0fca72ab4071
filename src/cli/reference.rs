//! `tresor completions SHELL` and `tresor man`: shell completions and the manual page, generated
//! from the same clap definitions that parse the command line, so they cannot drift from it.
//! Neither opens the vault nor asks for a passphrase.

use clap::{CommandFactory, ValueEnum};

use super::{Cli, CliError, CliResult, Output};

/// The shells `tresor completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> clap_complete::Shell {
        match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}

/// The binary's name as the shells and `man` know it.
const BIN: &str = "tresor";

pub(super) fn completions(out: &mut Output, shell: Shell) -> CliResult {
    let mut script = Vec::new();
    clap_complete::generate(clap_complete::Shell::from(shell), &mut Cli::command(), BIN, &mut script);
    out.bytes(&script)
}

/// The page `tresor(1)`, or with `command` the page `tresor-COMMAND(1)` that the first one's
/// SUBCOMMANDS section refers to.
pub(super) fn man(out: &mut Output, command: Option<&str>) -> CliResult {
    let page_of = match command {
        None => Cli::command().name(BIN),
        Some(name) => {
            let cli = Cli::command();
            let sub = cli.find_subcommand(name).ok_or_else(|| {
                CliError::usage(format!("there is no command `{name}`; see `{BIN} --help` for the list"))
            })?;
            sub.clone().name(format!("{BIN}-{}", sub.get_name()))
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(page_of)
        .render(&mut page)
        .map_err(|e| CliError::other(format!("cannot render the manual page: {e}")))?;
    out.bytes(&page)
}
