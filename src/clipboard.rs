//! The system clipboard behind a small trait, and the rule for clearing what we put there.
//!
//! A copied secret must not outlive its purpose: it is kept out of clipboard managers' history
//! where the platform allows it, and cleared after a delay, on lock and on quit — but only if the
//! clipboard still holds what Tresor put there, so a user's own later copy is never wiped.

#[cfg(any(test, feature = "test-support"))]
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::vault::Timestamp;
use crate::vault::crypto;

/// What the app needs from a clipboard. The real one is [`SystemClipboard`]; tests use
/// [`FakeClipboard`].
pub trait Clipboard {
    /// Places `text` on the clipboard, marked as a secret (excluded from history where possible).
    fn set_secret(&mut self, text: &str) -> Result<(), String>;
    /// The clipboard's current text, if it holds text.
    fn text(&mut self) -> Option<Zeroizing<String>>;
    /// Empties the clipboard.
    fn clear(&mut self);
}

/// The OS clipboard through `arboard`. One handle lives as long as the app: on X11 and Wayland
/// the process that set the clipboard serves it, and dropping the handle would empty it.
pub struct SystemClipboard {
    inner: Option<arboard::Clipboard>,
}

impl SystemClipboard {
    pub fn new() -> Self {
        SystemClipboard { inner: arboard::Clipboard::new().ok() }
    }
}

impl Default for SystemClipboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Clipboard for SystemClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), String> {
        let Some(clipboard) = self.inner.as_mut() else {
            return Err("No clipboard is available on this system.".into());
        };
        let set = clipboard.set();
        #[cfg(all(unix, not(target_os = "macos")))]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        #[cfg(windows)]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_history().exclude_from_cloud().exclude_from_monitoring()
        };
        set.text(text.to_owned()).map_err(|e| format!("Could not copy to the clipboard: {e}."))
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.inner.as_mut()?.get_text().ok().map(Zeroizing::new)
    }

    fn clear(&mut self) {
        if let Some(clipboard) = self.inner.as_mut() {
            let _ = clipboard.clear();
        }
    }
}

/// An in-memory clipboard for tests (the `test-support` feature, not part of the API). Clones share
/// one clipboard, so a test keeps a handle to look at what the app put there, or to "copy something
/// else" as a user would.
#[cfg(any(test, feature = "test-support"))]
#[derive(Clone, Default)]
pub struct FakeClipboard {
    state: Arc<Mutex<FakeState>>,
}

#[cfg(any(test, feature = "test-support"))]
#[derive(Default)]
struct FakeState {
    /// Wiped when replaced or cleared, as a secret that left the clipboard should be.
    text: Option<Zeroizing<String>>,
    marked_secret: bool,
}

#[cfg(any(test, feature = "test-support"))]
impl FakeClipboard {
    pub fn new() -> Self {
        Self::default()
    }
    /// What is on the fake clipboard now.
    pub fn contents(&self) -> Option<String> {
        self.state.lock().ok()?.text.as_ref().map(|t| t.to_string())
    }
    /// Whether the last text was placed with the "exclude from history" mark.
    pub fn marked_secret(&self) -> bool {
        self.state.lock().map(|s| s.marked_secret).unwrap_or(false)
    }
    /// Simulates the user copying something in another program.
    pub fn user_copies(&self, text: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.text = Some(Zeroizing::new(text.to_owned()));
            s.marked_secret = false;
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Clipboard for FakeClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), String> {
        let mut s = self.state.lock().map_err(|_| "clipboard poisoned".to_owned())?;
        s.text = Some(Zeroizing::new(text.to_owned()));
        s.marked_secret = true;
        Ok(())
    }
    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.state.lock().ok()?.text.clone()
    }
    fn clear(&mut self) {
        if let Ok(mut s) = self.state.lock() {
            s.text = None;
            s.marked_secret = false;
        }
    }
}

/// Remembers what we copied (as a keyed hash under a key of its own, never the value, nor a plain
/// hash that a memory dump could test guesses against) and until when, and clears the clipboard
/// when that time comes, if it still holds our copy. Forgetting the copy (cleared, replaced by
/// the user, or on lock) wipes its key.
pub struct ClipboardGuard {
    clipboard: Box<dyn Clipboard>,
    placed: Option<Placed>,
}

struct Placed {
    /// Random for each copy; wiped with it.
    key: Zeroizing<[u8; 32]>,
    digest: [u8; 32],
    clear_at: Option<Timestamp>,
    /// What the copy was, for the toast ("OPENAI_API_KEY copied").
    label: String,
}

impl ClipboardGuard {
    pub fn new(clipboard: Box<dyn Clipboard>) -> Self {
        ClipboardGuard { clipboard, placed: None }
    }

    /// Copies `text`; `clear_at` is when to clear it again (`None`: never).
    pub fn copy(&mut self, text: &str, label: String, clear_at: Option<Timestamp>) -> Result<(), String> {
        self.clipboard.set_secret(text)?;
        let key = Zeroizing::new(crypto::random_bytes());
        let digest = crypto::keyed_digest(&key, text.as_bytes());
        self.placed = Some(Placed { key, digest, clear_at, label });
        Ok(())
    }

    /// The pending clear: what was copied and when it will be cleared.
    pub fn pending(&self) -> Option<(&str, Option<Timestamp>)> {
        self.placed.as_ref().map(|p| (p.label.as_str(), p.clear_at))
    }

    /// Clears the clipboard if the deadline has passed. Returns whether anything happened (the
    /// copy was cleared, or found replaced by the user and forgotten).
    pub fn tick(&mut self, now: Timestamp) -> bool {
        match &self.placed {
            Some(p) if p.clear_at.is_some_and(|at| now >= at) => {
                self.clear_ours();
                true
            }
            _ => false,
        }
    }

    /// Clears the clipboard now if it still holds our copy (on lock and on quit).
    pub fn clear_ours(&mut self) {
        let Some(placed) = self.placed.take() else { return };
        let still_ours =
            self.clipboard.text().is_some_and(|t| crypto::keyed_digest(&placed.key, t.as_bytes()) == placed.digest);
        if still_ours {
            self.clipboard.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clears_only_our_copy_and_only_when_due() {
        let fake = FakeClipboard::new();
        let mut guard = ClipboardGuard::new(Box::new(fake.clone()));
        guard.copy("sk-1", "A".into(), Some(Timestamp(15_000))).unwrap();
        assert!(fake.marked_secret());
        assert!(!guard.tick(Timestamp(14_999)));
        assert_eq!(fake.contents().as_deref(), Some("sk-1"));
        assert!(guard.tick(Timestamp(15_000)));
        assert_eq!(fake.contents(), None);

        guard.copy("sk-2", "B".into(), Some(Timestamp(30_000))).unwrap();
        fake.user_copies("my own text");
        assert!(guard.tick(Timestamp(30_000)));
        assert_eq!(fake.contents().as_deref(), Some("my own text"));
    }
}
