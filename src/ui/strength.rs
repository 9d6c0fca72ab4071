//! How strong a passphrase looks (zxcvbn): a hint under the passphrase fields, never a refusal.

/// A passphrase strength hint from zxcvbn: advice, never a refusal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Strength {
    pub score: u8,
    pub advice: String,
}

/// How strong `passphrase` is (zxcvbn's score and its first piece of advice).
pub(crate) fn strength(passphrase: &str) -> Option<Strength> {
    if passphrase.is_empty() {
        return None;
    }
    let entropy = zxcvbn::zxcvbn(passphrase, &["tresor", "vault", "secret", "password", "passphrase"]);
    let score = entropy.score() as u8;
    let advice = entropy
        .feedback()
        .and_then(|f| f.warning().map(|w| w.to_string()).or_else(|| f.suggestions().first().map(|s| s.to_string())))
        .unwrap_or_default();
    Some(Strength { score, advice })
}
