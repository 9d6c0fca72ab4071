//! A global allocator that wipes every block it frees.
//!
//! Tresor wipes the keys, passphrases and values it holds itself (`zeroize`). But text passes
//! through code it does not own — egui's input events, text layout and accessibility tree, the
//! clipboard library, serde — which frees its buffers without wiping them, and freed heap keeps
//! its contents until it is reused. With this allocator a freed block is zeroed before it goes
//! back to the system allocator, so once a copy is freed it is gone (as KeePassXC does with its
//! own `operator delete`). The `tresor` binary installs it; a block still in use is untouched.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// The allocator: the system's, plus a wipe on every free and on every move by `realloc`.
pub struct WipeOnFree;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns wiping on or off for the whole process (on by default). Only the memory tests turn it
/// off, to check that the vault core wipes its own copies without the allocator's help.
pub fn set_wiping(on: bool) {
    ENABLED.store(on, Ordering::SeqCst);
}

/// Zeroes `len` bytes at `ptr` in a way the compiler may not drop as a dead store.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: the caller guarantees `ptr..ptr+len` is writable.
    unsafe {
        libc::explicit_bzero(ptr.cast(), len)
    };
    #[cfg(not(target_os = "linux"))]
    {
        use zeroize::Zeroize;
        // SAFETY: the caller guarantees `ptr..ptr+len` is writable; it may be uninitialised,
        // hence `MaybeUninit`.
        unsafe { std::slice::from_raw_parts_mut(ptr.cast::<std::mem::MaybeUninit<u8>>(), len) }.zeroize();
    }
}

// SAFETY: every method forwards to `System` with the same layouts; `dealloc` and `realloc` only
// write to the block being freed, which the caller still owns until the call returns.
unsafe impl GlobalAlloc for WipeOnFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ENABLED.load(Ordering::Relaxed) {
            unsafe { wipe(ptr, layout.size()) };
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !ENABLED.load(Ordering::Relaxed) {
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // Never let the system move the block behind our back (it would free the old one
        // unwiped): allocate, copy, wipe and free here instead.
        // SAFETY: `GlobalAlloc::realloc` guarantees `new_size` with this alignment is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_allocated_moved_and_freed_intact() {
        let a = WipeOnFree;
        unsafe {
            let layout = Layout::from_size_align(64, 16).unwrap();
            let p = a.alloc(layout);
            assert!(!p.is_null() && (p as usize).is_multiple_of(16));
            for i in 0..64 {
                *p.add(i) = i as u8;
            }
            let q = a.realloc(p, layout, 4096);
            assert!(!q.is_null() && (q as usize).is_multiple_of(16));
            assert!((0..64).all(|i| *q.add(i) == i as u8), "realloc keeps the contents");
            let shrunk = a.realloc(q, Layout::from_size_align(4096, 16).unwrap(), 8);
            assert!((0..8).all(|i| *shrunk.add(i) == i as u8));
            a.dealloc(shrunk, Layout::from_size_align(8, 16).unwrap());
            let z = a.alloc_zeroed(layout);
            assert!((0..64).all(|i| *z.add(i) == 0));
            a.dealloc(z, layout);
        }
    }

    #[test]
    fn wipe_zeroes_exactly_the_block() {
        let mut buf = [7u8; 32];
        unsafe { wipe(buf.as_mut_ptr().add(8), 16) };
        assert_eq!(&buf[..8], &[7; 8]);
        assert_eq!(&buf[8..24], &[0; 16]);
        assert_eq!(&buf[24..], &[7; 8]);
    }
}
