//! The look: spacing, type sizes, the accent, and small shared pieces (primary buttons, cards,
//! relative times). Light, dark, or the system's (see portal.rs).

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
        style.visuals.selection.stroke.color = Color32::WHITE;
        // No label can be selected: egui hands a label's selection to the X11 PRIMARY selection
        // and its Ctrl+C to the clipboard after the frame, past the clipboard guard, and labels
        // show revealed values. Copy buttons do that job, through the guard.
        style.interaction.selectable_labels = false;
        // A steady text cursor: a blinking one repaints the window twice a second for as long as
        // a field has the focus — and the search has it from the moment the vault is unlocked.
        style.visuals.text_cursor.blink = false;
    });
    // Softer error and warning colours than egui's pure red and orange, and muted text dark or
    // light enough: every text meets 4.5:1 against its theme's panels (see `contrast` in the
    // tests below).
    // Controls (text fields, tick boxes, radio buttons, buttons) get a boundary of at least 3:1
    // against what is around them (WCAG 1.4.11): egui draws none, and a white field on the
    // light panel was about 1.06:1. Disabled controls fade less than egui's half, so that
    // their text stays legible (see `contrast` in the tests below).
    ctx.style_mut_of(egui::Theme::Dark, |style| {
        style.visuals.error_fg_color = ERROR_ON_DARK;
        style.visuals.warn_fg_color = WARN_ON_DARK;
        style.visuals.weak_text_color = Some(WEAK_ON_DARK);
        style.visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, BOUNDARY_ON_DARK);
        style.visuals.disabled_alpha = DISABLED_ALPHA;
    });
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.error_fg_color = ERROR_ON_LIGHT;
        style.visuals.warn_fg_color = WARN_ON_LIGHT;
        style.visuals.weak_text_color = Some(WEAK_ON_LIGHT);
        style.visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, BOUNDARY_ON_LIGHT);
        style.visuals.disabled_alpha = DISABLED_ALPHA;
        // Selected tabs and entries, and selected text, in a pale accent with dark accent text:
        // the same stroke outlines a focused text field, which white left invisible here.
        style.visuals.selection.bg_fill = SELECTED_ON_LIGHT;
        style.visuals.selection.stroke = Stroke::new(1.0, SELECTED_TEXT_ON_LIGHT);
    });
}

const SELECTED_ON_LIGHT: Color32 = Color32::from_rgb(0xD5, 0xE2, 0xFF);
const SELECTED_TEXT_ON_LIGHT: Color32 = Color32::from_rgb(0x1F, 0x4F, 0xC4);

const BOUNDARY_ON_DARK: Color32 = Color32::from_gray(0x76);
const BOUNDARY_ON_LIGHT: Color32 = Color32::from_gray(0x86);
/// How opaque a disabled control is drawn (egui's default is 0.5).
const DISABLED_ALPHA: f32 = 0.7;
/// A disabled main button: a pale accent with dark accent text (light), a dim accent with pale
/// accent text (dark) — still the main button, plainly not available, and readable.
const PRIMARY_DISABLED_FILL_LIGHT: Color32 = Color32::from_rgb(0xC9, 0xD6, 0xF7);
const PRIMARY_DISABLED_TEXT_LIGHT: Color32 = Color32::from_rgb(0x1E, 0x3F, 0x8F);
const PRIMARY_DISABLED_FILL_DARK: Color32 = Color32::from_rgb(0x2A, 0x3A, 0x5E);
const PRIMARY_DISABLED_TEXT_DARK: Color32 = Color32::from_rgb(0x9F, 0xB4, 0xE8);

const ERROR_ON_DARK: Color32 = Color32::from_rgb(0xFF, 0x7B, 0x72);
const WARN_ON_DARK: Color32 = Color32::from_rgb(0xE3, 0xA0, 0x3C);
const WEAK_ON_DARK: Color32 = Color32::from_gray(0x9A);
const ERROR_ON_LIGHT: Color32 = Color32::from_rgb(0xB4, 0x23, 0x18);
const WARN_ON_LIGHT: Color32 = Color32::from_rgb(0x8A, 0x4B, 0x00);
const WEAK_ON_LIGHT: Color32 = Color32::from_gray(0x5F);

/// Sets the theme the user chose.
pub fn set_theme(ctx: &egui::Context, theme: super::prefs::Theme) {
    use super::prefs::Theme;
    ctx.set_theme(match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    });
}

