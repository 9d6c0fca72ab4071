//! Every size the app promises, and how it reads: dialogs that fit the smallest window (or
//! scroll inside it, title and buttons in sight) and shrink back; Compare's columns at 760 wide;
//! names in full on a wide screen; one highlight in the sidebar; one tooltip where one is due.

use super::*;

/// Unlocked, in a window of `size`, on a vault holding `secrets`.
fn unlocked_at(secrets: &[(&str, &str, &str)], size: [f32; 2]) -> World {
    let mut w = world_with(secrets);
    w.harness = app_sized(&w.path, w.clock.clone(), w.clipboard.clone(), None, size);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    w
}

/// Whether `rect` is wholly inside a window of `size`.
fn inside(rect: egui::Rect, size: [f32; 2]) -> bool {
    rect.min.x >= 0.0 && rect.min.y >= 0.0 && rect.max.x <= size[0] + 0.5 && rect.max.y <= size[1] + 0.5
}

/// The open dialog's title (its heading) is inside the window, and so is each of `buttons`
/// (the last control of that name: the dialog's, over the page's).
pub(super) fn dialog_fits(w: &World, size: [f32; 2], buttons: &[&str]) {
    use egui::accesskit::Role;
    let dialog = w.harness.get_all_by_role(Role::Dialog).last().expect("a dialog");
    let name = dialog.accesskit_node().label().unwrap_or_default();
    let title = dialog
        .children_recursive()
        .find(|n| n.accesskit_node().role() == Role::Heading)
        .unwrap_or_else(|| panic!("{name}: a title"));
    assert!(inside(title.rect(), size), "{name}: its title {:?} is off-screen", title.rect());
    for button in buttons {
        let node = w.harness.get_all_by_label(button).last().unwrap_or_else(|| panic!("{name}: no {button}"));
        assert!(inside(node.rect(), size), "{name}: {button} {:?} is off-screen", node.rect());
    }
}

const SMALLEST: [f32; 2] = [760.0, 500.0];

#[test]
fn at_760_by_500_every_dialog_keeps_its_title_and_buttons_in_the_window() {
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
        vec!["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDACY9SsXBrOq3d+3a5"; 40].join("\n")
    );
    let mut w = unlocked_at(&[("TLS_PRIVATE_KEY", "PEM", &pem), ("ROTATED", "", "v1")], SMALLEST);
    {
        let mut vault = open_vault(&w);
        let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("ROTATED").unwrap()).unwrap().0;
        for v in ["v2", "v3", "v4", "v5"] {
            let edit = SecretEdit { value: Some(SecretValue::new(v)), ..SecretEdit::default() };
            vault.edit(id, edit).unwrap();
        }
    }
    w.harness.run();

    // View of a PEM key, revealed.
    w.harness.get_by_label("View TLS_PRIVATE_KEY").click();
    w.harness.run();
    w.harness.get_by_label("Reveal value").click();
    w.harness.run();
    dialog_fits(&w, SMALLEST, &["Close", "Hide value"]);
    w.harness.key_press(Key::Escape);
    w.harness.run();

    // View with four earlier versions.
    w.harness.get_by_label("View ROTATED").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Restore version 1").is_some());
    dialog_fits(&w, SMALLEST, &["Close"]);
    w.harness.key_press(Key::Escape);
    w.harness.run();

    // Create with a pasted block offered as an import, a name error and paste warnings.
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    type_into(&mut w.harness, "Value", " sk-live 123\n");
    type_into(&mut w.harness, "Name", "my-api key");
    w.harness.event(egui::Event::Paste("A_KEY=1\nB_KEY=2\n".into()));
    w.harness.run();
    assert!(has_text(&w.harness, "Import 2 secrets from the pasted text"));
    assert!(has_text(&w.harness, "Use MY_API_KEY"));
    dialog_fits(&w, SMALLEST, &["Create Environment Secret", "Cancel"]);
}

