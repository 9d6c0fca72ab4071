//! Everything a command prints on stdout goes through one [`Output`]: one locked, buffered handle,
//! flushed once when the command ends. Tables and JSON are written straight into it, so printing
//! is linear in what is printed (100,000 rows cost 100,000 row writes, never a copy of the output
//! per row).

use std::borrow::Cow;
use std::io::{BufWriter, ErrorKind, StdoutLock, Write};
use std::path::Path;

use serde::Serialize;

use super::{CliError, CliResult};

/// Text from a file or from the user, made safe to print on a terminal: every control character
/// (an escape sequence that would move the cursor, recolour, retitle or clear the terminal, a
/// line break that would forge another line) is shown escaped, as `\u{1b}` or `\n`. Used for
/// every message, note and table; never for `get`, `export` or `run`, which pass values on byte
/// for byte.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path as Tresor prints it: [`terminal_safe`], since a file's or a folder's name may hold
/// escape sequences as well as a key can (an OSC 52 clipboard write, a title change, a line
/// erase). Every path in a message, a prompt or a table goes through it.
pub fn shown_path(path: &Path) -> String {
    terminal_safe(&path.display().to_string()).into_owned()
}

/// Stdout for one command: locked once, buffered, flushed by [`Output::finish`].
///
/// A closed pipe (`tresor list | head`) is the reader's choice, not an error: from the first
/// `BrokenPipe` on, everything is dropped and the command carries on (and exits 0 unless it
/// fails for another reason).
pub struct Output {
    out: BufWriter<StdoutLock<'static>>,
    closed: bool,
}

impl Default for Output {
    fn default() -> Self {
        Output::stdout()
    }
}

impl Output {
    /// Locks stdout for the rest of the command.
    pub fn stdout() -> Self {
        Output { out: BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()), closed: false }
    }

    /// Writes `bytes` as they are.
    pub fn bytes(&mut self, bytes: &[u8]) -> CliResult {
        if self.closed {
            return Ok(());
        }
        let result = self.out.write_all(bytes);
        self.check(result)
    }

    /// Writes formatted text (the `write!` macro's target).
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> CliResult {
        if self.closed {
            return Ok(());
        }
        let result = self.out.write_fmt(args);
        self.check(result)
    }

    /// Writes `value` as pretty-printed JSON and a newline.
    pub fn json(&mut self, value: &impl Serialize) -> CliResult {
        if self.closed {
            return Ok(());
        }
        let result = serde_json::to_writer_pretty(&mut self.out, value).map_err(std::io::Error::from);
        self.check(result)?;
        self.bytes(b"\n")
    }

    /// Writes `rows` under `header` in aligned columns, two spaces apart. Columns are as wide as
    /// their widest cell (counted in characters); the last column is not padded, and a row never
    /// ends in spaces (an empty description leaves no padding behind).
    /// Cells are printed [`terminal_safe`].
    pub fn table<const N: usize>(&mut self, header: [&str; N], rows: &[[String; N]]) -> CliResult {
        let mut widths = header.map(|h| h.chars().count());
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(terminal_safe(cell).chars().count());
            }
        }
        self.table_row(&widths, header.iter().copied())?;
        for row in rows {
            let safe: Vec<Cow<'_, str>> = row.iter().map(|cell| terminal_safe(cell)).collect();
            self.table_row(&widths, safe.iter().map(|c| c.as_ref()))?;
        }
        Ok(())
    }

    fn table_row<'a, const N: usize>(
        &mut self,
        widths: &[usize; N],
        cells: impl Iterator<Item = &'a str> + Clone,
    ) -> CliResult {
        // Pad a cell only when a cell with text follows it on the row.
        let last_filled = cells.clone().enumerate().filter(|(_, c)| !c.trim_end().is_empty()).map(|(i, _)| i).last();
        for (i, cell) in cells.enumerate() {
            match last_filled {
                Some(last) if i < last => write!(self, "{cell:<width$}  ", width = widths[i])?,
                Some(last) if i == last => self.bytes(cell.trim_end().as_bytes())?,
                _ => break,
            }
        }
        self.bytes(b"\n")
    }

    /// Sends what is buffered so far (before a question on stderr that it must come before).
    pub fn flush(&mut self) -> CliResult {
        if self.closed {
            return Ok(());
        }
        let result = self.out.flush();
        self.check(result)
    }

    /// Flushes what is buffered. Call it once, when the command is done (also when it failed, so
    /// that what was printed before the failure is not lost).
    pub fn finish(mut self) -> CliResult {
        if self.closed {
            return Ok(());
        }
        let result = self.out.flush();
        self.check(result)
    }

    fn check(&mut self, result: std::io::Result<()>) -> CliResult {
        match result {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(CliError::other(format!("cannot write: {e}"))),
            Ok(()) => Ok(()),
        }
    }
}
