//! The end-to-end tests: every tool binary run as a user would, from a
//! scrubbed environment. One test binary, one module per subject.

mod cli;
mod common;
mod conformance;
mod health;
mod health_http;
mod health_manifests;
mod health_prometheus;
mod render;
mod scripts;
mod servers;
mod switch;
mod switch_nginx;
mod switch_weights;
