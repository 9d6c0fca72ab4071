//! The unlocked window's frame — top bar, sidebar, the page in the middle, the open dialog —
//! and the toasts. It only composes: each page and dialog family draws itself from its own file.

use std::path::Path;

use egui::{Align, Layout, RichText, Ui};

use super::command::{Command, SHORTCUT_LOCK};
use super::prefs::Prefs;
use super::session::Page;
use super::session::{Session, Toast};
use super::style::{self, weak};
use super::widgets::section;
use super::{a11y, backups, dialogs, places, secrets, settings, transfer, trash};
use crate::vault::Timestamp;

/// The window width below which the sidebar shows icons only.
const COMPACT_BELOW: f32 = 900.0;

/// The unlocked window: top bar, sidebar, the current page and the open dialog.
pub(crate) fn unlocked(
    ui: &mut Ui,
    session: &mut Session,
    prefs: &Prefs,
    vault_path: &Path,
    now: Timestamp,
    busy: Option<&'static str>,
    commands: &mut Vec<Command>,
) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let toggle = if prefs.sidebar_open { "Hide sidebar" } else { "Show sidebar" };
            if style::icon_button(ui, "☰", toggle, toggle).clicked() {
                commands.push(Command::ToggleSidebar);
            }
            ui.label(RichText::new("🔐 Tresor").strong().size(16.0));
            let file = vault_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            ui.label(weak(file)).on_hover_text(vault_path.display().to_string());
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .add(egui::Button::new("🔒 Lock"))
                    .accessible_name("Lock")
                    .on_hover_text(format!("Lock the vault ({})", ui.ctx().format_shortcut(&SHORTCUT_LOCK)))
                    .clicked()
                {
                    commands.push(Command::Lock);
                }
                if let Some(caption) = busy {
                    ui.label(weak(caption));
                    ui.spinner();
                }
            });
        });
        ui.add_space(2.0);
    });
    if prefs.sidebar_open {
        // Below COMPACT_BELOW the sidebar keeps only its icons (names in tooltips and for screen
        // readers), so that the list keeps its room.
        let compact = ui.ctx().content_rect().width() < COMPACT_BELOW;
        let width = if compact { 52.0 } else { 170.0 };
        egui::Panel::left("sidebar").resizable(false).exact_size(width).show(ui, |ui| {
            ui.add_space(12.0);
            let page_button = |ui: &mut Ui, page: Page, icon: &str, label: &str, commands: &mut Vec<Command>| {
                let current = session.page == page;
                // On the Secrets page the current project is the highlighted entry (one
                // highlight, not two); Secrets, the group above it, is only in bold.
                let filled = current && page != Page::Secrets;
                let response = if compact {
                    let button = egui::Button::selectable(filled, RichText::new(icon).size(16.0))
                        .min_size(egui::vec2(width - 8.0, 32.0));
                    ui.add(button).accessible_name(label).on_hover_text(label)
                } else {
                    let text = if current { RichText::new(label).strong() } else { RichText::new(label) };
                    ui.add(egui::Button::selectable(filled, text).min_size(egui::vec2(width, 28.0)))
                };
                // Marked current in words too (AT-SPI has no "current page" state); selected only
                // where it is the sidebar's highlight.
                response.ctx.accesskit_node_builder(response.id, |node| {
                    node.set_selected(filled);
                    if current {
                        node.set_description("current page");
                    }
                });
                if response.clicked() {
                    commands.push(Command::ShowPage(page));
                }
            };
            page_button(ui, Page::Secrets, "🔑", "Secrets", commands);
            ui.add_space(10.0);
            if !compact {
                // The caption of the projects below: a heading, for a screen reader.
                let caption = ui.label(RichText::new("PROJECTS").small().strong().weak());
                a11y::spoken(&caption, "Projects");
                a11y::heading(&caption, 2);
                ui.add_space(2.0);
            }
            egui::ScrollArea::vertical()
                .id_salt("sidebar projects")
                .max_height(ui.available_height() - 90.0)
                .show(ui, |ui| places::sidebar_projects(ui, session, width, compact, commands));
            ui.add_space(6.0);
            ui.separator();
            page_button(ui, Page::Trash, "🗑", "Trash", commands);
            page_button(ui, Page::Settings, "⚙", "Vault settings", commands);
        });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        egui::Frame::new().inner_margin(egui::Margin::symmetric(16, 10)).show(ui, |ui| match session.page {
            Page::Secrets => {
                secrets::title(ui, session, commands);
                places::place_bar(ui, session, secrets::tight(ui), commands);
                match &session.compare {
                    Some(view) => {
                        ui.add_space(6.0);
                        places::compare(ui, view, commands);
                    }
                    None => secrets::page(ui, session, !prefs.note_dismissed, now, commands),
                }
            }
            Page::Trash => trash::page(ui, &session.trash, &session.trashed_places, now, commands),
            Page::Settings => settings_page(ui, session, prefs, vault_path, now, commands),
        });
    });
    dialogs::show(ui, session, now, commands);
}

