//! A value from somewhere else than the keyboard, in Create and Edit: a file's exact text (the
//! path field where there is no file dialog, a file dropped on the dialog), refused files, and
//! Generate. What was saved is read back through the vault's API.

use super::*;

/// Create open, with `name` typed.
fn creating(w: &mut World, name: &str) {
    w.harness.get_by_label("Create Environment Secret").click();
    w.harness.run();
    field(&w.harness, "Name").type_text(name);
    w.harness.run();
}

/// Whether the Value field shows only mask characters (or nothing).
fn value_is_masked(w: &World) -> bool {
    let shown = field(&w.harness, "Value").value().unwrap_or_default();
    !shown.chars().any(char::is_alphanumeric)
}

/// "Load from file…", then the path field this system offers in place of a file dialog. `None`
/// where a desktop portal answered (a real file dialog opened, which a test cannot drive).
fn path_field_after_load_from_file(w: &mut World) -> Option<()> {
    w.harness.get_by_label("Load from file…").click();
    // The answer comes from another thread, at any frame; the dialog then grows and the field
    // takes the focus, which takes a few frames more than `run` allows.
    w.harness.run_ok();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !has_field(&w.harness, "File to load") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        w.harness.run_ok();
    }
    if has_field(&w.harness, "File to load") {
        w.harness.run_ok();
        w.harness.run();
        return Some(());
    }
    // Only a session bus can hold a portal; without one the path field must have come.
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists());
    assert!(bus, "no session bus, so no file dialog: Load from file… must offer the path field");
    println!("a desktop portal answered: a real file dialog opened; the path field is not checked here");
    None
}

#[test]
fn a_file_loaded_through_the_path_field_is_stored_byte_for_byte() {
    let mut w = unlocked_with(&[]);
    let file = w.path.with_file_name("service-account.pem");
    let text = "-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBg+/=\r\n-----END PRIVATE KEY-----\n";
    common::write_private(&file, text);
    creating(&mut w, "SERVICE_KEY");
    if path_field_after_load_from_file(&mut w).is_none() {
        return;
    }
    assert!(has_text(&w.harness, "no file dialog"), "it says why there is a path field");
    assert!(field(&w.harness, "File to load").is_focused(), "the path field has the keyboard");
    field(&w.harness, "File to load").type_text(&file.display().to_string());
    w.harness.run();
    w.harness.get_by_label("Load this file").click();
    w.harness.run();
    assert!(value_is_masked(&w), "a loaded value is masked like any other");
    assert!(has_text(&w.harness, "The exact text of service-account.pem"), "it says where the value came from");
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(value_of(&w, "SERVICE_KEY"), (text.to_owned(), 1), "every byte kept: CRLF, the final line break");
}

#[test]
fn a_binary_file_is_refused_with_the_cores_message_and_the_value_is_kept() {
    let mut w = unlocked_with(&[]);
    let file = w.path.with_file_name("photo.jpg");
    common::write_private(&file, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F']);
    creating(&mut w, "TYPED_KEY");
    type_into(&mut w.harness, "Value", "typed-by-hand");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    w.harness.run();
    assert!(has_text(&w.harness, "photo.jpg is not UTF-8 text"), "the core's message, under the value");
    assert!(has_text(&w.harness, "base64"), "with the way to store a binary file");
    assert!(!has_text(&w.harness, "Import photo.jpg"), "a file dropped on Create is not an import");
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(value_of(&w, "TYPED_KEY"), ("typed-by-hand".to_owned(), 1), "the typed value is what was saved");
}

#[test]
fn a_file_dropped_on_the_create_dialog_fills_the_value_instead_of_importing() {
    let mut w = unlocked_with(&[]);
    let file = w.path.with_file_name("token.env");
    common::write_private(&file, "A_NAME=looks-like-an-import\n");
    creating(&mut w, "DROPPED_TOKEN");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    w.harness.run();
    assert!(!has_text(&w.harness, "Import token.env"), "no import plan in place of the form");
    assert!(value_is_masked(&w));
    assert!(has_text(&w.harness, "The exact text of token.env"));
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(value_of(&w, "DROPPED_TOKEN"), ("A_NAME=looks-like-an-import\n".to_owned(), 1));
    assert!(!stored(&w, "A_NAME"), "nothing was imported");
}

#[test]
fn generate_fills_a_masked_value_of_the_chosen_kind_and_length() {
    let mut w = unlocked_with(&[]);
    creating(&mut w, "WEBHOOK_SECRET");
    // What a screen reader does with a spin button: set its number.
    w.harness.get_by_label("Length to generate").set_value_accesskit(48.0);
    w.harness.run();
    w.harness.get_by_label("Kind to generate").click();
    w.harness.run();
    w.harness.get_by_label("Hex").click();
    w.harness.run();
    w.harness.get_by_label("Generate").click();
    w.harness.run();
    assert!(value_is_masked(&w), "a generated value is hidden until asked for");
    assert!(has_text(&w.harness, "A new random value of 48 characters (hex), 192 bits"));
    w.harness.get_by_label("Show value").click();
    w.harness.run();
    let shown = field(&w.harness, "Value").value().unwrap_or_default();
    assert_eq!(shown.len(), 48, "{shown}");
    assert!(shown.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "hex: {shown}");
    // A second press draws a new value.
    w.harness.get_by_label("Generate").click();
    w.harness.run();
    let again = field(&w.harness, "Value").value().unwrap_or_default();
    assert_ne!(again, shown, "each Generate is a fresh value");
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(value_of(&w, "WEBHOOK_SECRET"), (again, 1), "the value shown is the value saved");
}

#[test]
fn edit_then_generate_saves_a_new_version() {
    let mut w = unlocked_with(&[("API_TOKEN", "ci", "old-token")]);
    w.harness.get_by_label("Edit API_TOKEN").click();
    w.harness.run();
    w.harness.get_by_label("Generate").click();
    w.harness.run();
    assert!(value_is_masked(&w));
    w.harness.get_by_label("Save").click();
    w.harness.run();
    let (value, version) = value_of(&w, "API_TOKEN");
    assert_eq!(version, 2, "a new version");
    assert_eq!(value.len(), 32, "the default length: {value}");
    assert!(value.chars().all(|c| c.is_ascii_alphanumeric()), "the default kind, letters and digits: {value}");
    let vault = open_vault(&w);
    let meta = vault
        .meta(vault.find(&vault.default_place().unwrap(), &SecretName::parse("API_TOKEN").unwrap()).unwrap().0)
        .unwrap();
    assert_eq!(meta.description, "ci", "the description is kept");
}

#[test]
fn at_760_by_500_create_with_a_refused_file_keeps_its_title_and_buttons_in_the_window() {
    let mut w = unlocked_with(&[]);
    w.harness.set_size(egui::vec2(760.0, 500.0));
    w.harness.run();
    let file = w.path.with_file_name("blob.bin");
    common::write_private(&file, [0u8, 159, 146, 150]);
    creating(&mut w, "SMALL_WINDOW");
    w.harness.get_by_label("Generate").click();
    w.harness.run();
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    w.harness.run();
    assert!(has_text(&w.harness, "blob.bin is not UTF-8 text"));
    super::layout::dialog_fits(&w, [760.0, 500.0], &["Create Environment Secret", "Cancel"]);
    // The message is in view (the body scrolled to it), not below the fold.
    let message = w.harness.get_by_label_contains("blob.bin is not UTF-8 text").rect();
    let buttons = w.harness.get_all_by_label("Cancel").last().unwrap().rect();
    assert!(message.top() >= 0.0 && message.bottom() <= buttons.top(), "the refusal is in view: {message:?}");
}
