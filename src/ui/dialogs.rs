//! The modal dialogs: create, edit, view, the delete and purge confirmations, restore under a
//! new name, and strengthening the key derivation. Validation comes from the core.

use egui::{Align, Key, Layout, Modifiers, RichText, Ui};

use super::screens::passphrase_field;
use super::style::{self, weak};
use super::text::SecretText;
use super::{Command, REVEAL_SECONDS, Session};
use crate::interchange::{self, Format};
use crate::vault::secret::check_description;
use crate::vault::{
    Error, NewSecret, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue, Timestamp, Vault, VersionInfo,
};

const DIALOG_WIDTH: f32 = 520.0;

pub(crate) enum Dialog {
    Create(SecretForm),
    Edit(SecretForm),
    View(ViewState),
    ConfirmDelete(Vec<(SecretId, String)>),
    /// `None`: empty the whole trash.
    ConfirmPurge(Option<SecretId>),
    RestoreAs {
        id: SecretId,
        taken: String,
        name: String,
        error: Option<String>,
    },
    Strengthen(StrengthenForm),
    RotateKey(StrengthenForm),
    Import(super::transfer::ImportReview),
    Export(super::transfer::ExportConfirm),
    RestoreBackup(super::backups::RestoreForm),
}

impl Dialog {
    pub fn create() -> Self {
        Dialog::Create(SecretForm::new(None))
    }
    pub fn edit(meta: &SecretMeta) -> Self {
        Dialog::Edit(SecretForm::new(Some(meta)))
    }
    pub fn restore_as(id: SecretId, taken: &str) -> Self {
        Dialog::RestoreAs { id, taken: taken.to_owned(), name: format!("{taken}_RESTORED"), error: None }
    }
    pub fn strengthen() -> Self {
        Dialog::Strengthen(StrengthenForm { passphrase: SecretText::new(), error: None })
    }
    pub fn rotate_key() -> Self {
        Dialog::RotateKey(StrengthenForm { passphrase: SecretText::new(), error: None })
    }
}

pub(crate) struct StrengthenForm {
    pub passphrase: SecretText,
    pub error: Option<String>,
}

/// The create and edit form. For edit, `original` is the secret being edited and an empty value
/// means "keep the current value".
pub(crate) struct SecretForm {
    original: Option<SecretMeta>,
    pub name: String,
    pub description: String,
    pub value: SecretText,
    show_value: bool,
    value_touched: bool,
    check: Option<FormCheck>,
    pub error: Option<String>,
    focus_first: bool,
}

/// The core's verdict on the form's fields, cached until a field changes.
#[derive(Default)]
struct FormCheck {
    name: Option<String>,
    name_hint: Option<String>,
    description: Option<String>,
    value: Option<String>,
    warnings: Vec<String>,
}

impl FormCheck {
    fn ok(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.value.is_none()
    }
}

impl SecretForm {
    fn new(original: Option<&SecretMeta>) -> Self {
        SecretForm {
            name: original.map(|m| m.name.as_str().to_owned()).unwrap_or_default(),
            description: original.map(|m| m.description.clone()).unwrap_or_default(),
            original: original.cloned(),
            value: SecretText::new(),
            show_value: false,
            value_touched: false,
            check: None,
            error: None,
            focus_first: true,
        }
    }

    fn is_edit(&self) -> bool {
        self.original.is_some()
    }

    /// Asks the core about every field: name rules and uniqueness, description rules, value
    /// rules and warnings.
    fn validate(&self, vault: Option<&Vault>) -> FormCheck {
        let mut check = FormCheck::default();
        match SecretName::parse(&self.name) {
            Ok(name) => {
                let own = self.original.as_ref().map(|m| m.id);
                if let Some(vault) = vault
                    && let Ok(existing) = vault.find(&name)
                    && Some(existing) != own
                {
                    check.name = Some(format!("A secret named {name} already exists."));
                }
                if let Some(conventional) = name.conventional_form() {
                    check.name_hint =
                        Some(format!("Tip: environment variables are usually UPPER_SNAKE_CASE, e.g. {conventional}."));
                }
            }
            Err(_) if self.name.is_empty() && !self.value_touched => check.name = Some(String::new()),
            Err(e) => check.name = Some(e.to_string()),
        }
        if let Err(e) = check_description(&self.description) {
            check.description = Some(e.to_string());
        }
        let keep_value = self.is_edit() && self.value.is_empty();
        if !keep_value {
            match SecretValue::new(self.value.as_str()).check() {
                Ok(warnings) => check.warnings = warnings.iter().map(ToString::to_string).collect(),
                // An untouched empty value blocks the button without scolding the user yet.
                Err(_) if !self.value_touched => check.value = Some(String::new()),
                Err(e) => check.value = Some(e.to_string()),
            }
        }
        check
    }

