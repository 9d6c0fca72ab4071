//! The streaming masker behind `tresor run --mask`: bytes in, the same bytes out with every
//! secret value replaced by `<NAME>`. No I/O here: the process plumbing lives in
//! `cli/mask_run.rs`.
//!
//! The rule, in the order it is applied at each position of the stream:
//! 1. if the bytes from here could still be the start of a value longer than what has arrived,
//!    hold them back (at most the longest value's length minus one byte) until more arrives;
//! 2. else, if values match here, replace the longest of them;
//! 3. else, pass the byte on.
//!
//! So the output is exactly what a whole-buffer replacement (longest match first, left to right)
//! would give, however the input is split into chunks, and a byte is held back only as long as it
//! could still belong to a value. Values shorter than [`SHORTEST_MASKED`] are left out: masking
//! `a` or `42` would wreck the output and hide nothing. Everything held (the values, the bytes
//! not yet passed on) is wiped when the masker is dropped.

use zeroize::Zeroizing;

/// Values shorter than this many bytes are not masked (`Masker::new` names them).
pub const SHORTEST_MASKED: usize = 4;

/// One value and what it becomes.
#[derive(Clone)]
struct Masked {
    value: Zeroizing<Vec<u8>>,
    replacement: Vec<u8>,
}

/// A stream's masker; one per stream (stdout and stderr each have their own clone).
#[derive(Clone)]
pub struct Masker {
    /// Longest first, so the first full match at a position is the longest.
    values: Vec<Masked>,
    /// For each first byte, the values that start with it, longest first: most positions are
    /// passed over at once, and the rest compare against a few values, not all of them.
    by_first: Vec<Vec<usize>>,
    /// Input not yet decided: it could still be the start of a value.
    held: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Masker([redacted])")
    }
}

impl Masker {
    /// A masker for `(name, value)` pairs, and the names of the values too short to mask (in the
    /// order given). Of two names with the same value, the first names it.
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> (Masker, Vec<String>) {
        let mut values: Vec<Masked> = Vec::new();
        let mut too_short = Vec::new();
        for (name, value) in secrets {
            if value.len() < SHORTEST_MASKED {
                too_short.push(name.to_owned());
            } else if !values.iter().any(|m| m.value.as_slice() == value) {
                values.push(Masked {
                    value: Zeroizing::new(value.to_vec()),
                    replacement: format!("<{name}>").into_bytes(),
                });
            }
        }
        // Stable: equal lengths keep the order given.
        values.sort_by_key(|m| std::cmp::Reverse(m.value.len()));
        let mut by_first = vec![Vec::new(); 256];
        for (index, m) in values.iter().enumerate() {
            by_first[m.value[0] as usize].push(index);
        }
        (Masker { values, by_first, held: Zeroizing::new(Vec::new()) }, too_short)
    }

    /// The longest value's length minus one: the most a masker ever holds back.
    pub fn most_held(&self) -> usize {
        self.values.first().map_or(0, |m| m.value.len() - 1)
    }

