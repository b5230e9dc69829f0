//! Canary weights on an Istio VirtualService (route destinations by
//! subset), a Gateway API HTTPRoute (backendRefs by name) or an SMI
//! TrafficSplit (backends by service): read, set, stepped along a plan.
//!
//! A *rule* is `spec.http[i]` (VirtualService), `spec.rules[i]` (HTTPRoute)
//! or the one `spec.backends` list (TrafficSplit); its *backends* are the
//! weighted entries in it. A backend's name is the destination's `subset`
//! (or its `host` when it has none), the backendRef's `name`, or the SMI
//! backend's `service`.
//!
//! Weights are read as the APIs define them (HTTPRoute and SMI weights are
//! relative; an absent weight is 1 on an HTTPRoute, 100 for a lone Istio
//! destination and 0 otherwise; SMI v1alpha1 quantities such as `900m` are
//! read exactly) and written as whole numbers summing to 100 in the rule
//! that changes — valid for every one of the APIs. On SMI v1alpha1 a weight
//! keeps its JSON type (a quantity string `"90"` stays a string, as Argo
//! Rollouts writes them); later versions get integers. Only the weights of
//! the backends a change names are written; every other rule, match,
//! filter and backend stays exactly as it was.

use crate::object::{Kind, Object};
use serde_json::{Map, Value, json};
use std::time::Duration;
use vz::Error;

/// The weights as they are.
#[derive(Clone, Debug)]
pub struct Current {
    /// For `-o json`.
    pub json: Value,
    /// For `$(...)`: one line per rule, `stable=90 canary=10`.
    pub text: String,
}

/// A changed object and what changed, in words.
#[derive(Clone, Debug)]
pub struct Changed {
    /// The object, changed.
    pub value: Value,
    /// For stderr: `canary 10 → 25, stable 90 → 75`.
    pub summary: String,
}

/// Weights are kept in thousandths, so SMI v1alpha1 quantities (`900m`) are
/// exact; every other weight is a whole number times 1000.
const UNIT: u64 = 1000;
/// A rule's weights after a change: 100, in thousandths.
const FULL: u64 = 100 * UNIT;

const SMI_ARCHIVED: &str = "note: the SMI spec is archived (CNCF, October 2023); Gateway API \
                            HTTPRoute is its successor";

/// How a weight was written, so it is written back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// No `weight` key: the API's default applies.
    Absent,
    /// A JSON number.
    Number,
    /// A quantity string (SMI v1alpha1: `"900m"`, `"90"`).
    Text,
}

/// One weighted entry of a rule.
#[derive(Clone, Debug)]
struct Backend {
    name: String,
    /// In thousandths; the API's default when absent.
    weight: u64,
    form: Form,
    /// The entry's JSON pointer, for writing.
    pointer: String,
    /// The entry's vz path, for messages.
    path: String,
}

/// One rule and its backends.
#[derive(Clone, Debug)]
struct Rule {
    index: usize,
    /// The path of the list holding the backends (`spec.http[1].route`).
    path: String,
    backends: Vec<Backend>,
    /// Istio: a lone destination takes all traffic whatever its weight.
    lone_takes_all: bool,
}

impl Rule {
    fn sum(&self) -> u64 {
        self.backends.iter().map(|b| b.weight).sum()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.backends.iter().position(|b| b.name == name)
    }