/// A filled accent button: the one main action of a screen or dialog. Disabled, it keeps its
/// own readable colours (not egui's fade, which left white on pale blue).
pub fn primary(ui: &mut Ui, enabled: bool, label: &str) -> egui::Response {
    if enabled {
        let button = egui::Button::new(RichText::new(label).color(Color32::WHITE).strong())
            .fill(ACCENT)
            .min_size(egui::vec2(0.0, 30.0));
        return ui.add(button);
    }
    let (fill, text) = primary_disabled(ui.visuals().dark_mode);
    let button =
        egui::Button::new(RichText::new(label).color(text).strong()).fill(fill).min_size(egui::vec2(0.0, 30.0));
    ui.scope(|ui| {
        ui.visuals_mut().disabled_alpha = 1.0;
        ui.add_enabled(false, button)
    })
    .inner
}

/// A disabled main button's fill and text colours.
fn primary_disabled(dark: bool) -> (Color32, Color32) {
    if dark {
        (PRIMARY_DISABLED_FILL_DARK, PRIMARY_DISABLED_TEXT_DARK)
    } else {
        (PRIMARY_DISABLED_FILL_LIGHT, PRIMARY_DISABLED_TEXT_LIGHT)
    }
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

/// An error, read out at once by a screen reader when it appears (an assertive live region).
pub fn error_text(ui: &mut Ui, text: &str) {
    let color = ui.visuals().error_fg_color;
    let label = ui.label(RichText::new(sentence(text)).color(color));
    super::a11y::live(&label, true);
}

/// A warning, read out by a screen reader when it appears (a polite live region).
pub fn warning_text(ui: &mut Ui, text: &str) {
    warning_as_written(ui, &sentence(text));
}

/// [`warning_text`] for a sentence of the app's own, kept as written: one that starts with a
/// place (`shop / production falls back…`) keeps the place's case.
pub fn warning_as_written(ui: &mut Ui, text: &str) {
    let color = ui.visuals().warn_fg_color;
    let label = ui.label(RichText::new(format!("⚠ {text}")).color(color));
    super::a11y::live(&label, false);
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
    dialog_frame_of(ui.style())
}

/// [`dialog_frame`] from a style (a dialog drawn outside any `Ui`).
pub fn dialog_frame_of(style: &egui::Style) -> egui::Frame {
    egui::Frame::popup(style).inner_margin(Margin::same(22)).corner_radius(CornerRadius::same(10))
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

/// The desktop's offset from UTC, read once when the window opens (see [`read_local_offset`]);
/// unset (UTC) in tests.
static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Reads the local time zone's current offset from UTC. Must run before the process starts a
/// second thread: the `time` crate refuses to read it later, since reading the time zone is not
/// thread-safe on Unix.
pub fn read_local_offset() {
    if let Ok(offset) = time::UtcOffset::current_local_offset() {
        let _ = LOCAL_OFFSET.set(offset);
    }
}

/// The exact time in local time, with its offset, for tooltips and details:
/// `2026-11-23 10:41:05 UTC+01:00` (or `… UTC` where local time is UTC). The offset is the one
/// in force when the app started, and is always shown, so no time is ever ambiguous.
pub fn exact(t: Timestamp) -> String {
    exact_at(t, LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC))
}

fn exact_at(t: Timestamp, offset: time::UtcOffset) -> String {
    let Ok(utc) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000) else {
        return format!("@{}ms", t.0);
    };
    let local = utc.to_offset(offset);
    let text = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    if offset.is_utc() {
        format!("{text} UTC")
    } else {
        let (h, m, _) = offset.as_hms();
        format!("{text} UTC{}{:02}:{:02}", if offset.is_negative() { '-' } else { '+' }, h.abs(), m.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2 contrast ratio of two sRGB colours.
    fn contrast(a: Color32, b: Color32) -> f32 {
        let luminance = |c: Color32| {
            let channel = |v: u8| {
                let v = f32::from(v) / 255.0;
                if v <= 0.040_45 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
            };
            0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_has_4_5_to_1_contrast_in_both_themes() {
        let ctx = egui::Context::default();
        apply(&ctx);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            let visuals = ctx.style_of(theme).visuals.clone();
            let texts = [
                ("text", visuals.text_color()),
                ("muted", visuals.weak_text_color()),
                ("error", visuals.error_fg_color),
                ("warning", visuals.warn_fg_color),
            ];
            let backgrounds = [
                ("panel", visuals.panel_fill),
                ("window", visuals.window_fill),
                ("field", visuals.text_edit_bg_color()),
                // Hovered, ticked and highlighted rows, and the Compare view's differing rows:
                // muted (inherited) rows must stay readable there too.
                // (egui's faint background is additive: laid over the panel.)
                ("row highlight", {
                    let (panel, faint) = (visuals.panel_fill, visuals.faint_bg_color);
                    if faint.a() == 0 {
                        Color32::from_rgb(
                            panel.r().saturating_add(faint.r()),
                            panel.g().saturating_add(faint.g()),
                            panel.b().saturating_add(faint.b()),
                        )
                    } else {
                        faint
                    }
                }),
            ];
            for (text, fg) in texts {
                for (background, bg) in backgrounds {
                    let ratio = contrast(fg, bg);
                    assert!(ratio >= 4.5, "{theme:?}: {text} on {background} is {ratio:.2}:1");
                }
            }
        }
        // The filled buttons' white labels.
        assert!(contrast(Color32::WHITE, ACCENT) >= 4.5, "primary button");
        assert!(contrast(Color32::WHITE, DANGER) >= 4.5, "danger button");
        // A disabled main button stays readable, in both themes.
        for dark in [false, true] {
            let (fill, text) = primary_disabled(dark);
            let ratio = contrast(text, fill);
            assert!(ratio >= 4.5, "disabled primary button (dark: {dark}) is {ratio:.2}:1");
        }
    }

    /// `fg` drawn at `alpha` over `bg` (egui blends in gamma space).
    fn faded(fg: Color32, bg: Color32, alpha: f32) -> Color32 {
        let mix = |f: u8, b: u8| (f32::from(f) * alpha + f32::from(b) * (1.0 - alpha)).round() as u8;
        Color32::from_rgb(mix(fg.r(), bg.r()), mix(fg.g(), bg.g()), mix(fg.b(), bg.b()))
    }

    #[test]
    fn controls_have_a_3_to_1_boundary_and_disabled_text_stays_legible_in_both_themes() {
        let ctx = egui::Context::default();
        apply(&ctx);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            let visuals = ctx.style_of(theme).visuals.clone();
            let widgets = &visuals.widgets;
            // What a control's edge touches: the page, a dialog, and (for a field) its own inside.
            let around = [
                ("panel", visuals.panel_fill),
                ("dialog", visuals.window_fill),
                ("field inside", visuals.text_edit_bg_color()),
            ];
            // Text fields, tick boxes, radio buttons and buttons all draw this edge when idle;
            // hovered and focused edges are stronger still.
            for (state, stroke) in [("idle", widgets.inactive.bg_stroke), ("hovered", widgets.hovered.bg_stroke)] {
                assert!(stroke.width >= 1.0, "{theme:?}: {state} controls have an edge");
                for (name, bg) in around {
                    let ratio = contrast(stroke.color, bg);
                    assert!(ratio >= 3.0, "{theme:?}: a {state} control's edge on the {name} is {ratio:.2}:1");
                }
            }
            let focused = visuals.selection.stroke.color;
            for (name, bg) in around {
                let ratio = contrast(focused, bg);
                assert!(ratio >= 3.0, "{theme:?}: a focused field's edge on the {name} is {ratio:.2}:1");
            }
            // A selected tab or entry's text on its fill.
            let selected = contrast(visuals.selection.stroke.color, visuals.selection.bg_fill);
            assert!(selected >= 4.5, "{theme:?}: selected text is {selected:.2}:1");
            // A tick in a tick box, on the box.
            let tick = contrast(widgets.inactive.fg_stroke.color, widgets.inactive.bg_fill);
            assert!(tick >= 3.0, "{theme:?}: a tick on its box is {tick:.2}:1");
            // A disabled button's text (faded with the button) on its faded fill, over the page:
            // legible (3:1; WCAG asks nothing of disabled controls, the reviewer could not read
            // them at egui's half).
            let alpha = visuals.disabled_alpha;
            let fill = faded(widgets.inactive.weak_bg_fill, visuals.panel_fill, alpha);
            let text = faded(widgets.inactive.fg_stroke.color, fill, alpha);
            let ratio = contrast(text, fill);
            assert!(ratio >= 3.0, "{theme:?}: a disabled button's text is {ratio:.2}:1");
            // Disabled muted text (a label in a disabled row) on the page.
            let muted = faded(visuals.weak_text_color(), visuals.panel_fill, alpha);
            let ratio = contrast(muted, visuals.panel_fill);
            assert!(ratio >= 3.0, "{theme:?}: disabled muted text is {ratio:.2}:1");
        }
    }

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
        let offset = |h, m| time::UtcOffset::from_hms(h, m, 0).unwrap();
        assert_eq!(exact_at(Timestamp(1_700_000_000_123), offset(1, 0)), "2023-11-14 23:13:20 UTC+01:00");
        assert_eq!(exact_at(Timestamp(1_700_000_000_123), offset(-9, -30)), "2023-11-14 12:43:20 UTC-09:30");
    }
}
