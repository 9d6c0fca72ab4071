//! A desktop session for the tests that drive the real app through AT-SPI (atspi.rs,
//! together.rs, unlock_once.rs): Xvfb, a private D-Bus session with the accessibility bus on, the
//! app started on a vault, then a Python driver (which imports `tests/common/desktop.py`).
//! Everything the session writes — the runtime folder (the app's sockets, the accessibility
//! bus), the state folder, the configuration — is in the test's own folder.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const LAUNCHER: &str = "/usr/libexec/at-spi-bus-launcher";

/// The session: everything below runs inside `dbus-run-session`. The driver gets the app's pid
/// in `TRESOR_TEST_APP_PID`.
const SESSION: &str = r#"
set -u
bin=$1 vault=$2 driver=$3 n=$4 width=$5 height=$6 unlock=$7 limit=$8
Xvfb ":$n" -screen 0 "${width}x${height}x24" -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=":$n"
# Until the server answers (a fixed second is not enough on a loaded machine).
for _ in $(seq 1 80); do
  xdotool getdisplaygeometry >/dev/null 2>&1 && break
  kill -0 $xvfb 2>/dev/null || break
  sleep 0.25
done
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
sleep 1
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.freedesktop.DBus.Properties.Set \
  string:org.a11y.Status string:IsEnabled variant:boolean:true >/dev/null
"$bin" --vault "$vault" >/dev/null 2>"$vault.app-stderr" &
app=$!
export TRESOR_TEST_APP_PID=$app
win=""
for _ in $(seq 1 120); do
  win=$(xdotool search --name '^Tresor$' 2>/dev/null | head -1)
  [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "NO-WINDOW"; kill $app $xvfb; exit 0; }
xdotool windowsize "$win" "$width" "$height"
sleep 1.5
xdotool windowfocus "$win"
sleep 0.3
if [ "$unlock" = yes ]; then
  xdotool type --delay 10 "$TRESOR_TEST_PASSPHRASE"
  xdotool key Return
  sleep 4
fi
timeout "$limit" /usr/bin/python3 "$driver"
for _ in $(seq 1 20); do kill -0 $app 2>/dev/null || break; sleep 0.5; done
kill $app 2>/dev/null
kill $xvfb 2>/dev/null
"#;

fn have(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

fn pyatspi_available() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import pyatspi"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the session can run here. Without its programs the test says so and skips; with `CI`
/// set it fails instead, so that CI cannot skip it silently.
pub fn ready() -> bool {
    let missing: Vec<&str> = ["dbus-run-session", "dbus-send", "Xvfb", "xdotool"]
        .into_iter()
        .filter(|p| !have(p))
        .chain((!Path::new(LAUNCHER).exists()).then_some("at-spi2-core"))
        .chain((!pyatspi_available()).then_some("python3-pyatspi"))
        .collect();
    if !missing.is_empty() {
        assert!(std::env::var_os("CI").is_none(), "CI must install {missing:?} (see .ci/run)");
        println!("skipped: {missing:?} not installed");
        return false;
    }
    true
}

/// One session.
pub struct Session<'a> {
    /// The test's folder: `run/` (XDG_RUNTIME_DIR), `state/`, `config/` go there.
    pub dir: &'a Path,
    pub vault: &'a Path,
    /// The driver, relative to the crate (`tests/atspi/walk.py`).
    pub driver: &'a str,
    pub size: (u32, u32),
    /// Type `TRESOR_TEST_PASSPHRASE` on the lock screen before the driver starts.
    pub unlock: bool,
    /// The driver's time limit, in seconds.
    pub limit: u32,
    /// Displays to pick one from (each test file its own range).
    pub displays: std::ops::Range<u32>,
}

impl Session<'_> {
    /// Runs it; its output (the driver's lines on stdout, the session's errors on stderr).
    pub fn run<'e>(&self, env: impl IntoIterator<Item = (&'e str, &'e OsStr)>) -> Output {
        let run = self.dir.join("run");
        if !run.exists() {
            std::fs::create_dir(&run).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let script = self.dir.join("session.sh");
        std::fs::write(&script, SESSION).unwrap();
        let display = super::free_display(self.displays.clone());
        let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join(self.driver);
        Command::new("dbus-run-session")
            .arg("--")
            .arg("bash")
            .arg(&script)
            .arg(env!("CARGO_BIN_EXE_tresor"))
            .arg(self.vault)
            .arg(&driver)
            .arg(display.to_string())
            .arg(self.size.0.to_string())
            .arg(self.size.1.to_string())
            .arg(if self.unlock { "yes" } else { "no" })
            .arg(self.limit.to_string())
            .envs(env)
            .env("TRESOR_BIN", env!("CARGO_BIN_EXE_tresor"))
            .env("TRESOR_TEST_VAULT", self.vault)
            .env("TRESOR_STATE_DIR", self.dir.join("state"))
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("PYTHONPATH", Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common"))
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("TRESOR_PASSPHRASE_FILE")
            .env_remove("TRESOR_PROJECT")
            .env_remove("TRESOR_ENV")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    }
}

/// What the app wrote to its stderr during the session.
pub fn app_stderr(vault: &Path) -> String {
    std::fs::read_to_string(format!("{}.app-stderr", vault.display())).unwrap_or_default()
}
