//! Colour decided once per stream: `--color auto` colours only a terminal,
//! and `NO_COLOR` (non-empty) or `TERM=dumb` turn auto off (clig.dev).

/// When to colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour only when the stream is a terminal and NO_COLOR is unset
    #[default]
    Auto,
    /// Always emit ANSI escapes
    Always,
    /// Never emit ANSI escapes
    Never,
}

/// Whether a stream that is (or is not) a terminal gets colour.
pub fn wants_color(when: ColorWhen, is_tty: bool) -> bool {
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_tty && !env_off,
    }
}

/// The styles a stream uses; all no-ops when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Styles {
    /// Errors and failures.
    pub error: owo_colors::Style,
    /// Warnings.
    pub warn: owo_colors::Style,
    /// Success.
    pub ok: owo_colors::Style,
    /// Names and emphasis.
    pub bold: owo_colors::Style,
}

impl Styles {
    /// Styles for a stream with colour on or off.
    pub fn new(on: bool) -> Self {
        use owo_colors::Style;
        if on {
            Styles {
                error: Style::new().red().bold(),
                warn: Style::new().yellow().bold(),
                ok: Style::new().green(),
                bold: Style::new().bold(),
            }
        } else {
            Styles { error: Style::new(), warn: Style::new(), ok: Style::new(), bold: Style::new() }
        }
    }
}