    fn has(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Each backend's share of the rule's traffic, in hundredths of a
    /// percent.
    fn share(&self, b: &Backend) -> u64 {
        if self.lone_takes_all && self.backends.len() == 1 {
            return 10_000;
        }
        let sum = u128::from(self.sum());
        if sum == 0 {
            return 0;
        }
        let hundredths = (u128::from(b.weight) * 20_000 + sum) / (2 * sum);
        u64::try_from(hundredths).unwrap_or(u64::MAX)
    }
}

/// Every rule of one object.
#[derive(Clone, Debug)]
struct Routes {
    kind: Kind,
    /// Where the rules are (`spec.http`), for messages.
    path: &'static str,
    rules: Vec<Rule>,
    /// SMI v1alpha1 writes quantities; every other version integers.
    quantities: bool,
}

/// The weights of every rule of `obj`.
pub fn current(obj: &Object) -> Result<Current, Error> {
    let routes = read(obj)?;
    let mut text = String::new();
    let mut rules = Vec::new();
    for rule in &routes.rules {
        let mut backends = Vec::new();
        let mut line = Vec::new();
        for b in &rule.backends {
            let share = rule.share(b);
            backends.push(json!({
                "name": b.name,
                "weight": number(b.weight, UNIT),
                "percent": number(share, 100),
            }));
            line.push(format!("{}={}", b.name, decimal(share, 100)));
        }
        rules.push(json!({"rule": rule.index, "backends": backends}));
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    Ok(Current { json: json!({"kind": routes.kind.name(), "rules": rules}), text })
}

/// `obj` with the named backends' weights set.
pub fn set(obj: &Object, wanted: &[(String, u32)], rule: Option<usize>) -> Result<Changed, Error> {
    let routes = read(obj)?;
    let names = distinct_names(wanted)?;
    let rule = pick_rule(obj, &routes, &names, rule, false)?;
    let changes = changes(obj, rule, wanted)?;
    let listed: Vec<String> = changes
        .iter()
        .filter(|c| c.old != c.new)
        .map(|c| format!("{} {} → {}", c.name, decimal(c.old, UNIT), decimal(c.new, UNIT)))
        .collect();
    let words = if listed.is_empty() {
        let now: Vec<String> =
            changes.iter().map(|c| format!("{} {}", c.name, decimal(c.new, UNIT))).collect();
        format!("weights unchanged: {}", now.join(", "))
    } else {
        listed.join(", ")
    };
    let prefix =
        if routes.rules.len() > 1 { format!("rule {}: ", rule.index) } else { String::new() };
    Ok(Changed {
        value: write(obj, &routes, rule, &changes),
        summary: with_note(&routes, format!("{prefix}{words}")),
    })
}

/// `obj` moved to the plan's next canary weight.
pub fn step(
    obj: &Object,
    plan: &[u32],
    canary: &str,
    stable: Option<&str>,
    rule: Option<usize>,
) -> Result<Changed, Error> {
    check_plan(plan)?;
    if stable == Some(canary) {
        return Err(Error::usage(format!(
            "--canary and --stable both name `{canary}`: the stable backend is the one the \
             canary takes traffic from"
        )));
    }
    let routes = read(obj)?;
    let mut names = vec![canary];
    names.extend(stable);
    let rule = pick_rule(obj, &routes, &names, rule, true)?;
    let stable = stable_of(obj, rule, canary, stable)?;
    let others: Vec<&Backend> =
        rule.backends.iter().filter(|b| b.name != canary && b.name != stable).collect();
    keeps_shares(obj, rule, &others)?;
    let (number, next) = next_step(obj, rule, plan, canary)?;
    let stable_weight = stable_weight(obj, rule, next, &others)?;
    let wanted = [(canary.to_string(), next), (stable.to_string(), stable_weight)];
    let changes = changes(obj, rule, &wanted)?;
    let words: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {} → {}", c.name, decimal(c.old, UNIT), decimal(c.new, UNIT)))
        .collect();
    let at = if routes.rules.len() > 1 { format!(", rule {}", rule.index) } else { String::new() };
    let summary = format!("step {number} of {}{at}: {}", plan.len(), words.join(", "));
    Ok(Changed { value: write(obj, &routes, rule, &changes), summary: with_note(&routes, summary) })
}

/// The whole schedule of a plan.
pub fn schedule(
    plan: &[u32],
    interval: Option<Duration>,
    max_failures: Option<u32>,
) -> Result<Value, Error> {
    check_plan(plan)?;
    let steps: Vec<Value> = plan
        .iter()
        .enumerate()
        .map(|(i, w)| json!({"step": i + 1, "canary": w, "stable": 100 - w}))
        .collect();
    let mut out = Map::new();
    out.insert("steps".into(), Value::from(steps));
    out.insert("steps_count".into(), Value::from(plan.len()));
    if let Some(every) = interval {
        let steps = u32::try_from(plan.len()).unwrap_or(u32::MAX);
        let full = every.saturating_mul(steps);
        out.insert("minimum_time_to_full".into(), Value::from(vz::duration::format(full)));
        if let Some(n) = max_failures {
            let rollback = every.saturating_mul(n);
            out.insert("worst_case_rollback".into(), Value::from(vz::duration::format(rollback)));
        }
    }
    Ok(Value::Object(out))
}

/// A plan is a strictly increasing list of whole percentages.
fn check_plan(plan: &[u32]) -> Result<(), Error> {
    if plan.is_empty() {
        return Err(Error::usage(
            "the plan is empty: give the canary's weights in order, e.g. --plan 5,25,50,100",
        ));
    }
    if let Some(w) = plan.iter().find(|w| **w > 100) {
        return Err(Error::usage(format!("the plan's step {w} is not a whole percentage (0-100)")));
    }
    if let Some(pair) = plan.windows(2).find(|p| p[1] <= p[0]) {
        return Err(Error::usage(format!(
            "the plan must be strictly increasing, but {} follows {}: e.g. --plan 5,25,50,100",
            pair[1], pair[0]
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- reading

/// The rules of `obj`, every weight parsed; malformed entries are located
/// errors.
fn read(obj: &Object) -> Result<Routes, Error> {
    let v = obj.value();
    match obj.kind {
        Kind::VirtualService => {
            let rules = read_rules(obj, v, "spec.http", "route", &vs_backend)?;
            Ok(Routes { kind: obj.kind, path: "spec.http", rules, quantities: false })
        }
        Kind::HttpRoute => {
            let rules = read_rules(obj, v, "spec.rules", "backendRefs", &route_backend)?;
            Ok(Routes { kind: obj.kind, path: "spec.rules", rules, quantities: false })
        }
        Kind::TrafficSplit => {
            let path = "spec.backends";
            let entries = list(obj, v.pointer("/spec/backends"), path)?;
            let mut backends = Vec::new();
            for (j, e) in entries.iter().enumerate() {
                let at = Entry::new(path, "/spec/backends", j);
                backends.push(smi_backend(obj, e, at, entries.len())?);
            }
            let rule = Rule { index: 0, path: path.into(), backends, lone_takes_all: false };
            let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            let quantities = api == "split.smi-spec.io/v1alpha1";
            Ok(Routes { kind: obj.kind, path, rules: vec![rule], quantities })
        }
        Kind::Service => Err(Error::usage(format!(
            "{} has no weights: a Service switches by colour (`to COLOR`)",
            obj.label()
        ))),
    }
}

/// Where an entry is: its vz path and JSON pointer.
struct Entry {
    path: String,
    pointer: String,
}

impl Entry {
    fn new(list_path: &str, list_pointer: &str, j: usize) -> Entry {
        Entry { path: vz::path::index(list_path, j), pointer: format!("{list_pointer}/{j}") }
    }
}

type ReadBackend = dyn Fn(&Object, &Value, Entry, usize) -> Result<Backend, Error>;

/// `spec.http` or `spec.rules`: each rule's `list_key` list of backends.
fn read_rules(
    obj: &Object,
    v: &Value,
    path: &str,
    list_key: &str,
    backend: &ReadBackend,
) -> Result<Vec<Rule>, Error> {
    let pointer = format!("/{}", path.replace('.', "/"));
    let rules = list(obj, v.pointer(&pointer), path)?;
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let rule_path = vz::path::index(path, i);
        let map = r.as_object().ok_or_else(|| {
            obj.invalid(&rule_path, format!("expected a map (a rule), found {}", what(r)))
        })?;
        let list_path = vz::path::key(&rule_path, list_key);
        let list_pointer = format!("{pointer}/{i}/{list_key}");
        let entries = list(obj, map.get(list_key), &list_path)?;
        let mut backends = Vec::new();
        for (j, e) in entries.iter().enumerate() {
            backends.push(backend(
                obj,
                e,
                Entry::new(&list_path, &list_pointer, j),
                entries.len(),
            )?);
        }
        let lone_takes_all = obj.kind == Kind::VirtualService;
        out.push(Rule { index: i, path: list_path, backends, lone_takes_all });
    }
    Ok(out)
}

/// A list, or nothing when absent.
fn list<'a>(obj: &Object, v: Option<&'a Value>, path: &str) -> Result<&'a [Value], Error> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(obj.invalid(path, format!("expected a list, found {}", what(other)))),
    }
}

/// An Istio route destination: named by subset, or host without one.
fn vs_backend(obj: &Object, e: &Value, at: Entry, siblings: usize) -> Result<Backend, Error> {
    let map = entry_map(obj, e, &at.path, "a route destination")?;
    let dest_path = vz::path::key(&at.path, "destination");
    let dest = map.get("destination").and_then(Value::as_object).ok_or_else(|| {
        obj.invalid(&dest_path, "expected a destination with a host (and a subset)")
    })?;
    let name = match (dest.get("subset"), dest.get("host")) {
        (Some(Value::String(s)), _) if !s.is_empty() => s.clone(),
        (_, Some(Value::String(h))) if !h.is_empty() => h.clone(),
        _ => {
            return Err(
                obj.invalid(&dest_path, "expected a destination with a host (and a subset)")
            );
        }
    };
    let default = if siblings == 1 { 100 } else { 0 };
    let (weight, form) = weight_of(obj, map, &at.path, default, false)?;
    Ok(Backend { name, weight, form, pointer: at.pointer, path: at.path })
}

/// A Gateway API backendRef: named by `name`; weight 1 when absent.
fn route_backend(obj: &Object, e: &Value, at: Entry, _siblings: usize) -> Result<Backend, Error> {
    let map = entry_map(obj, e, &at.path, "a backendRef")?;
    let name = name_at(obj, map, &at.path, "name")?;
    let (weight, form) = weight_of(obj, map, &at.path, 1, false)?;
    Ok(Backend { name, weight, form, pointer: at.pointer, path: at.path })
}

/// An SMI backend: named by `service`; quantities (`900m`) allowed.
fn smi_backend(obj: &Object, e: &Value, at: Entry, _siblings: usize) -> Result<Backend, Error> {
    let map = entry_map(obj, e, &at.path, "a backend")?;
    let name = name_at(obj, map, &at.path, "service")?;
    let (weight, form) = weight_of(obj, map, &at.path, 0, true)?;
    Ok(Backend { name, weight, form, pointer: at.pointer, path: at.path })
}

fn entry_map<'a>(
    obj: &Object,
    e: &'a Value,
    path: &str,
    what_: &str,
) -> Result<&'a Map<String, Value>, Error> {
    e.as_object()
        .ok_or_else(|| obj.invalid(path, format!("expected {what_} (a map), found {}", what(e))))
}

fn name_at(obj: &Object, map: &Map<String, Value>, path: &str, key: &str) -> Result<String, Error> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(obj
            .invalid(&vz::path::key(path, key), format!("expected a name, found {}", what(other)))),
        None => Err(obj.invalid(path, format!("the backend has no `{key}`"))),
    }
}

