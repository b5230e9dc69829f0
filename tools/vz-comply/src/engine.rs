//! Every rule on every object: the catalogue of rules, the evaluation, and
//! the waivers applied to what it finds.

use crate::frameworks::Frameworks;
use crate::model::{Evaluation, ObjectRef, RuleInfo, Status, Violation};
use crate::object::Object;
use crate::report::{Skipped, WaiverAudit};
use crate::rules::app::AppRule;
use crate::rules::custom::CustomRule;
use crate::rules::k8s::{self, Context, K8sRule, Subject};
use crate::rules::{Verdict, app};
use crate::waiver::Waiver;
use std::collections::{BTreeMap, BTreeSet};

/// A rule of any origin.
#[derive(Debug)]
pub enum Rule {
    /// Built-in Kubernetes rule.
    K8s(K8sRule),
    /// Built-in application configuration rule.
    App(AppRule),
    /// A rule from a `--rules` file.
    Custom(CustomRule),
}

impl Rule {
    /// What outputs say about the rule.
    pub fn info(&self) -> &RuleInfo {
        match self {
            Rule::K8s(r) => &r.info,
            Rule::App(r) => &r.info,
            Rule::Custom(r) => &r.info,
        }
    }

    fn info_mut(&mut self) -> &mut RuleInfo {
        match self {
            Rule::K8s(r) => &mut r.info,
            Rule::App(r) => &mut r.info,
            Rule::Custom(r) => &mut r.info,
        }
    }

    /// The verdict on `object`, `None` when the rule does not apply;
    /// `settings` holds the object's settings once an app rule walked them.
    fn evaluate<'a>(
        &self,
        ctx: &Context<'_>,
        object: &Subject<'a>,
        settings: &std::cell::OnceCell<app::Settings<'a>>,
    ) -> Option<Verdict> {
        match self {
            Rule::K8s(r) => r.check(object),
            Rule::App(r) => object.config.then(|| {
                let object = object.object();
                r.check_settings(object, settings.get_or_init(|| app::Settings::of(object.value())))
            }),
            Rule::Custom(r) => r.applies(object).then(|| r.check(object, ctx.locators)),
        }
    }
}

/// The rules of a run, in id order, each with the framework controls it
/// serves.
#[derive(Debug)]
pub struct Catalog {
    /// The rules.
    pub rules: Vec<Rule>,
}

impl Catalog {
    /// The built-in rules plus `custom`; each rule's controls come from
    /// `frameworks` (custom rules' own `frameworks:` are added to it).
    pub fn new(custom: Vec<CustomRule>, frameworks: &mut Frameworks) -> Catalog {
        let mut rules: Vec<Rule> = k8s::builtin().into_iter().map(Rule::K8s).collect();
        rules.extend(app::builtin().into_iter().map(Rule::App));
        for r in &custom {
            frameworks.add_custom(&r.info.id, &r.info.controls);
        }
        rules.extend(custom.into_iter().map(Rule::Custom));
        for r in &mut rules {
            let controls = frameworks.controls_for(&r.info().id);
            r.info_mut().controls = controls;
        }
        rules.sort_by(|a, b| a.info().id.cmp(&b.info().id));
        Catalog { rules }
    }

    /// Whether a rule has this id.
    pub fn known(&self, id: &str) -> bool {
        self.rules.binary_search_by(|r| r.info().id.as_str().cmp(id)).is_ok()
    }

    /// Keeps only the rules whose ids are in `ids`.
    pub fn retain(&mut self, ids: &BTreeSet<String>) {
        self.rules.retain(|r| ids.contains(&r.info().id));
    }

    /// Every rule's description, in id order.
    pub fn infos(&self) -> Vec<RuleInfo> {
        self.rules.iter().map(|r| r.info().clone()).collect()
    }
}

/// What evaluating the catalogue on the objects gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One result per rule and object it applies to, in report order
    /// (worst first; see `report_order`).
    pub results: Vec<Evaluation>,
    /// Objects no rule applies to, by kind.
    pub skipped: Vec<Skipped>,
    /// Waivers that expired or accept nothing.
    pub waivers: WaiverAudit,
}

