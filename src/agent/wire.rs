//! Frames: a 4-byte big-endian length, then that many bytes of JSON (see the module above). A
//! frame longer than the reader's limit is refused before anything of it is read.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the connection closed")]
    Closed,
    #[error("a message of {0} bytes is longer than allowed")]
    TooLong(usize),
    #[error("a malformed message: {0}")]
    Malformed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads one frame of at most `max` bytes and decodes it.
pub fn read_frame<T: DeserializeOwned>(reader: &mut impl Read, max: usize) -> Result<T, FrameError> {
    let mut length = [0u8; 4];
    match reader.read_exact(&mut length) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        other => other?,
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > max {
        return Err(FrameError::TooLong(length));
    }
    let mut body = zeroize::Zeroizing::new(vec![0u8; length]);
    reader.read_exact(&mut body)?;
    decode(&body)
}

/// Decodes a frame's body.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(body).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Encodes `message` and writes it as one frame.
pub fn write_frame(writer: &mut impl Write, message: &impl Serialize) -> Result<(), FrameError> {
    let body = zeroize::Zeroizing::new(serde_json::to_vec(message).map_err(|e| FrameError::Malformed(e.to_string()))?);
    let length = u32::try_from(body.len()).map_err(|_| FrameError::TooLong(body.len()))?;
    let mut frame = zeroize::Zeroizing::new(Vec::with_capacity(4 + body.len()));
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(&body);
    writer.write_all(&frame)?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_a_long_one_is_refused_unread() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &vec!["a".to_owned(), "b".to_owned()]).unwrap();
        let back: Vec<String> = read_frame(&mut buf.as_slice(), 100).unwrap();
        assert_eq!(back, ["a", "b"]);
        // A length that promises 4 GiB: refused from the length alone.
        let huge = [0xFFu8, 0xFF, 0xFF, 0xFF];
        assert!(matches!(read_frame::<String>(&mut huge.as_slice(), 100), Err(FrameError::TooLong(_))));
        assert!(matches!(read_frame::<String>(&mut [].as_slice(), 100), Err(FrameError::Closed)));
        let bad = [0, 0, 0, 3, b'{', b'{', b'{'];
        assert!(matches!(read_frame::<String>(&mut bad.as_slice(), 100), Err(FrameError::Malformed(_))));
    }
}
