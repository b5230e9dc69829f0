//! vz-render: Kubernetes manifests for an environment from one deploy spec.
//!
//! The flow of a run, one module each:
//! [`spec`] loads and checks the spec → [`layers`] merges base, overlay,
//! `${VAR}`, `--set` and `serviceDefaults`, keeping each value's history →
//! [`validate`] checks the result against the schema from [`model`] →
//! [`checks`] applies the rules a schema cannot say → [`render`] runs the
//! templates → [`order`] sorts in install order → one write to stdout.
//!
//! A render first runs without the location of every key and the history of
//! every value ([`layers::Layered::quiet`]); only a run that fails needs
//! them, to say where, and it runs again with them.

pub mod checks;
pub mod layers;
pub mod model;
pub mod order;
pub mod render;
pub mod spec;
pub mod validate;

use clap::Parser;
use serde::Deserialize as _;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;
use vz::cli::{Common, Ctx, Tool};
use vz::input::{Input, Locate};
use vz::merge::ListKeys;
use vz::{Error, Location, Outcome};

const EXAMPLES: &str = "\
Examples:
  vz-render production | kubectl apply -f -
  vz-render prod -f deploy/vz.yaml --set services.app.replicas=5
  VEKTAGRAF_TAG=v1.4.2 vz-render staging -o json | jq '.items[].kind'
  vz-render production --explain services.app.replicas
  vz-render production | vz-comply --framework pci,gdpr
  vz-render --schema > vz.schema.json

Values are layered in this order, later wins: `values`, the environment's
`values`, ${VAR} substitution from the environment, `--set`, and
`serviceDefaults` under every service. Maps merge deeply, lists and scalars
replace, null removes a key.

Exit status:
  0  the manifests were written
  2  usage or input error: bad flag, unreadable or malformed spec, schema
     violation, unknown environment, missing variable, template error
     (nothing is written to stdout)";

/// Kubernetes manifests for an environment from one deploy spec.
///
/// Reads the deploy spec (vz.yaml), merges the base values with the
/// environment's overlay, substitutes ${VAR} from the environment, applies
/// --set, and renders hardened manifests from the built-in templates (or the
/// project's own), in install order, ready for `kubectl apply -f -`.
#[derive(Parser, Debug)]
#[command(name = "vz-render", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// The environment to render (its name or an alias)
    #[arg(value_name = "ENV", required_unless_present_any = ["schema", "list_environments"])]
    pub env: Option<String>,

    /// The deploy spec ("-" reads standard input)
    #[arg(short, long, value_name = "FILE", default_value = "vz.yaml", env = "VZ_RENDER_FILE")]
    pub file: String,

    /// Set a value after the environment's overlay: PATH=VALUE, VALUE typed as
    /// YAML reads it ("3" for text); repeatable
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Yaml, env = "VZ_OUTPUT")]
    pub output: Format,

    /// Print the final value at PATH and every layer that set it, instead of
    /// manifests
    #[arg(long, value_name = "PATH", conflicts_with = "schema")]
    pub explain: Option<String>,

    /// Print the deploy spec's JSON Schema and exit
    #[arg(long)]
    pub schema: bool,

    /// List the environments and their aliases and exit
    #[arg(long)]
    pub list_environments: bool,

    /// A directory of templates that add to or override the built-in ones
    /// (overrides the spec's `templates`)
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Allow plain values that look like secrets in env and config, and show
    /// them in --explain
    #[arg(long)]
    pub reveal: bool,

    #[allow(missing_docs)] // clap would print a doc comment here as help
    #[command(flatten)]
    pub common: Common,
}

impl Tool for Args {
    fn common(&self) -> &Common {
        &self.common
    }
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML, for kubectl
    Yaml,
    /// One JSON `List`
    Json,
}