    /// How many bytes are held back now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Takes the next chunk of the stream; appends to `out` what can be decided now.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.held.extend_from_slice(input);
        let decided = self.scan(out, false);
        self.held.drain(..decided);
    }

    /// The stream has ended: appends everything still held, masked.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let decided = self.scan(out, true);
        debug_assert_eq!(decided, self.held.len());
        self.held.clear();
    }

    /// Writes out the decided part of `held`; returns its length.
    fn scan(&self, out: &mut Vec<u8>, ended: bool) -> usize {
        let held = self.held.as_slice();
        let mut at = 0;
        let mut passed_from = 0; // bytes held[passed_from..at] are passed on as they are
        while at < held.len() {
            let candidates = &self.by_first[held[at] as usize];
            if candidates.is_empty() {
                at += 1;
                continue;
            }
            let rest = &held[at..];
            let mut candidates = candidates.iter().map(|&i| &self.values[i]);
            let near_end = rest.len() <= self.most_held();
            if !ended && near_end && candidates.clone().any(|m| m.value.len() > rest.len() && m.value.starts_with(rest))
            {
                break;
            }
            // The second byte first: cheaper than a full comparison, and it rules out most.
            match candidates.find(|m| rest.get(1) == Some(&m.value[1]) && rest.starts_with(&m.value)) {
                Some(m) => {
                    out.extend_from_slice(&held[passed_from..at]);
                    out.extend_from_slice(&m.replacement);
                    at += m.value.len();
                    passed_from = at;
                }
                None => at += 1,
            }
        }
        out.extend_from_slice(&held[passed_from..at]);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker(secrets: &[(&str, &str)]) -> Masker {
        Masker::new(secrets.iter().map(|(n, v)| (*n, v.as_bytes()))).0
    }

    fn in_chunks(m: &mut Masker, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in chunks {
            m.feed(chunk, &mut out);
        }
        m.finish(&mut out);
        out
    }

    /// Whole-buffer replacement: at each position the longest value that matches, else the byte.
    fn oracle(secrets: &[(&str, &str)], input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let best = secrets
                .iter()
                .filter(|(_, v)| v.len() >= SHORTEST_MASKED && input[at..].starts_with(v.as_bytes()))
                .max_by_key(|(_, v)| v.len());
            match best {
                Some((name, value)) => {
                    let first = secrets.iter().find(|(_, v)| v == value).map_or(*name, |(n, _)| *n);
                    out.extend_from_slice(format!("<{first}>").as_bytes());
                    at += value.len();
                }
                None => {
                    out.push(input[at]);
                    at += 1;
                }
            }
        }
        out
    }

    #[test]
    fn mask_replaces_a_value_split_across_chunks() {
        let mut m = masker(&[("KEY", "sk-part-xyz")]);
        assert_eq!(in_chunks(&mut m, &[b"token=sk-pa", b"rt-xyz done\n"]), b"token=<KEY> done\n");
    }

    #[test]
    fn mask_holds_back_only_what_could_still_be_a_value() {
        let mut m = masker(&[("KEY", "secret-value")]);
        let mut out = Vec::new();
        m.feed(b"hello\nsec", &mut out);
        assert_eq!(out, b"hello\n", "the line without any start of a value is out at once");
        assert_eq!(m.held(), 3);
        m.feed(b"ond", &mut out);
        assert_eq!(out, b"hello\nsecond", "flushed as soon as it cannot be the value");
        assert_eq!(m.held(), 0);
        m.feed(b"secret-valu", &mut out);
        assert_eq!(m.held(), m.most_held(), "never more than the longest value minus one byte");
        m.finish(&mut out);
        assert_eq!(out, b"hello\nsecondsecret-valu", "a value cut off by the end is not a value");
    }

    #[test]
    fn mask_prefers_the_longest_value_at_a_position() {
        let mut m = masker(&[("SHORT", "abcd"), ("LONG", "abcdefgh")]);
        assert_eq!(in_chunks(&mut m, &[b"abcdefgh abcdef abcd"]), b"<LONG> <SHORT>ef <SHORT>");
        let mut m = masker(&[("SHORT", "abcd"), ("LONG", "abcdefgh")]);
        assert_eq!(in_chunks(&mut m, &[b"abcd", b"efg", b"h"]), b"<LONG>");
    }

    #[test]
    fn mask_leaves_short_values_and_names_them() {
        let (mut m, short) = Masker::new([("A", &b"abc"[..]), ("B", b"long-enough"), ("C", b"")]);
        assert_eq!(short, ["A", "C"]);
        assert_eq!(in_chunks(&mut m, &[b"abc long-enough"]), b"abc <B>");
    }

    #[test]
    fn mask_with_no_values_passes_everything_at_once() {
        let (mut m, _) = Masker::new([]);
        let mut out = Vec::new();
        m.feed(b"anything", &mut out);
        assert_eq!((out.as_slice(), m.held()), (&b"anything"[..], 0));
    }

    #[test]
    fn mask_agrees_with_whole_buffer_replacement_for_every_split() {
        // A small xorshift: reproducible, no dependency.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = b"ab-c";
        for _ in 0..300 {
            let mut owned: Vec<(String, String)> = Vec::new();
            for i in 0..1 + next(4) {
                let len = 2 + next(6);
                let value: String = (0..len).map(|_| alphabet[next(alphabet.len())] as char).collect();
                owned.push((format!("V{i}"), value));
            }
            let secrets: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let len = next(14);
            let input: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let expected = oracle(&secrets, &input);
            // Every way of cutting the input: each of the len-1 gaps cut or not.
            for cuts in 0..1u32 << len.saturating_sub(1) {
                let mut chunks: Vec<&[u8]> = Vec::new();
                let mut from = 0;
                for gap in 1..len {
                    if cuts & 1 << (gap - 1) != 0 {
                        chunks.push(&input[from..gap]);
                        from = gap;
                    }
                }
                chunks.push(&input[from..]);
                let mut m = masker(&secrets);
                let most = m.most_held();
                let mut out = Vec::new();
                for chunk in &chunks {
                    m.feed(chunk, &mut out);
                    assert!(m.held() <= most);
                }
                m.finish(&mut out);
                assert_eq!(out, expected, "{secrets:?} {:?} in {chunks:?}", String::from_utf8_lossy(&input));
            }
        }
    }
}
