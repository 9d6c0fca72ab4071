//! Random values: "Generate" in the app's Create and Edit, `tresor set NAME --generate`. One rule
//! for both: characters drawn uniformly from an alphabet with bytes from the operating system's
//! CSPRNG (`getrandom`: `getrandom(2)` on Linux), by rejection sampling, so no character is
//! likelier than another (a plain `byte % n` would favour the first `256 % n` characters).
//!
//! The symbols leave out what breaks quoting: quotes, backslash, backtick, `$` and space. So a
//! value with symbols survives being pasted *inside quotes* — a `.env` file's double quotes
//! (which expand `$`), a shell's single or double quotes, a YAML or JSON string — unchanged;
//! unquoted, several of them (`#`, `;`, `&`, `|`, `*`, …) still mean something to a shell or a
//! YAML file, so choose letters and digits, hex or base64url for values that go in bare. A value of letters and digits (or with symbols) of 4 characters or more holds at least
//! one character of each class, as sites that check passwords expect; the draw is repeated until
//! it does, which keeps the choice uniform among such values.

use zeroize::Zeroize;

use super::secret::SecretValue;

/// What a generated value is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ValueKind {
    /// `A–Z`, `a–z`, `0–9`: 62 characters, about 5.95 bits each.
    #[default]
    LettersDigits,
    /// Letters, digits and [`SYMBOLS`]: 89 characters, about 6.48 bits each.
    Symbols,
    /// `0–9a–f`: 4 bits each (a key of N bytes is 2N characters).
    Hex,
    /// RFC 4648's URL-safe alphabet, `A–Z a–z 0–9 - _`, no padding: 6 bits each.
    Base64Url,
}

/// The symbols of [`ValueKind::Symbols`].
pub const SYMBOLS: &str = "!#%&()*+,-./:;<=>?@[]^_{|}~";

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";

impl ValueKind {
    pub const ALL: [ValueKind; 4] =
        [ValueKind::LettersDigits, ValueKind::Symbols, ValueKind::Hex, ValueKind::Base64Url];

    /// The word the command line uses (`--kind`).
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::LettersDigits => "letters-digits",
            ValueKind::Symbols => "symbols",
            ValueKind::Hex => "hex",
            ValueKind::Base64Url => "base64url",
        }
    }

    /// How the app labels it.
    pub fn label(self) -> &'static str {
        match self {
            ValueKind::LettersDigits => "Letters and digits",
            ValueKind::Symbols => "Letters, digits and symbols",
            ValueKind::Hex => "Hex",
            ValueKind::Base64Url => "Base64url",
        }
    }

    /// The characters it draws from.
    pub fn alphabet(self) -> String {
        match self {
            ValueKind::LettersDigits => format!("{UPPER}{LOWER}{DIGITS}"),
            ValueKind::Symbols => format!("{UPPER}{LOWER}{DIGITS}{SYMBOLS}"),
            ValueKind::Hex => "0123456789abcdef".to_owned(),
            ValueKind::Base64Url => format!("{UPPER}{LOWER}{DIGITS}-_"),
        }
    }

    /// The classes a value of this kind holds one of each (when it is long enough).
    fn classes(self) -> &'static [&'static str] {
        match self {
            ValueKind::LettersDigits => &[UPPER, LOWER, DIGITS],
            ValueKind::Symbols => &[UPPER, LOWER, DIGITS, SYMBOLS],
            ValueKind::Hex | ValueKind::Base64Url => &[],
        }
    }
}

/// Shortest generated value, in characters.
pub const MIN_GENERATED_LENGTH: usize = 8;
/// Longest generated value, in characters.
pub const MAX_GENERATED_LENGTH: usize = 4096;
/// The length Generate uses unless told otherwise: 32 characters (190 bits of letters and
/// digits; 128 bits of hex).
pub const DEFAULT_GENERATED_LENGTH: usize = 32;

/// How to generate a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateRule {
    pub kind: ValueKind,
    /// In characters.
    pub length: usize,
}

impl Default for GenerateRule {
    fn default() -> Self {
        GenerateRule { kind: ValueKind::default(), length: DEFAULT_GENERATED_LENGTH }
    }
}

/// Why no value was generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("a generated value is {MIN_GENERATED_LENGTH} to {MAX_GENERATED_LENGTH} characters long, not {length}")]
    Length { length: usize },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

