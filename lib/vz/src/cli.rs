//! The driver every tool's `main` calls: parse flags, run, map the result to
//! the exit code, print errors as `vz-<tool>: error: …`, and treat a closed
//! output pipe as quiet success. Also the flags every tool shares and the
//! hidden `--generate man|complete-bash|complete-zsh|complete-fish`.

use crate::color::{ColorWhen, Styles, wants_color};
use crate::error::{Error, Outcome};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// The flags every tool has (flatten into the tool's `Args`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Common {
    /// When to use colour on the terminal
    #[arg(long, value_enum, value_name = "WHEN", default_value_t, env = "VZ_COLOR", global = true)]
    pub color: ColorWhen,
    /// Take "now" to be this time (RFC 3339), to test and replay runs
    #[arg(long, value_name = "TIME", env = "VZ_NOW", value_parser = parse_now, global = true)]
    pub now: Option<jiff::Timestamp>,
    /// Write a man page or shell completions to stdout and exit
    #[arg(long, value_enum, value_name = "KIND", hide = true)]
    pub generate: Option<Generate>,
}

fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    s.parse::<jiff::Timestamp>()
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z ({e})"))
}

/// What `--generate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// A roff man page
    Man,
    /// bash completions
    CompleteBash,
    /// zsh completions
    CompleteZsh,
    /// fish completions
    CompleteFish,
}

/// A tool's parsed arguments, with the shared flags inside.
pub trait Tool: clap::Parser {
    /// The shared flags.
    fn common(&self) -> &Common;
}

/// What a run may know about its surroundings, decided once.
#[derive(Debug)]
pub struct Ctx {
    /// The tool's name (`vz-render`).
    pub tool: String,
    /// Standard output is a terminal (pick `table` over `json`).
    pub stdout_is_tty: bool,
    /// Standard output gets colour.
    pub stdout_color: bool,
    /// Styles for messages on standard error.
    pub err: Styles,
    now: jiff::Timestamp,
}

impl Ctx {
    fn new(tool: &str, common: &Common) -> Self {
        let stdout_is_tty = std::io::stdout().is_terminal();
        Ctx {
            tool: tool.to_string(),
            stdout_is_tty,
            stdout_color: wants_color(common.color, stdout_is_tty),
            err: Styles::new(wants_color(common.color, std::io::stderr().is_terminal())),
            now: common.now.unwrap_or_else(jiff::Timestamp::now),
        }
    }

    /// "Now", read once per run (or `--now`).
    pub fn now(&self) -> jiff::Timestamp {
        self.now
    }

    /// Prints `vz-<tool>: warning: MESSAGE` on standard error.
    pub fn warn(&self, message: &str) {
        let label = self.err.warn.style("warning:");
        let _ = writeln!(std::io::stderr().lock(), "{}: {label} {message}", self.tool);
    }

    /// Prints `vz-<tool>: MESSAGE` on standard error (progress, summaries).
    pub fn note(&self, message: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}: {message}", self.tool);
    }

    fn error(&self, e: &Error) {
        let label = self.err.error.style("error:");
        let _ = writeln!(std::io::stderr().lock(), "{}: {label} {e}", self.tool);
    }
}

/// Runs a tool: the whole of its `main`.
pub fn main<A: Tool>(run: fn(A, &mut Ctx) -> Result<Outcome, Error>) -> ExitCode {
    let cmd = A::command();
    let tool = cmd.get_name().to_string();
    // `--generate` works without the tool's required arguments.
    if let Some(kind) = generate_request() {
        let ctx = Ctx::new(&tool, &Common::default());
        return finish(generate(cmd, kind), &ctx);
    }
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let mut ctx = Ctx::new(&tool, args.common());
    finish(run(args, &mut ctx), &ctx)
}

/// The `--generate KIND` (or `--generate=KIND`) on the command line, if any.
fn generate_request() -> Option<Generate> {
    use clap::ValueEnum;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = args.iter().enumerate().find_map(|(i, a)| match a.strip_prefix("--generate") {
        Some("") => args.get(i + 1).cloned(),
        Some(rest) => rest.strip_prefix('=').map(str::to_string),
        None => None,
    })?;
    Generate::from_str(&value, false).ok()
}

fn finish(result: Result<Outcome, Error>, ctx: &Ctx) -> ExitCode {
    match result {
        Ok(outcome) => outcome.into(),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            ctx.error(&e);
            ExitCode::from(2)
        }
    }
}

/// Writes the man page or completions for `cmd`.
pub fn generate(cmd: clap::Command, kind: Generate) -> Result<Outcome, Error> {
    let mut buf = Vec::new();
    let name = cmd.get_name().to_string();
    let mut cmd = cmd;
    match kind {
        Generate::Man => {
            clap_mangen::Man::new(cmd).render(&mut buf).map_err(|e| Error::io("man page", e))?
        }
        Generate::CompleteBash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, name, &mut buf);
        }
        Generate::CompleteZsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, name, &mut buf);
        }
        Generate::CompleteFish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name, &mut buf);
        }
    }
    crate::output::emit(&buf)?;
    Ok(Outcome::Pass)
}

/// The EXIT STATUS section every tool's help ends with.
pub const EXIT_STATUS: &str = "\
Exit status:
  0  success
  1  the tool worked and the answer is no (a check failed, a gate tripped)
  2  usage or input error (bad flag, unreadable file, malformed input)";
