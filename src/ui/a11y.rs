//! What AccessKit carries beyond egui's defaults, so that a screen reader can move by heading,
//! hears toasts and errors when they appear, and knows how a column is sorted. (AccessKit's
//! Linux adapter passes roles, names, descriptions and live regions to AT-SPI, but no heading
//! level or sort state: those are also said in words, in names and descriptions.)

use egui::accesskit::{Live, Role, SortDirection};

/// Marks a label as a heading of `level` (1: page titles, 2: card and section titles). A label
/// carries its text as its value; a heading is named by its label, so the text goes there too.
pub(crate) fn heading(response: &egui::Response, level: usize) {
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_role(Role::Heading);
        node.set_level(level);
        if let Some(text) = node.value().map(str::to_owned) {
            node.set_label(text);
        }
    });
}

/// What a screen reader says for a label instead of its visible text (a label is read by its
/// value, which `Response::accessible_name` does not change).
pub(crate) fn spoken(response: &egui::Response, text: &str) {
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_value(text);
        node.set_label(text);
    });
}

/// Makes a text a live region: a screen reader reads it when it appears or changes. Polite for
/// toasts (after what is being read), assertive for errors (at once).
pub(crate) fn live(response: &egui::Response, assertive: bool) {
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_live(if assertive { Live::Assertive } else { Live::Polite });
    });
}

/// A sort control's state: `None` when its column is not the sort key.
pub(crate) fn sort_state(response: &egui::Response, descending: Option<bool>) {
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_sort_direction(match descending {
            None => SortDirection::Other,
            Some(false) => SortDirection::Ascending,
            Some(true) => SortDirection::Descending,
        });
    });
}