/// Runs vz-render.
pub fn run(args: Args, _ctx: &mut Ctx) -> Result<Outcome, Error> {
    if args.schema {
        return emit_json(&model::spec_schema());
    }
    let source = spec::read(&Input::from_arg(&args.file))?;
    if args.list_environments {
        let loaded = spec::parse(&source, Locate::Everything)?;
        let mut out = String::new();
        for (name, env) in &loaded.spec.environments {
            let _ = writeln!(
                out,
                "{name}{}",
                env.aliases.iter().map(|a| format!(" {a}")).collect::<String>()
            );
        }
        vz::output::emit(out.as_bytes())?;
        return Ok(Outcome::Pass);
    }
    if let Some(p) = &args.explain {
        let loaded = spec::parse(&source, Locate::Everything)?;
        let (env_name, env) = spec::environment(&loaded.spec, wanted(&args))?;
        let layered = layer(&loaded, env_name, env, &args.set, false)?;
        return explain(&layered, p, args.output, args.reveal);
    }

    // A render that succeeds is never asked where a value was written, so
    // it runs without the locations and the history of every value; one
    // that fails runs again with them, to say where.
    let Prepared { loaded, env_name, layered, values } = match prepare(&source, &args, true) {
        Ok(prepared) => prepared,
        Err(_) => prepare(&source, &args, false)?,
    };

    let templates_dir = args
        .templates
        .clone()
        .or_else(|| loaded.spec.templates.as_ref().map(|t| loaded.dir.join(t)));
    let templates = render::Templates::load(templates_dir.as_deref())?;
    let docs = render::render(&render::RenderInput {
        app: &loaded.spec.app,
        env: &env_name,
        values: &values,
        templates: &templates,
    })?;
    let bytes = match args.output {
        Format::Yaml => to_yaml_stream(&docs)?,
        Format::Json => json_list(&docs)?,
    };
    vz::output::emit(&bytes)?;
    // The process ends here: freeing what the run built, one map at a
    // time, was a twentieth of a small render.
    std::mem::forget((loaded, layered, values, templates, docs, bytes));
    Ok(Outcome::Pass)
}

/// The spec, its environment, the layered values and the values checked.
struct Prepared {
    loaded: spec::Loaded,
    env_name: String,
    layered: layers::Layered,
    values: model::Values,
}

/// The environment asked for.
fn wanted(args: &Args) -> &str {
    args.env.as_deref().unwrap_or_default()
}

/// Reads the spec, layers the environment's values and checks them; `quiet`
/// without the location of every key and the history of every value (see
/// [`layers::Layered::quiet`]), whose errors then say less about where.
fn prepare(source: &spec::Source, args: &Args, quiet: bool) -> Result<Prepared, Error> {
    let locate = if quiet { Locate::Documents } else { Locate::Everything };
    let loaded = spec::parse(source, locate)?;
    let (env_name, env) = spec::environment(&loaded.spec, wanted(args))?;
    let layered = layer(&loaded, env_name, env, &args.set, quiet)?;
    let fallback = loaded.doc.at.clone();
    let values = validated(&layered, &fallback)?;
    checks::check(&values, &loaded.spec.app, &layered, &fallback, args.reveal)?;
    let env_name = env_name.to_string();
    Ok(Prepared { loaded, env_name, layered, values })
}

/// The merged values, typed and checked against the schema. The typed read
/// plus [`validate::Constraints`] is the happy path; the full validator
/// runs only to explain what is wrong.
fn validated(layered: &layers::Layered, fallback: &Location) -> Result<model::Values, Error> {
    match model::Values::deserialize(&layered.values) {
        Ok(values) if validate::Constraints::values().is_some_and(|c| c.allow(&layered.values)) => {
            Ok(values)
        }
        failed => {
            validate::check(model::values_schema(), &layered.values, &|p, key| {
                if key { layered.locate_key(p, fallback) } else { layered.locate(p, fallback) }
            })?;
            failed.map_err(|e| Error::Invalid {
                at: fallback.clone(),
                path: String::new(),
                message: e.to_string(),
                suggestion: None,
            })
        }
    }
}

/// Merges every layer for `env_name`.
fn layer(
    loaded: &spec::Loaded,
    env_name: &str,
    env: &model::Environment,
    sets: &[String],
    quiet: bool,
) -> Result<layers::Layered, Error> {
    let mut keys = ListKeys::none();
    for (pattern, key) in &loaded.spec.merge_keys {
        keys.add(pattern, key);
    }
    let mut layered =
        layers::Layered { values: Value::Object(Default::default()), quiet, ..Default::default() };
    if !loaded.spec.values.is_null() {
        layered.merge_layer(&loaded.doc, "values", loaded.spec.values.clone(), &keys);
    }
    if !env.values.is_null() {
        let prefix = format!("{}.values", vz::path::key("environments", env_name));
        layered.merge_layer(&loaded.doc, &prefix, env.values.clone(), &keys);
    }
    layered.substitute(&|name| std::env::var(name).ok(), &loaded.doc.at)?;
    for s in sets {
        layered.set(s)?;
    }
    layered.apply_service_defaults();
    Ok(layered)
}