/// Evaluates every rule on every object and applies the waivers live on
/// `today`: file waivers, then each object's own (`annotated[i]` for
/// `objects[i]`, from [`annotation_waivers`]).
pub fn evaluate(
    catalog: &Catalog,
    objects: &[Object],
    ctx: &Context<'_>,
    waivers: &[Waiver],
    annotated: &[Vec<Waiver>],
    today: jiff::civil::Date,
) -> Outcome {
    // Objects are checked independently, on every core; their outcomes are
    // gathered in input order, so the report does not depend on threads.
    let names: BTreeSet<&str> = objects.iter().map(|o| &*o.doc.at.input).collect();
    let input_rank: BTreeMap<&str, u32> = names.into_iter().zip(0..).collect();
    let pairs: Vec<(&Object, &Vec<Waiver>, u32)> = objects
        .iter()
        .zip(annotated)
        .map(|(o, own)| (o, own, input_rank.get(&*o.doc.at.input).copied().unwrap_or(0)))
        .collect();
    // The costliest first, so no core is left alone with one at the end:
    // configuration documents (each walked by every app rule, the first
    // also compiling their schemas), then by size (the values located in
    // them).
    let cost = |&(object, _, _): &(&Object, &Vec<Waiver>, u32)| {
        (u64::from(object.config) << 32) | object.doc.map.len() as u64
    };
    let each =
        vz::par::map_heaviest_first(&pairs, PARALLEL_OBJECTS, cost, |&(object, own, input)| {
            evaluate_object(catalog, object, ctx, waivers, own, today, input)
        });
    let mut used = vec![false; waivers.len()];
    let mut skipped: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut audit = WaiverAudit::default();
    let mut found = Vec::with_capacity(each.len());
    for o in each {
        found.push(o.results);
        for i in o.used {
            used[i] = true;
        }
        audit.expired.extend(o.audit.expired);
        audit.unused.extend(o.audit.unused);
        if let Some(kind) = o.skipped {
            *skipped.entry(kind).or_default() += 1;
        }
    }
    for (w, used) in waivers.iter().zip(used) {
        if w.expired(today) {
            audit.expired.push(w.info());
        } else if !used {
            audit.unused.push(w.info());
        }
    }
    let skipped = skipped
        .into_iter()
        .map(|((api_version, kind), count)| Skipped { api_version, kind, count })
        .collect();
    Outcome { results: report_order(found), skipped, waivers: audit }
}

/// The results of every object (`found`, in input order) in the order the
/// report lists them: worst first, then by rule id, input name and line;
/// results equal in all of these keep the order they were found in.
///
/// Without comparing results: each one's status and rule (ranked during the
/// evaluation) make its group, the groups are in report order, and the
/// objects are visited by their input's name and their line (which all of
/// an object's results share), so that each group fills in report order. The
/// results are counted into their groups, then each is moved once, straight
/// to its place.
fn report_order(found: Vec<Vec<Evaluation>>) -> Vec<Evaluation> {
    let rules = found.iter().flatten().map(|r| r.rank.0 as usize + 1).max().unwrap_or(0);
    let group = |r: &Evaluation| status_place(r.status) * rules + r.rank.0 as usize;
    let mut objects: Vec<(u32, usize, usize)> = (found.iter().enumerate())
        .filter_map(|(o, results)| results.first().map(|r| (r.rank.1, r.at.line, o)))
        .collect();
    debug_assert!(found.iter().all(|results| {
        results.windows(2).all(|w| (w[0].rank.1, w[0].at.line) == (w[1].rank.1, w[1].at.line))
    }));
    objects.sort_unstable();
    // Where each group starts: after all the results of the groups before it.
    let mut next = vec![0; Status::ALL.len() * rules];
    for r in found.iter().flatten() {
        next[group(r)] += 1;
    }
    let mut total = 0;
    for n in &mut next {
        (total, *n) = (total + *n, total);
    }
    let mut places = vec![(0, 0); total];
    for &(.., o) in &objects {
        for (i, r) in found[o].iter().enumerate() {
            let g = group(r);
            places[next[g]] = (o, i);
            next[g] += 1;
        }
    }
    let mut found: Vec<Vec<Option<Evaluation>>> =
        found.into_iter().map(|results| results.into_iter().map(Some).collect()).collect();
    let mut sorted = Vec::with_capacity(total);
    sorted.extend(places.into_iter().filter_map(|(o, i)| found.get_mut(o)?.get_mut(i)?.take()));
    sorted
}

