//! The app's side: a socket for the vault file the app has open, a thread that accepts
//! connections, and one short thread per connection. Requests are answered from the server's own
//! handle of the vault (a second connection with the same keys, given at unlock and dropped at
//! lock), so an approved request never waits for the window to draw a frame. What needs the
//! user — an approval, an unlock — goes to the app as a [`Pending`], and its answer comes back.

use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::approvals::{Approvals, Grant, Reach};
use super::caller::{self, Caller, CallerKey};
use super::wire::{read_frame, write_frame};
use super::{
    APPROVAL_TIMEOUT, FileRef, Hello, LOCKED_WAIT, MAX_REQUEST, Question, READ_TIMEOUT, Reply, Status, VERSION,
};
use crate::vault::ops::{Failure, Request};
use crate::vault::{Clock, Place, Timestamp, Vault};

/// The user's answer to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Deny,
    /// This request only.
    Once,
    /// This request, and what it reaches from the same terminal (or tool) until the approval
    /// ends (see `approvals.rs`).
    Standing,
}

/// A request waiting for the user: for an approval, or (`for_unlock`) for the app to be unlocked.
pub struct Pending {
    pub caller: Caller,
    /// What it reaches (empty while the app is locked: it is not known yet).
    pub reach: Vec<Reach>,
    pub for_unlock: bool,
    pub arrived: Timestamp,
    answer: Option<Sender<Decision>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("caller", &self.caller).field("reach", &self.reach).finish()
    }
}

impl Pending {
    /// Answers it (a pending wait for an unlock needs no answer: the unlock is the answer).
    pub fn answer(mut self, decision: Decision) {
        if let Some(tx) = self.answer.take() {
            let _ = tx.send(decision);
        }
    }
}

struct State {
    /// The server's own handle of the vault while the app is unlocked.
    vault: Option<Vault>,
    approvals: Approvals,
    /// Counts locks: an approval asked for before a lock is void after it.
    locks: u64,
}

struct Shared {
    state: Mutex<State>,
    unlocked: Condvar,
    clock: Arc<dyn Clock>,
    file: FileRef,
    to_app: Mutex<Sender<Pending>>,
    /// Wakes the app's window (a repaint, and the window's request for attention).
    wake: Box<dyn Fn() + Send + Sync>,
    /// How long a request waits for a locked app ([`LOCKED_WAIT`]; tests shorten it).
    locked_wait: Mutex<Duration>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The app's server for one vault file: stops (and removes its socket) when dropped.
pub struct Server {
    shared: Arc<Shared>,
    socket: PathBuf,
    /// Behind a lock so that the server can be shared between threads (the app's tests answer
    /// from another thread).
    from_connections: Mutex<Receiver<Pending>>,
    /// Dropping it stops the accepting thread.
    stop: Option<crate::wait::Stopper>,
}

impl Server {
    /// Starts serving the vault file at `vault` (locked until [`Server::unlock`]). `Err` says, in
    /// words, why the app does not serve (no safe `XDG_RUNTIME_DIR`, another app serves it, …).
    pub fn start(vault: &Path, clock: Arc<dyn Clock>, wake: Box<dyn Fn() + Send + Sync>) -> Result<Server, String> {
        Self::start_in(&super::runtime_folder()?, vault, clock, wake)
    }

