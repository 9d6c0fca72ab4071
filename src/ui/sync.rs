//! The Sync section of Vault settings: connect this vault to a folder another program keeps in
//! step, the devices writing there, Sync now and Disconnect. The rules (what a sync does, what
//! the folder holds) are the core's `vault/synced/`; docs/sync.md is the user's page.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::session::SyncView;
use super::style::{self, weak};
use crate::vault::Timestamp;

/// The section's content (shell.rs puts it in its card). `ready`: no worker thread has the vault.
pub(crate) fn section(ui: &mut Ui, view: &mut SyncView, ready: bool, now: Timestamp, commands: &mut Vec<Command>) {
    match view.folder.clone() {
        None => not_connected(ui, view, ready, commands),
        Some(folder) => {
            ui.label(weak(
                "This vault syncs through the folder below: each device writes small encrypted change files \
                 there (never the vault file) and takes in the others'. The app syncs when the vault or the \
                 folder changes.",
            ));
            ui.add_space(4.0);
            egui::Grid::new("sync_folder").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
                ui.label(weak("Folder"));
                ui.add(egui::Label::new(RichText::new(folder.display().to_string()).monospace()).selectable(true));
                ui.end_row();
                ui.label(weak("Devices"));
                ui.vertical(|ui| {
                    for device in &view.devices {
                        let this = match (device.this_device, device.forgotten) {
                            (true, _) => " (this device)",
                            (false, true) => " (forgotten)",
                            (false, false) => "",
                        };
                        let newest = device.last_change.map_or_else(
                            || "no change yet".to_owned(),
                            |t| format!("newest change {}", style::relative(now, t)),
                        );
                        let files = match device.files {
                            1 => "1 change file".to_owned(),
                            n => format!("{n} change files"),
                        };
                        ui.horizontal(|ui| {
                            ui.label(format!("{}{this} · {files} · {newest}", device.name))
                                .on_hover_text(format!("Device id {}", device.id.hex()));
                            if !device.this_device && !device.forgotten && view.confirm_forget.is_none() {
                                let forget = ui.add_enabled(ready, egui::Button::new("Forget…").small());
                                let forget = forget
                                    .on_hover_text("A lost or retired device: stop taking in its changes")
                                    .accessible_name(format!("Forget {}", device.name));
                                if forget.clicked() {
                                    view.confirm_forget = Some(device.id);
                                }
                            }
                        });
                        if view.confirm_forget == Some(device.id) {
                            style::warning_text(
                                ui,
                                &format!(
                                    "Forget {}? No device will take in its changes from now on (what it wrote \
                                     before stays). There is no way back for this device: it would join again as \
                                     a new one.",
                                    device.name
                                ),
                            );
                            ui.horizontal(|ui| {
                                if style::danger(ui, &format!("Forget {}", device.name)).clicked() {
                                    commands.push(Command::SyncForget(device.id.hex()));
                                }
                                if style::secondary(ui, "Cancel").clicked() {
                                    view.confirm_forget = None;
                                }
                            });
                        }
                        if let Some(why) = &device.stopped {
                            style::warning_text(ui, &format!("Its change files stop early: {why}."));
                        }
                    }
                });
                ui.end_row();
            });
            if !view.flagged.is_empty() {
                ui.add_space(4.0);
                style::warning_text(
                    ui,
                    "Changed on two devices — the later edit shows, the other value is in its earlier versions (View):",
                );
                for (id, label) in &view.flagged {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(label).monospace());
                        let keep = ui.add_enabled(ready, egui::Button::new("Keep what shows").small());
                        if keep.accessible_name(format!("Keep what {label} shows")).clicked() {
                            commands.push(Command::SyncKeep(*id));
                        }
                    });
                }
            }
            ui.add_space(4.0);
            if let Some((text, is_error)) = &view.last {
                if *is_error {
                    style::error_text(ui, text);
                } else {
                    ui.label(weak(text.as_str()));
                }
            }
            ui.horizontal(|ui| {
                if style::secondary_enabled(ui, ready, "Sync now").clicked() {
                    commands.push(Command::SyncNow);
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    let disconnect = style::secondary_enabled(ui, ready, "Disconnect");
                    if disconnect
                        .on_hover_text("Stop syncing this vault; the folder and the vault keep everything")
                        .clicked()
                    {
                        commands.push(Command::SyncDisconnect);
                    }
                });
            });
        }
    }
}

fn not_connected(ui: &mut Ui, view: &mut SyncView, ready: bool, commands: &mut Vec<Command>) {
    ui.label(weak(
        "Keep this vault in step with your other devices through a folder that Syncthing, Dropbox, Nextcloud \
         or a git repository already syncs. Tresor writes small encrypted change files there, never the \
         vault file, and merges every device's edits secret by secret.",
    ));
    ui.add_space(4.0);
    let mut submit = false;
    egui::Grid::new("sync_connect").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Sync folder");
        let folder = ui
            .add(
                egui::TextEdit::singleline(&mut view.folder_text)
                    .hint_text("/home/you/Sync/tresor")
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
        submit |= folder.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.end_row();
        let label = ui.label("This device's name");
        let name = ui
            .add(
                egui::TextEdit::singleline(&mut view.name_text)
                    .hint_text(crate::vault::default_device_name())
                    .desired_width(240.0),
            )
            .labelled_by(label.id);
        submit |= name.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.end_row();
    });
    if let Some((text, true)) = &view.last {
        style::error_text(ui, text);
    }
    let filled = !view.folder_text.trim().is_empty();
    let connect = style::primary(ui, filled && ready, "Connect");
    if filled && ready && (connect.clicked() || submit) {
        commands.push(Command::SyncConnect);
    }
    ui.label(weak(
        "On another device: \"Join a synced vault…\" when Tresor first starts there, or `tresor sync join FOLDER`.",
    ));
}
