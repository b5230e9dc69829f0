//! Framework mappings (data/frameworks.yaml, embedded) and coverage.
//!
//! A framework is a list of controls, each served by rules: CIS Kubernetes
//! Benchmark section 5 and NSA/CISA follow published mappings, PCI DSS,
//! HIPAA 164.312, GDPR Art. 32 and SOX are vz's own reading, and every one
//! says so in its `mapping` and `citation`. Custom rules add themselves to
//! controls (and frameworks) with [`Frameworks::add_custom`].
//!
//! Coverage gives each control the worst effective status of its rules'
//! results, or `not-evaluated` when nothing was checked (no result, or only
//! `not-applicable` ones), with the denominator stated in words.

use crate::model::{ControlRef, Evaluation, Status};
use crate::report::{ControlResult, Coverage};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use vz::Error;
use vz::input::{Locate, parse_documents};

/// The embedded mappings.
const BUILTIN: &str = include_str!("../data/frameworks.yaml");

/// What `--framework` accepts besides the ids, lowercased with `_` and
/// spaces read as `-`.
const ALIASES: &[(&str, &str)] = &[
    ("cis-kubernetes", "cis"),
    ("cis-k8s", "cis"),
    ("cis-benchmark", "cis"),
    ("cis-kubernetes-benchmark", "cis"),
    ("nsa-cisa", "nsa"),
    ("nsa/cisa", "nsa"),
    ("cisa", "nsa"),
    ("nsa-k8s", "nsa"),
    ("pci-dss", "pci"),
    ("pcidss", "pci"),
    ("pci-dss-4", "pci"),
    ("pci-dss-4.0", "pci"),
    ("pci-4.0", "pci"),
    ("hipaa-164.312", "hipaa"),
    ("164.312", "hipaa"),
    ("gdpr-32", "gdpr"),
    ("gdpr-art32", "gdpr"),
    ("gdpr-art-32", "gdpr"),
    ("gdpr-article-32", "gdpr"),
    ("sarbanes-oxley", "sox"),
    ("sox-itgc", "sox"),
    ("itgc", "sox"),
];

/// A framework and the controls vz maps in it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// `cis`, `nsa`, `pci`, `hipaa`, `gdpr`, `sox`, or a custom framework's.
    pub id: String,
    /// "CIS Kubernetes Benchmark".
    pub name: String,
    /// The version the mapping follows ("1.12").
    pub version: String,
    /// `published` (follows a public source), `vz` (vz's own reading) or
    /// `custom` (made up of custom rules' `frameworks:` entries).
    pub mapping: String,
    /// The source of the mapping.
    pub citation: String,
    /// What the control count is out of, in words.
    pub denominator: String,
    /// The mapped controls, in the framework's order.
    pub controls: Vec<Control>,
}

/// A control of a framework and the rules that serve it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// `5.2.7`, `164.312(b)`.
    pub id: String,
    /// The control's text, shortened.
    pub title: String,
    /// The rules that serve it.
    pub rules: Vec<String>,
    /// Where this control's mapping comes from, when it needs saying.
    #[serde(default)]
    pub citation: Option<String>,
    /// A generic control (PCI 2.2.1 "configuration standards") that many
    /// rules serve without its text naming their subject.
    #[serde(default)]
    pub broad: bool,
}

/// Every framework: the built-in ones and those custom rules add.
#[derive(Clone, Debug)]
pub struct Frameworks {
    list: Vec<Framework>,
}

impl Frameworks {
    /// The built-in mappings.
    pub fn builtin() -> Frameworks {
        // The data is part of the binary and a unit test parses it.
        parse(BUILTIN, "data/frameworks.yaml", Locate::Documents)
            .expect("the embedded data/frameworks.yaml is valid (see the frameworks tests)")
    }

