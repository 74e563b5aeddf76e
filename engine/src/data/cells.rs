//! Text read cell by cell (CSV cells, whitespace-separated numbers) from a stream, so a reader
//! holds one cell and what it keeps, never a whole line or file: a one-line file of a billion
//! commas costs nothing before the value bound refuses it.
use super::DataError;
use std::io::BufRead;
use std::path::Path;

/// Longest cell: numbers, class names and column names fit; anything longer is refused.
const MAX_CELL: usize = 1024;

/// How cells are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    /// Every comma ends a cell, even an empty one; cells are trimmed (CSV).
    Comma,
    /// Runs of whitespace (text matrices).
    Whitespace,
    /// Runs of whitespace and commas (target files).
    WhitespaceOrComma,
}

/// What the scan meets: a cell on a line (1-based), or the end of a line.
pub(crate) enum Event<'a> {
    Cell { line: usize, text: &'a str },
    LineEnd { line: usize },
}

/// Calls `f` for every cell and every line end of `r` (a last line without a newline ends too).
pub(crate) fn scan(
    path: &Path,
    r: &mut dyn BufRead,
    sep: Separator,
    f: &mut dyn FnMut(Event) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut cell: Vec<u8> = Vec::with_capacity(64);
    // CSV: whether the current line has a cell started (any byte, even if it trims away).
    let mut open = false;
    // CSV: inside a double-quoted cell, where commas are the cell's own (a line ends it).
    let mut quoted = false;
    let mut line = 1usize;
    loop {
        let buf = r.fill_buf().map_err(|e| DataError::io(path, e))?;
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        for &b in buf {
            // A quote opens a cell's quoted text only at its start (`12" pipe` is text), and
            // closes it (a doubled quote inside reopens it at once).
            if b == b'"'
                && sep == Separator::Comma
                && (quoted
                    || cell.iter().all(u8::is_ascii_whitespace)
                    || cell.last() == Some(&b'"'))
            {
                quoted = !quoted;
            }
            match b {
                b',' if quoted => {
                    if cell.len() >= MAX_CELL {
                        return Err(DataError::format(
                            path,
                            format!("row {line}: a cell longer than {MAX_CELL} bytes"),
                        ));
                    }
                    cell.push(b);
                }
                b'\n' => {
                    quoted = false;
                    if open || !cell.is_empty() {
                        emit(path, &mut cell, line, f)?;
                    }
                    f(Event::LineEnd { line })?;
                    open = false;
                    line += 1;
                }
                b',' if sep != Separator::Whitespace => {
                    if sep == Separator::Comma || !cell.is_empty() {
                        emit(path, &mut cell, line, f)?;
                    }
                    open = sep == Separator::Comma;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c if sep != Separator::Comma => {
                    if !cell.is_empty() {
                        emit(path, &mut cell, line, f)?;
                    }
                }
                _ => {
                    if cell.len() >= MAX_CELL {
                        return Err(DataError::format(
                            path,
                            format!("row {line}: a cell longer than {MAX_CELL} bytes"),
                        ));
                    }
                    cell.push(b);
                    open = sep == Separator::Comma;
                }
            }
        }
        r.consume(len);
    }
    if open || !cell.is_empty() {
        emit(path, &mut cell, line, f)?;
        f(Event::LineEnd { line })?;
    }
    Ok(())
}

/// A CSV cell's text: a quoted cell ("cat", "a,b", "say ""hi""") without its quotes.
pub(crate) fn unquote(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        text[1..text.len() - 1].replace("\"\"", "\"").into()
    } else {
        text.into()
    }
}

/// Hands the cell collected so far to `f`, trimmed and unquoted, and clears it.
fn emit(
    path: &Path,
    cell: &mut Vec<u8>,
    line: usize,
    f: &mut dyn FnMut(Event) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let r = {
        let text = std::str::from_utf8(cell).map_err(|_| {
            DataError::format(path, format!("row {line}: a cell is not UTF-8 text"))
        })?;
        let text = unquote(text.trim());
        f(Event::Cell { line, text: &text })
    };
    cell.clear();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str, sep: Separator) -> Vec<String> {
        let mut out = vec![];
        scan(Path::new("t"), &mut text.as_bytes(), sep, &mut |e| {
            out.push(match e {
                Event::Cell { line, text } => format!("{line}:{text}"),
                Event::LineEnd { line } => format!("{line}$"),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn cells_and_line_ends_per_separator() {
        assert_eq!(
            cells("a, b,\n\n1,2", Separator::Comma),
            ["1:a", "1:b", "1:", "1$", "2$", "3:1", "3:2", "3$"]
        );
        assert_eq!(
            cells("\"cat\", \"a,b\",\"say \"\"hi\"\"\"\n1", Separator::Comma),
            ["1:cat", "1:a,b", "1:say \"hi\"", "1$", "2:1", "2$"]
        );
        assert_eq!(
            cells(" 1  2\r\n\t3\n", Separator::Whitespace),
            ["1:1", "1:2", "1$", "2:3", "2$"]
        );
        assert_eq!(
            cells("a,b c\n1, 2", Separator::WhitespaceOrComma),
            ["1:a", "1:b", "1:c", "1$", "2:1", "2:2", "2$"]
        );
        assert!(scan(
            Path::new("t"),
            &mut vec![b'1'; MAX_CELL + 1].as_slice(),
            Separator::Comma,
            &mut |_| Ok(())
        )
        .is_err());
    }
}