    /// [`Server::start`] with the sockets' folder given (tests: a folder of their own).
    pub fn start_in(
        folder: &Path,
        vault: &Path,
        clock: Arc<dyn Clock>,
        wake: Box<dyn Fn() + Send + Sync>,
    ) -> Result<Server, String> {
        let folder = folder.to_owned();
        if std::fs::symlink_metadata(&folder).is_err() {
            let mut builder = std::fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(&folder)
                .map_err(|e| format!("cannot create {}: {}", folder.display(), crate::fs::io_reason(&e)))?;
        }
        super::check_folder(&folder)?;
        let socket = super::socket_path(&folder, vault).map_err(|e| format!("cannot find the vault file: {e}"))?;
        let (device, inode) = super::file_identity(vault).map_err(|e| e.to_string())?;
        if std::fs::symlink_metadata(&socket).is_ok() {
            // Another app serving this vault answers; a socket nobody answers is a leftover.
            if UnixStream::connect(&socket).is_ok() {
                return Err("another Tresor window serves this vault already".to_owned());
            }
            std::fs::remove_file(&socket).map_err(|e| format!("cannot remove the old {}: {e}", socket.display()))?;
        }
        let listener =
            UnixListener::bind(&socket).map_err(|e| format!("cannot listen at {}: {e}", socket.display()))?;
        let (waiter, stopper) = crate::wait::pair().map_err(|e| format!("cannot start the server's thread: {e}"))?;
        let (to_app, from_connections) = channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State { vault: None, approvals: Approvals::default(), locks: 0 }),
            unlocked: Condvar::new(),
            clock,
            file: FileRef { device, inode },
            to_app: Mutex::new(to_app),
            wake,
            locked_wait: Mutex::new(LOCKED_WAIT),
        });
        let accepting = shared.clone();
        std::thread::Builder::new()
            .name("vault-server".into())
            .spawn(move || accept_loop(&listener, &waiter, &accepting))
            .map_err(|e| format!("cannot start the server's thread: {e}"))?;
        Ok(Server { shared, socket, from_connections: Mutex::new(from_connections), stop: Some(stopper) })
    }

    /// The app unlocked the vault: `vault` is the server's own handle of it (see
    /// [`Vault::second_handle`]). The process is not dumpable while it holds it.
    pub fn unlock(&self, vault: Vault) {
        set_dumpable(false);
        self.shared.state().vault = Some(vault);
        self.shared.unlocked.notify_all();
    }

    /// The app locked: the handle and its keys go, every approval ends, and a request waiting for
    /// the user is denied.
    pub fn lock(&self) {
        let mut state = self.shared.state();
        state.vault = None;
        state.approvals.clear();
        state.locks += 1;
        drop(state);
        // Requests waiting for the app: their answers can no longer come.
        while self.arrived().try_recv().is_ok() {}
        set_dumpable(true);
    }

    /// The requests that arrived since the last call.
    pub fn pending(&self) -> Vec<Pending> {
        self.arrived().try_iter().collect()
    }

    fn arrived(&self) -> MutexGuard<'_, Receiver<Pending>> {
        self.from_connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The standing approvals, for Vault settings.
    pub fn approvals(&self) -> Vec<(CallerKey, Grant)> {
        let now = self.shared.clock.now();
        self.shared.state().approvals.list(now)
    }

    pub fn revoke(&self, key: CallerKey) {
        self.shared.state().approvals.revoke(key);
    }

    /// How long a request waits for a locked app to be unlocked (tests only shorten it).
    pub fn set_locked_wait(&self, wait: Duration) {
        *self.shared.locked_wait.lock().unwrap_or_else(|p| p.into_inner()) = wait;
    }

    /// The file it serves.
    pub fn file(&self) -> FileRef {
        self.shared.file
    }

    /// Where it listens.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        let _ = std::fs::remove_file(&self.socket);
        self.lock();
    }
}

/// Whether the process may be dumped (and traced by another process of the user). Not while it
/// holds a served vault's keys.
fn set_dumpable(dumpable: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_DUMPABLE) takes a plain integer and changes only this flag.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, libc::c_ulong::from(dumpable), 0, 0, 0);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dumpable;
}

fn accept_loop(listener: &UnixListener, waiter: &crate::wait::Waiter, shared: &Arc<Shared>) {
    // Until the server is dropped.
    while waiter.readable(listener) {
        let Ok((stream, _)) = listener.accept() else { continue };
        let shared = shared.clone();
        let _ = std::thread::Builder::new().name("vault-request".into()).spawn(move || serve(stream, &shared));
    }
}

/// The uid and pid of the process at the other end of `stream`.
pub(crate) fn peer(stream: &UnixStream) -> Option<(u32, u32)> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt(SO_PEERCRED) fills a ucred of the given length on a valid socket.
    let ok = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (ok == 0).then_some((cred.uid, cred.pid as u32))
}

fn serve(mut stream: UnixStream, shared: &Shared) {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let Some((uid, pid)) = peer(&stream) else { return };
    if uid != me {
        return;
    }
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let Ok(hello) = read_frame::<Hello>(&mut stream, MAX_REQUEST) else { return };
    let reply = |stream: &mut UnixStream, reply: Reply| {
        let _ = write_frame(stream, &reply);
    };
    if hello.version != VERSION {
        return reply(
            &mut stream,
            Reply::Unavailable { why: format!("the app speaks version {VERSION}"), locked: false },
        );
    }
    if hello.file != shared.file {
        return reply(&mut stream, Reply::Unavailable { why: "the app has another file open".into(), locked: false });
    }
    let Some(caller) = caller::of_pid(pid) else { return };
    let request = match hello.question {
        Question::Status => {
            let now = shared.clock.now();
            let mut state = shared.state();
            let locked = state.vault.is_none();
            let approvals = state
                .approvals
                .of(caller.key, now)
                .map(|g| g.reach.iter().map(Reach::describe).collect())
                .unwrap_or_default();
            drop(state);
            return reply(&mut stream, Reply::Status(Status { locked, approvals }));
        }
        Question::Request(request) if !request.servable() => {
            return reply(
                &mut stream,
                Reply::Unavailable { why: "writes unlock the vault themselves".into(), locked: false },
            );
        }
        Question::Request(request) => request,
    };
    let final_reply = answer(&mut stream, shared, caller, request);
    reply(&mut stream, final_reply);
}

