//! The app's preferences: a small JSON file in the platform's config folder. Nothing secret goes
//! here (no names, no values, no passphrase): only how the app behaves.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Auto-lock choices offered in `Vault settings`, in minutes (`None`: never).
pub const AUTO_LOCK_CHOICES: [Option<u32>; 8] =
    [Some(1), Some(2), Some(5), Some(10), Some(15), Some(30), Some(60), None];
/// Clipboard-clear choices, in seconds (`None`: never).
pub const CLIPBOARD_CHOICES: [Option<u32>; 8] =
    [Some(5), Some(10), Some(15), Some(30), Some(60), Some(120), Some(300), None];

/// The app's colours: the desktop's choice, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// What the windowing system reports (dark where it reports nothing, as X11 does).
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Lock after this many minutes without input; `None`: never.
    pub auto_lock_minutes: Option<u32>,
    /// Clear a copied value after this many seconds; `None`: never.
    pub clipboard_clear_seconds: Option<u32>,
    pub sidebar_open: bool,
    pub theme: Theme,
    /// The Secrets page's note was dismissed ("Got it").
    pub note_dismissed: bool,
    /// View shows the value as soon as it opens (off: it opens masked, and Reveal shows it).
    pub show_values_in_view: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            auto_lock_minutes: Some(5),
            clipboard_clear_seconds: Some(15),
            sidebar_open: true,
            theme: Theme::System,
            note_dismissed: false,
            show_values_in_view: false,
        }
    }
}

impl Prefs {
    /// Where preferences live by default, e.g. `~/.config/tresor/prefs.json` on Linux.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "tresor").map(|d| d.config_dir().join("prefs.json"))
    }

    /// Reads preferences; a missing or unreadable file gives the defaults, and values outside
    /// the offered ranges are brought back into them.
    pub fn load(path: &Path) -> Prefs {
        let mut prefs: Prefs =
            std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
        prefs.auto_lock_minutes = prefs.auto_lock_minutes.map(|m| m.clamp(1, 60));
        prefs.clipboard_clear_seconds = prefs.clipboard_clear_seconds.map(|s| s.clamp(5, 300));
        prefs
    }

    /// Writes preferences atomically, readable by the user only.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fs::create_private_dir(dir)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fs::write_private_file(path, &json, true)
    }
}

pub fn minutes_label(m: Option<u32>) -> String {
    match m {
        Some(1) => "1 minute".into(),
        Some(m) => format!("{m} minutes"),
        None => "Never".into(),
    }
}

pub fn seconds_label(s: Option<u32>) -> String {
    match s {
        Some(60) => "1 minute".into(),
        Some(s) if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        Some(s) => format!("{s} seconds"),
        None => "Never".into(),
    }
}
