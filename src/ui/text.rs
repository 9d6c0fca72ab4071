//! A text buffer for passphrases and secret values that never leaves a plaintext copy behind in
//! freed memory: it grows by copying into a fresh zeroizing allocation and wiping the old one,
//! and it is wiped when dropped. (A `String` grows by `realloc`, which abandons the old bytes.)

use egui::TextBuffer;
use egui::text::CharIndex;
use zeroize::{Zeroize, Zeroizing};

#[derive(Default)]
pub struct SecretText {
    buf: Zeroizing<String>,
}

impl SecretText {
    pub fn new() -> Self {
        SecretText { buf: Zeroizing::new(String::with_capacity(64)) }
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Whether the text starts or ends with whitespace (a space, a tab, a line break).
    pub fn has_surrounding_whitespace(&self) -> bool {
        self.buf.trim() != self.buf.as_str()
    }

    /// Removes whitespace at both ends, in place (nothing is copied out of the buffer).
    pub fn trim(&mut self) {
        let end = self.buf.trim_end().len();
        self.buf.truncate(end);
        let start = self.buf.len() - self.buf.trim_start().len();
        self.buf.drain(..start);
    }

    /// Wipes the text (and the whole allocation).
    pub fn wipe(&mut self) {
        self.buf.zeroize();
    }

    /// The text as a passphrase, wiping the field; `None` when it is empty.
    pub fn take_passphrase(&mut self) -> Option<crate::vault::Passphrase> {
        if self.is_empty() {
            return None;
        }
        let passphrase = crate::vault::Passphrase::new(self.as_str());
        self.wipe();
        Some(passphrase)
    }

    fn reserve(&mut self, extra: usize) {
        let needed = self.buf.len() + extra;
        if needed > self.buf.capacity() {
            let mut grown = Zeroizing::new(String::with_capacity(needed.max(self.buf.capacity() * 2).max(64)));
            grown.push_str(&self.buf);
            // The old allocation is zeroized as it drops.
            self.buf = grown;
        }
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText([redacted])")
    }
}

impl TextBuffer for SecretText {
    fn is_mutable(&self) -> bool {
        true
    }

    fn as_str(&self) -> &str {
        &self.buf
    }

    fn insert_text(&mut self, text: &str, char_index: CharIndex) -> usize {
        let at = self.byte_index_from_char_index(char_index).0;
        self.reserve(text.len());
        self.buf.insert_str(at, text);
        text.chars().count()
    }

    fn delete_char_range(&mut self, char_range: std::ops::Range<CharIndex>) {
        let start = self.byte_index_from_char_index(char_range.start).0;
        let end = self.byte_index_from_char_index(char_range.end).0;
        // `drain` shifts the tail down in place; the bytes left past the new end stay inside our
        // allocation and are wiped with it.
        self.buf.drain(start..end);
    }

    fn clear(&mut self) {
        self.buf.zeroize();
    }

    fn replace_with(&mut self, text: &str) {
        self.buf.zeroize();
        self.reserve(text.len());
        self.buf.push_str(text);
    }

    fn type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<Self>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_like_a_string() {
        let mut t = SecretText::new();
        t.insert_text("hello", CharIndex(0));
        t.insert_text(" wörld and more text to force growth past sixty-four bytes……", CharIndex(5));
        t.delete_char_range(CharIndex(0)..CharIndex(6));
        assert!(t.as_str().starts_with("wörld"));
        t.replace_with("x");
        assert_eq!(t.as_str(), "x");
        t.replace_with(" \tsk-1 2\r\n");
        assert!(t.has_surrounding_whitespace());
        t.trim();
        assert_eq!(t.as_str(), "sk-1 2");
        assert!(!t.has_surrounding_whitespace());
        assert_eq!(format!("{t:?}"), "SecretText([redacted])");
    }
}
