//! vz-switch: blue/green selector flips and canary weights on live objects
//! read from stdin (or a file), written back changed for `kubectl apply`,
//! `kubectl replace` or, with `--patch`, `kubectl patch --type merge`; and
//! the same verbs on an nginx upstream file.
//!
//! [`object`] reads the one object and recognises it → [`service`] edits a
//! Service's selector, [`weights`] the weights of a VirtualService, HTTPRoute
//! or TrafficSplit, [`nginx`] an upstream file → [`patch`] computes the merge
//! patch (`--patch`) and the inverse (`--undo FILE`).

pub mod nginx;
pub mod object;
pub mod patch;
pub mod service;
pub mod weights;

use clap::{Parser, Subcommand};
use object::{Kind, Live, Object};
use serde_json::Value;
use std::path::PathBuf;
use vz::cli::{Common, Ctx, Tool};
use vz::input::{Input, Syntax};
use vz::{Error, Outcome};

const EXAMPLES: &str = "\
Examples:
  kubectl get svc app-active -o json | vz-switch current
  kubectl get svc app-active -o json | vz-switch to green | kubectl replace -f -
  kubectl get svc app-active -o json | vz-switch back | kubectl replace -f -
  kubectl patch svc app-active --type merge -p \"$(kubectl get svc app-active -o json | vz-switch to green --patch)\"
  kubectl get virtualservice app -o json | vz-switch weight stable=90 canary=10 | kubectl replace -f -
  kubectl get httproute app -o json | vz-switch step --plan 5,25,50,100 --canary app-canary | kubectl replace -f -
  vz-switch to green -f /etc/nginx/conf.d/app-upstream.conf --write && nginx -t && nginx -s reload
  vz-switch plan --plan 5,25,50,100 --interval 1m --max-failures 3

The object keeps its resourceVersion, so `kubectl replace -f -` fails with a
conflict when someone else changed it since it was read, instead of losing
their change; `--patch` carries it as a precondition too.

`to` records the colour it replaced in the annotation
vz-switch/previous-color (and the time in vz-switch/switched-at); `back`
returns to it. `--undo FILE` writes the change's inverse as a merge patch
(kubectl patch --type merge --patch-file FILE), or the original file for
nginx, so a rollback days later needs nothing else.

Weights are whole percentages and every rule's weights must sum to 100 after
the change; only the backends named are touched, every other rule, match,
filter and backend stays as it was.

Exit status:
  0  the changed object (or the answer) was written
  2  usage or input error: not one object, a kind vz-switch cannot edit, no
     selector key, an unknown colour, a no-op switch, no previous colour, an
     unknown backend, weights that do not sum to 100 (nothing on stdout)";

/// Blue/green selector flips and canary weights on live objects.
///
/// Reads one live object (`kubectl get … -o json`, or YAML) on stdin and
/// writes it changed to stdout, ready for `kubectl replace -f -` or
/// `kubectl apply -f -`; or an nginx upstream file.
#[derive(Parser, Debug)]
#[command(name = "vz-switch", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// What to do
    #[command(subcommand)]
    pub verb: Verb,

    /// The live object or nginx upstream file ("-" reads standard input)
    #[arg(short, long, value_name = "FILE", default_value = "-", global = true)]
    pub file: String,

    /// The Service selector key that names the colour
    #[arg(long, value_name = "KEY", default_value = "version", global = true)]
    pub key: String,

    /// The known colours
    #[arg(
        long,
        value_name = "A,B",
        default_value = "blue,green",
        value_delimiter = ',',
        global = true
    )]
    pub colors: Vec<String>,

    /// Print only a JSON merge patch (for kubectl patch --type merge -p),
    /// with the resourceVersion as a precondition
    #[arg(long, global = true, conflicts_with = "write")]
    pub patch: bool,

    /// Also write the change's inverse to FILE (a merge patch; for nginx,
    /// the original file)
    #[arg(long, value_name = "FILE", global = true)]
    pub undo: Option<PathBuf>,

    /// Write the result back to --file (atomically) instead of stdout
    #[arg(short, long, global = true)]
    pub write: bool,

    /// Output format [default: the input's, JSON or YAML; text for `current`]
    #[arg(short, long, value_enum, global = true)]
    pub output: Option<Format>,

    #[allow(missing_docs)] // clap would print a doc comment here as help
    #[command(flatten)]
    pub common: Common,
}

impl Tool for Args {
    fn common(&self) -> &Common {
        &self.common
    }
}

