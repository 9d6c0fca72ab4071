//! The desktop's light or dark preference, read from the XDG desktop portal
//! (`org.freedesktop.portal.Settings`, key `org.freedesktop.appearance` `color-scheme`). X11
//! reports no theme to the window, so egui's "System" would always be dark there; the portal is
//! where GNOME, KDE and others publish the setting on X11 and Wayland alike.
//!
//! One thread waits on the portal's `SettingChanged` signal: nothing polls, an idle window stays
//! idle, and a change repaints the window once. Where the portal is missing (no session bus, no
//! portal service, an old portal) the thread ends and "System" stays dark.

use zbus::zvariant::{OwnedValue, Value};

const DESTINATION: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const INTERFACE: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// Follows the desktop's colour scheme for egui's "System" theme preference, in the background.
pub fn follow_color_scheme(ctx: egui::Context) {
    let spawned = std::thread::Builder::new().name("tresor-portal".into()).spawn(move || {
        // Any error means there is no portal to follow; "System" stays dark.
        let _ = zbus::block_on(watch(&ctx));
    });
    drop(spawned);
}

async fn watch(ctx: &egui::Context) -> zbus::Result<()> {
    use futures_lite::StreamExt as _;
    let connection = zbus::Connection::session().await?;
    let proxy = zbus::Proxy::new(&connection, DESTINATION, PATH, INTERFACE).await?;
    // Subscribe before reading, so that a change in between is not missed.
    let mut changes = proxy.receive_signal_with_args("SettingChanged", &[(0, NAMESPACE), (1, KEY)]).await?;
    let current: zbus::Result<OwnedValue> = proxy.call("ReadOne", &(NAMESPACE, KEY)).await;
    let current = match current {
        Ok(value) => value,
        // Portals before version 2 only have `Read`, which wraps the value in one more variant.
        Err(_) => proxy.call("Read", &(NAMESPACE, KEY)).await?,
    };
    apply(ctx, &current);
    while let Some(message) = changes.next().await {
        let Ok((namespace, key, value)) = message.body().deserialize::<(String, String, OwnedValue)>() else {
            continue;
        };
        if namespace == NAMESPACE && key == KEY {
            apply(ctx, &value);
        }
    }
    Ok(())
}

/// Whether the session bus has a desktop portal to open a file dialog: running, or started on
/// demand (D-Bus activation). Without one, rfd's dialog returns at once as if cancelled.
pub fn file_dialog_available() -> bool {
    zbus::block_on(async {
        let connection = zbus::Connection::session().await?;
        portal_on(&connection).await
    })
    .unwrap_or(false)
}

async fn portal_on(connection: &zbus::Connection) -> zbus::Result<bool> {
    let bus = zbus::fdo::DBusProxy::new(connection).await?;
    let name = zbus::names::BusName::try_from(DESTINATION)?;
    if bus.name_has_owner(name).await? {
        return Ok(true);
    }
    Ok(bus.list_activatable_names().await?.iter().any(|n| n.as_str() == DESTINATION))
}

/// The theme a `color-scheme` value asks for: 1 prefers dark, 2 prefers light, 0 (no
/// preference) and anything else leave egui's default, dark.
fn theme_of(value: &Value<'_>) -> egui::Theme {
    match value {
        Value::Value(inner) => theme_of(inner),
        Value::U32(2) => egui::Theme::Light,
        _ => egui::Theme::Dark,
    }
}

fn apply(ctx: &egui::Context, value: &Value<'_>) {
    let theme = theme_of(value);
    // egui uses the fallback theme when the window system reports none (X11); a theme the
    // window system does report (some Wayland compositors) still wins.
    let changed = ctx.options_mut(|options| std::mem::replace(&mut options.fallback_theme, theme) != theme);
    if changed {
        ctx.request_repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session bus of our own (`dbus-daemon`), or `None` where it is not installed.
    fn private_bus(dir: &std::path::Path) -> Option<(std::process::Child, String)> {
        let address = format!("unix:path={}", dir.join("bus").display());
        let Ok(daemon) = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", &format!("--address={address}")])
            .stderr(std::process::Stdio::null())
            .spawn()
        else {
            assert!(std::env::var_os("CI").is_none(), "CI must install dbus (see .ci/run)");
            return None;
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !dir.join("bus").exists() {
            assert!(std::time::Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some((daemon, address))
    }

    #[test]
    fn a_file_dialog_is_available_only_where_a_portal_is_on_the_bus() {
        let dir = tempfile::tempdir().unwrap();
        let Some((mut daemon, address)) = private_bus(dir.path()) else { return };
        let connect = || zbus::block_on(async { zbus::connection::Builder::address(address.as_str())?.build().await });
        let app = connect().unwrap();
        assert!(!zbus::block_on(portal_on(&app)).unwrap(), "nothing on the bus owns the portal's name");
        let portal = connect().unwrap();
        zbus::block_on(portal.request_name(DESTINATION)).unwrap();
        assert!(zbus::block_on(portal_on(&app)).unwrap(), "the portal's name is owned");
        let _ = daemon.kill();
        let _ = daemon.wait();
    }

    #[test]
    fn color_scheme_values_map_to_themes() {
        assert_eq!(theme_of(&Value::U32(2)), egui::Theme::Light);
        assert_eq!(theme_of(&Value::U32(1)), egui::Theme::Dark);
        assert_eq!(theme_of(&Value::U32(0)), egui::Theme::Dark);
        // `Read` (portal version 1) nests the value in one more variant.
        assert_eq!(theme_of(&Value::Value(Box::new(Value::U32(2)))), egui::Theme::Light);
        assert_eq!(theme_of(&Value::from("light")), egui::Theme::Dark);
    }
}
