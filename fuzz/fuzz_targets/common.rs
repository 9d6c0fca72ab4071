//! What every parser target checks: parsing arbitrary bytes never panics, and what was parsed,
//! written out again (as an export writes it), parses back to the very same entries.

use tresor::SecretName;
use tresor::SecretValue;
use tresor::interchange::{self, Format, ParseOptions};

pub fn check(format: Format, data: &[u8]) {
    for flatten in [false, true] {
        let Ok(parsed) = interchange::parse(format, data, ParseOptions { flatten }) else { continue };
        // An export only ever holds valid names, and refuses what the format cannot hold.
        let refs: Vec<(&str, &SecretValue)> = parsed
            .entries
            .iter()
            .filter(|e| SecretName::parse(&e.key).is_ok())
            .filter(|e| interchange::check_writable(format, &[(e.key.as_str(), &e.value)]).is_ok())
            .map(|e| (e.key.as_str(), &e.value))
            .collect();
        let text = interchange::write(format, &refs);
        let again = interchange::parse(format, text.as_bytes(), ParseOptions::default())
            .unwrap_or_else(|e| panic!("our own {format:?} output does not parse: {e}\n{:?}", text.as_str()));
        let got: Vec<(&str, &str)> = again.entries.iter().map(|e| (e.key.as_str(), e.value.expose())).collect();
        let want: Vec<(&str, &str)> = refs.iter().map(|(k, v)| (*k, v.expose())).collect();
        assert_eq!(got, want, "written as {:?}", text.as_str());
    }
}