    fn changed_anything(&self) -> bool {
        match &self.original {
            None => true,
            Some(m) => m.name.as_str() != self.name || m.description != self.description || !self.value.is_empty(),
        }
    }
}

/// Shows the open dialog, if any.
pub(crate) fn show(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
    let Some(dialog) = &mut session.dialog else {
        session.dialog_shown = None;
        return;
    };
    let kind = std::mem::discriminant(&*dialog);
    if session.dialog_shown != Some(kind) {
        session.dialog_shown = Some(kind);
        session.dialog_serial += 1;
    }
    let vault = session.vault.as_ref();
    let ctx = ui.ctx().clone();
    let frame = style::dialog_frame(ui);
    let modal =
        egui::Modal::new(egui::Id::unique(("tresor_dialog", session.dialog_serial))).frame(frame).show(&ctx, |ui| {
            ui.set_width(DIALOG_WIDTH);
            match dialog {
                Dialog::Create(form) | Dialog::Edit(form) => secret_form(ui, form, vault, commands),
                Dialog::View(view) => view_dialog(ui, view, now, commands),
                Dialog::ConfirmDelete(names) => confirm_delete(ui, names, commands),
                Dialog::ConfirmPurge(target) => confirm_purge(ui, *target, commands),
                Dialog::RestoreAs { taken, name, error, .. } => restore_as(ui, taken, name, error, commands),
                Dialog::Strengthen(form) => strengthen(ui, form, commands),
                Dialog::RotateKey(form) => rotate_key(ui, form, commands),
                Dialog::Import(review) => super::transfer::import_dialog(ui, review, commands),
                Dialog::Export(confirm) => super::transfer::export_dialog(ui, confirm, commands),
                Dialog::RestoreBackup(form) => super::backups::restore_dialog(ui, form, commands),
            }
        });
    if modal.is_top_modal && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        commands.push(Command::CloseDialog);
    }
}

fn title(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).size(18.0).strong());
    ui.add_space(4.0);
}

fn buttons(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), add);
}