/// Where results of `status` stand in the report: the worst first (a waived
/// or not-applicable result counts as passed, and comes after the passed).
fn status_place(status: Status) -> usize {
    match status {
        Status::Error => 0,
        Status::Failed => 1,
        Status::Warning => 2,
        Status::Waived => 3,
        Status::Passed => 4,
        Status::NotApplicable => 5,
    }
}

/// Below this many objects, one thread checks them all.
const PARALLEL_OBJECTS: usize = 64;

/// What evaluating every rule on one object gave.
struct ObjectOutcome {
    results: Vec<Evaluation>,
    /// The file waivers (indexes) that accepted something.
    used: Vec<usize>,
    /// The object's own waivers that expired or accepted nothing.
    audit: WaiverAudit,
    /// `(apiVersion, kind)` when no rule applied to the object.
    skipped: Option<(String, String)>,
}

fn evaluate_object(
    catalog: &Catalog,
    object: &Object,
    ctx: &Context<'_>,
    waivers: &[Waiver],
    own: &[Waiver],
    today: jiff::civil::Date,
    input_rank: u32,
) -> ObjectOutcome {
    let mut results = Vec::new();
    let mut used = Vec::new();
    let mut own_used = vec![false; own.len()];
    // One description of the object for all its results.
    let reference = std::sync::Arc::new(object.reference());
    let settings = std::cell::OnceCell::new();
    let subject = Subject::new(object, ctx);
    for (rule_rank, rule) in (0..).zip(&catalog.rules) {
        let Some(verdict) = rule.evaluate(ctx, &subject, &settings) else { continue };
        let info = rule.info();
        let mut result = result(info, &reference, object, verdict);
        result.rank = (rule_rank, input_rank);
        if matches!(result.status, Status::Failed | Status::Warning) {
            let pick = waivers
                .iter()
                .position(|w| w.rule == info.id && !w.expired(today) && w.selector.matches(object))
                .map(|i| (i, false))
                .or_else(|| {
                    own.iter()
                        .position(|w| w.rule == info.id && !w.expired(today))
                        .map(|i| (i, true))
                });
            match pick {
                Some((i, false)) => {
                    used.push(i);
                    result.waiver = Some(Box::new(waivers[i].applied()));
                    result.status = Status::Waived;
                }
                Some((i, true)) => {
                    own_used[i] = true;
                    result.waiver = Some(Box::new(own[i].applied()));
                    result.status = Status::Waived;
                }
                None => {}
            }
        }
        results.push(result);
    }
    let mut audit = WaiverAudit::default();
    for (w, used) in own.iter().zip(own_used) {
        if w.expired(today) {
            audit.expired.push(w.info());
        } else if !used {
            audit.unused.push(w.info());
        }
    }
    let skipped = (results.is_empty() && !object.config && !is_known_kind(object))
        .then(|| (object.api_version.clone(), object.kind.clone()));
    ObjectOutcome { results, used, audit, skipped }
}

/// Kubernetes' own kinds that no rule is about (a Namespace, a ClusterRole):
/// not "skipped", since there is nothing a rule could miss in them.
fn is_known_kind(object: &Object) -> bool {
    const KINDS: &[&str] = &[
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "StorageClass",
        "PersistentVolume",
        "CustomResourceDefinition",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "CSIDriver",
        "CSINode",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "Node",
        "Lease",
        "Event",
        "EndpointSlice",
        "PodSecurityPolicy",
        "VolumeAttachment",
        "CertificateSigningRequest",
        "FlowSchema",
        "PriorityLevelConfiguration",
    ];
    let group = object.group();
    let kubernetes = group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io");
    kubernetes && KINDS.contains(&object.kind.as_str())
}

