//! The commands of the secret form's other ways to a value: a file's exact text ("Load from
//! file…", its path field, a file dropped on the dialog) and a fresh random value ("Generate").
//! The rules are the core's: `SecretValue::read_file` says which files are refused and why,
//! `GenerateRule` how values are drawn; this only puts the result into the form.

use super::*;
use crate::vault::error::thousands;

impl App {
    /// Opens the system's file dialog for the form's value (once at a time); its answer comes
    /// back in jobs.rs.
    pub(super) fn pick_value_file(&mut self, ctx: &egui::Context) -> Reply {
        if let Some(form) = self.secret_form_mut()
            && form.tools.picking.is_none()
        {
            form.tools.picking = Some(jobs::pick_file(ctx, Pick::Value, String::new()));
        }
        Reply::Quiet
    }

    /// The file's exact text as the form's value; a refused file says why under the Value field
    /// and leaves the value as it was. A small synchronous read: the core reads at most 4 MiB
    /// and one byte. (Also called by jobs.rs, with the file dialog's answer.)
    pub(in crate::ui) fn load_value_file(&mut self, path: &Path) -> Reply {
        let Some(form) = self.secret_form_mut() else { return Reply::Quiet };
        match SecretValue::read_file(path) {
            Ok(value) => {
                let file = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
                let lines = value.expose().lines().count();
                let lines = if lines == 1 { "1 line".to_owned() } else { format!("{} lines", thousands(lines as u64)) };
                let bytes = thousands(value.len() as u64);
                form.fill_value(&value, format!("The exact text of {file}: {bytes} bytes, {lines}."));
                form.tools.path = None;
                form.tools.path_note = None;
            }
            Err(e) => form.refuse_value(style::sentence(&e.to_string())),
        }
        Reply::Quiet
    }

    /// A fresh value by the form's rule (kind and length).
    pub(super) fn generate_value(&mut self) -> Reply {
        let Some(form) = self.secret_form_mut() else { return Reply::Quiet };
        let rule = form.tools.rule;
        match rule.generate() {
            Ok(value) => {
                let kind = rule.kind.label().to_lowercase();
                let origin =
                    format!("A new random value of {} characters ({kind}), {} bits.", rule.length, rule.bits());
                form.fill_value(&value, origin);
            }
            Err(e) => form.refuse_value(style::sentence(&e.to_string())),
        }
        Reply::Quiet
    }

    /// The open create or edit form.
    fn secret_form_mut(&mut self) -> Option<&mut SecretForm> {
        match &mut self.screen.session_mut()?.dialog {
            Some(Dialog::Create(form) | Dialog::Edit(form)) => Some(form),
            _ => None,
        }
    }
}