#[test]
fn a_dialog_shrinks_back_when_its_error_goes() {
    let mut w = unlocked_with(&[("A_KEY", "", "a")]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    // From the title to the buttons.
    let height = |w: &World| {
        let title = w
            .harness
            .get_all_by_role(egui::accesskit::Role::Heading)
            .find(|h| h.accesskit_node().label().as_deref() == Some("Create Environment Secret"))
            .expect("the dialog's title");
        w.harness.get_by_label("Cancel").rect().top() - title.rect().top()
    };
    let before = height(&w);
    type_into(&mut w.harness, "Name", "bad name");
    w.harness.run();
    let with_error = height(&w);
    assert!(with_error > before + 20.0, "the error and its fix take room: {before} → {with_error}");
    // No further input: the frames the app asks for itself.
    replace_in(&mut w.harness, "Name", "GOOD_NAME");
    let after = height(&w);
    assert!(after < with_error - 20.0, "no blank band where the error was: {with_error} → {after}");
}

#[test]
fn compare_at_760_keeps_every_copy_button_inside_its_column() {
    let mut w = shop_world();
    {
        let mut vault = open_vault(&w);
        let shop = vault.projects().unwrap().into_iter().find(|p| p.name.as_str() == "shop").unwrap();
        vault.create_environment(shop.id, &tresor::PlaceName::parse("qa").unwrap()).unwrap();
    }
    w.harness.set_size(egui::vec2(SMALLEST[0], SMALLEST[1]));
    w.harness.run();
    open_shop_tab(&mut w, "Compare");
    use egui::accesskit::Role;
    // Each column header's text, where it starts.
    let headers: Vec<(String, egui::Rect)> = w
        .harness
        .get_all_by_role(Role::ColumnHeader)
        .filter_map(|h| {
            let text = h.children_recursive().find(|n| n.accesskit_node().role() == Role::Label)?;
            Some((h.accesskit_node().label()?, text.rect()))
        })
        .collect();
    let column_end = |env: &str| {
        let at = headers.iter().position(|(n, _)| n == env).expect("a column of the environment");
        headers.get(at + 1).map_or(SMALLEST[0], |(_, r)| r.min.x)
    };
    let mut checked = 0;
    for button in w.harness.query_all_by_label_contains("Copy SENTRY_DSN to ") {
        let label = button.accesskit_node().label().unwrap();
        let env = label.rsplit(" to ").next().unwrap().to_owned();
        let rect = button.rect();
        assert!(rect.max.x <= column_end(&env) + 0.5, "{label}: {rect:?} runs into the next column");
        assert!(inside(rect, SMALLEST), "{label}: {rect:?} is cut by the window");
        checked += 1;
    }
    assert_eq!(checked, 3, "development, staging and qa lack SENTRY_DSN");
}

#[test]
fn a_wide_window_shows_a_long_name_in_full() {
    const LONG: &str = "SLACK_BOT_TOKEN_FOR_DEPLOY_NOTIFICATIONS_CHANNEL_OF_THE_SHOP";
    let w = unlocked_at(&[(LONG, "deploy bot", "x"), ("SHORT", "", "y")], [1920.0, 1080.0]);
    let text_width = w
        .harness
        .ctx
        .fonts_mut(|f| f.layout_no_wrap(LONG.into(), egui::FontId::monospace(13.5), egui::Color32::WHITE).size().x);
    let label = w
        .harness
        .get_all_by_label(LONG)
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Label)
        .expect("the name cell")
        .rect();
    assert!(label.width() + 0.5 >= text_width, "{LONG} is cut: {} < {text_width}", label.width());
}

#[test]
fn the_sidebar_highlights_the_current_project_only() {
    let w = shop_world();
    let selected = |label: &str| w.harness.get_by_label(label).accesskit_node().is_selected();
    assert_eq!(selected("Personal, 1 secret"), Some(true), "the project shown");
    assert_ne!(selected("Secrets"), Some(true), "not Secrets as well");
    assert_ne!(selected("shop, 6 secrets"), Some(true));
}

#[test]
fn the_import_plans_details_show_one_tooltip() {
    let mut w = unlocked_with(&[("A_KEY", "", "a")]);
    let file = w.path.with_file_name("spaces.env");
    common::write_private(&file, b"PADDED=\"  sk-live-0123456789 with spaces and more words at both ends  \"\n");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    use egui::accesskit::Role;
    let details = w
        .harness
        .get_all_by_role(Role::Cell)
        .find(|c| c.accesskit_node().description().as_deref() == Some("Details"))
        .and_then(|c| c.children_recursive().find_map(|n| n.accesskit_node().value()))
        .expect("the entry's details");
    let cell = w.harness.get_by_value(&details);
    cell.hover();
    w.harness.run();
    w.harness.run();
    // The cell and one tooltip (egui's own, for the cut text): the text twice, not three times.
    let shown = w.harness.query_all_by_value(&details).count();
    assert_eq!(shown, 2, "the details shown {shown} times");
}
