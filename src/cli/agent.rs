//! The command line through the open app ("unlock once"): `get`, `list`, `run`, `diff` and `inject` ask the
//! app that serves the vault file first, and unlock the vault themselves only where no app
//! answers. `--passphrase-file` (or `TRESOR_PASSPHRASE_FILE`) and `TRESOR_NO_APP=1` skip the app.
//! And `tresor status`.

use std::io::IsTerminal;

use super::output::shown_path;
use super::places::variable;
use super::{CliError, CliResult, Context, Output, exit};
use crate::agent::{Question, Reply};
use crate::vault::ops::{Request, Response};

/// What asking the app gave: an answer, or go on without it.
pub(super) enum ThroughApp {
    Answered(CliResult<Response>),
    /// No app, or one that does not answer this: unlock the vault here.
    Unlock,
}

impl Context {
    /// Whether this command may ask the app at all.
    fn may_ask_app(&self) -> bool {
        self.passphrase_file.is_none() && !self.salvage && variable("TRESOR_NO_APP").is_none_or(|v| v != "1")
    }

    /// Asks the app that serves this vault to run `request` (a read), if one does and this
    /// command may ask it.
    pub(super) fn through_app(&self, request: &Request) -> ThroughApp {
        if !request.servable() || !self.may_ask_app() || !self.path.exists() {
            return ThroughApp::Unlock;
        }
        #[cfg(unix)]
        {
            let mut said = false;
            let asked = crate::agent::client::ask(&self.path, Question::Request(request.clone()), |for_unlock| {
                if !said {
                    said = true;
                    if for_unlock {
                        eprintln!(
                            "The Tresor app is locked: unlock it there to answer this, or wait to be asked here…"
                        );
                    } else {
                        eprintln!("Waiting for the Tresor app: approve or deny the request there…");
                    }
                }
            });
            match asked {
                crate::agent::client::Asked::NoApp { .. } => ThroughApp::Unlock,
                crate::agent::client::Asked::Replied(reply) => match reply {
                    Reply::Done(result) => ThroughApp::Answered(result.map_err(CliError::from)),
                    Reply::Denied => ThroughApp::Answered(Err(denied("Denied in the Tresor app"))),
                    Reply::Unavailable { locked: true, .. } if !std::io::stdin().is_terminal() => {
                        ThroughApp::Answered(Err(denied(
                            "the Tresor app stayed locked, and there is no terminal to ask for the passphrase on",
                        )))
                    }
                    Reply::Unavailable { .. } | Reply::Waiting { .. } | Reply::Status(_) => ThroughApp::Unlock,
                },
            }
        }
        #[cfg(not(unix))]
        ThroughApp::Unlock
    }
}

fn denied(message: &str) -> CliError {
    CliError { code: exit::DENIED, message: message.to_owned() }
}

/// `tresor status`: whether an app serves this vault, whether it is locked, and what this
/// terminal (or tool) may reach through it.
pub(super) fn status(ctx: &Context, out: &mut Output) -> CliResult {
    let shown = shown_path(&ctx.path);
    if !ctx.path.exists() {
        return Err(crate::vault::Error::NoVault { path: ctx.path.clone() }.into());
    }
    #[cfg(unix)]
    match crate::agent::client::ask(&ctx.path, Question::Status, |_| {}) {
        crate::agent::client::Asked::NoApp { why } => {
            writeln!(out, "No Tresor app serves {shown} ({why}): commands unlock it themselves.")?;
        }
        crate::agent::client::Asked::Replied(Reply::Status(status)) => {
            let state = if status.locked { "locked" } else { "unlocked" };
            writeln!(out, "The Tresor app serves {shown}; it is {state}.")?;
            if status.approvals.is_empty() {
                writeln!(out, "This terminal has no approval: the app asks before it answers.")?;
            } else {
                writeln!(out, "This terminal may reach, without asking again: {}.", status.approvals.join("; "))?;
            }
        }
        crate::agent::client::Asked::Replied(_) => writeln!(out, "The app that serves {shown} did not say.")?,
    }
    #[cfg(not(unix))]
    writeln!(out, "No Tresor app serves {shown}: this system has no Unix sockets.")?;
    Ok(())
}