/// Each object's `vz.dev/waive` waivers; a malformed annotation is exit 2,
/// every one reported at once.
pub fn annotation_waivers(
    objects: &[Object],
    catalog: &Catalog,
) -> Result<Vec<Vec<Waiver>>, vz::Error> {
    let mut all = Vec::with_capacity(objects.len());
    let mut errors = Vec::new();
    for o in objects {
        match crate::waiver::from_annotation(o, &|id| catalog.known(id)) {
            Ok(w) => all.push(w),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(all) } else { Err(vz::Error::many(errors)) }
}

fn result(
    info: &RuleInfo,
    object: &std::sync::Arc<ObjectRef>,
    o: &Object,
    verdict: Verdict,
) -> Evaluation {
    let (status, violations, note): (Status, Vec<Violation>, Option<String>) = match verdict {
        Verdict::NotApplicable(why) => (Status::NotApplicable, Vec::new(), Some(why)),
        Verdict::Passed => (Status::Passed, Vec::new(), None),
        Verdict::Violations(v) => (info.level.status(), v, None),
        Verdict::Warnings(v) => (Status::Warning, v, None),
        Verdict::Error(why) => (Status::Error, Vec::new(), Some(why)),
    };
    Evaluation {
        rule: info.id.clone(),
        object: std::sync::Arc::clone(object),
        status,
        violations,
        note,
        waiver: None,
        at: o.doc.at.clone(),
        rank: (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vz::Location;

    fn result(status: Status, rank: (u32, u32), line: usize, tag: &str) -> Evaluation {
        let object = ObjectRef { kind: "Pod".into(), name: "p".into(), namespace: String::new() };
        Evaluation {
            rule: format!("VZ-K8S-{:03}", rank.0),
            object: std::sync::Arc::new(object),
            status,
            violations: Vec::new(),
            note: Some(tag.to_string()),
            waiver: None,
            at: Location { line, ..Location::input("a.yaml") },
            rank,
        }
    }

    fn tags(results: &[Evaluation]) -> Vec<&str> {
        results.iter().filter_map(|r| r.note.as_deref()).collect()
    }

    /// Worst first (a waived or not-applicable result counts as passed,
    /// after the passed ones), then rule, input and line; equal ones in the
    /// order they were found, across objects too. (An object's results share
    /// its input and line.)
    #[test]
    fn results_are_put_in_report_order() {
        let found = vec![
            vec![
                result(Status::Passed, (1, 0), 9, "passed"),
                result(Status::Failed, (2, 0), 9, "failed r2 line 9, first"),
                result(Status::Waived, (1, 0), 9, "waived"),
            ],
            vec![result(Status::Failed, (2, 1), 1, "failed r2 input 1")],
            vec![],
            vec![
                result(Status::Failed, (2, 0), 9, "failed r2 line 9, second"),
                result(Status::Failed, (1, 0), 9, "failed r1"),
            ],
            vec![
                result(Status::NotApplicable, (0, 0), 1, "not applicable"),
                result(Status::Error, (7, 0), 1, "error"),
                result(Status::Failed, (2, 0), 1, "failed r2 line 1"),
                result(Status::Warning, (0, 0), 1, "warning"),
            ],
        ];
        assert_eq!(
            tags(&report_order(found)),
            [
                "error",
                "failed r1",
                "failed r2 line 1",
                "failed r2 line 9, first",
                "failed r2 line 9, second",
                "failed r2 input 1",
                "warning",
                "waived",
                "passed",
                "not applicable",
            ]
        );
    }

    /// The statuses' places are the report key's order.
    #[test]
    fn statuses_are_placed_as_the_report_key_orders_them() {
        let key = |s: Status| (std::cmp::Reverse(s.effective()), std::cmp::Reverse(s));
        let mut by_key = Status::ALL;
        by_key.sort_by_key(|&s| key(s));
        let places: Vec<usize> = by_key.iter().map(|&s| status_place(s)).collect();
        assert_eq!(places, (0..Status::ALL.len()).collect::<Vec<_>>());
    }

    proptest! {
        /// The same order as sorting all results at once, stably, by the
        /// report's key.
        #[test]
        fn report_order_is_a_stable_sort_by_the_report_key(
            found in proptest::collection::vec(
                (0..3u32, 0..3usize, proptest::collection::vec((0..6usize, 0..3u32), 0..30)),
                0..10,
            ),
        ) {
            let mut n = 0;
            let found: Vec<Vec<Evaluation>> = found
                .into_iter()
                .map(|(input, line, results)| {
                    results
                        .into_iter()
                        .map(|(s, rule)| {
                            n += 1;
                            result(Status::ALL[s], (rule, input), line, &n.to_string())
                        })
                        .collect()
                })
                .collect();
            let mut expected: Vec<Evaluation> = found.iter().flatten().cloned().collect();
            expected.sort_by_key(|r| {
                (std::cmp::Reverse(r.status.effective()), std::cmp::Reverse(r.status), r.rank, r.at.line)
            });
            let ordered = report_order(found);
            prop_assert_eq!(tags(&ordered), tags(&expected));
        }
    }
}
