//! The look: spacing, type sizes, the accent, and small shared pieces (primary buttons, cards,
//! relative times). Light and dark follow the system (egui's default theme preference).

use egui::{Color32, CornerRadius, FontId, Margin, RichText, Stroke, TextStyle, Ui};

use crate::vault::Timestamp;

pub const ACCENT: Color32 = Color32::from_rgb(0x3B, 0x6E, 0xE8);
pub const DANGER: Color32 = Color32::from_rgb(0xD0, 0x3A, 0x3A);
pub const ROW_HEIGHT: f32 = 34.0;

pub fn apply(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 8.0);
        style.spacing.button_padding = egui::vec2(10.0, 5.0);
        style.spacing.interact_size.y = 26.0;
        style.text_styles.insert(TextStyle::Body, FontId::proportional(14.5));
        style.text_styles.insert(TextStyle::Button, FontId::proportional(14.5));
        style.text_styles.insert(TextStyle::Monospace, FontId::monospace(13.5));
        style.text_styles.insert(TextStyle::Small, FontId::proportional(12.0));
        style.text_styles.insert(TextStyle::Heading, FontId::proportional(22.0));
        style.visuals.selection.bg_fill = ACCENT;
    });
}

/// A filled accent button: the one main action of a screen or dialog.
pub fn primary(ui: &mut Ui, enabled: bool, label: &str) -> egui::Response {
    let button = egui::Button::new(RichText::new(label).color(Color32::WHITE).strong())
        .fill(if enabled { ACCENT } else { ACCENT.gamma_multiply(0.45) })
        .min_size(egui::vec2(0.0, 30.0));
    ui.add_enabled(enabled, button)
}

/// A filled red button, for confirmations that delete.
pub fn danger(ui: &mut Ui, label: &str) -> egui::Response {
    let button = egui::Button::new(RichText::new(label).color(Color32::WHITE).strong())
        .fill(DANGER)
        .min_size(egui::vec2(0.0, 30.0));
    ui.add(button)
}

/// A plain button of the same height as [`primary`].
pub fn secondary(ui: &mut Ui, label: &str) -> egui::Response {
    ui.add(egui::Button::new(label).min_size(egui::vec2(0.0, 30.0)))
}

/// [`secondary`] that can be disabled.
pub fn secondary_enabled(ui: &mut Ui, enabled: bool, label: &str) -> egui::Response {
    ui.add_enabled(enabled, egui::Button::new(label).min_size(egui::vec2(0.0, 30.0)))
}

/// A small icon-only button whose accessible name and tooltip say what it does.
pub fn icon_button(ui: &mut Ui, icon: &str, name: &str, tooltip: &str) -> egui::Response {
    ui.add(
        egui::Button::new(RichText::new(icon).size(15.0)).frame_when_inactive(false).min_size(egui::vec2(30.0, 26.0)),
    )
    .accessible_name(name)
    .on_hover_text(tooltip)
}

/// A framed block, for the cards of the lock screens and the sections of the settings page.
pub fn card(ui: &Ui) -> egui::Frame {
    egui::Frame::new()
        .fill(ui.visuals().panel_fill)
        .stroke(Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color))
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin::same(20))
}

/// The info note on the Secrets page.
pub fn note(ui: &Ui) -> egui::Frame {
    let tint =
        if ui.visuals().dark_mode { Color32::from_rgb(0x1E, 0x2A, 0x40) } else { Color32::from_rgb(0xEB, 0xF1, 0xFD) };
    egui::Frame::new().fill(tint).corner_radius(CornerRadius::same(6)).inner_margin(Margin::symmetric(12, 8))
}

pub fn error_text(ui: &mut Ui, text: &str) {
    let color = ui.visuals().error_fg_color;
    ui.label(RichText::new(sentence(text)).color(color));
}

pub fn warning_text(ui: &mut Ui, text: &str) {
    let color = ui.visuals().warn_fg_color;
    ui.label(RichText::new(format!("⚠ {}", sentence(text))).color(color));
}

/// The core's messages are written for the command line ("tresor: the name …"); on screen they
/// read as sentences: capital first letter, final period.
pub fn sentence(text: &str) -> String {
    let mut out = capitalized(text.trim());
    if out.is_empty() {
        return out;
    }
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// `text` with its first letter upper-case.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The frame of every dialog.
pub fn dialog_frame(ui: &Ui) -> egui::Frame {
    egui::Frame::popup(ui.style()).inner_margin(Margin::same(22)).corner_radius(CornerRadius::same(10))
}

pub fn weak(text: impl Into<String>) -> RichText {
    RichText::new(text.into()).weak()
}

/// "just now", "5 min ago", "3 h ago", "yesterday", "12 days ago", then the date.
pub fn relative(now: Timestamp, then: Timestamp) -> String {
    let seconds = (now.0 - then.0) / 1000;
    match seconds {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "yesterday".into(),
        s if s < 30 * 86_400 => format!("{} days ago", s / 86_400),
        _ => exact(then).chars().take(10).collect(),
    }
}

/// The exact time, UTC, for tooltips: `2026-11-23 09:41:05 UTC`.
pub fn exact(t: Timestamp) -> String {
    let iso = t.to_rfc3339();
    let trimmed = iso.split('.').next().unwrap_or(&iso).trim_end_matches('Z');
    format!("{} UTC", trimmed.replace('T', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Timestamp(1_700_000_000_000);
        assert_eq!(relative(now, Timestamp(now.0 - 5_000)), "just now");
        assert_eq!(relative(now, Timestamp(now.0 - 5 * 60_000)), "5 min ago");
        assert_eq!(relative(now, Timestamp(now.0 - 3 * 3_600_000)), "3 h ago");
        assert_eq!(relative(now, Timestamp(now.0 - 26 * 3_600_000)), "yesterday");
        assert_eq!(relative(now, Timestamp(now.0 - 12 * 86_400_000)), "12 days ago");
        assert_eq!(relative(now, Timestamp(0)), "1970-01-01");
        assert_eq!(exact(Timestamp(1_700_000_000_123)), "2023-11-14 22:13:20 UTC");
    }
}