/// The verbs.
#[derive(Subcommand, Debug, Clone)]
pub enum Verb {
    /// Print the live colour (Service) or the weights (routes)
    Current,
    /// Point the Service (or nginx) at COLOR, recording the colour it replaces
    To {
        /// The colour to switch to
        #[arg(value_name = "COLOR")]
        target: String,
        /// Accept switching to the colour that is already live
        #[arg(long)]
        allow_noop: bool,
    },
    /// Return to the colour recorded before the last switch
    Back,
    /// Set canary weights: NAME=PERCENT for each backend that changes
    Weight {
        /// Backend weights, whole percentages
        #[arg(value_name = "NAME=PERCENT", required = true, value_parser = parse_weight)]
        weights: Vec<(String, u32)>,
        /// The rule (0-based, in the object's own order) when a backend
        /// appears in several
        #[arg(long, value_name = "N")]
        rule: Option<usize>,
    },
    /// Move the canary to the next weight of the plan, reading where it is
    Step {
        /// The canary's weights, in order, ending at 100 (or where it stops)
        #[arg(long, value_name = "W,W,…", value_delimiter = ',', required = true, value_parser = parse_percent)]
        plan: Vec<u32>,
        /// The canary backend
        #[arg(long, value_name = "NAME")]
        canary: String,
        /// The stable backend [default: the rule's other backend]
        #[arg(long, value_name = "NAME")]
        stable: Option<String>,
        /// The rule (0-based) when the canary appears in several
        #[arg(long, value_name = "N")]
        rule: Option<usize>,
    },
    /// Print the whole schedule of a plan as JSON (reads no object)
    Plan {
        /// The canary's weights, in order
        #[arg(long, value_name = "W,W,…", value_delimiter = ',', required = true, value_parser = parse_percent)]
        plan: Vec<u32>,
        /// The time between steps
        #[arg(long, value_name = "DURATION", value_parser = vz::duration::parse)]
        interval: Option<std::time::Duration>,
        /// Failed checks that roll back (for the worst-case time)
        #[arg(long, value_name = "N")]
        max_failures: Option<u32>,
    },
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON
    Json,
    /// YAML
    Yaml,
    /// Plain text (for `current`: `blue`, or `stable=90 canary=10`)
    Text,
}

fn parse_percent(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!("`{s}` is not a whole percentage (0-100)")),
    }
}

fn parse_weight(s: &str) -> Result<(String, u32), String> {
    let (name, pct) =
        s.split_once('=').ok_or_else(|| format!("`{s}`: write NAME=PERCENT, e.g. canary=10"))?;
    if name.is_empty() {
        return Err(format!("`{s}`: the backend name is empty"));
    }
    Ok((name.to_string(), parse_percent(pct)?))
}

/// Runs vz-switch.
pub fn run(args: Args, ctx: &mut Ctx) -> Result<Outcome, Error> {
    if let Verb::Plan { plan, interval, max_failures } = &args.verb {
        let schedule = weights::schedule(plan, *interval, *max_failures)?;
        return emit_json(&schedule);
    }
    if args.write && args.file == "-" {
        return Err(Error::usage("--write needs --file FILE (it writes the result back there)"));
    }
    let input = Input::from_arg(&args.file);
    match object::read(&input)? {
        Live::Nginx { text, name } => run_nginx(&args, ctx, &text, &name),
        Live::Object(obj) => run_object(&args, ctx, &obj),
    }
}