/// The entry's weight in thousandths (the default when absent) and how it
/// was written.
fn weight_of(
    obj: &Object,
    map: &Map<String, Value>,
    path: &str,
    default: u64,
    quantities: bool,
) -> Result<(u64, Form), Error> {
    let wpath = vz::path::key(path, "weight");
    let bad = |found: &Value| {
        let expected = if quantities {
            "a weight (a whole number, or a quantity such as 900m)"
        } else {
            "a weight (a whole number)"
        };
        obj.invalid(&wpath, format!("expected {expected}, found {}", what(found)))
    };
    match map.get("weight") {
        None | Some(Value::Null) => Ok((default * UNIT, Form::Absent)),
        Some(Value::Number(n)) => {
            if let Some(w) = n.as_u64() {
                let w = w.checked_mul(UNIT).ok_or_else(|| bad(&Value::Number(n.clone())))?;
                return Ok((w, Form::Number));
            }
            let exact = n.as_f64().filter(|f| *f >= 0.0 && quantities).map(|f| f * UNIT as f64);
            match exact {
                Some(t) if (t - t.round()).abs() < 1e-6 && t < 1e15 => {
                    Ok((t.round() as u64, Form::Number))
                }
                _ => Err(bad(&Value::Number(n.clone()))),
            }
        }
        Some(Value::String(s)) if quantities => {
            quantity(s).map(|w| (w, Form::Text)).ok_or_else(|| bad(&Value::String(s.clone())))
        }
        Some(other) => Err(bad(other)),
    }
}

/// A Kubernetes quantity (`900m`, `1`, `0.5`, `2k`) in thousandths, when it
/// is one and is a whole number of thousandths.
fn quantity(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, suffix) = t.split_at(digits_end);
    let scale: u128 = match suffix {
        "m" => 1,
        "" => 1_000,
        "k" => 1_000_000,
        "M" => 1_000_000_000,
        "G" => 1_000_000_000_000,
        _ => return None,
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = format!("{whole}{frac}");
    let mantissa: u128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let divisor = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let scaled = mantissa.checked_mul(scale)?;
    scaled.is_multiple_of(divisor).then(|| u64::try_from(scaled / divisor).ok()).flatten()
}

// ---------------------------------------------------------------- choosing

/// Each name once.
fn distinct_names(wanted: &[(String, u32)]) -> Result<Vec<&str>, Error> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in wanted {
        if names.contains(&name.as_str()) {
            return Err(Error::usage(format!("`{name}` is named twice: name each backend once")));
        }
        names.push(name);
    }
    Ok(names)
}

/// The one rule holding every name (`--rule N` when given). For a step
/// (`partner`), a rule where the canary is alone does not count: there is
/// no stable backend to take traffic from.
fn pick_rule<'a>(
    obj: &Object,
    routes: &'a Routes,
    names: &[&str],
    rule: Option<usize>,
    partner: bool,
) -> Result<&'a Rule, Error> {
    let picked = match rule {
        Some(n) => given_rule(obj, routes, names, n, partner)?,
        None => {
            let fits =
                |r: &&Rule| names.iter().all(|n| r.has(n)) && (!partner || r.backends.len() > 1);
            let found: Vec<&Rule> = routes.rules.iter().filter(fits).collect();
            match found.as_slice() {
                [one] => *one,
                [] => return Err(no_rule(obj, routes, names, partner)),
                many => {
                    let idx: Vec<String> = many.iter().map(|r| r.index.to_string()).collect();
                    let who = and_list(&names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>());
                    let verb = if names.len() == 1 { "is" } else { "are together" };
                    return Err(obj.invalid(
                        routes.path,
                        format!("{who} {verb} in rules {}: pick one with --rule N", and_list(&idx)),
                    ));
                }
            }
        }
    };
    for name in names {
        let twice: Vec<&Backend> = picked.backends.iter().filter(|b| b.name == *name).collect();
        if let [first, second, ..] = twice.as_slice() {
            return Err(obj.invalid(
                &picked.path,
                format!(
                    "rule {} lists `{name}` twice ({} and {}): vz-switch cannot tell them apart",
                    picked.index, first.path, second.path
                ),
            ));
        }
    }
    Ok(picked)
}

/// `--rule N`: it exists and holds every name.
fn given_rule<'a>(
    obj: &Object,
    routes: &'a Routes,
    names: &[&str],
    n: usize,
    partner: bool,
) -> Result<&'a Rule, Error> {
    let Some(r) = routes.rules.get(n) else {
        let count = routes.rules.len();
        let has = match count {
            0 => "no rules".to_string(),
            1 => "1 rule (0)".to_string(),
            c => format!("{c} rules (0 to {})", c - 1),
        };
        return Err(obj.invalid(routes.path, format!("there is no rule {n}: the object has {has}")));
    };
    if let Some(missing) = names.iter().find(|name| !r.has(name)) {
        let here: Vec<&str> = r.backends.iter().map(|b| b.name.as_str()).collect();
        let has = if here.is_empty() { "none".to_string() } else { here.join(", ") };
        return Err(Error::Invalid {
            at: obj.doc.locate(&r.path, false),
            path: r.path.clone(),
            message: format!("rule {n} has no backend `{missing}` (its backends: {has})"),
            suggestion: vz::error::suggest(missing, here),
        });
    }
    if partner && r.backends.len() < 2 {
        return Err(obj.invalid(
            &r.path,
            format!(
                "`{}` is alone in rule {n}: a step needs the stable backend in the same rule",
                names[0]
            ),
        ));
    }
    Ok(r)
}