    /// Adds a custom rule to the controls its `frameworks:` entries name,
    /// creating a control (titled by its id) or a framework (mapping
    /// `custom`) that does not exist yet. Framework names are matched as
    /// `--framework` matches them (`PCI-DSS` is `pci`).
    pub fn add_custom(&mut self, rule_id: &str, controls: &[ControlRef]) {
        for c in controls {
            let id = self.resolve(&c.framework).unwrap_or(&c.framework).to_string();
            let framework = match self.list.iter().position(|f| f.id == id) {
                Some(i) => &mut self.list[i],
                None => {
                    self.list.push(Framework {
                        name: id.clone(),
                        id,
                        version: String::new(),
                        mapping: "custom".into(),
                        citation: "the `frameworks:` entries of custom rules".into(),
                        denominator: "the controls custom rules name".into(),
                        controls: Vec::new(),
                    });
                    let last = self.list.len() - 1;
                    &mut self.list[last]
                }
            };
            let control = match framework.controls.iter().position(|k| k.id == c.control) {
                Some(i) => &mut framework.controls[i],
                None => {
                    framework.controls.push(Control {
                        id: c.control.clone(),
                        title: c.control.clone(),
                        rules: Vec::new(),
                        citation: None,
                        broad: false,
                    });
                    let last = framework.controls.len() - 1;
                    &mut framework.controls[last]
                }
            };
            if !control.rules.iter().any(|r| r == rule_id) {
                control.rules.push(rule_id.to_string());
            }
        }
    }

