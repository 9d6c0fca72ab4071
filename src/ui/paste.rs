//! The edge between egui's text fields and the system clipboard (eframe's `clipboard` feature:
//! egui-winit turns Ctrl+V into a paste of the clipboard's text, and puts egui's copies and text
//! selections on the clipboard and the X11 PRIMARY selection). Two passes over each frame:
//!
//! * before the widgets, [`adjust_pastes`]: a paste into a one-line field (a name, a
//!   passphrase, the search) loses one line break at its end — text copied from a terminal or a
//!   password manager often ends with one, which egui would turn into a space and so make a
//!   pasted passphrase wrong — and the user is told; text of several lines is not pasted into a
//!   one-line field at all. A paste into the multi-line Value keeps its exact bytes.
//! * after the widgets, [`guard_copies`]: while a field that holds a secret has the focus, or a
//!   revealed value is on screen, egui's copies become [`Command::CopySelection`] — the same
//!   guarded path as the Copy button (kept out of clipboard history, cleared when its time is
//!   up and on lock) — and its text selections are not offered as the PRIMARY selection.
//!   Passphrase fields never copy out (egui's password fields do not).

use egui::{Event, OutputCommand};
use zeroize::Zeroizing;

use super::command::{Command, GuardedText};
use super::widgets::{SecretField, secret_form_name_id};

/// What [`adjust_pastes`] did, for the user to read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PasteNote {
    /// The pasted text's final line break was dropped.
    TrailingBreakDropped,
    /// Text of this many lines was not pasted into a one-line field.
    NotOneLine(usize),
    /// `NAME=value` lines were pasted into the secret form's Name (one or more) or Value (two or
    /// more): an import to offer (into Name they were not pasted; into Value they were, as typed).
    Assignments(usize, zeroize::Zeroizing<String>),
}

impl PasteNote {
    pub fn text(&self) -> String {
        match self {
            PasteNote::TrailingBreakDropped => "Pasted without the line break at its end.".into(),
            PasteNote::NotOneLine(lines) => {
                format!("Not pasted: the copied text has {lines} lines, and this field takes one.")
            }
            PasteNote::Assignments(count, _) => format!("The pasted text holds {count} secrets: import them?"),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, PasteNote::NotOneLine(_))
    }
}

/// Adjusts this frame's pastes to the field that will receive them (see the module docs).
pub(crate) fn adjust_pastes(ctx: &egui::Context) -> Option<PasteNote> {
    if !ctx.input(|i| i.events.iter().any(|e| matches!(e, Event::Paste(_)))) {
        return None;
    }
    // Nothing receives a paste outside a text field (a row, a button): nothing to say either.
    if !ctx.text_edit_focused() {
        return None;
    }
    let focused = ctx.memory(|m| m.focused());
    let in_form = focused == Some(SecretField::Value.id()) || focused == Some(secret_form_name_id());
    let mut note = None;
    if in_form {
        // A block of `NAME=value` lines pasted into the secret form: an import to offer.
        ctx.input_mut(|i| {
            i.events.retain(|event| {
                let Event::Paste(text) = event else { return true };
                let count = crate::interchange::dotenv::assignment_lines(text);
                // Into Name even one `NAME=value` line is an import (its value must not land in
                // the name, to be echoed by the name check); into Value one line may be a value.
                let into_value = focused == Some(SecretField::Value.id());
                if count == 0 || (into_value && count < 2) {
                    return true;
                }
                note = Some(PasteNote::Assignments(count, zeroize::Zeroizing::new(text.clone())));
                // Into Value it is pasted as it is; into Name it would not fit.
                focused == Some(SecretField::Value.id())
            });
        });
        if note.is_some() || focused == Some(SecretField::Value.id()) {
            return note;
        }
    }
    ctx.input_mut(|i| {
        i.events.retain_mut(|event| {
            let Event::Paste(text) = event else { return true };
            match one_line(text) {
                Ok(None) => true,
                Ok(Some(trimmed)) => {
                    // The old string is freed, and so wiped, by the wipe-on-free allocator (egui's
                    // untouched copy of the frame's raw events goes the same way a frame later).
                    *text = trimmed;
                    note = Some(PasteNote::TrailingBreakDropped);
                    true
                }
                Err(lines) => {
                    note = Some(PasteNote::NotOneLine(lines));
                    false
                }
            }
        });
    });
    note
}

/// `text` as one line: `Ok(None)` if it is one already, `Ok(Some(..))` without its one final
/// line break, `Err(lines)` if it has several lines.
fn one_line(text: &str) -> Result<Option<String>, usize> {
    let trimmed = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).or_else(|| text.strip_suffix('\r'));
    let body = trimmed.unwrap_or(text);
    if body.contains(['\n', '\r']) {
        return Err(body.replace("\r\n", "\n").split(['\n', '\r']).count());
    }
    Ok(trimmed.map(str::to_owned))
}

/// Takes egui's copies and text selections out of this frame's output while a secret could be
/// their source (see the module docs); returns the copies as guarded commands.
pub(crate) fn guard_copies(ctx: &egui::Context, secret_on_screen: bool) -> Vec<Command> {
    let focused = ctx.memory(|m| m.focused());
    let secret_focused = focused.is_some_and(|id| SecretField::ALL.iter().any(|f| f.id() == id));
    if !secret_focused && !secret_on_screen {
        return Vec::new();
    }
    let mut commands = Vec::new();
    ctx.output_mut(|o| {
        o.commands.retain_mut(|command| match command {
            OutputCommand::CopyText(text) => {
                commands.push(Command::CopySelection(GuardedText(Zeroizing::new(std::mem::take(text)))));
                false
            }
            OutputCommand::TextSelectionSettled(_) => false,
            _ => true,
        });
    });
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_final_line_break_goes_and_several_lines_are_refused() {
        assert_eq!(one_line("pass phrase"), Ok(None));
        assert_eq!(one_line("pass phrase\n"), Ok(Some("pass phrase".into())));
        assert_eq!(one_line("pass phrase\r\n"), Ok(Some("pass phrase".into())));
        assert_eq!(one_line("pass phrase\r"), Ok(Some("pass phrase".into())));
        assert_eq!(one_line("pass phrase\n\n"), Err(2));
        assert_eq!(one_line("A=1\r\nB=2\nC=3\n"), Err(3));
        assert_eq!(one_line(" spaces kept \n"), Ok(Some(" spaces kept ".into())));
    }
}