/// Why no rule holds every name: one is nowhere (with the near miss), the
/// canary is alone, or they are in different rules.
fn no_rule(obj: &Object, routes: &Routes, names: &[&str], partner: bool) -> Error {
    let mut all: Vec<&str> = Vec::new();
    for b in routes.rules.iter().flat_map(|r| &r.backends) {
        if !all.contains(&b.name.as_str()) {
            all.push(&b.name);
        }
    }
    let rules_of = |name: &str| -> Vec<String> {
        routes.rules.iter().filter(|r| r.has(name)).map(|r| r.index.to_string()).collect()
    };
    if let Some(missing) = names.iter().find(|n| rules_of(n).is_empty()) {
        let has = if all.is_empty() {
            format!("the object has none (in {})", routes.path)
        } else {
            format!("the backends are {}", all.join(", "))
        };
        return Error::Invalid {
            at: obj.doc.locate(routes.path, false),
            path: routes.path.into(),
            message: format!("no backend `{missing}` in any rule ({has})"),
            suggestion: vz::error::suggest(missing, all.iter().copied()),
        };
    }
    if partner && names.len() == 1 {
        let idx = rules_of(names[0]);
        let rule_word = if idx.len() == 1 { "rule" } else { "rules" };
        return obj.invalid(
            routes.path,
            format!(
                "`{}` is alone in {rule_word} {}: a step needs the stable backend in the same rule",
                names[0],
                and_list(&idx)
            ),
        );
    }
    let wheres: Vec<String> = names
        .iter()
        .map(|n| {
            let idx = rules_of(n);
            let rule_word = if idx.len() == 1 { "rule" } else { "rules" };
            format!("`{n}` is in {rule_word} {}", and_list(&idx))
        })
        .collect();
    let who = and_list(&names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>());
    obj.invalid(
        routes.path,
        format!("no rule has all of {who}: {}; name the backends of one rule", wheres.join(", ")),
    )
}

/// The stable backend of a step: `--stable`, or the rule's only other one.
fn stable_of<'a>(
    obj: &Object,
    rule: &'a Rule,
    canary: &str,
    stable: Option<&'a str>,
) -> Result<&'a str, Error> {
    if let Some(s) = stable {
        return Ok(s);
    }
    let others: Vec<&Backend> = rule.backends.iter().filter(|b| b.name != canary).collect();
    match others.as_slice() {
        [one] => Ok(&one.name),
        _ => {
            let all: Vec<&str> = rule.backends.iter().map(|b| b.name.as_str()).collect();
            Err(obj.invalid(
                &rule.path,
                format!(
                    "rule {} has {} backends ({}): name the stable one with --stable",
                    rule.index,
                    all.len(),
                    all.join(", ")
                ),
            ))
        }
    }
}

/// The plan's next step above the canary's share: (1-based number, weight).
fn next_step(obj: &Object, rule: &Rule, plan: &[u32], canary: &str) -> Result<(usize, u32), Error> {
    let Some(b) = rule.backends.iter().find(|b| b.name == canary) else {
        return Err(
            obj.invalid(&rule.path, format!("rule {} has no backend `{canary}`", rule.index))
        );
    };
    let share = rule.share(b);
    let found = plan.iter().enumerate().find(|(_, w)| u64::from(**w) * 100 > share);
    if let Some((i, w)) = found {
        return Ok((i + 1, *w));
    }
    let last = plan.last().copied().unwrap_or(100);
    let at = decimal(share, 100);
    let message = if share == u64::from(last) * 100 {
        format!("{}: `{canary}` is already at {at} (the plan's last step)", obj.label())
    } else {
        format!(
            "{}: `{canary}` is already at {at}, past the plan's last step ({last})",
            obj.label()
        )
    };
    Err(Error::Usage(message))
}

/// Backends other than the canary and the stable one keep their weights,
/// so their share stays only when the rule is in percentages already.
fn keeps_shares(obj: &Object, rule: &Rule, others: &[&Backend]) -> Result<(), Error> {
    if others.is_empty() || rule.sum() == FULL {
        return Ok(());
    }
    let who: Vec<String> = others.iter().map(|b| format!("`{}`", b.name)).collect();
    Err(obj.invalid(
        &rule.path,
        format!(
            "weights in rule {} sum to {}, not 100, so a step would change the share of {}: \
             set the whole rule in percentages first with `weight NAME=PERCENT …`",
            rule.index,
            decimal(rule.sum(), UNIT),
            and_list(&who)
        ),
    ))
}

/// What the stable backend gets: 100 − canary − the untouched others.
fn stable_weight(
    obj: &Object,
    rule: &Rule,
    canary: u32,
    others: &[&Backend],
) -> Result<u32, Error> {
    let taken: u64 = others.iter().map(|b| b.weight).sum();
    let rest = FULL.checked_sub(u64::from(canary) * UNIT).and_then(|r| r.checked_sub(taken));
    match rest {
        Some(r) if r.is_multiple_of(UNIT) => Ok(u32::try_from(r / UNIT).unwrap_or(0)),
        _ => {
            let who: Vec<String> =
                others.iter().map(|b| format!("{}={}", b.name, decimal(b.weight, UNIT))).collect();
            Err(obj.invalid(
                &rule.path,
                format!(
                    "the canary at {canary} and the untouched {} leave the stable backend no whole \
                     percentage in rule {}",
                    who.join(", "),
                    rule.index
                ),
            ))
        }
    }
}

// ---------------------------------------------------------------- changing

/// One named backend: where it is, its weight before and after (thousandths).
#[derive(Clone, Debug)]
struct Change {
    at: usize,
    name: String,
    old: u64,
    new: u64,
}

/// The named backends' new weights, in the order named; the rule must then
/// sum to exactly 100.
fn changes(obj: &Object, rule: &Rule, wanted: &[(String, u32)]) -> Result<Vec<Change>, Error> {
    let mut out = Vec::new();
    for (name, w) in wanted {
        let Some(at) = rule.position(name) else {
            return Err(
                obj.invalid(&rule.path, format!("rule {} has no backend `{name}`", rule.index))
            );
        };
        let new = u64::from(*w) * UNIT;
        out.push(Change { at, name: name.clone(), old: rule.backends[at].weight, new });
    }
    let after = |i: usize| out.iter().find(|c| c.at == i).map(|c| c.new);
    let sum: u64 =
        (0..rule.backends.len()).map(|i| after(i).unwrap_or(rule.backends[i].weight)).sum();
    if sum != FULL {
        return Err(obj.invalid(&rule.path, not_100(rule, &out, sum)));
    }
    Ok(out)
}

