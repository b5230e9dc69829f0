//! CSV output: a header and one row per remaining finding, lists joined
//! with `;`, and every cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed
//! with `'` (OWASP's advice against CSV injection).

use super::Merged;
use crate::merge::{BaselineStatus, Finding};
use crate::model::TargetKind;
use std::borrow::Cow;
use vz::Error;

const HEADER: [&str; 16] = [
    "severity",
    "id",
    "aliases",
    "package",
    "ecosystem",
    "installed",
    "fixed",
    "fixable",
    "target",
    "target_kind",
    "sources",
    "consensus",
    "baseline",
    "title",
    "url",
    "fingerprint",
];

/// Renders the findings of `m` as CSV, one row per finding.
pub fn render(m: &Merged) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::io("<CSV output>", e.into());
    w.write_record(HEADER).map_err(fail)?;
    for f in &m.findings {
        w.write_record(row(f).iter().map(|c| guard(c).into_owned())).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::io("<CSV output>", e.into_error()))?;
    // Every cell is a Rust string, so the output is UTF-8.
    String::from_utf8(bytes).map_err(|e| Error::usage(format!("CSV output: {e}")))
}

fn row(f: &Finding) -> [String; 16] {
    let sources: Vec<&str> = f.sources.iter().map(|s| s.name()).collect();
    [
        f.severity.name().to_string(),
        f.id.clone(),
        f.aliases.join(";"),
        f.package.name.clone(),
        f.package.ecosystem.as_ref().map_or("", |e| e.name()).to_string(),
        f.installed.join(";"),
        f.fixed.join(";"),
        f.fixable.to_string(),
        f.target.name.clone(),
        match f.target.kind {
            TargetKind::Image => "image",
            TargetKind::File => "file",
        }
        .to_string(),
        sources.join(";"),
        f.sources.len().to_string(),
        match f.baseline {
            Some(BaselineStatus::New) => "new",
            Some(BaselineStatus::Unchanged) => "unchanged",
            None => "",
        }
        .to_string(),
        f.title.split_whitespace().collect::<Vec<_>>().join(" "),
        f.urls.first().cloned().unwrap_or_default(),
        f.fingerprint.clone(),
    ]
}

/// A cell a spreadsheet would run as a formula gets a leading `'`.
fn guard(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::report::sarif::fixture::{empty, finding, gate, merged, sample};

    #[test]
    fn the_sample_as_a_whole() {
        assert_eq!(render(&sample()).unwrap(), SAMPLE);
    }

    #[test]
    fn nothing_found_is_the_header_alone() {
        assert_eq!(render(&empty()).unwrap(), format!("{}\n", HEADER.join(",")));
    }

    #[test]
    fn formula_cells_are_defused() {
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("1=1", "1=1"),
            ("", ""),
        ] {
            assert_eq!(guard(cell), want, "{cell:?}");
        }
        let mut f = finding("CVE-1", "=cmd|' /C calc'!A0", "-1", Severity::Low, "app");
        f.fixed = vec!["+2".into()];
        let text = render(&merged(vec![f], gate(None, &[]))).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.starts_with("low,CVE-1,,'=cmd|' /C calc'!A0,,'-1,'+2,false,app,image,trivy,1,,,,"),
            "{row}"
        );
    }

    const SAMPLE: &str = r#"severity,id,aliases,package,ecosystem,installed,fixed,fixable,target,target_kind,sources,consensus,baseline,title,url,fingerprint
critical,CVE-2021-44228,GHSA-jfh8-c2jp-5v3q,org.apache.logging.log4j:log4j-core,maven,2.14.1,2.15.0,true,acme/app,image,trivy;snyk,2,new,Remote code injection in Log4j,https://avd.aquasec.com/nvd/cve-2021-44228,d1d5e3d7c9fa218713c0fd9e0b9ddafa
high,CVE-2022-25883,GHSA-c2qf-rxjj-qqgw,semver,npm,7.3.7,7.5.2,true,package-lock.json,file,snyk;npm,2,unchanged,semver vulnerable to Regular Expression Denial of Service,https://github.com/advisories/GHSA-c2qf-rxjj-qqgw,d2f9452e6ba6ee7319e672567f39ff37
medium,CVE-2021-44228,GHSA-jfh8-c2jp-5v3q,org.apache.logging.log4j:log4j-core,maven,2.14.1,,true,acme/worker,image,grype,1,unchanged,Remote code injection in Log4j,,a1891a363ed32f9fe8b434f685f52b82
unknown,OSV-2024-1,,'@acme/left-pad,npm,1.0.0,,false,web/package-lock.json,file,osv,1,new,"'=HYPERLINK(""http://x"") | <b>pad</b> second line",,b59b42f56352c54174c5edcc24c4b9e5
"#;
}
