//! The error type, the "no" answer and the exit codes every tool shares.
//!
//! Exit status contract (DESIGN.md): `0` success, `1` the tool worked and the
//! answer is "no" ([`Outcome::Fail`]), `2` usage or input error (every
//! [`Error`]). A "no" answer is a value, never an error.

use std::fmt;

/// Where in an input something was found: the input's name, and a 1-based
/// line and column when known (0 means unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The input's name as the user gave it (`<stdin>` for standard input),
    /// shared by every location in the input (a run may make thousands).
    pub input: std::sync::Arc<str>,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
}

impl Location {
    /// A location naming only the input.
    pub fn input(input: impl AsRef<str>) -> Self {
        Location { input: input.as_ref().into(), line: 0, column: 0 }
    }

    /// A location with line and column.
    pub fn at(input: impl AsRef<str>, line: usize, column: usize) -> Self {
        Location { input: input.as_ref().into(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => f.write_str(&self.input),
            (l, 0) => write!(f, "{}:{l}", self.input),
            (l, c) => write!(f, "{}:{l}:{c}", self.input),
        }
    }
}

/// Everything that makes a tool exit 2.
///
/// `Display` gives the one-line (or, for [`Error::Many`], multi-line) message
/// printed after `vz-<tool>: error: `; there is never a backtrace.
#[derive(Debug)]
pub enum Error {
    /// A bad flag value, an unknown environment, a missing variable: the
    /// message says what was wrong and what would be right.
    Usage(String),
    /// A file or stream could not be read or written.
    Io {
        /// What was being read or written.
        input: String,
        /// The underlying error.
        err: std::io::Error,
    },
    /// The input is not well-formed JSON or YAML.
    Parse {
        /// Where.
        at: Location,
        /// What the parser said, without the location (it is in `at`).
        message: String,
    },
    /// The input is well-formed but a value is not what was expected.
    Invalid {
        /// Where the offending value (or key) is.
        at: Location,
        /// The path to the value, `services.app.replicas`.
        path: String,
        /// What is wrong and what was expected.
        message: String,
        /// The near miss, if any (`replicas` for `replica`).
        suggestion: Option<String>,
    },
    /// A template could not be compiled or rendered.
    Template {
        /// The template's name (a built-in name or a file path).
        template: String,
        /// 1-based line in the template, 0 when unknown.
        line: usize,
        /// What went wrong.
        message: String,
    },
    /// Several errors found in one pass, reported together.
    Many(Vec<Error>),
}

impl Error {
    /// A usage error with the given message.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// An I/O error while reading or writing `input`.
    pub fn io(input: impl Into<String>, err: std::io::Error) -> Self {
        Error::Io { input: input.into(), err }
    }

    /// An I/O error on a path.
    pub fn io_path(path: &std::path::Path, err: std::io::Error) -> Self {
        Error::io(path.display().to_string(), err)
    }

    /// Joins errors found in one pass; a single error stays itself.
    pub fn many(mut errors: Vec<Error>) -> Self {
        if errors.len() == 1 { errors.remove(0) } else { Error::Many(errors) }
    }

    /// Returns true if and only if this error, or any error it wraps, is a
    /// closed pipe on output: the reader went away (`| head`), which is not a
    /// failure (STYLE.md, pattern 4).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io { err, .. } => err.kind() == std::io::ErrorKind::BrokenPipe,
            Error::Many(all) => all.iter().any(Error::is_broken_pipe),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => f.write_str(m),
            Error::Io { input, err } => write!(f, "{input}: {}", io_message(err)),
            Error::Parse { at, message } => write!(f, "{at}: {message}"),
            Error::Invalid { at, path, message, suggestion } => {
                write!(f, "{at}: ")?;
                if !path.is_empty() {
                    write!(f, "{path}: ")?;
                }
                f.write_str(message)?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            Error::Template { template, line, message } => match line {
                0 => write!(f, "template {template}: {message}"),
                l => write!(f, "template {template}:{l}: {message}"),
            },
            Error::Many(all) => {
                write!(f, "{} problems:", all.len())?;
                for e in all {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { err, .. } => Some(err),
            _ => None,
        }
    }
}

/// The OS message without Rust's " (os error N)" suffix.
fn io_message(err: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "is a directory, not a file".into(),
        K::InvalidData => format!("not valid UTF-8 text ({err})"),
        _ => {
            let s = err.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The answer of a tool that worked: yes (exit 0) or no (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success, all checks passed: exit 0.
    Pass,
    /// The tool worked and the answer is "no": exit 1.
    Fail,
}

impl From<Outcome> for std::process::ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Pass => std::process::ExitCode::SUCCESS,
            Outcome::Fail => std::process::ExitCode::from(1),
        }
    }
}

/// The closest candidate to `word`, if one is close enough to be a likely
/// typo (`replica` → `replicas`, `prodution` → `production`).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let word_l = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word_l, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let fields = ["replicas", "image", "tag", "ports"];
        assert_eq!(suggest("replica", fields).as_deref(), Some("replicas"));
        assert_eq!(suggest("imgae", fields).as_deref(), Some("image"));
        assert_eq!(suggest("zzzzzz", fields), None);
    }

    #[test]
    fn locations_print_only_what_is_known() {
        assert_eq!(Location::input("a.yaml").to_string(), "a.yaml");
        assert_eq!(Location::at("a.yaml", 3, 0).to_string(), "a.yaml:3");
        assert_eq!(Location::at("a.yaml", 3, 7).to_string(), "a.yaml:3:7");
    }

    #[test]
    fn io_errors_read_like_coreutils() {
        let e = Error::io("vz.yaml", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "vz.yaml: no such file or directory");
    }

    #[test]
    fn broken_pipe_is_recognised_through_many() {
        let pipe = Error::io("<stdout>", std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(Error::many(vec![Error::usage("x"), pipe]).is_broken_pipe());
        assert!(!Error::usage("x").is_broken_pipe());
    }
}