fn run_object(args: &Args, ctx: &Ctx, obj: &Object) -> Result<Outcome, Error> {
    let rules = service::Rules {
        key: &args.key,
        colors: &args.colors,
        allow_noop: matches!(args.verb, Verb::To { allow_noop: true, .. }),
        now: ctx.now(),
    };
    let wrong = |verb: &str| {
        let does = if obj.kind.has_weights() {
            "it carries weights: use `weight NAME=PERCENT …` or `step`"
        } else {
            "a Service switches by colour: use `to COLOR` or `back`"
        };
        Err(Error::usage(format!("`{verb}` does not apply to {}: {does}", obj.label())))
    };
    let (changed, note) = match (&args.verb, obj.kind) {
        (Verb::Current, Kind::Service) => {
            let cur = service::current(obj, &args.key)?;
            let json = serde_json::to_value(&cur).unwrap_or_default();
            return emit_current(args.output, &json, &format!("{}\n", cur.color));
        }
        (Verb::Current, _) => {
            let current = weights::current(obj)?;
            return emit_current(args.output, &current.json, &current.text);
        }
        (Verb::To { target, .. }, Kind::Service) => {
            let before = service::current(obj, &args.key)?;
            let out = service::to(obj, target, &rules)?;
            (out, format!("{}: {} {} → {target}", obj.label(), args.key, before.color))
        }
        (Verb::Back, Kind::Service) => {
            let before = service::current(obj, &args.key)?;
            let (out, previous) = service::back(obj, &rules)?;
            (out, format!("{}: {} {} → {previous} (back)", obj.label(), args.key, before.color))
        }
        (Verb::Weight { weights: w, rule }, k) if k.has_weights() => {
            let out = weights::set(obj, w, *rule)?;
            (out.value, format!("{}: {}", obj.label(), out.summary))
        }
        (Verb::Step { plan, canary, stable, rule }, k) if k.has_weights() => {
            let out = weights::step(obj, plan, canary, stable.as_deref(), *rule)?;
            (out.value, format!("{}: {}", obj.label(), out.summary))
        }
        (Verb::To { .. }, _) => return wrong("to"),
        (Verb::Back, _) => return wrong("back"),
        (Verb::Weight { .. }, _) => return wrong("weight"),
        (Verb::Step { .. }, _) => return wrong("step"),
        (Verb::Plan { .. }, _) => unreachable!("handled before reading"),
    };
    let live = obj.value();
    if let Some(path) = &args.undo {
        let inverse =
            patch::diff(&changed, live).unwrap_or_else(|| Value::Object(Default::default()));
        write_file(path, &vz::output::pretty_json(&inverse))?;
    }
    let text = if args.patch {
        let forward =
            patch::diff(live, &changed).unwrap_or_else(|| Value::Object(Default::default()));
        let mut s = serde_json::to_string(&patch::with_precondition(forward, live))
            .map_err(|e| Error::usage(format!("cannot write JSON: {e}")))?;
        s.push('\n');
        s
    } else {
        let syntax = match args.output {
            Some(Format::Json) => Syntax::Json,
            Some(Format::Yaml) => Syntax::Yaml,
            _ => obj.syntax,
        };
        object::write(&changed, syntax)?
    };
    finish(args, ctx, &text, &note)
}

fn run_nginx(args: &Args, ctx: &Ctx, text: &str, name: &str) -> Result<Outcome, Error> {
    let opts = nginx::Options { colors: &args.colors, now: ctx.now() };
    if let Verb::Current = args.verb {
        let current = nginx::current(text, name, &opts)?;
        return emit_current(args.output, &current.json, &current.text);
    }
    if args.patch {
        return Err(Error::usage(
            "--patch applies to Kubernetes objects, not an nginx upstream file",
        ));
    }
    let applied = nginx::apply(text, name, &args.verb, &opts)?;
    if let Some(path) = &args.undo {
        write_file(path, text)?;
    }
    finish(args, ctx, &applied.text, &applied.summary)
}

/// Writes the result to stdout, or back to the file with `--write`; the
/// summary goes to stderr.
fn finish(args: &Args, ctx: &Ctx, text: &str, note: &str) -> Result<Outcome, Error> {
    if args.write {
        write_file(&PathBuf::from(&args.file), text)?;
    } else {
        vz::output::emit(text.as_bytes())?;
    }
    ctx.note(note);
    Ok(Outcome::Pass)
}

/// Replaces `path` atomically: a temporary file beside it, then a rename.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    let dir =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.vz-switch.tmp"));
    std::fs::write(&tmp, text).map_err(|e| Error::io_path(&tmp, e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io_path(path, e)
    })
}

fn emit_json(v: &impl serde::Serialize) -> Result<Outcome, Error> {
    vz::output::emit_json(v)?;
    Ok(Outcome::Pass)
}

/// `current`'s answer: text for `$(...)` unless JSON or YAML is asked for.
fn emit_current(format: Option<Format>, json: &Value, text: &str) -> Result<Outcome, Error> {
    match format {
        Some(Format::Json) => emit_json(json),
        Some(Format::Yaml) => emit_text(&vz::yaml::to_string(json)?),
        Some(Format::Text) | None => emit_text(text),
    }
}

fn emit_text(s: &str) -> Result<Outcome, Error> {
    vz::output::emit(s.as_bytes())?;
    Ok(Outcome::Pass)
}
