//! The end-to-end tests: every tool binary run as a user would, from a
//! scrubbed environment. One test binary, one module per subject.

mod backup_check;
mod backup_plan;
mod backup_scan;
mod cli;
mod common;
mod comply;
mod comply_checkov;
mod conformance;
mod health;
mod health_http;
mod health_manifests;
mod health_prometheus;
mod render;
mod scan;
mod scan_conformance;
mod scripts;
mod servers;
mod switch;
mod switch_nginx;
mod switch_weights;