/// "weights in rule 0 would sum to 110 (stable=90 untouched, canary=20):
/// name every backend that changes, e.g. `weight stable=80 canary=20`".
fn not_100(rule: &Rule, changes: &[Change], sum: u64) -> String {
    let named = |i: usize| changes.iter().find(|c| c.at == i);
    let listed: Vec<String> = rule
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| match named(i) {
            Some(c) => format!("{}={}", b.name, decimal(c.new, UNIT)),
            None => format!("{}={} untouched", b.name, decimal(b.weight, UNIT)),
        })
        .collect();
    let head = format!(
        "weights in rule {} would sum to {} ({})",
        rule.index,
        decimal(sum, UNIT),
        listed.join(", ")
    );
    let untouched: Vec<usize> = (0..rule.backends.len()).filter(|i| named(*i).is_none()).collect();
    if untouched.is_empty() {
        let zero = if sum == 0 {
            " (a rule with every backend at 0 sends its traffic nowhere)"
        } else {
            ""
        };
        return format!("{head}: they must sum to exactly 100{zero}");
    }
    // The untouched backend with the most weight (the stable one, usually)
    // could take the rest.
    let absorb =
        untouched.iter().copied().max_by_key(|i| (rule.backends[*i].weight, usize::MAX - i));
    let example = absorb.and_then(|a| {
        let others = sum - rule.backends[a].weight;
        let rest = FULL.checked_sub(others).filter(|r| r.is_multiple_of(UNIT))?;
        let parts: Vec<String> = rule
            .backends
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match named(i) {
                Some(c) => Some(format!("{}={}", b.name, decimal(c.new, UNIT))),
                None if i == a => Some(format!("{}={}", b.name, rest / UNIT)),
                None => None,
            })
            .collect();
        Some(format!(", e.g. `weight {}`", parts.join(" ")))
    });
    format!("{head}: name every backend that changes{}", example.unwrap_or_default())
}

/// The object with the changed weights written, nothing else touched.
fn write(obj: &Object, routes: &Routes, rule: &Rule, changes: &[Change]) -> Value {
    let mut out = obj.value().clone();
    for c in changes.iter().filter(|c| c.old != c.new) {
        let b = &rule.backends[c.at];
        let whole = c.new / UNIT;
        let value = if routes.quantities && b.form != Form::Number {
            Value::String(whole.to_string())
        } else {
            Value::from(whole)
        };
        if let Some(entry) = out.pointer_mut(&b.pointer).and_then(Value::as_object_mut) {
            entry.insert("weight".into(), value);
        }
    }
    out
}

fn with_note(routes: &Routes, summary: String) -> String {
    if routes.kind == Kind::TrafficSplit { format!("{summary} ({SMI_ARCHIVED})") } else { summary }
}

// ---------------------------------------------------------------- words

/// `n / per` as a JSON number: an integer when whole.
fn number(n: u64, per: u64) -> Value {
    if n.is_multiple_of(per) { Value::from(n / per) } else { Value::from(n as f64 / per as f64) }
}