/// The Vault settings page: everyday preferences first, then getting secrets in and out,
/// backups, and the rarely used passphrase change and key settings last.
fn settings_page(
    ui: &mut Ui,
    session: &mut Session,
    prefs: &Prefs,
    vault_path: &Path,
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
    settings::page(ui, |ui| {
        settings::preference_sections(ui, prefs, commands);
        section(ui, "Import and export", |ui| {
            let place = session.label_of(&session.place).map(|l| super::vocabulary::place_text(&l)).unwrap_or_default();
            transfer::section(ui, &mut session.transfer, session.list.len(), &place, commands);
        });
        section(ui, "Backups", |ui| {
            let can_write = !session.read_only;
            backups::section(ui, &session.backups, vault_path, now, can_write, commands);
        });
        if !session.read_only {
            let ready = session.vault.is_some();
            section(ui, "Sync", |ui| super::sync::section(ui, &mut session.sync, ready, now, commands));
        }
        settings::passphrase_section(ui, &mut session.settings, session.vault.is_some(), commands);
        let ready = session.vault.is_some();
        settings::vault_file_section(ui, session.kdf, session.read_only, ready, vault_path, commands);
        super::serve::settings_section(ui, &session.serving, now, commands);
        settings::keyboard_section(ui);
    });
}

/// The toasts and the "copied" notice, at the bottom right.
pub(crate) fn toasts(
    ui: &mut Ui,
    toasts: &[Toast],
    clipboard: Option<(&str, Option<Timestamp>)>,
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
    if toasts.is_empty() && clipboard.is_none() {
        return;
    }
    egui::Area::new(egui::Id::unique("tresor_toasts"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
        .order(egui::Order::Tooltip)
        .show(ui.ctx(), |ui| {
            ui.set_max_width(360.0);
            let frame =
                |ui: &Ui| egui::Frame::popup(ui.style()).inner_margin(egui::Margin::symmetric(14, 10)).corner_radius(8);
            if let Some((label, clear_at)) = clipboard {
                frame(ui).show(ui, |ui| {
                    let text = match clear_at {
                        Some(at) => format!("🗐 {label} copied · clears in {} s", ((at.0 - now.0 + 999) / 1000).max(1)),
                        None => format!("🗐 {label} copied"),
                    };
                    // Announced once: the spoken text leaves the seconds out, so the countdown
                    // does not re-announce itself every second.
                    let spoken = match clear_at {
                        Some(_) => format!("{label} copied; the clipboard will be cleared"),
                        None => format!("{label} copied"),
                    };
                    let shown = ui.label(&text);
                    a11y::spoken(&shown, &spoken);
                    a11y::live(&shown, false);
                    // The countdown as shown, for whoever asks for details (not announced).
                    shown.ctx.accesskit_node_builder(shown.id, |node| node.set_description(text));
                });
            }
            for toast in toasts {
                frame(ui).show(ui, |ui| {
                    // Wrapped: a long message (a sync that stopped, say) stays within the toast's
                    // width instead of running off the window's left edge.
                    ui.horizontal_wrapped(|ui| {
                        if toast.is_error {
                            style::error_text(ui, &toast.text);
                        } else {
                            let shown = ui.label(&toast.text);
                            a11y::live(&shown, false);
                        }
                        if let Some(undo) = &toast.undo
                            && ui.button("Undo").clicked()
                        {
                            commands.push(Command::Undo(undo.clone()));
                        }
                    });
                });
            }
        });
}