fn explain(
    layered: &layers::Layered,
    path: &str,
    format: Format,
    reveal: bool,
) -> Result<Outcome, Error> {
    let path = vz::path::parse(path)
        .map(|s| vz::path::join(&s))
        .map_err(|m| Error::usage(format!("--explain: {m}")))?;
    let entries = layered.explain(&path);
    if entries.is_empty() {
        let known: Vec<&str> = layered.history.keys().map(String::as_str).collect();
        let hint = vz::error::suggest(&path, known)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(Error::usage(format!("--explain: no layer sets `{path}`{hint}")));
    }
    // Secrets never reach stdout: a value under a secret-looking key is shown
    // as `<redacted>` unless --reveal.
    let final_value = |p: &str| -> Option<Value> {
        let segs = vz::path::parse(p).ok()?;
        let mut cur = &layered.values;
        let mut secret = false;
        for s in segs {
            cur = match s {
                vz::path::Segment::Key(k) => {
                    secret |= checks::looks_secret(&k);
                    cur.get(&k)?
                }
                vz::path::Segment::Index(i) => cur.get(i)?,
            };
        }
        let hide = secret && !reveal && !cur.is_object() && !cur.is_array();
        Some(if hide { Value::String("<redacted>".into()) } else { cur.clone() })
    };
    match format {
        Format::Json => {
            let items: Vec<Value> = entries
                .iter()
                .map(|(p, origins)| {
                    serde_json::json!({
                        "path": p,
                        "value": final_value(p),
                        "layers": origins.iter().rev().map(|o| serde_json::json!({
                            "layer": o.layer,
                            "at": o.at.as_ref().map(Location::to_string),
                            "removed": o.removed,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            emit_json(&Value::Array(items))
        }
        Format::Yaml => {
            let mut out = String::new();
            for (p, origins) in entries {
                match final_value(p) {
                    Some(v) => {
                        let _ = writeln!(out, "{p} = {v}");
                    }
                    None => {
                        let _ = writeln!(out, "{p} (removed)");
                    }
                }
                for (i, o) in origins.iter().rev().enumerate() {
                    let verb = match (i, o.removed) {
                        (_, true) => "removed by",
                        (0, false) => "set by",
                        _ => "overrides",
                    };
                    let at = o.at.as_ref().map(|a| format!(" at {a}")).unwrap_or_default();
                    let _ = writeln!(out, "  {verb} {}{at}", o.layer);
                }
            }
            vz::output::emit(out.as_bytes())?;
            Ok(Outcome::Pass)
        }
    }
}

fn emit_json(v: &Value) -> Result<Outcome, Error> {
    vz::output::emit_json(v)?;
    Ok(Outcome::Pass)
}

/// Multi-document YAML, each document introduced by `---`. Large streams
/// are written in parallel, in order.
pub fn to_yaml_stream(docs: &[Value]) -> Result<Vec<u8>, Error> {
    let parts = vz::par::map(docs, PARALLEL_MIN_DOCS, vz::yaml::to_string);
    let mut out = Vec::with_capacity(docs.len() * 1024);
    for p in parts {
        out.extend_from_slice(b"---\n");
        out.extend_from_slice(p?.as_bytes());
    }
    Ok(out)
}

/// Below this many objects, one thread writes them all.
const PARALLEL_MIN_DOCS: usize = 512;

fn json_list(items: &[Value]) -> Result<Vec<u8>, Error> {
    /// A `List`, its fields in the order a JSON object's keys are written.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct List<'a> {
        api_version: &'static str,
        items: &'a [Value],
        kind: &'static str,
    }
    let list = List { api_version: "v1", items, kind: "List" };
    let mut bytes = serde_json::to_vec_pretty(&list).map_err(|e| Error::usage(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_yaml_streams_equal_serial_ones() {
        let docs: Vec<Value> = (0..1000)
            .map(
                |i| serde_json::json!({"kind": "ConfigMap", "metadata": {"name": format!("c{i}")}}),
            )
            .collect();
        let serial: String =
            docs.iter().map(|d| format!("---\n{}", vz::yaml::to_string(d).unwrap())).collect();
        assert_eq!(String::from_utf8(to_yaml_stream(&docs).unwrap()).unwrap(), serial);
    }
}
