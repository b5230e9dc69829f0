//! One parser per format family; each turns one document into reports of
//! [`Raw`](crate::model::Raw) findings, skipping what is not a vulnerability
//! (misconfigurations, secrets, licence issues) on purpose.

pub mod grype;
pub mod npm;
pub mod osv;
pub mod sarif;
pub mod snyk;
pub mod trivy;
mod util;

use crate::input::{Doc, Format};
use crate::model::Report;
use vz::Error;

/// Parses one document of a known format.
pub fn parse(doc: &Doc<'_>, format: Format) -> Result<Vec<Report>, Error> {
    match format {
        Format::Trivy => trivy::parse(doc),
        Format::Grype => grype::parse(doc),
        Format::Snyk => snyk::parse(doc),
        Format::Sarif => sarif::parse(doc),
        Format::Osv => osv::parse(doc),
        Format::Npm => npm::parse(doc),
    }
}
