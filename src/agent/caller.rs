//! Who is asking: read from `/proc/<pid>` for the pid the kernel reported for the connection
//! (`SO_PEERCRED`), never from what the caller says. What the approval dialog shows — the program
//! and its parent chain, its folder, its terminal — and what an approval is keyed on:
//!
//! - a caller with a controlling terminal: that terminal's session leader (its pid and start
//!   time), so one approval covers one terminal window (a new tab or window asks again);
//! - a caller without one (an IDE, an AI coding assistant's tool runner): its nearest ancestor
//!   whose parent is pid 1 or the user's service manager, so one approval covers that tool's
//!   session rather than every call it makes.
//!
//! A pid and its start time name a process for good: a pid reused by another process later has
//! another start time.

use std::path::PathBuf;

/// A process, for good: its pid and its start time (clock ticks after boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessKey {
    pub pid: u32,
    pub start: u64,
}

/// What an approval is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallerKey {
    /// The session leader of the caller's controlling terminal.
    Terminal(ProcessKey),
    /// The top process of the tool that runs the caller (no terminal).
    Tool(ProcessKey),
}

/// Who asks, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub pid: u32,
    /// The programs above the asking `tresor`, nearest first: `["npm", "bash", "tmux"]`.
    pub chain: Vec<String>,
    /// The asking process's working folder.
    pub folder: Option<PathBuf>,
    /// Its controlling terminal (`/dev/pts/3`), if any.
    pub terminal: Option<String>,
    pub key: CallerKey,
    /// The program of the process the key names: the terminal's session leader (a shell), or
    /// the tool's top process.
    pub holder_program: String,
}

impl Caller {
    /// What an approval of it is held by, in words: `terminal /dev/pts/3 (bash)`, or
    /// `code (no terminal)`.
    pub fn holder(&self) -> String {
        match (&self.terminal, self.key) {
            (Some(terminal), CallerKey::Terminal(_)) => format!("terminal {terminal} ({})", self.holder_program),
            _ => format!("{} (no terminal)", self.holder_program),
        }
    }

    /// `npm ← bash ← tmux`.
    pub fn chain_text(&self) -> String {
        if self.chain.is_empty() { "(unknown)".to_owned() } else { self.chain.join(" ← ") }
    }
}

/// The fields of `/proc/<pid>/stat` this needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stat {
    pub comm: String,
    pub ppid: u32,
    pub session: u32,
    pub tty: u32,
    pub start: u64,
}

/// Parses `/proc/<pid>/stat`: `pid (comm) state ppid pgrp session tty_nr … starttime …`, where
/// `comm` may hold spaces and parentheses (it ends at the last `)`).
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // After the name: state(0) ppid(1) pgrp(2) session(3) tty_nr(4) … starttime(19).
    Some(Stat {
        comm,
        ppid: rest.get(1)?.parse().ok()?,
        session: rest.get(3)?.parse().ok()?,
        tty: rest.get(4)?.parse::<i64>().ok()? as u32,
        start: rest.get(19)?.parse().ok()?,
    })
}

/// The terminal device a `tty_nr` names: `/dev/pts/N` for a pseudo-terminal, else `tty M:N`.
pub(crate) fn terminal_name(tty: u32) -> String {
    let major = (tty >> 8) & 0xfff;
    let minor = (tty & 0xff) | ((tty >> 12) & 0xfff00);
    match major {
        136..=143 => format!("/dev/pts/{}", (major - 136) * 256 + minor),
        4 => format!("/dev/tty{minor}"),
        _ => format!("tty {major}:{minor}"),
    }
}

#[cfg(target_os = "linux")]
fn stat_of(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

#[cfg(not(target_os = "linux"))]
fn stat_of(_: u32) -> Option<Stat> {
    None
}

/// The user's service manager (`systemd --user`), whose children are the session's programs.
fn is_service_manager(stat: &Stat) -> bool {
    stat.comm == "systemd"
}

/// Who the process `pid` is, read from `/proc`; `None` if it is gone.
pub fn of_pid(pid: u32) -> Option<Caller> {
    let me = stat_of(pid)?;
    let mut chain = Vec::new();
    let mut current = me.ppid;
    while current > 1 && chain.len() < 8 {
        let Some(stat) = stat_of(current) else { break };
        chain.push(stat.comm.clone());
        current = stat.ppid;
    }
    let folder = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    let (key, holder_program) = if me.tty != 0 {
        let leader = stat_of(me.session);
        let start = leader.as_ref().map_or(0, |s| s.start);
        let program = leader.map_or_else(|| "a shell".to_owned(), |s| s.comm);
        (CallerKey::Terminal(ProcessKey { pid: me.session, start }), program)
    } else {
        // Up to the process whose parent is pid 1 (or the service manager, or gone).
        let (mut pid_here, mut here) = (pid, me.clone());
        for _ in 0..64 {
            if here.ppid <= 1 {
                break;
            }
            let Some(parent) = stat_of(here.ppid) else { break };
            if is_service_manager(&parent) {
                break;
            }
            pid_here = here.ppid;
            here = parent;
        }
        (CallerKey::Tool(ProcessKey { pid: pid_here, start: here.start }), here.comm)
    };
    let terminal = (me.tty != 0).then(|| terminal_name(me.tty));
    Some(Caller { pid, chain, folder, terminal, key, holder_program })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_even_with_parentheses_in_the_name() {
        let line = "4242 (my (odd) prog) S 17 4242 4200 34817 4242 4194304 0 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.comm, "my (odd) prog");
        assert_eq!((stat.ppid, stat.session, stat.tty, stat.start), (17, 4200, 34817, 987654));
        assert_eq!(terminal_name(34817), "/dev/pts/1");
        assert!(parse_stat("garbage").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_found_with_its_parents() {
        let me = of_pid(std::process::id()).unwrap();
        assert!(!me.chain.is_empty(), "the test runner has parents");
        assert!(me.folder.is_some());
    }
}
