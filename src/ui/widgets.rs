//! Widgets shared by several pages and dialogs — the passphrase field and the fields whose
//! memory is wiped ([`SecretField`]), the strength meter, cards, dialog titles and button rows —
//! so that no page imports another.

use egui::{Align, Layout, RichText, Ui};

use super::strength::Strength;
use super::text::SecretText;
use super::{a11y, style};
use crate::interchange::Format;

/// Declares [`SecretField`] and its list of every variant together, so a new field cannot be
/// left out of [`SecretField::ALL`] (and so out of the wiping).
macro_rules! secret_fields {
    ($($(#[$doc:meta])* $field:ident => $label:literal,)*) => {
        /// The text fields that hold a passphrase or a secret value. Their widgets get stable ids
        /// so that their state — egui keeps an undo history of every text field, with plaintext
        /// copies — can be dropped as soon as a form closes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum SecretField {
            $($(#[$doc])* $field,)*
        }

        impl SecretField {
            pub const ALL: &[SecretField] = &[$(SecretField::$field,)*];

            /// The visible label, which is also the field's accessible name.
            pub fn label(self) -> &'static str {
                match self {
                    $(SecretField::$field => $label,)*
                }
            }
        }
    };
}

secret_fields! {
    /// Setup's new passphrase, and the lock screen's.
    Passphrase => "Passphrase",
    ConfirmPassphrase => "Confirm passphrase",
    /// The strengthen and rotate-key dialogs (not "Current passphrase": that field is on the
    /// settings page behind them).
    YourPassphrase => "Your passphrase",
    CurrentPassphrase => "Current passphrase",
    NewPassphrase => "New passphrase",
    ConfirmNewPassphrase => "Confirm new passphrase",
    BackupPassphrase => "Backup passphrase",
    /// The import page's passphrase of a KeePass file.
    KeepassPassphrase => "KeePass file's passphrase",
    /// The create and edit form's value.
    Value => "Value",
}

/// The Name field of the create and edit form (a paste of several `NAME=value` lines there
/// offers an import).
pub(crate) fn secret_form_name_id() -> egui::Id {
    egui::Id::unique("tresor secret form name")
}

impl SecretField {
    pub fn id(self) -> egui::Id {
        egui::Id::unique(("tresor secret field", self.label()))
    }

    /// Drops the widget state (cursor, undo history) of every secret field.
    pub fn forget_all(ctx: &egui::Context) {
        ctx.data_mut(|d| {
            for field in SecretField::ALL {
                d.remove::<egui::text_edit::TextEditState>(field.id());
            }
        });
    }
}

/// A masked passphrase field with its visible label, named for screen readers and tests.
pub(crate) fn passphrase_field(ui: &mut Ui, field: SecretField, text: &mut SecretText, show: bool) -> egui::Response {
    let label = ui.label(field.label());
    ui.add(egui::TextEdit::singleline(text).id(field.id()).password(!show).desired_width(f32::INFINITY))
        .labelled_by(label.id)
}

/// The strength bar and word under a new passphrase, with advice when it is weak.
pub(crate) fn strength_meter(ui: &mut Ui, strength: &Option<Strength>) {
    let Some(s) = strength else { return };
    let (word, color) = match s.score {
        0 | 1 => ("Weak", style::DANGER),
        2 => ("Fair", ui.visuals().warn_fg_color),
        3 => ("Good", egui::Color32::from_rgb(0x2E, 0x9E, 0x5B)),
        _ => ("Strong", egui::Color32::from_rgb(0x2E, 0x9E, 0x5B)),
    };
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(160.0, 6.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
        let filled =
            egui::Rect::from_min_size(rect.min, egui::vec2(rect.width() * (f32::from(s.score) + 1.0) / 5.0, 6.0));
        ui.painter().rect_filled(filled, 3.0, color);
        ui.label(RichText::new(format!("Strength: {word}")).color(color));
    });
    if s.score < 3 {
        let advice = if s.advice.is_empty() { "Add more words to make it harder to guess." } else { &s.advice };
        ui.label(
            RichText::new(format!("A weak passphrase can be guessed from a stolen vault file. {advice}"))
                .small()
                .weak(),
        );
    }
}

/// A titled card, one per section of the Vault settings page.
pub(crate) fn section(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    style::card(ui).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let heading = ui.label(RichText::new(title).size(16.0).strong());
        a11y::heading(&heading, 2);
        ui.add_space(2.0);
        add(ui);
    });
    ui.add_space(10.0);
}

/// Whether to say that a confirmation does not match the passphrase: not while it is still
/// being typed and can still become it (a beginning of it, with the focus in the field).
pub(crate) fn confirmation_mismatch(first: &str, confirm: &str, confirm_has_focus: bool) -> bool {
    !confirm.is_empty() && first != confirm && (!confirm_has_focus || !first.starts_with(confirm))
}