fn secret_form(ui: &mut Ui, form: &mut SecretForm, vault: Option<&Vault>, commands: &mut Vec<Command>) {
    if form.check.is_none() {
        form.check = Some(form.validate(vault));
    }
    let edit = form.is_edit();
    title(ui, if edit { "Edit secret" } else { "Create Environment Secret" });
    let mut changed = false;

    let name_label = ui.label(RichText::new("Name").strong());
    let name = ui
        .add(
            egui::TextEdit::singleline(&mut form.name)
                .hint_text("e.g. OPENAI_API_KEY")
                .font(egui::TextStyle::Monospace)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(name_label.id);
    if form.focus_first {
        name.request_focus();
        form.focus_first = false;
    }
    changed |= name.changed();
    let check = form.check.as_ref().expect("validated above");
    match (&check.name, &check.name_hint) {
        (Some(e), _) if !e.is_empty() => style::error_text(ui, e),
        (None, Some(hint)) => {
            ui.label(weak(hint).small());
        }
        _ => {}
    }
    if edit && form.original.as_ref().is_some_and(|m| m.name.as_str() != form.name) && check.name.is_none() {
        ui.label(weak("Saving renames the secret; programs that read the old name will no longer find it.").small());
    }

    let description_label = ui
        .horizontal(|ui| {
            let label = ui.label(RichText::new("Description").strong());
            ui.label(weak("optional"));
            label
        })
        .inner;
    let description = ui
        .add(
            egui::TextEdit::singleline(&mut form.description)
                .hint_text("What it is for, e.g. GPT calls from the CLI")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(description_label.id);
    changed |= description.changed();
    if let Some(e) = &check.description {
        style::error_text(ui, e);
    }

    let value_label = ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Value").strong());
        if edit {
            ui.label(weak("leave empty to keep the current value"));
        }
        // The show/hide toggle's place; the button itself is added after the field, so that Tab
        // goes from the value to the toggle, not through the toggle into the value.
        let toggle = ui
            .with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.allocate_exact_size(egui::vec2(56.0, ui.spacing().interact_size.y - 4.0), egui::Sense::hover()).0
            })
            .inner;
        (label, toggle)
    });
    let (value_label, toggle) = value_label.inner;
    let value = ui
        .add(
            egui::TextEdit::multiline(&mut form.value)
                .id(super::secret_field_id("Value"))
                .password(!form.show_value)
                .font(egui::TextStyle::Monospace)
                .desired_rows(3)
                .hint_text(if edit { "New value" } else { "Paste the key or token" })
                .desired_width(f32::INFINITY),
        )
        .labelled_by(value_label.id);
    let (text, toggle_name) = if form.show_value { ("Hide", "Hide value") } else { ("Show", "Show value") };
    // A child Ui over the reserved place: draws there without moving this Ui's cursor.
    let mut toggle_ui =
        ui.new_child(egui::UiBuilder::new().max_rect(toggle).layout(Layout::right_to_left(Align::Center)));
    if toggle_ui
        .add(egui::Button::new(RichText::new(text).small()).wrap_mode(egui::TextWrapMode::Extend))
        .accessible_name(toggle_name)
        .clicked()
    {
        form.show_value = !form.show_value;
    }
    if value.changed() {
        form.value_touched = true;
        changed = true;
    }
    let check = form.check.as_ref().expect("validated above");
    if let Some(e) = &check.value
        && !e.is_empty()
    {
        style::error_text(ui, e);
    }
    for warning in &check.warnings {
        style::warning_text(ui, warning);
    }
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    let ready = check.ok() && form.changed_anything();
    let submit = if edit { Command::SubmitEdit } else { Command::SubmitCreate };
    buttons(ui, |ui| {
        let label = if edit { "Save" } else { "Create Environment Secret" };
        if style::primary(ui, ready, label).clicked() {
            commands.push(if edit { Command::SubmitEdit } else { Command::SubmitCreate });
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
        ui.label(weak("Enter to save · Ctrl+Enter in the value").small());
    });
    // Enter submits from the one-line fields; in the multi-line value Enter is a new line and
    // Ctrl+Enter submits.
    let enter_in_line = (name.lost_focus() || description.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
    let ctrl_enter = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
    if ready && (enter_in_line || ctrl_enter) {
        commands.push(submit);
    }
    if changed {
        form.error = None;
        form.check = Some(form.validate(vault));
    }
}

/// The View dialog's state: the value is decrypted on open and dropped after
/// [`REVEAL_SECONDS`], on close and on lock.
pub(crate) struct ViewState {
    pub id: SecretId,
    pub meta: SecretMeta,
    pub value: Option<SecretValue>,
    revealed_at: Timestamp,
    history: Vec<VersionInfo>,
    error: Option<String>,
}

impl ViewState {
    pub fn reveal(&mut self, vault: &Vault, now: Timestamp) {
        match vault.reveal(self.id) {
            Ok(value) => {
                self.value = Some(value);
                self.revealed_at = now;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn hide_if_due(&mut self, now: Timestamp) {
        if self.value.is_some() && now.0 - self.revealed_at.0 >= REVEAL_SECONDS * 1000 {
            self.value = None;
        }
    }
}

fn view_dialog(ui: &mut Ui, view: &mut ViewState, now: Timestamp, commands: &mut Vec<Command>) {
    let meta = &view.meta;
    ui.label(RichText::new(meta.name.as_str()).size(18.0).strong().monospace());
    if !meta.description.is_empty() {
        ui.label(weak(&meta.description));
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Value").strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| match &view.value {
            Some(_) => {
                if ui.small_button("Hide").accessible_name("Hide value").clicked() {
                    commands.push(Command::HideValue);
                }
                let left = REVEAL_SECONDS - (now.0 - view.revealed_at.0) / 1000;
                ui.label(weak(format!("hides in {left} s")).small());
            }
            None => {
                if ui.small_button("Show").accessible_name("Show value").clicked() {
                    commands.push(Command::RevealAgain);
                }
            }
        });
    });
    egui::Frame::new().fill(ui.visuals().extreme_bg_color).corner_radius(6).inner_margin(egui::Margin::same(10)).show(
        ui,
        |ui| {
            ui.set_width(ui.available_width());
            egui::ScrollArea::vertical().max_height(180.0).show(ui, |ui| match &view.value {
                Some(value) => {
                    ui.add(egui::Label::new(RichText::new(value.expose()).monospace()).selectable(true).wrap())
                        .accessible_name("Revealed value");
                }
                None => {
                    ui.label(RichText::new("••••••••••••").monospace().weak());
                }
            });
        },
    );
    if let Some(e) = &view.error {
        style::error_text(ui, e);
    }
    ui.horizontal(|ui| {
        if ui.button("🗐 Copy value").accessible_name("Copy value").clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: false });
        }
        let as_line = format!("Copy as {}=value", meta.name);
        if ui.button(&as_line).accessible_name(&as_line).clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: true });
        }
    });
    ui.add_space(4.0);
    egui::Grid::new("view_details").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        ui.label(weak("Version"));
        ui.label(meta.version.to_string());
        ui.end_row();
        ui.label(weak("Created"));
        ui.label(style::exact(meta.created));
        ui.end_row();
        ui.label(weak("Modified"));
        ui.label(style::exact(meta.modified));
        ui.end_row();
    });
    let older: Vec<&VersionInfo> = view.history.iter().filter(|v| v.replaced.is_some()).collect();
    ui.add_space(6.0);
    ui.label(RichText::new("Earlier versions").strong());
    if older.is_empty() {
        ui.label(weak("None yet. Each change of the value keeps the previous one here (the last 20)."));
    } else {
        egui::ScrollArea::vertical().id_salt("history").max_height(150.0).show(ui, |ui| {
            for v in older.iter().rev() {
                ui.horizontal(|ui| {
                    ui.label(format!("v{}", v.version));
                    ui.label(weak(format!("set {}", style::relative(now, v.created))))
                        .on_hover_text(style::exact(v.created));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if ui
                            .small_button("Restore")
                            .accessible_name(format!("Restore version {}", v.version))
                            .on_hover_text("Make this value current again (as a new version)")
                            .clicked()
                        {
                            commands.push(Command::RestoreVersion(view.id, v.version));
                        }
                    });
                });
            }
        });
    }
    buttons(ui, |ui| {
        if style::secondary(ui, "Close").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn confirm_delete(ui: &mut Ui, names: &[(SecretId, String)], commands: &mut Vec<Command>) {
    match names {
        [(_, name)] => title(ui, &format!("Delete {name}?")),
        many => {
            title(ui, &format!("Delete {} secrets?", many.len()));
            let shown: Vec<&str> = many.iter().take(6).map(|(_, n)| n.as_str()).collect();
            let more = many.len().saturating_sub(shown.len());
            let mut list = shown.join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            ui.label(RichText::new(list).monospace());
        }
    }
    ui.label("Deleted secrets go to the Trash, where you can restore them for 30 days.");
    buttons(ui, |ui| {
        if style::danger(ui, "Delete").clicked() || ui.input(|i| i.key_pressed(Key::Enter)) {
            commands.push(Command::ConfirmDelete);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn confirm_purge(ui: &mut Ui, target: Option<SecretId>, commands: &mut Vec<Command>) {
    title(ui, if target.is_some() { "Delete for good?" } else { "Empty the trash?" });
    ui.label("This cannot be undone: the encrypted value and its history are erased from the vault file.");
    buttons(ui, |ui| {
        let label = if target.is_some() { "Delete for good" } else { "Empty trash" };
        if style::danger(ui, label).clicked() {
            commands.push(Command::ConfirmPurge);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn restore_as(ui: &mut Ui, taken: &str, name: &mut String, error: &Option<String>, commands: &mut Vec<Command>) {
    title(ui, "Restore under another name");
    ui.label(format!("A secret named {taken} already exists. Choose a name for the restored one."));
    let label = ui.label(RichText::new("Name").strong());
    let field = ui
        .add(egui::TextEdit::singleline(name).font(egui::TextStyle::Monospace).desired_width(f32::INFINITY))
        .labelled_by(label.id);
    if let Some(e) = error {
        style::error_text(ui, e);
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
    buttons(ui, |ui| {
        if style::primary(ui, !name.is_empty(), "Restore").clicked() || entered {
            commands.push(Command::SubmitRestoreAs);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn strengthen(ui: &mut Ui, form: &mut StrengthenForm, commands: &mut Vec<Command>) {
    title(ui, "Strengthen key derivation");
    ui.label(
        "Re-derives the key that protects your vault with today's default Argon2id parameters, calibrated to \
         about one second on this machine. Your passphrase stays the same.",
    );
    passphrase_confirm(ui, form, "Strengthen", Command::SubmitStrengthen, commands);
}

fn rotate_key(ui: &mut Ui, form: &mut StrengthenForm, commands: &mut Vec<Command>) {
    title(ui, "Rotate the vault key");
    ui.label(
        "Replaces the key that encrypts every secret with a new random one and re-encrypts everything under \
         it. Do this after a passphrase that may have leaked: copies of the vault file made before then hold \
         the old key. Your passphrase stays the same; the vault is backed up first.",
    );
    passphrase_confirm(ui, form, "Rotate key", Command::SubmitRotateKey, commands);
}

/// The current-passphrase field and the buttons of the strengthen and rotate-key dialogs.
fn passphrase_confirm(
    ui: &mut Ui,
    form: &mut StrengthenForm,
    action: &str,
    submit: Command,
    commands: &mut Vec<Command>,
) {
    // Not "Current passphrase": that field is on the settings page behind this dialog.
    let field = passphrase_field(ui, "Your passphrase", &mut form.passphrase, false);
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
    buttons(ui, |ui| {
        if style::primary(ui, !form.passphrase.is_empty(), action).clicked() || entered {
            commands.push(submit);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

impl Session {
    /// Creates the secret in the Create form. Returns a toast.
    pub(crate) fn submit_create(&mut self) -> Option<(String, bool)> {
        let Some(Dialog::Create(form)) = &mut self.dialog else { return None };
        let name = match SecretName::parse(&form.name) {
            Ok(n) => n,
            Err(e) => {
                form.error = Some(e.to_string());
                return None;
            }
        };
        let new =
            NewSecret { name, description: form.description.clone(), value: SecretValue::new(form.value.as_str()) };
        let vault = self.vault.as_mut()?;
        match vault.create_secret(new) {
            Ok(saved) => {
                let text = format!("Created {}.", saved.meta.name);
                self.list.upsert(saved.meta);
                self.dialog = None;
                Some((text, false))
            }
            Err(e) => {
                form.error = Some(e.to_string());
                None
            }
        }
    }

    /// Saves the Edit form: a rename if the name changed, then the description and value.
    pub(crate) fn submit_edit(&mut self) -> Option<(String, bool)> {
        let Some(Dialog::Edit(form)) = &mut self.dialog else { return None };
        let original = form.original.clone()?;
        let vault = self.vault.as_mut()?;
        let result = (|| -> Result<SecretMeta, Error> {
            let edit = SecretEdit {
                name: Some(SecretName::parse(&form.name)?),
                description: Some(form.description.clone()),
                value: SecretEdit::typed_value(SecretValue::new(form.value.as_str())),
            };
            Ok(vault.edit(original.id, edit)?.meta)
        })();
        match result {
            Ok(meta) => {
                let text = if meta.version > original.version {
                    format!("Saved {} (version {}).", meta.name, meta.version)
                } else {
                    format!("Saved {}.", meta.name)
                };
                self.list.upsert(meta);
                self.dialog = None;
                Some((text, false))
            }
            Err(e) => {
                form.error = Some(e.to_string());
                None
            }
        }
    }

    pub(crate) fn open_view(&mut self, id: SecretId, now: Timestamp) -> Option<(String, bool)> {
        let vault = self.vault.as_ref()?;
        let meta = match vault.meta(id) {
            Ok(m) => m,
            Err(e) => return Some((e.to_string(), true)),
        };
        let history = vault.history(id).unwrap_or_default();
        let mut view = ViewState { id, meta, value: None, revealed_at: now, history, error: None };
        view.reveal(vault, now);
        self.dialog = Some(Dialog::View(view));
        None
    }

    /// The text to copy: the value, or `NAME=value` quoted as a .env line.
    pub(crate) fn copy_text(
        &self,
        id: SecretId,
        as_assignment: bool,
    ) -> Result<(String, zeroize::Zeroizing<String>), String> {
        let vault = self.vault.as_ref().ok_or("The vault is busy; try again in a moment.")?;
        let meta = vault.meta(id).map_err(|e| e.to_string())?;
        let value = vault.reveal(id).map_err(|e| e.to_string())?;
        let name = meta.name.as_str().to_owned();
        if as_assignment {
            let mut line = interchange::write(Format::Env, &[(name.as_str(), &value)]);
            while line.ends_with('\n') {
                line.pop();
            }
            Ok((format!("{name}=…"), line))
        } else {
            Ok((name, zeroize::Zeroizing::new(value.expose().to_owned())))
        }
    }

    pub(crate) fn submit_restore_as(&mut self) -> Option<(String, bool)> {
        let Some(Dialog::RestoreAs { id, name, error, .. }) = &mut self.dialog else { return None };
        let id = *id;
        let new_name = match SecretName::parse(name.trim()) {
            Ok(n) => n,
            Err(e) => {
                *error = Some(e.to_string());
                return None;
            }
        };
        let vault = self.vault.as_mut()?;
        match vault.restore(id, Some(new_name)) {
            Ok(meta) => {
                let text = format!("Restored as {}.", meta.name);
                self.list.upsert(meta);
                self.dialog = None;
                self.reload_trash();
                Some((text, false))
            }
            Err(e) => {
                *error = Some(e.to_string());
                None
            }
        }
    }
}
