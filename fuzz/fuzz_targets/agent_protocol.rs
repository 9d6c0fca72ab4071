#![no_main]
//! The "unlock once" protocol from arbitrary bytes (`src/agent/mod.rs` specifies it): whatever a
//! process of the user's writes to the app's socket, or a server writes back to the command line,
//! reading it gives a typed error or a message, never a panic, a hang or an allocation beyond
//! the frame limit; and a message that decodes encodes to a frame that decodes to the same
//! message.

use libfuzzer_sys::fuzz_target;
use tresor::agent::wire::{read_frame, write_frame};
use tresor::agent::{Hello, MAX_REQUEST, Reply};

fuzz_target!(|data: &[u8]| {
    // The app's side: a client's hello (the limit is the one the server reads with).
    if let Ok(hello) = read_frame::<Hello>(&mut &data[..], MAX_REQUEST) {
        if let tresor::agent::Question::Request(request) = &hello.question {
            let _ = request.servable();
        }
        let mut again = Vec::new();
        write_frame(&mut again, &hello).expect("a decoded hello encodes");
        let back: Hello = read_frame(&mut again.as_slice(), MAX_REQUEST).expect("and decodes again");
        assert_eq!(back, hello);
    }
    // The command line's side: the app's replies (a small limit here: the target checks the
    // decoding, not how much memory a legitimate large reply takes).
    if let Ok(reply) = read_frame::<Reply>(&mut &data[..], 1 << 20) {
        let mut again = Vec::new();
        write_frame(&mut again, &reply).expect("a decoded reply encodes");
        let back: Reply = read_frame(&mut again.as_slice(), 1 << 21).expect("and decodes again");
        assert_eq!(back, reply);
    }
});