/// A dialog's title: a heading for screen readers (the dialog itself is named after it). Long
/// titles wrap; the title never scrolls away (see [`dialog_body`]).
pub(crate) fn dialog_title(ui: &mut Ui, text: &str) {
    let title = ui.add(egui::Label::new(RichText::new(text).size(18.0).strong()).wrap());
    a11y::heading(&title, 1);
    ui.add_space(4.0);
}

/// A dialog's title followed, on its line, by where it acts (`in shop / production`); both
/// wrap in a narrow dialog.
pub(crate) fn dialog_title_in(ui: &mut Ui, text: &str, place: &str) {
    ui.horizontal_wrapped(|ui| {
        let title = ui.label(RichText::new(text).size(18.0).strong());
        a11y::heading(&title, 1);
        if !place.is_empty() {
            ui.label(RichText::new(format!("in {place}")).size(15.0).weak());
        }
    });
    ui.add_space(4.0);
}

/// The height a dialog keeps below its body for its row of buttons.
const DIALOG_BUTTONS_HEIGHT: f32 = 48.0;

/// A dialog's body, between its title and its buttons: it scrolls when the window is too short
/// for it (dialogs.rs caps every dialog at the window's height), so that the title and the
/// buttons always show.
pub(crate) fn dialog_body<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    let room = (ui.available_height() - DIALOG_BUTTONS_HEIGHT).max(80.0);
    ui.scope(|ui| {
        // A bar beside the body, not over its right edge (where buttons sit).
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::vertical()
            .id_salt("dialog body")
            .max_height(room)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                add(ui)
            })
            .inner
    })
    .inner
}

/// How tall a scrolling part inside a dialog's body may be (a value, a list of places): as tall
/// as `preferred`, less in a short window so that the rest of the body keeps some room.
pub(crate) fn inner_scroll_height(ui: &Ui, preferred: f32) -> f32 {
    preferred.min((ui.ctx().content_rect().height() - 380.0).max(72.0))
}

/// A dialog's row of buttons, right-aligned: add the main one first. One row high, so that the
/// dialog shrinks back when a message above it goes.
pub(crate) fn dialog_buttons(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    ui.add_space(8.0);
    let row = egui::vec2(ui.available_width(), 30.0);
    ui.allocate_ui_with_layout(row, Layout::right_to_left(Align::Center), add);
}

/// A file format as the import and export controls name it (`None`: from the file name).
pub(crate) fn format_label(format: Option<Format>) -> &'static str {
    match format {
        None => "From the file name",
        Some(Format::Env) => ".env",
        Some(Format::Toml) => "TOML",
        Some(Format::Json) => "JSON",
    }
}

/// `n secret(s)`.
pub(crate) fn secrets_count(n: usize) -> String {
    super::vocabulary::count(n, "secret")
}

/// A header cell (a ColumnHeader node), laid out in `rect` like the row cells below it.
pub(crate) fn in_header<R>(ui: &mut Ui, rect: egui::Rect, title: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    let builder = egui::UiBuilder::new().max_rect(rect).layout(Layout::left_to_right(Align::Center));
    ui.scope_builder(builder, |ui| {
        ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
            node.set_role(egui::accesskit::Role::ColumnHeader);
            node.set_label(title);
        });
        add(ui)
    })
    .inner
}

/// Cell `column` (called `title`) of the row `row`: laid out in `rect`, and a Cell node nested
/// under the row in the accessibility tree, whose description names its column (AT-SPI has no
/// table interface to tie a cell to its header).
pub(crate) fn in_cell<R>(
    ui: &mut Ui,
    row: egui::Id,
    column: usize,
    title: &str,
    rect: egui::Rect,
    add: impl FnOnce(&mut Ui) -> R,
) -> R {
    let builder =
        egui::UiBuilder::new().max_rect(rect).layout(Layout::left_to_right(Align::Center)).accessibility_parent(row);
    ui.scope_builder(builder, |ui| {
        ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
            node.set_role(egui::accesskit::Role::Cell);
            node.set_column_index(column);
            node.set_description(title);
        });
        add(ui)
    })
    .inner
}

/// A table node (named `label`, `rows` rows) around what `add` draws: its header and rows.
pub(crate) fn table_scope<R>(ui: &mut Ui, label: &str, rows: usize, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.scope(|ui| {
        ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
            node.set_role(egui::accesskit::Role::Table);
            node.set_label(label);
            node.set_row_count(rows);
            node.set_description(format!("{rows} rows"));
        });
        add(ui)
    })
    .inner
}

/// Gives a row's response its node: a Row named `name`, at `position` of `total`.
pub(crate) fn row_node(row: &egui::Response, name: &str, position: usize, total: usize) {
    row.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Row, true, name));
    row.ctx.accesskit_node_builder(row.id, |node| {
        node.set_role(egui::accesskit::Role::Row);
        node.set_row_index(position);
        node.set_description(format!("row {} of {total}", position + 1));
    });
}