/// The final reply to a request: waits for an unlock and for the user's approval as needed.
fn answer(stream: &mut UnixStream, shared: &Shared, caller: Caller, request: Request) -> Reply {
    let mut state = shared.state();
    if state.vault.is_none() {
        let _ = write_frame(stream, &Reply::Waiting { for_unlock: true });
        let waiting = Pending {
            caller: caller.clone(),
            reach: Vec::new(),
            for_unlock: true,
            arrived: shared.clock.now(),
            answer: None,
        };
        let _ = shared.to_app.lock().unwrap_or_else(|p| p.into_inner()).send(waiting);
        (shared.wake)();
        let wait = *shared.locked_wait.lock().unwrap_or_else(|p| p.into_inner());
        let (after, _) =
            shared.unlocked.wait_timeout_while(state, wait, |s| s.vault.is_none()).unwrap_or_else(|p| p.into_inner());
        state = after;
        if state.vault.is_none() {
            return Reply::Unavailable { why: "the Tresor app stayed locked".into(), locked: true };
        }
    }
    let vault = state.vault.as_ref().expect("unlocked");
    if !vault.is_current() {
        // Restored or re-keyed by another process since: the app must unlock it again.
        return Reply::Unavailable { why: "the vault file changed under the app".into(), locked: false };
    }
    let reach = match reach_of(vault, &request) {
        Ok(reach) => reach,
        Err(failure) => return Reply::Done(Err(failure)),
    };
    let now = shared.clock.now();
    if !state.approvals.covers(caller.key, &reach, now) {
        let locks = state.locks;
        drop(state);
        let _ = write_frame(stream, &Reply::Waiting { for_unlock: false });
        let (tx, rx) = channel();
        let (key, who) = (caller.key, caller.holder());
        let pending = Pending { caller, reach: reach.clone(), for_unlock: false, arrived: now, answer: Some(tx) };
        let _ = shared.to_app.lock().unwrap_or_else(|p| p.into_inner()).send(pending);
        (shared.wake)();
        let decision = match rx.recv_timeout(APPROVAL_TIMEOUT + Duration::from_secs(1)) {
            Ok(decision) => decision,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Decision::Deny,
        };
        state = shared.state();
        // Locked meanwhile: no approval outlives a lock.
        if decision == Decision::Deny || state.locks != locks || state.vault.is_none() {
            return Reply::Denied;
        }
        if decision == Decision::Standing {
            state.approvals.grant(key, who, reach, shared.clock.now());
        }
    }
    let vault = state.vault.as_mut().expect("unlocked");
    Reply::Done(vault.execute(request))
}

/// What `request` reaches, by the names the user sees.
pub fn reach_of(vault: &Vault, request: &Request) -> Result<Vec<Reach>, Failure> {
    let label = |place: &Place| -> Result<String, Failure> { Ok(vault.place_label(place)?.to_string()) };
    Ok(match request {
        Request::List { at } => vec![Reach::NamesOf { place: label(&vault.place_at(at)?)? }],
        Request::Get { at, name, .. } => vec![Reach::One { place: label(&vault.place_at(at)?)?, name: name.clone() }],
        Request::Resolve { at, wanted: None } => vec![Reach::AllOf { place: label(&vault.place_at(at)?)? }],
        Request::Resolve { at, wanted: Some(wanted) } => {
            let here = label(&vault.place_at(at)?)?;
            let mut out = Vec::with_capacity(wanted.len());
            for one in wanted {
                let place = match &one.from {
                    None => here.clone(),
                    // A source that does not exist reaches nothing; the request says so itself.
                    Some(from) => vault.place_at(from).map_or_else(
                        |_| format!("{from:?}"),
                        |p| vault.place_label(&p).map(|l| l.to_string()).unwrap_or_default(),
                    ),
                };
                out.push(Reach::One { place, name: one.name.clone() });
            }
            out
        }
        Request::Diff { project, envs } => {
            let project = vault.place(project.as_deref(), None)?;
            vec![Reach::Compare { project: label(&project)?, envs: envs.clone() }]
        }
        Request::Set { .. } => Vec::new(),
    })
}