/// `n / per` as text: `90`, `0.9`, `33.33`.
fn decimal(n: u64, per: u64) -> String {
    let whole = n / per;
    let frac = n % per;
    if frac == 0 {
        return whole.to_string();
    }
    let width = per.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A value's type, for messages.
fn what(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vz::input::{Locate, Syntax, parse_documents};

    fn object(kind: Kind, v: &Value) -> Object {
        let text = serde_json::to_string_pretty(v).unwrap();
        let mut docs = parse_documents(&text, "in.json", Locate::Everything).unwrap();
        Object { doc: docs.remove(0), kind, syntax: Syntax::Json }
    }

    fn dest(subset: &str, weight: Option<u32>) -> Value {
        let mut d = json!({"destination": {"host": "app", "subset": subset}});
        if let Some(w) = weight {
            d["weight"] = json!(w);
        }
        d
    }

    /// The guides' VirtualService: a header route to the canary, then the
    /// weighted split.
    fn guide_vs() -> Object {
        object(
            Kind::VirtualService,
            &json!({
                "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                "metadata": {"name": "app"},
                "spec": {"hosts": ["app"], "http": [
                    {"match": [{"headers": {"x-canary": {"exact": "true"}}}],
                     "route": [dest("canary", None)]},
                    {"route": [dest("stable", Some(90)), dest("canary", Some(10))], "timeout": "10s"}
                ]}
            }),
        )
    }

    fn route(rules: Value) -> Object {
        object(
            Kind::HttpRoute,
            &json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "web"}, "spec": {"rules": rules}
            }),
        )
    }

    fn split(api: &str, backends: Value) -> Object {
        object(
            Kind::TrafficSplit,
            &json!({
                "apiVersion": api, "kind": "TrafficSplit",
                "metadata": {"name": "app"}, "spec": {"service": "app", "backends": backends}
            }),
        )
    }

    fn wanted(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
        pairs.iter().map(|(n, w)| (n.to_string(), *w)).collect()
    }

    /// The message of an error without its line and column.
    fn msg<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
        match r.unwrap_err() {
            Error::Invalid { path, message, suggestion, .. } => {
                let hint =
                    suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                format!("{path}: {message}{hint}")
            }
            e => e.to_string(),
        }
    }

    #[test]
    fn current_reads_every_rule_and_the_istio_defaults() {
        let cur = current(&guide_vs()).unwrap();
        assert_eq!(cur.text, "canary=100\nstable=90 canary=10\n");
        assert_eq!(
            cur.json,
            json!({"kind": "VirtualService", "rules": [
                {"rule": 0, "backends": [{"name": "canary", "weight": 100, "percent": 100}]},
                {"rule": 1, "backends": [
                    {"name": "stable", "weight": 90, "percent": 90},
                    {"name": "canary", "weight": 10, "percent": 10}
                ]}
            ]})
        );
    }

    #[test]
    fn an_istio_destination_without_a_subset_is_named_by_its_host() {
        let obj = object(
            Kind::VirtualService,
            &json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": {"name": "app"}, "spec": {"http": [{"route": [
                    {"destination": {"host": "app-stable"}, "weight": 75},
                    {"destination": {"host": "app-canary"}, "weight": 25},
                    {"destination": {"host": "app-dark"}}
                ]}, {"redirect": {"uri": "/v2"}}]}}),
        );
        assert_eq!(current(&obj).unwrap().text, "app-stable=75 app-canary=25 app-dark=0\n\n");
    }

    #[test]
    fn httproute_weights_are_relative_and_default_to_1() {
        let obj = route(json!([{"backendRefs": [
            {"name": "a"}, {"name": "b", "weight": 2}, {"name": "c", "weight": 0}
        ]}]));
        let cur = current(&obj).unwrap();
        assert_eq!(cur.text, "a=33.33 b=66.67 c=0\n");
        assert_eq!(
            cur.json["rules"][0]["backends"],
            json!([
                {"name": "a", "weight": 1, "percent": 33.33},
                {"name": "b", "weight": 2, "percent": 66.67},
                {"name": "c", "weight": 0, "percent": 0}
            ])
        );
        // An untouched default weight counts as the 1 it is.
        assert_eq!(
            msg(set(&obj, &wanted(&[("b", 90), ("c", 10)]), None)),
            "spec.rules[0].backendRefs: weights in rule 0 would sum to 101 (a=1 untouched, b=90, c=10): \
             name every backend that changes, e.g. `weight a=0 b=90 c=10`"
        );
        let out = set(&obj, &wanted(&[("a", 0), ("b", 90), ("c", 10)]), None).unwrap();
        assert_eq!(out.summary, "a 1 → 0, b 2 → 90, c 0 → 10");
        assert_eq!(
            out.value["spec"]["rules"][0]["backendRefs"],
            json!([{"name": "a", "weight": 0}, {"name": "b", "weight": 90}, {"name": "c", "weight": 10}])
        );
    }

    #[test]
    fn a_rule_at_zero_everywhere_sends_no_traffic() {
        let obj = route(
            json!([{"backendRefs": [{"name": "a", "weight": 0}, {"name": "b", "weight": 0}]}]),
        );
        assert_eq!(current(&obj).unwrap().text, "a=0 b=0\n");
        assert_eq!(
            msg(set(&obj, &wanted(&[("a", 0), ("b", 0)]), None)),
            "spec.rules[0].backendRefs: weights in rule 0 would sum to 0 (a=0, b=0): they must sum to \
             exactly 100 (a rule with every backend at 0 sends its traffic nowhere)"
        );
    }

    #[test]
    fn smi_v1alpha1_quantities_are_read_exactly_and_written_as_quantities() {
        let obj = split(
            "split.smi-spec.io/v1alpha1",
            json!([{"service": "app-stable", "weight": "900m"}, {"service": "app-canary", "weight": "100m"}]),
        );
        let cur = current(&obj).unwrap();
        assert_eq!(cur.text, "app-stable=90 app-canary=10\n");
        assert_eq!(
            cur.json["rules"][0]["backends"][0],
            json!({"name": "app-stable", "weight": 0.9, "percent": 90})
        );
        // 900m + 100m is 1, not 100: name both.
        let out = set(&obj, &wanted(&[("app-canary", 25), ("app-stable", 75)]), None).unwrap();
        assert_eq!(
            out.value["spec"]["backends"],
            json!([{"service": "app-stable", "weight": "75"}, {"service": "app-canary", "weight": "25"}])
        );
        assert_eq!(
            out.summary,
            format!("app-canary 0.1 → 25, app-stable 0.9 → 75 ({SMI_ARCHIVED})")
        );
        // Later versions get integers.
        let obj = split(
            "split.smi-spec.io/v1alpha4",
            json!([{"service": "app-stable", "weight": 90}, {"service": "app-canary", "weight": 10}]),
        );
        let out = set(&obj, &wanted(&[("app-canary", 25), ("app-stable", 75)]), None).unwrap();
        assert_eq!(
            out.value["spec"]["backends"],
            json!([{"service": "app-stable", "weight": 75}, {"service": "app-canary", "weight": 25}])
        );
    }

    #[test]
    fn quantities() {
        let cases = [
            ("900m", Some(900)),
            ("1", Some(1000)),
            ("0.5", Some(500)),
            ("2k", Some(2_000_000)),
            ("1.5m", None),
            ("1Ki", None),
            ("", None),
            ("-1", None),
            ("ten", None),
        ];
        for (text, expected) in cases {
            assert_eq!(quantity(text), expected, "{text}");
        }
    }

    #[test]
    fn malformed_weights_are_located() {
        let obj = route(
            json!([{"backendRefs": [{"name": "a", "weight": "50"}, {"name": "b", "weight": -1}]}]),
        );
        assert_eq!(
            msg(current(&obj)),
            "spec.rules[0].backendRefs[0].weight: expected a weight (a whole number), found \"50\""
        );
        let obj = route(json!([{"backendRefs": [{"weight": 50}]}]));
        assert_eq!(msg(current(&obj)), "spec.rules[0].backendRefs[0]: the backend has no `name`");
        let obj = route(json!({"backendRefs": []}));
        assert_eq!(msg(current(&obj)), "spec.rules: expected a list, found a map");
        let obj = object(
            Kind::VirtualService,
            &json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                "metadata": {"name": "app"}, "spec": {"http": [{"route": [{"weight": 100}]}]}}),
        );
        assert_eq!(
            msg(current(&obj)),
            "spec.http[0].route[0].destination: expected a destination with a host (and a subset)"
        );
    }

    #[test]
    fn set_finds_the_one_rule_holding_every_named_backend() {
        let obj = guide_vs();
        let out = set(&obj, &wanted(&[("canary", 25), ("stable", 75)]), None).unwrap();
        assert_eq!(out.summary, "rule 1: canary 10 → 25, stable 90 → 75");
        let mut expected = obj.value().clone();
        expected["spec"]["http"][1]["route"][0]["weight"] = json!(75);
        expected["spec"]["http"][1]["route"][1]["weight"] = json!(25);
        assert_eq!(out.value, expected);
        // The same weights again change nothing.
        let out = set(&obj, &wanted(&[("stable", 90), ("canary", 10)]), None).unwrap();
        assert_eq!(out.summary, "rule 1: weights unchanged: stable 90, canary 10");
        assert_eq!(&out.value, obj.value());
    }

    #[test]
    fn set_refusals() {
        let obj = guide_vs();
        type Case<'a> = (&'a [(&'a str, u32)], Option<usize>, &'a str);
        let cases: [Case; 7] = [
            (
                &[("stabel", 75), ("canary", 25)],
                None,
                "spec.http: no backend `stabel` in any rule (the backends are canary, stable) (did you mean `stable`?)",
            ),
            (
                &[("canary", 100)],
                None,
                "spec.http: `canary` is in rules 0 and 1: pick one with --rule N",
            ),
            (
                &[("canary", 20)],
                Some(1),
                "spec.http[1].route: weights in rule 1 would sum to 110 (stable=90 untouched, canary=20): \
                 name every backend that changes, e.g. `weight stable=80 canary=20`",
            ),
            (
                &[("canary", 60), ("stable", 60)],
                None,
                "spec.http[1].route: weights in rule 1 would sum to 120 (stable=60, canary=60): they must sum to exactly 100",
            ),
            (
                &[("stable", 100)],
                Some(0),
                "spec.http[0].route: rule 0 has no backend `stable` (its backends: canary)",
            ),
            (
                &[("canary", 100)],
                Some(2),
                "spec.http: there is no rule 2: the object has 2 rules (0 to 1)",
            ),
            (
                &[("canary", 50), ("canary", 50)],
                None,
                "`canary` is named twice: name each backend once",
            ),
        ];
        for (w, rule, expected) in cases {
            assert_eq!(msg(set(&obj, &wanted(w), rule)), expected, "{w:?} {rule:?}");
        }
        // Backends in different rules, and a backend listed twice.
        let obj = route(json!([
            {"backendRefs": [{"name": "a", "weight": 50}, {"name": "b", "weight": 50}]},
            {"backendRefs": [{"name": "c", "weight": 50}, {"name": "c", "weight": 50}]}
        ]));
        assert_eq!(
            msg(set(&obj, &wanted(&[("a", 50), ("c", 50)]), None)),
            "spec.rules: no rule has all of `a` and `c`: `a` is in rule 0, `c` is in rule 1; name the backends of one rule"
        );
        assert_eq!(
            msg(set(&obj, &wanted(&[("c", 100)]), None)),
            "spec.rules[1].backendRefs: rule 1 lists `c` twice (spec.rules[1].backendRefs[0] and \
             spec.rules[1].backendRefs[1]): vz-switch cannot tell them apart"
        );
    }

    #[test]
    fn step_walks_the_plan() {
        let obj = guide_vs();
        let plan = [5, 25, 50, 100];
        // The canary's lone header route is not a candidate: it has no stable.
        let out = step(&obj, &plan, "canary", None, None).unwrap();
        assert_eq!(out.summary, "step 2 of 4, rule 1: canary 10 → 25, stable 90 → 75");
        assert_eq!(out.value["spec"]["http"][1]["route"][0]["weight"], json!(75));
        assert_eq!(out.value["spec"]["http"][1]["route"][1]["weight"], json!(25));
        let full = step(&obj, &[5, 100], "canary", Some("stable"), None).unwrap();
        assert_eq!(full.summary, "step 2 of 2, rule 1: canary 10 → 100, stable 90 → 0");
        let done = object(Kind::VirtualService, &full.value);
        assert_eq!(
            msg(step(&done, &plan, "canary", None, None)),
            "virtualservice/app: `canary` is already at 100 (the plan's last step)"
        );
        assert_eq!(
            msg(step(&obj, &[5], "canary", None, None)),
            "virtualservice/app: `canary` is already at 10, past the plan's last step (5)"
        );
        assert_eq!(
            msg(step(&obj, &[5, 5], "canary", None, None)),
            "the plan must be strictly increasing, but 5 follows 5: e.g. --plan 5,25,50,100"
        );
        assert_eq!(
            msg(step(&obj, &plan, "canary", None, Some(0))),
            "spec.http[0].route: `canary` is alone in rule 0: a step needs the stable backend in the same rule"
        );
    }

    #[test]
    fn step_reads_relative_weights_as_shares() {
        // 1:1 is 50 %: the next step of 5,25,50,100 is 100, not 5.
        let obj = route(json!([{"backendRefs": [{"name": "stable"}, {"name": "canary"}]}]));
        let out = step(&obj, &[5, 25, 50, 100], "canary", None, None).unwrap();
        assert_eq!(out.summary, "step 4 of 4: canary 1 → 100, stable 1 → 0");
    }

    #[test]
    fn step_keeps_other_backends_and_needs_the_stable_one_named() {
        let obj = route(json!([{"backendRefs": [
            {"name": "stable", "weight": 80}, {"name": "canary", "weight": 10},
            {"name": "recs", "namespace": "recs-team", "weight": 10}
        ]}]));
        assert_eq!(
            msg(step(&obj, &[5, 25, 50, 100], "canary", None, None)),
            "spec.rules[0].backendRefs: rule 0 has 3 backends (stable, canary, recs): name the stable one with --stable"
        );
        let out = step(&obj, &[5, 25, 50, 100], "canary", Some("stable"), None).unwrap();
        assert_eq!(out.summary, "step 2 of 4: canary 10 → 25, stable 80 → 65");
        assert_eq!(
            out.value["spec"]["rules"][0]["backendRefs"][2],
            obj.value()["spec"]["rules"][0]["backendRefs"][2]
        );
        assert_eq!(
            msg(step(&obj, &[5, 95], "canary", Some("stable"), None)),
            "spec.rules[0].backendRefs: the canary at 95 and the untouched recs=10 leave the stable backend no \
             whole percentage in rule 0"
        );
        let relative = route(
            json!([{"backendRefs": [{"name": "stable"}, {"name": "canary", "weight": 0}, {"name": "recs"}]}]),
        );
        assert_eq!(
            msg(step(&relative, &[5, 100], "canary", Some("stable"), None)),
            "spec.rules[0].backendRefs: weights in rule 0 sum to 2, not 100, so a step would change the share \
             of `recs`: set the whole rule in percentages first with `weight NAME=PERCENT …`"
        );
    }

    #[test]
    fn schedules() {
        let s = schedule(&[5, 25, 50, 100], Some(Duration::from_secs(60)), Some(3)).unwrap();
        assert_eq!(
            s,
            json!({
                "steps": [
                    {"step": 1, "canary": 5, "stable": 95}, {"step": 2, "canary": 25, "stable": 75},
                    {"step": 3, "canary": 50, "stable": 50}, {"step": 4, "canary": 100, "stable": 0}
                ],
                "steps_count": 4, "minimum_time_to_full": "4m", "worst_case_rollback": "3m"
            })
        );
        let s = schedule(&[10, 100], None, Some(3)).unwrap();
        assert_eq!(s.get("minimum_time_to_full"), None);
        assert_eq!(s.get("worst_case_rollback"), None);
        assert_eq!(
            msg(schedule(&[], None, None)),
            "the plan is empty: give the canary's weights in order, e.g. --plan 5,25,50,100"
        );
        assert_eq!(
            msg(schedule(&[5, 150], None, None)),
            "the plan's step 150 is not a whole percentage (0-100)"
        );
    }

    /// A random HTTPRoute or VirtualService: rules of 1..4 backends with
    /// names from a small pool (so names repeat across rules), explicit
    /// weights summing to 100, and matches/filters to keep.
    fn arb_object() -> impl Strategy<Value = (Kind, Value)> {
        let rule = (prop::sample::subsequence(vec!["a", "b", "c", "d"], 1..=4), any::<u8>())
            .prop_flat_map(|(names, tag)| {
                let n = names.len();
                (Just(names), partition(100, n), Just(tag))
            });
        (any::<bool>(), prop::collection::vec(rule, 1..4)).prop_map(|(vs, rules)| {
            let kind = if vs { Kind::VirtualService } else { Kind::HttpRoute };
            let rules: Vec<Value> = rules
                .into_iter()
                .map(|(names, weights, tag)| {
                    let entries: Vec<Value> = names
                        .iter()
                        .zip(&weights)
                        .map(|(n, w)| {
                            if vs {
                                json!({"destination": {"host": "svc", "subset": n}, "weight": w, "headers": {"tag": tag}})
                            } else {
                                json!({"name": n, "port": 8080, "weight": w, "filters": [{"type": "X", "tag": tag}]})
                            }
                        })
                        .collect();
                    if vs {
                        json!({"match": [{"headers": {"x": {"exact": tag.to_string()}}}], "route": entries, "timeout": "5s"})
                    } else {
                        json!({"matches": [{"path": {"value": format!("/{tag}")}}], "backendRefs": entries})
                    }
                })
                .collect();
            let (api, list) = if vs {
                ("networking.istio.io/v1", "http")
            } else {
                ("gateway.networking.k8s.io/v1", "rules")
            };
            let kind_name = kind.name();
            (kind, json!({"apiVersion": api, "kind": kind_name, "metadata": {"name": "x"}, "spec": {list: rules}}))
        })
    }

    /// `n` whole numbers summing to `total`.
    fn partition(total: u32, n: usize) -> impl Strategy<Value = Vec<u32>> {
        prop::collection::vec(0..=total, n.saturating_sub(1)).prop_map(move |mut cuts| {
            cuts.sort_unstable();
            let mut out = Vec::new();
            let mut last = 0;
            for c in cuts {
                out.push(c - last);
                last = c;
            }
            out.push(total - last);
            out
        })
    }

    fn rules_of(v: &Value) -> Vec<Value> {
        let list = v["spec"].get("http").or_else(|| v["spec"].get("rules")).unwrap();
        list.as_array().unwrap().clone()
    }

    fn entries(rule: &Value) -> Vec<Value> {
        rule.get("route").or_else(|| rule.get("backendRefs")).unwrap().as_array().unwrap().clone()
    }

    fn weight_sum(rule: &Value) -> u64 {
        entries(rule).iter().map(|e| e["weight"].as_u64().unwrap()).sum()
    }

    /// A rule, some of its backends and new weights for them that keep the
    /// rule at 100.
    fn arb_request() -> impl Strategy<Value = ((Kind, Value), usize, Vec<usize>, Vec<u32>)> {
        arb_object().prop_flat_map(|(kind, v)| {
            let count = rules_of(&v).len();
            (Just((kind, v)), 0..count).prop_flat_map(|(obj, r)| {
                let n = entries(&rules_of(&obj.1)[r]).len();
                (Just(obj), Just(r), prop::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=n))
                    .prop_flat_map(|(obj, r, picked)| {
                        let rule = &rules_of(&obj.1)[r];
                        let untouched: u64 = entries(rule)
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !picked.contains(i))
                            .map(|(_, e)| e["weight"].as_u64().unwrap())
                            .sum();
                        let room = u32::try_from(100 - untouched).unwrap();
                        let k = picked.len();
                        (Just(obj), Just(r), Just(picked), partition(room, k))
                    })
            })
        })
    }

    fn name_of(entry: &Value) -> String {
        entry
            .pointer("/destination/subset")
            .or_else(|| entry.get("name"))
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    proptest! {
        /// After `set`, the rule sums to 100; every other rule and every
        /// untouched backend is as it was; setting the old weights back
        /// gives the object back.
        #[test]
        fn set_keeps_100_touches_only_the_named_and_reverses(
            ((kind, v), r, picked, new) in arb_request()
        ) {
            let obj = object(kind, &v);
            let before = &rules_of(&v)[r];
            let w: Vec<(String, u32)> = picked.iter().zip(&new)
                .map(|(i, w)| (name_of(&entries(before)[*i]), *w)).collect();
            let out = set(&obj, &w, Some(r)).unwrap();
            let after_rules = rules_of(&out.value);
            prop_assert_eq!(weight_sum(&after_rules[r]), 100);
            for (i, rule) in rules_of(&v).iter().enumerate() {
                if i != r {
                    prop_assert_eq!(&after_rules[i], rule);
                }
            }
            let (old_entries, new_entries) = (entries(before), entries(&after_rules[r]));
            for (j, e) in old_entries.iter().enumerate() {
                let mut e2 = new_entries[j].clone();
                if picked.contains(&j) {
                    e2["weight"] = e["weight"].clone();
                }
                prop_assert_eq!(&e2, e);
            }
            let mut rest = after_rules[r].clone();
            let mut orig = before.clone();
            for x in [&mut rest, &mut orig] {
                if let Some(m) = x.as_object_mut() { m.remove("route"); m.remove("backendRefs"); }
            }
            prop_assert_eq!(rest, orig);
            let mut top = out.value.clone();
            let mut top_before = v.clone();
            for x in [&mut top, &mut top_before] {
                if let Some(m) = x["spec"].as_object_mut() { m.remove("http"); m.remove("rules"); }
            }
            prop_assert_eq!(top, top_before);
            let back: Vec<(String, u32)> = picked.iter()
                .map(|i| (name_of(&old_entries[*i]), u32::try_from(old_entries[*i]["weight"].as_u64().unwrap()).unwrap()))
                .collect();
            let restored = set(&object(kind, &out.value), &back, Some(r)).unwrap();
            prop_assert_eq!(restored.value, v);
        }

        /// Any request either fails or leaves the rule at exactly 100; it
        /// never panics.
        #[test]
        fn any_set_sums_to_100_or_fails(
            (kind, v) in arb_object(),
            w in prop::collection::vec((prop::sample::select(vec!["a", "b", "c", "e"]), 0u32..=100), 1..4),
            rule in prop::option::of(0usize..4),
        ) {
            let w: Vec<(String, u32)> = w.into_iter().map(|(n, p)| (n.to_string(), p)).collect();
            if let Ok(out) = set(&object(kind, &v), &w, rule) {
                let names: Vec<&str> = w.iter().map(|(n, _)| n.as_str()).collect();
                let hit: Vec<Value> = rules_of(&out.value).into_iter()
                    .filter(|r| names.iter().all(|n| entries(r).iter().any(|e| name_of(e) == *n)))
                    .collect();
                prop_assert!(hit.iter().any(|r| weight_sum(r) == 100));
            }
        }

        /// A step leaves its rule at 100, moves the canary to a plan value
        /// above where it was, and touches no other rule.
        #[test]
        fn step_keeps_100_and_moves_up(
            (kind, v) in arb_object(),
            r in 0usize..4,
            plan in prop::collection::btree_set(0u32..=100, 1..6),
        ) {
            let rules = rules_of(&v);
            let r = r % rules.len();
            let es = entries(&rules[r]);
            prop_assume!(es.len() >= 2);
            let plan: Vec<u32> = plan.into_iter().collect();
            let (canary, stable) = (name_of(&es[1]), name_of(&es[0]));
            let before = es[1]["weight"].as_u64().unwrap();
            let others: u64 = es.iter().skip(2).map(|e| e["weight"].as_u64().unwrap()).sum();
            match step(&object(kind, &v), &plan, &canary, Some(&stable), Some(r)) {
                Ok(out) => {
                    let after = rules_of(&out.value);
                    prop_assert_eq!(weight_sum(&after[r]), 100);
                    let now = entries(&after[r]);
                    let w = now[1]["weight"].as_u64().unwrap();
                    prop_assert!(w > before && plan.contains(&u32::try_from(w).unwrap()));
                    prop_assert_eq!(&now[2..], &es[2..]);
                    for (i, rule) in rules.iter().enumerate() {
                        if i != r { prop_assert_eq!(&after[i], rule); }
                    }
                }
                Err(e) => {
                    let next = plan.iter().find(|p| u64::from(**p) > before);
                    prop_assert!(next.is_none_or(|p| u64::from(*p) + others > 100), "{}", e);
                }
            }
        }
    }
}