    /// The controls `rule_id` serves, sorted.
    pub fn controls_for(&self, rule_id: &str) -> Vec<ControlRef> {
        let mut found: Vec<ControlRef> = self
            .list
            .iter()
            .flat_map(|f| {
                f.controls
                    .iter()
                    .filter(|c| c.rules.iter().any(|r| r == rule_id))
                    .map(|c| ControlRef { framework: f.id.clone(), control: c.id.clone() })
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Every framework, built-in ones first, in the data's order.
    pub fn list(&self) -> &[Framework] {
        &self.list
    }

    /// The framework ids `--framework` names (each value may be a
    /// comma-separated list; case does not matter and common names such as
    /// `pci-dss` or `nsa-cisa` are accepted), in [`Frameworks::list`] order
    /// and without repeats. An unknown name is a usage error naming the
    /// known ids and the near miss.
    pub fn select(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let mut wanted = BTreeSet::new();
        for name in names.iter().flat_map(|n| n.split(',')).map(str::trim) {
            if !name.is_empty() {
                wanted.insert(self.resolve(name).ok_or_else(|| self.unknown(name))?);
            }
        }
        if wanted.is_empty() && !names.is_empty() {
            return Err(Error::usage(format!(
                "--framework needs a framework: expected one of {}",
                self.ids().join(", ")
            )));
        }
        Ok(self
            .list
            .iter()
            .filter(|f| wanted.contains(f.id.as_str()))
            .map(|f| f.id.clone())
            .collect())
    }

    /// The rules that serve any control of the `selected` frameworks (every
    /// framework when `selected` is empty).
    pub fn rules_in(&self, selected: &[String]) -> BTreeSet<String> {
        self.chosen(selected)
            .flat_map(|f| f.controls.iter().flat_map(|c| c.rules.iter().cloned()))
            .collect()
    }

    /// Coverage of the `selected` frameworks (every framework when
    /// `selected` is empty): each control's status is the worst effective
    /// status (`passed`, `warning`, `failed`, `error`) of its rules' results,
    /// `not-applicable` results aside; a control with nothing else is
    /// `not-evaluated`. Counts carry all five statuses, zero or not.
    pub fn coverage(&self, selected: &[String], results: &[Evaluation]) -> Vec<Coverage> {
        let mut worst: BTreeMap<&str, Status> = BTreeMap::new();
        // A rule's results mostly follow one another (the report is sorted
        // by status and rule): a run of them is looked up once.
        let mut last: Option<(&str, Status)> = None;
        for r in results.iter().filter(|r| r.status != Status::NotApplicable) {
            let seen = (r.rule.as_str(), r.status.effective());
            if last != Some(seen) {
                last = Some(seen);
                let entry = worst.entry(seen.0).or_insert(seen.1);
                *entry = (*entry).max(seen.1);
            }
        }
        self.chosen(selected)
            .map(|f| {
                let mut counts: BTreeMap<String, usize> =
                    [Status::Passed, Status::Warning, Status::Failed, Status::Error]
                        .iter()
                        .map(|s| s.as_str())
                        .chain([NOT_EVALUATED])
                        .map(|s| (s.to_string(), 0))
                        .collect();
                let controls = f
                    .controls
                    .iter()
                    .map(|c| {
                        let status = c
                            .rules
                            .iter()
                            .filter_map(|r| worst.get(r.as_str()).copied())
                            .max()
                            .map_or(NOT_EVALUATED, Status::as_str);
                        if let Some(n) = counts.get_mut(status) {
                            *n += 1;
                        }
                        ControlResult {
                            id: c.id.clone(),
                            title: c.title.clone(),
                            status: status.to_string(),
                            rules: c.rules.clone(),
                        }
                    })
                    .collect();
                Coverage {
                    framework: f.id.clone(),
                    name: f.name.clone(),
                    version: f.version.clone(),
                    mapping: f.mapping.clone(),
                    citation: f.citation.clone(),
                    denominator: f.denominator.clone(),
                    counts,
                    controls,
                }
            })
            .collect()
    }

    /// The frameworks `selected` names (all when it is empty), in list order.
    fn chosen<'a>(&'a self, selected: &'a [String]) -> impl Iterator<Item = &'a Framework> {
        self.list.iter().filter(move |f| selected.is_empty() || selected.contains(&f.id))
    }

    /// The id a `--framework` name stands for.
    fn resolve(&self, name: &str) -> Option<&str> {
        let key = normalize(name);
        if let Some(f) = self.list.iter().find(|f| normalize(&f.id) == key) {
            return Some(&f.id);
        }
        let id = ALIASES.iter().find(|(alias, _)| *alias == key).map(|(_, id)| *id)?;
        self.list.iter().find(|f| f.id == id).map(|f| f.id.as_str())
    }

    fn ids(&self) -> Vec<&str> {
        self.list.iter().map(|f| f.id.as_str()).collect()
    }

    /// The usage error for an unknown `--framework` name.
    fn unknown(&self, name: &str) -> Error {
        let candidates = self.ids().into_iter().chain(ALIASES.iter().map(|(alias, _)| *alias));
        let hint = vz::error::suggest(&normalize(name), candidates)
            .and_then(|near| self.resolve(&near).map(str::to_string))
            .map(|id| format!(" (did you mean `{id}`?)"))
            .unwrap_or_default();
        Error::usage(format!(
            "--framework `{name}` is not a known framework: expected one of {}{hint}",
            self.ids().join(", ")
        ))
    }
}

/// The status of a control none of whose rules was checked.
const NOT_EVALUATED: &str = "not-evaluated";

/// `PCI_DSS` and `pci dss` are `pci-dss`.
fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', ' '], "-")
}

/// Reads mappings: one YAML document holding a list of frameworks, its
/// values located for messages (`Locate::Everything`) or not (the embedded
/// data, which the tests prove well-formed: nothing to point into).
fn parse(text: &str, name: &str, locate: Locate) -> Result<Frameworks, Error> {
    let mut list = Vec::new();
    for doc in parse_documents(text, name, locate)? {
        list.extend(doc.typed::<Vec<Framework>>("")?);
    }
    Ok(Frameworks { list })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectRef;
    use vz::Location;

    #[derive(Deserialize)]
    struct RuleSubject {
        id: String,
        subject: Vec<String>,
    }

    /// Every built-in rule's subject words, by id.
    fn subjects() -> BTreeMap<String, Vec<String>> {
        let files = [
            ("k8s-rules.yaml", include_str!("../data/k8s-rules.yaml")),
            ("app-rules.yaml", include_str!("../data/app-rules.yaml")),
        ];
        let mut all = BTreeMap::new();
        for (name, text) in files {
            let docs = parse_documents(text, name, Locate::Documents).unwrap();
            let rules: Vec<RuleSubject> = docs[0].typed("").unwrap();
            all.extend(rules.into_iter().map(|r| (r.id, r.subject)));
        }
        all
    }

    #[test]
    fn the_rule_files_hold_the_rules_the_mappings_expect() {
        let ids: Vec<String> = subjects().into_keys().collect();
        let expected: Vec<String> = (1..=7)
            .map(|n| format!("VZ-APP-{n:03}"))
            .chain((1..=28).map(|n| format!("VZ-K8S-{n:03}")))
            .collect();
        assert_eq!(ids, expected);
    }

    /// `framework:control → rule` for every mapping whose control title
    /// names none of the rule's subject words (broad controls aside).
    fn mismatches(list: &[Framework], subjects: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        let mut bad = Vec::new();
        for f in list {
            for c in f.controls.iter().filter(|c| !c.broad) {
                let title = c.title.to_lowercase();
                for rule in &c.rules {
                    let words = subjects.get(rule).map(Vec::as_slice).unwrap_or_default();
                    if !words.iter().any(|w| title.contains(&w.to_lowercase())) {
                        bad.push(format!("{}:{} → {rule}", f.id, c.id));
                    }
                }
            }
        }
        bad
    }

    fn eval(rule: &str, status: Status) -> Evaluation {
        Evaluation {
            rule: rule.into(),
            object: ObjectRef {
                kind: "Deployment".into(),
                name: "api".into(),
                namespace: "".into(),
            }
            .into(),
            status,
            violations: Vec::new(),
            note: None,
            waiver: None,
            at: Location::input("test.yaml"),
            rank: (0, 0),
        }
    }

    fn small() -> Frameworks {
        parse(
            r#"
- id: fw
  name: A framework
  version: "1"
  mapping: vz
  citation: the tests
  denominator: three controls
  controls:
    - {id: c1, title: one, rules: [R1, R2]}
    - {id: c2, title: two, rules: [R3]}
    - {id: c3, title: three, rules: [R4]}
"#,
            "small.yaml",
            Locate::Everything,
        )
        .unwrap()
    }

    #[test]
    fn the_embedded_mappings_parse() {
        let all = Frameworks::builtin();
        let ids: Vec<&str> = all.list().iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["cis", "nsa", "pci", "hipaa", "gdpr", "sox"]);
        for f in all.list() {
            assert!(["published", "vz"].contains(&f.mapping.as_str()), "{}", f.id);
            assert!(!f.citation.is_empty() && !f.denominator.is_empty(), "{}", f.id);
            let mut ids = BTreeSet::new();
            for c in &f.controls {
                assert!(ids.insert(&c.id), "{}:{} is listed twice", f.id, c.id);
                assert!(!c.rules.is_empty(), "{}:{} has no rules", f.id, c.id);
            }
        }
    }

    #[test]
    fn the_denominators_state_the_control_counts() {
        for f in Frameworks::builtin().list() {
            let n = f.controls.len().to_string();
            assert!(
                f.denominator.split_whitespace().any(|w| w == n),
                "{}: {}",
                f.id,
                f.denominator
            );
        }
    }

    #[test]
    fn every_mapped_rule_exists() {
        let subjects = subjects();
        for f in Frameworks::builtin().list() {
            for c in &f.controls {
                for rule in &c.rules {
                    assert!(subjects.contains_key(rule), "{}:{} maps unknown {rule}", f.id, c.id);
                }
            }
        }
    }

    #[test]
    fn every_rule_serves_a_control() {
        let all = Frameworks::builtin();
        let unmapped: Vec<String> =
            subjects().into_keys().filter(|id| all.controls_for(id).is_empty()).collect();
        assert_eq!(unmapped, Vec::<String>::new());
    }

    #[test]
    fn every_control_names_its_rules_subject() {
        assert_eq!(mismatches(Frameworks::builtin().list(), &subjects()), Vec::<String>::new());
    }

    #[test]
    fn the_subject_test_catches_a_host_network_host_pid_swap() {
        let swapped = Framework {
            id: "nsa".into(),
            name: "swapped".into(),
            version: "1".into(),
            mapping: "published".into(),
            citation: String::new(),
            denominator: String::new(),
            controls: vec![Control {
                id: "1.5".into(),
                title: "Minimize the admission of containers wishing to share the host network namespace"
                    .into(),
                rules: vec!["VZ-K8S-007".into()],
                citation: None,
                broad: false,
            }],
        };
        assert_eq!(
            mismatches(std::slice::from_ref(&swapped), &subjects()),
            ["nsa:1.5 → VZ-K8S-007"]
        );
        let mut fixed = swapped;
        fixed.controls[0].rules = vec!["VZ-K8S-006".into()];
        assert_eq!(mismatches(&[fixed], &subjects()), Vec::<String>::new());
    }

    #[test]
    fn host_namespaces_map_to_their_own_controls() {
        let all = Frameworks::builtin();
        let refs = |rule: &str| -> Vec<String> {
            all.controls_for(rule).iter().map(ControlRef::to_string).collect()
        };
        assert_eq!(
            refs("VZ-K8S-006"),
            ["cis:5.2.5", "hipaa:164.312(a)(1)", "nsa:host-network", "pci:2.2.1"]
        );
        assert_eq!(
            refs("VZ-K8S-007"),
            ["cis:5.2.3", "hipaa:164.312(a)(1)", "nsa:host-pid", "pci:2.2.1"]
        );
    }

    #[test]
    fn select_accepts_ids_and_common_names_in_list_order() {
        let all = Frameworks::builtin();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(all.select(&names(&["pci,gdpr"])).unwrap(), ["pci", "gdpr"]);
        assert_eq!(all.select(&names(&["GDPR", "PCI-DSS", "pci"])).unwrap(), ["pci", "gdpr"]);
        assert_eq!(
            all.select(&names(&["cis-kubernetes", "nsa-cisa", "hipaa-164.312", "sox"])).unwrap(),
            ["cis", "nsa", "hipaa", "sox"]
        );
        assert_eq!(all.select(&names(&["pci_dss", " sarbanes oxley "])).unwrap(), ["pci", "sox"]);
        assert_eq!(all.select(&[]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn select_names_the_known_ids_and_the_near_miss() {
        let all = Frameworks::builtin();
        let err = |name: &str| all.select(&[name.to_string()]).unwrap_err().to_string();
        assert_eq!(
            err("pcii"),
            "--framework `pcii` is not a known framework: expected one of cis, nsa, pci, hipaa, \
             gdpr, sox (did you mean `pci`?)"
        );
        assert_eq!(
            err("pci-ds"),
            "--framework `pci-ds` is not a known framework: expected one of cis, nsa, pci, hipaa, \
             gdpr, sox (did you mean `pci`?)"
        );
        assert_eq!(
            err("iso27001"),
            "--framework `iso27001` is not a known framework: expected one of cis, nsa, pci, \
             hipaa, gdpr, sox"
        );
        assert_eq!(
            err(","),
            "--framework needs a framework: expected one of cis, nsa, pci, hipaa, gdpr, sox"
        );
        assert!(matches!(all.select(&["x".into()]), Err(Error::Usage(_))));
    }

    #[test]
    fn rules_in_collects_the_selected_frameworks_rules() {
        let all = Frameworks::builtin();
        let gdpr: Vec<String> = all.rules_in(&["gdpr".into()]).into_iter().collect();
        assert_eq!(
            gdpr,
            [
                "VZ-APP-001",
                "VZ-APP-003",
                "VZ-APP-004",
                "VZ-K8S-024",
                "VZ-K8S-026",
                "VZ-K8S-027",
                "VZ-K8S-028"
            ]
        );
        assert_eq!(all.rules_in(&[]).len(), 35);
    }

    #[test]
    fn coverage_takes_the_worst_effective_status_per_control() {
        let fw = small();
        let results = [
            eval("R1", Status::Passed),
            eval("R2", Status::Waived),
            eval("R2", Status::NotApplicable),
            eval("R3", Status::NotApplicable),
            eval("R9", Status::Error),
        ];
        let cov = fw.coverage(&[], &results);
        assert_eq!(cov.len(), 1);
        let statuses: Vec<(&str, &str)> =
            cov[0].controls.iter().map(|c| (c.id.as_str(), c.status.as_str())).collect();
        assert_eq!(statuses, [("c1", "passed"), ("c2", "not-evaluated"), ("c3", "not-evaluated")]);
        let counts: Vec<(&str, usize)> =
            cov[0].counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            counts,
            [("error", 0), ("failed", 0), ("not-evaluated", 2), ("passed", 1), ("warning", 0)]
        );
        assert_eq!(cov[0].denominator, "three controls");
        assert_eq!(cov[0].controls[0].rules, ["R1", "R2"]);

        let results = [
            eval("R1", Status::Passed),
            eval("R2", Status::Warning),
            eval("R2", Status::Failed),
            eval("R3", Status::Warning),
            eval("R4", Status::Error),
            eval("R4", Status::Failed),
        ];
        let cov = fw.coverage(&["fw".into()], &results);
        let statuses: Vec<&str> = cov[0].controls.iter().map(|c| c.status.as_str()).collect();
        assert_eq!(statuses, ["failed", "warning", "error"]);
        let counts: Vec<usize> = cov[0].counts.values().copied().collect();
        assert_eq!(counts, [1, 1, 0, 0, 1]);
    }

    #[test]
    fn coverage_reports_only_the_selected_frameworks() {
        let all = Frameworks::builtin();
        let cov = all.coverage(&["sox".into(), "cis".into()], &[]);
        let ids: Vec<&str> = cov.iter().map(|c| c.framework.as_str()).collect();
        assert_eq!(ids, ["cis", "sox"]);
        assert_eq!(cov[0].counts["not-evaluated"], 14);
        assert_eq!(cov[0].mapping, "published");
        assert_eq!(cov[1].mapping, "vz");
        assert_eq!(all.coverage(&[], &[]).len(), 6);
    }

    #[test]
    fn custom_rules_join_controls_and_frameworks() {
        let mut all = Frameworks::builtin();
        let refs = |v: &[(&str, &str)]| -> Vec<ControlRef> {
            v.iter()
                .map(|(f, c)| ControlRef { framework: f.to_string(), control: c.to_string() })
                .collect()
        };
        all.add_custom(
            "ORG-001",
            &refs(&[
                ("PCI-DSS", "10.2.1"),
                ("pci", "12.3.1"),
                ("iso27001", "A.8.9"),
                ("pci", "10.2.1"),
            ]),
        );
        all.add_custom("ORG-002", &refs(&[("iso27001", "A.8.9")]));
        let found: Vec<String> =
            all.controls_for("ORG-001").iter().map(ControlRef::to_string).collect();
        assert_eq!(found, ["iso27001:A.8.9", "pci:10.2.1", "pci:12.3.1"]);

        let pci = &all.list()[2];
        let c = pci.controls.iter().find(|c| c.id == "10.2.1").unwrap();
        assert_eq!(c.rules, ["VZ-APP-002", "ORG-001"]);
        let c = pci.controls.last().unwrap();
        assert_eq!(
            (c.id.as_str(), c.title.as_str(), c.rules.as_slice()),
            ("12.3.1", "12.3.1", &["ORG-001".to_string()][..])
        );

        let iso = all.list().last().unwrap();
        assert_eq!(
            (iso.id.as_str(), iso.name.as_str(), iso.mapping.as_str()),
            ("iso27001", "iso27001", "custom")
        );
        assert_eq!(iso.controls.len(), 1);
        assert_eq!(iso.controls[0].rules, ["ORG-001", "ORG-002"]);
        assert_eq!(all.select(&["iso27001".into()]).unwrap(), ["iso27001"]);
        assert!(all.rules_in(&["iso27001".into()]).contains("ORG-002"));
    }

    #[test]
    fn unknown_fields_in_mappings_name_the_near_miss() {
        let text = "- id: x\n  name: X\n  version: '1'\n  mapping: vz\n  citation: c\n  denominator: d\n  controls:\n    - {id: a, title: t, rules: [R], brod: true}\n";
        let err = parse(text, "m.yaml", Locate::Everything).unwrap_err().to_string();
        assert!(err.starts_with("m.yaml:8:"), "{err}");
        assert!(err.contains("controls[0].brod") && err.contains("did you mean `broad`"), "{err}");
    }
}
