//! `--baseline`: an earlier run's JSON report; results that were already
//! failing there are left out, so a pull request is judged on what it
//! breaks.

use crate::model::{Evaluation, ObjectRef, Status};
use serde::Deserialize;
use std::collections::BTreeSet;
use vz::Error;
use vz::input::{Input, Locate, parse_documents};

#[derive(Deserialize)]
struct Report {
    results: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    rule: String,
    object: ObjectRef,
    status: Status,
}

/// The (rule, object) pairs failing (failed, warning or error) in a
/// baseline report.
#[derive(Debug, Default)]
pub struct Baseline {
    failing: BTreeSet<(String, ObjectRef)>,
}

impl Baseline {
    /// Reads an earlier `vz-comply -o json` report.
    pub fn read(input: &Input) -> Result<Baseline, Error> {
        let name = input.name();
        let text = input.read_text()?;
        let docs = parse_documents(&text, &name, Locate::Documents)?;
        let [doc] = docs.as_slice() else {
            return Err(Error::Parse {
                at: vz::Location::input(&name),
                message: "a baseline is one JSON document (an earlier run's -o json output)".into(),
            });
        };
        let report: Report = doc.typed("")?;
        let failing = report
            .results
            .into_iter()
            .filter(|r| is_failing(r.status))
            .map(|r| (r.rule, r.object))
            .collect();
        Ok(Baseline { failing })
    }

    /// Drops the results failing in the baseline too; returns how many.
    pub fn remove_existing(&self, results: &mut Vec<Evaluation>) -> usize {
        let before = results.len();
        results.retain(|r| {
            !(is_failing(r.status) && self.failing.contains(&(r.rule.clone(), (*r.object).clone())))
        });
        before - results.len()
    }
}

fn is_failing(s: Status) -> bool {
    matches!(s, Status::Warning | Status::Failed | Status::Error)
}