impl GenerateRule {
    /// The strength of a value made by this rule, in bits (rounded down).
    pub fn bits(&self) -> u32 {
        let n = self.kind.alphabet().len() as f64;
        (self.length as f64 * n.log2()).floor() as u32
    }

    /// Checks the length; the app calls it to say what is wrong before Generate is pressed.
    pub fn check(&self) -> Result<(), GenerateError> {
        if (MIN_GENERATED_LENGTH..=MAX_GENERATED_LENGTH).contains(&self.length) {
            Ok(())
        } else {
            Err(GenerateError::Length { length: self.length })
        }
    }

    /// A new random value by this rule.
    pub fn generate(&self) -> Result<SecretValue, GenerateError> {
        self.check()?;
        let alphabet = self.kind.alphabet().into_bytes();
        let classes = self.kind.classes();
        loop {
            let value = draw(&alphabet, self.length)?;
            let has_every_class = classes.iter().all(|class| value.bytes().any(|b| class.as_bytes().contains(&b)));
            if self.length < classes.len() || has_every_class {
                return Ok(SecretValue::new(value));
            }
            drop(zeroize::Zeroizing::new(value));
        }
    }
}

/// `length` characters of `alphabet` (at most 256), each uniformly: a random byte is used only
/// when it falls below the largest multiple of the alphabet's size.
fn draw(alphabet: &[u8], length: usize) -> Result<String, GenerateError> {
    let n = alphabet.len();
    let accept_below = 256 - 256 % n;
    let mut out = String::with_capacity(length);
    let mut pool = [0u8; 256];
    while out.len() < length {
        getrandom::fill(&mut pool).map_err(|e| GenerateError::Random(e.to_string()))?;
        for &byte in &pool {
            if out.len() == length {
                break;
            }
            if usize::from(byte) < accept_below {
                out.push(char::from(alphabet[usize::from(byte) % n]));
            }
        }
    }
    pool.zeroize();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_draws_only_from_its_alphabet_at_the_length_asked() {
        for kind in ValueKind::ALL {
            let alphabet = kind.alphabet();
            for length in [MIN_GENERATED_LENGTH, 32, 100] {
                let value = GenerateRule { kind, length }.generate().unwrap();
                assert_eq!(value.len(), length, "{kind:?}");
                assert!(value.expose().chars().all(|c| alphabet.contains(c)), "{kind:?}");
            }
        }
    }

    #[test]
    fn letters_digits_and_symbols_hold_every_class() {
        for _ in 0..200 {
            let v = GenerateRule { kind: ValueKind::Symbols, length: 8 }.generate().unwrap();
            for class in [UPPER, LOWER, DIGITS, SYMBOLS] {
                assert!(v.expose().chars().any(|c| class.contains(c)), "{class}");
            }
        }
    }

    #[test]
    fn characters_are_uniform() {
        // 64,000 hex characters: each of the 16 is expected 4,000 times (a broken draw that
        // never or mostly picks some character falls far outside 3,500–4,500).
        let mut counts = [0usize; 16];
        for _ in 0..16 {
            let v = GenerateRule { kind: ValueKind::Hex, length: 4000 }.generate().unwrap();
            for c in v.expose().chars() {
                counts[c.to_digit(16).unwrap() as usize] += 1;
            }
        }
        for count in counts {
            assert!((3500..4500).contains(&count), "{counts:?}");
        }
        // 124,000 letters and digits: 62 does not divide 256, so only rejection keeps it even —
        // each is expected 2,000 times (σ ≈ 45); a plain `byte % 62` would give the first eight
        // about 2,420 and the rest about 1,940.
        let alphabet = ValueKind::LettersDigits.alphabet();
        let mut counts = vec![0usize; 62];
        for _ in 0..31 {
            let v = GenerateRule { kind: ValueKind::LettersDigits, length: 4000 }.generate().unwrap();
            for c in v.expose().chars() {
                counts[alphabet.find(c).unwrap()] += 1;
            }
        }
        for count in &counts {
            assert!((1780..2220).contains(count), "{counts:?}");
        }
    }

    #[test]
    fn lengths_outside_the_range_are_refused() {
        assert_eq!(
            GenerateRule { kind: ValueKind::Hex, length: 7 }.generate(),
            Err(GenerateError::Length { length: 7 })
        );
        assert!(GenerateRule { kind: ValueKind::Hex, length: MAX_GENERATED_LENGTH + 1 }.generate().is_err());
        assert_eq!(GenerateRule::default().bits(), 190);
    }
}
